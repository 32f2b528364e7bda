"""Harvesting arXiv over OAI-PMH: ``ListRecords`` of one set, page by page, resumable.

State (``Store.sync_state("arxiv", SET)``):

* ``high_water``: the latest datestamp of the last finished harvest. The next harvest asks
  ``from`` that day: OAI datestamps are days, so the boundary day comes again, and its
  records are found already stored (same content, same fingerprint) or replace their earlier
  version (same locator, the OAI identifier), never stored twice.
* ``token``, ``cursor``, ``window_from``, ``window_until``, ``latest``: a harvest that has
  not finished. They are saved with each page, in the transaction that stores the page's
  records, so a run that stops (network down, Ctrl-C, a page that does not parse) is resumed
  by the next run with the saved token: the pages stored are not fetched again. A token the
  server no longer knows (``badResumptionToken``: they expire) restarts the window from its
  start, which is the high-water mark unless ``--from`` said otherwise.

The first harvest of a set without ``since`` starts ``FIRST_DAYS`` days back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from papersift.clock import now_iso
from papersift.errors import HarvestError, OaiProtocolError
from papersift.ingest.pipeline import FileReport, ingest_records
from papersift.ingest.sources.oai_arxiv import OaiPage, keep_categories, parse_page
from papersift.store.base import Store, SyncState
from papersift.sync.http import PoliteClient

DEFAULT_ENDPOINT = "https://oaipmh.arxiv.org/oai"
SOURCE = "arxiv"
FORMAT = "oai-pmh"
METADATA_PREFIX = "arXiv"
FIRST_DAYS = 7
#: Restarts after badResumptionToken in one run before giving up (a server that forgets
#: every token would otherwise send the first page forever).
MAX_RESTARTS = 3

#: Called after each page: (records of the list done, records in the list if known).
PageCallback = Callable[[int, int | None], None]


@dataclass
class HarvestReport:
    """What a harvest did; filled page by page, so it is also right after a failure."""

    set_spec: str
    window_from: str | None = None
    window_until: str | None = None
    #: Whether it went on with a saved resumption token, or dropped one (another window).
    resumed: bool = False
    abandoned: bool = False
    #: How many times an expired token made it start the window again.
    restarts: int = 0
    pages: int = 0
    records: int = 0
    left_out: int = 0
    new: int = 0
    merged: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    high_water: str | None = None

    def count(self, page: FileReport, left_out: int) -> None:
        self.pages += 1
        self.records += page.read + left_out
        self.left_out += left_out
        self.new += page.new
        self.merged += page.merged
        self.updated += page.updated
        self.unchanged += page.unchanged
        self.skipped += len(page.skipped)


def _later(a: str | None, b: str | None) -> str | None:
    return max(a, b) if a and b else a or b


class ArxivHarvest:
    """One run of ``papersift sync arxiv``: ``run()`` harvests, ``report`` says what it did."""

    def __init__(
        self,
        store: Store,
        client: PoliteClient,
        set_spec: str,
        *,
        categories: Sequence[str] = (),
        since: str | None = None,
        until: str | None = None,
        endpoint: str = DEFAULT_ENDPOINT,
        today: date | None = None,
        on_page: PageCallback | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.set_spec = set_spec
        self.categories = list(categories)
        self.since = since
        self.until = until
        self.endpoint = endpoint
        self.today = today or datetime.now(UTC).date()
        self.on_page = on_page
        self.report = HarvestReport(set_spec)
        #: Provenance of every record: the same for every run, so that a record's locator
        #: (its OAI identifier) names one entry of this listing.
        self.file = f"{endpoint} set={set_spec}"

    def run(self) -> HarvestReport:
        state = self.store.sync_state(SOURCE, self.set_spec) or SyncState(SOURCE, self.set_spec)
        self.report.high_water = state.high_water
        if state.token and self._continues(state):
            self.report.resumed = True
        else:
            self.report.abandoned = state.token is not None
            since = self.since or state.high_water or self._first_from()
            state = dataclasses.replace(
                state,
                token=None,
                cursor=None,
                window_from=since,
                window_until=self.until,
                latest=None,
            )
        self.report.window_from, self.report.window_until = state.window_from, state.window_until
        while True:
            page = self._fetch(state)
            if page is None:  # the token expired: start the window again
                state = self._restart(state)
                continue
            state = self._store_page(page, state)
            if state.token is None:
                self.report.high_water = state.high_water
                return self.report

    def _continues(self, state: SyncState) -> bool:
        """A saved harvest goes on unless this run asks for another window."""
        asked = (self.since, self.until)
        return asked == (None, None) or asked == (state.window_from, state.window_until)

    def _first_from(self) -> str:
        return (self.today - timedelta(days=FIRST_DAYS)).isoformat()

    def _params(self, state: SyncState) -> dict[str, str]:
        if state.token:
            return {"verb": "ListRecords", "resumptionToken": state.token}
        params = {"verb": "ListRecords", "metadataPrefix": METADATA_PREFIX, "set": self.set_spec}
        if state.window_from:
            params["from"] = state.window_from
        if state.window_until:
            params["until"] = state.window_until
        return params

    def _fetch(self, state: SyncState) -> OaiPage | None:
        """The next page, or None when the server no longer knows the saved token."""
        fetched = self.client.get(self.endpoint, self._params(state))
        try:
            return parse_page(fetched.text, fetched.url)
        except OaiProtocolError as exc:
            if exc.code != "badResumptionToken" or not state.token:
                raise
            return None

    def _restart(self, state: SyncState) -> SyncState:
        self.report.restarts += 1
        if self.report.restarts > MAX_RESTARTS:
            raise HarvestError(
                f"{self.endpoint}: the server refused the resumption token "
                f"{self.report.restarts} times in this run (badResumptionToken); try again later"
            )
        state = dataclasses.replace(state, token=None, cursor=None, updated_at=now_iso())
        with self.store.transaction():
            self.store.save_sync_state(state)
        return state

    def _store_page(self, page: OaiPage, state: SyncState) -> SyncState:
        """Ingest one page and save the state that follows it, in one transaction."""
        items, left_out = keep_categories(page.items, self.categories)
        now = now_iso()
        latest = _later(state.latest, page.latest)
        if page.token:
            after = dataclasses.replace(
                state, token=page.token, cursor=page.cursor, latest=latest, updated_at=now
            )
        else:  # the last page: the window is done
            high_water = _later(state.high_water, latest)
            after = SyncState(SOURCE, self.set_spec, high_water, updated_at=now)
        counts = FileReport(self.file, FORMAT, SOURCE)
        with self.store.transaction():
            ingest_records(self.store, items, counts, replace_same_origin=True, now=now)
            self.store.save_sync_state(after)
        self.report.count(counts, left_out)
        if self.on_page:
            done = (page.cursor or 0) + len(page.items) if page.token else page.complete_size
            self.on_page(done or self.report.records, page.complete_size)
        return after
