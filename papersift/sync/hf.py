"""Syncing Hugging Face Daily Papers, one day per request (``/api/daily_papers?date=``).

Each paper of a day is one record (source ``hf-daily``, format ``hf-api``) keyed by its
arXiv id, so it joins the paper already harvested from arXiv or read from a listing. A day
read again replaces its records with the new reading: the paper's upvotes follow the latest
count, and no record is added twice.

State (``Store.sync_state("hf-daily", DAY)``): a day read ``SETTLE_DAYS`` days or more
after it is ``complete`` (its list is final and its upvotes have mostly settled); a run
without ``--date`` skips complete days, so a daily cron fetches the last few days only,
and catches up on the days it missed within its window. ``--date`` always fetches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from papersift.errors import UsageError
from papersift.ingest.pipeline import FileReport, ingest_records
from papersift.ingest.sources.hf_api import FORMAT_NAME, parse_day
from papersift.store.base import Store, SyncState
from papersift.sync.http import PoliteClient

DEFAULT_ENDPOINT = "https://huggingface.co/api/daily_papers"
SOURCE = "hf-daily"
SETTLE_DAYS = 3
DEFAULT_DAYS = 3

#: Called after each day: (days done, days to do).
DayCallback = Callable[[int, int], None]


@dataclass
class DailyReport:
    """What a sync did; filled day by day, so it is also right after a failure."""

    fetched: list[str] = field(default_factory=list)
    already_complete: list[str] = field(default_factory=list)
    papers: int = 0
    new: int = 0
    merged: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def count(self, day: str, page: FileReport) -> None:
        self.fetched.append(day)
        self.papers += page.read
        self.new += page.new
        self.merged += page.merged
        self.updated += page.updated
        self.unchanged += page.unchanged
        self.skipped += len(page.skipped)


def days_to_sync(last: date, back: int) -> list[date]:
    """``last`` and the ``back`` days before it, oldest first."""
    return [last - timedelta(days=n) for n in range(back, -1, -1)]


class HfDailySync:
    """One run of ``papersift sync hf-daily``: ``run()`` syncs, ``report`` says what it did."""

    def __init__(
        self,
        store: Store,
        client: PoliteClient,
        *,
        day: date | None = None,
        days: int | None = None,
        endpoint: str = DEFAULT_ENDPOINT,
        today: date | None = None,
        settle_days: int = SETTLE_DAYS,
        on_day: DayCallback | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.today = today or datetime.now(UTC).date()
        if day is not None and day > self.today:
            raise UsageError(f"--date {day} is after today ({self.today}, UTC)")
        self.forced = day is not None
        back = days if days is not None else (0 if day is not None else DEFAULT_DAYS)
        self.days = days_to_sync(day or self.today, back)
        self.endpoint = endpoint
        self.settle_days = settle_days
        self.on_day = on_day
        self.report = DailyReport()

    def run(self) -> DailyReport:
        for number, day in enumerate(self.days, start=1):
            scope = day.isoformat()
            state = self.store.sync_state(SOURCE, scope)
            if state is not None and state.complete and not self.forced:
                self.report.already_complete.append(scope)
            else:
                self._sync_day(day)
            if self.on_day:
                self.on_day(number, len(self.days))
        return self.report

    def _sync_day(self, day: date) -> None:
        scope = day.isoformat()
        fetched = self.client.get(self.endpoint, {"date": scope})
        items = parse_day(fetched.content, fetched.url, scope)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        complete = (self.today - day).days >= self.settle_days
        counts = FileReport(self.endpoint, FORMAT_NAME, SOURCE)
        with self.store.transaction():
            ingest_records(self.store, items, counts, replace_same_origin=True, now=now)
            self.store.save_sync_state(SyncState(SOURCE, scope, complete=complete, updated_at=now))
        self.report.count(scope, counts)
