"""Live sources (papersift sync) against a local HTTP server replaying recorded-style answers.

The OAI-PMH pages in fixtures/sync/ chain by resumption tokens: page1 -> 7183501|1001 ->
page2 -> 7183501|2002 -> page3 (the last), 9 records in all; next1 -> 7190277|1001 -> next2
is the following day's window. An unknown token gets badResumptionToken. Waits go through
an injected sleep, so no test waits for real.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from papersift.cli import main
from papersift.errors import HarvestError, OaiProtocolError, ParseError, UsageError
from papersift.ingest.pipeline import ingest_file
from papersift.ingest.sources.oai_arxiv import in_categories, parse_page
from papersift.models import Paper, Record
from papersift.store import Store
from papersift.store.base import SyncState
from papersift.sync.arxiv import ArxivHarvest, HarvestReport
from papersift.sync.hf import DailyReport, HfDailySync
from papersift.sync.http import PoliteClient, retry_after
from tests.support import FIXTURES

SYNC = FIXTURES / "sync"
Response = tuple[int, dict[str, str], bytes]
Query = dict[str, str]
Capture = pytest.CaptureFixture[str]

XML = {"Content-Type": "text/xml; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}
FIRST_PAGES = {"7183501|1001": "page2.xml", "7183501|2002": "page3.xml"}
NEXT_PAGES = {"7190277|1001": "next2.xml"}
WANTED = ("cs.LG", "stat.ML")


class Replay:
    """A local HTTP server: ``answer(query)`` gives each response; every query is logged."""

    def __init__(self, answer: Callable[[Query], Response]) -> None:
        self.answer = answer
        self.requests: list[Query] = []
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = dict(parse_qsl(urlsplit(self.path).query))
                replay.requests.append(query)
                status, headers, body = replay.answer(query)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oai"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class OaiAnswers:
    """OAI-PMH answers: ``first`` for a request without a token, ``pages[token]`` after it;
    ``queued[key]`` (key: the token, "" for the first request) are answered before that."""

    def __init__(self, first: str = "page1.xml", pages: dict[str, str] | None = None) -> None:
        self.first = first
        self.pages = dict(FIRST_PAGES if pages is None else pages)
        self.queued: dict[str, list[Response]] = {}

    def __call__(self, query: Query) -> Response:
        key = query.get("resumptionToken", "")
        if self.queued.get(key):
            return self.queued[key].pop(0)
        name = self.pages.get(key, "bad_token.xml") if key else self.first
        return 200, XML, (SYNC / name).read_bytes()


def status(code: int, headers: dict[str, str] | None = None) -> Response:
    return code, headers or {}, b"server trouble"


@pytest.fixture
def oai() -> OaiAnswers:
    return OaiAnswers()


@pytest.fixture
def server(oai: OaiAnswers) -> Iterator[Replay]:
    replay = Replay(oai)
    yield replay
    replay.close()


def client(sleeps: list[float] | None = None, retries: int = 2, **kwargs: float) -> PoliteClient:
    log = sleeps if sleeps is not None else []
    return PoliteClient(delay=0, retries=retries, backoff=1.0, sleep=log.append, **kwargs)


def harvest(
    store: Store,
    server: Replay,
    *,
    categories: tuple[str, ...] = WANTED,
    today: date = date(2024, 5, 4),
    retries: int = 2,
    since: str | None = None,
) -> HarvestReport:
    with client(retries=retries) as http:
        run = ArxivHarvest(
            store, http, "cs", categories=categories, since=since, endpoint=server.url, today=today
        )
        return run.run()


def papers(store: Store) -> list[Paper]:
    return list(store.iter_papers())


def arxiv_ids(store: Store) -> list[str]:
    return sorted(p.arxiv_id or "" for p in papers(store))


def by_arxiv(store: Store, arxiv_id: str) -> Paper:
    paper_id = store.resolve_paper_id(arxiv_id)
    paper = store.get_paper(paper_id) if paper_id is not None else None
    assert paper is not None, arxiv_id
    return paper


def records_from(paper: Paper, source: str) -> int:
    return sum(1 for s in paper.sources if s.source == source)


def every_paper_once(store: Store) -> None:
    ids = arxiv_ids(store)
    assert len(ids) == len(set(ids))
    for paper in papers(store):
        for source in ("arxiv", "hf-daily"):
            assert records_from(paper, source) <= 1, (paper.arxiv_id, source)


FIRST_HARVEST = ["2311.09999", "2405.00101", "2405.00104", "2405.00105", "2405.00108"]


# ---------------------------------------------------------------------------- parsing


def test_page_parse_reads_token_cursor_and_latest_datestamp() -> None:
    page = parse_page((SYNC / "page2.xml").read_text(encoding="utf-8"), "http://x/oai?p=2")
    assert (page.token, page.cursor, page.complete_size) == ("7183501|2002", 4, 9)
    assert page.latest == "2024-05-03"
    first = page.items[0]
    assert isinstance(first, Record)
    assert first.locator == "oai:arXiv.org:2405.00105"
    assert "datestamp" not in first.extra  # re-stamping alone must not change a record
    assert first.categories == ["stat.ML", "cs.LG"]
    last = parse_page((SYNC / "page3.xml").read_text(encoding="utf-8"), "u")
    assert last.token is None and last.latest == "2024-05-03"


def test_page_errors_name_the_url_and_line() -> None:
    text = (SYNC / "page2.xml").read_text(encoding="utf-8")
    with pytest.raises(ParseError) as info:
        parse_page(text[: len(text) // 2], "http://host/oai?resumptionToken=7183501%7C1001")
    assert info.value.path == "http://host/oai?resumptionToken=7183501%7C1001"
    assert info.value.line is not None and "not well-formed" in str(info.value)
    with pytest.raises(OaiProtocolError) as bad:
        parse_page((SYNC / "bad_token.xml").read_text(encoding="utf-8"), "u")
    assert bad.value.code == "badResumptionToken"
    empty = parse_page((SYNC / "no_records.xml").read_text(encoding="utf-8"), "u")
    assert empty.items == [] and empty.token is None


def test_categories_match_exactly_or_by_archive() -> None:
    record = Record(title="t", categories=["stat.ML", "math.ST"])
    assert in_categories(record, ["cs.LG", "stat.ML"])
    assert in_categories(record, ["math"])
    assert not in_categories(record, ["cs.LG", "stat.AP", "cs"])
    assert not in_categories(Record(title="t"), ["cs.LG"])


# ---------------------------------------------------------------------------- arXiv harvest


def test_harvest_follows_tokens_and_keeps_wanted_categories(store: Store, server: Replay) -> None:
    report = harvest(store, server)
    assert server.requests == [
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2024-04-27"},
        {"verb": "ListRecords", "resumptionToken": "7183501|1001"},
        {"verb": "ListRecords", "resumptionToken": "7183501|2002"},
    ]
    assert (report.pages, report.records, report.left_out) == (3, 9, 2)
    assert (report.new, report.merged, report.skipped) == (5, 0, 2)  # deleted + untitled
    assert arxiv_ids(store) == FIRST_HARVEST
    paper = by_arxiv(store, "2405.00104")
    assert paper.authors == ["Hiro Nakamura", "Elif Dubois"]
    assert paper.doi == "10.5555/tokenizers.7" and paper.venue == "Proc. Fict. Lang. Conf. 2024"
    assert paper.sources[0].source == "arxiv" and paper.sources[0].format == "oai-pmh"
    state = store.sync_state("arxiv", "cs")
    assert state is not None and state.high_water == "2024-05-03" and state.token is None


def test_without_categories_the_whole_set_is_kept(store: Store, server: Replay) -> None:
    report = harvest(store, server, categories=())
    assert report.left_out == 0 and report.new == 7
    assert "2405.00102" in arxiv_ids(store) and "2405.00106" in arxiv_ids(store)


def test_harvested_record_joins_a_listing_already_ingested(store: Store, server: Replay) -> None:
    ingest_file(store, SYNC / "listing.json")
    report = harvest(store, server)
    assert (report.new, report.merged) == (4, 1)
    paper = by_arxiv(store, "2311.09999")
    assert {s.source for s in paper.sources} == {"listing", "arxiv"}
    assert paper.title == "Low-Rank Adapters Need Warmup Too"  # arXiv's spelling wins
    assert paper.abstract and paper.abstract.startswith("Low-rank adapters trained without")
    every_paper_once(store)


def test_second_run_fetches_only_the_new_window(
    store: Store, server: Replay, oai: OaiAnswers
) -> None:
    harvest(store, server)
    oai.first, oai.pages = "next1.xml", dict(NEXT_PAGES)
    server.requests.clear()
    report = harvest(store, server, today=date(2024, 5, 5))
    assert server.requests == [
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2024-05-03"},
        {"verb": "ListRecords", "resumptionToken": "7190277|1001"},
    ]
    # 2405.00108 comes again (the boundary day), 2405.00105 comes revised, 2405.00110 is new
    assert (report.unchanged, report.updated, report.new, report.left_out) == (1, 1, 1, 1)
    revised = by_arxiv(store, "2405.00105")
    assert revised.abstract and "forty tabular regression benchmarks" in revised.abstract
    assert records_from(revised, "arxiv") == 1
    assert arxiv_ids(store) == sorted([*FIRST_HARVEST, "2405.00110"])
    every_paper_once(store)
    state = store.sync_state("arxiv", "cs")
    assert state is not None and state.high_water == "2024-05-04"


def test_empty_window_keeps_the_high_water_mark(
    store: Store, server: Replay, oai: OaiAnswers
) -> None:
    harvest(store, server)
    oai.first = "no_records.xml"
    report = harvest(store, server, today=date(2024, 5, 5))
    assert (report.pages, report.records, report.new) == (1, 0, 0)
    state = store.sync_state("arxiv", "cs")
    assert state is not None and state.high_water == "2024-05-03" and state.token is None


def test_crash_mid_harvest_resumes_with_the_saved_token(
    store: Store, server: Replay, oai: OaiAnswers
) -> None:
    oai.queued["7183501|2002"] = [status(503), status(502), status(500)]  # 3 > 1 + 2 retries
    with pytest.raises(HarvestError) as info:
        harvest(store, server, retries=2)
    assert "resumptionToken=7183501%7C2002" in str(info.value)
    assert "HTTP 500" in str(info.value) and "3 attempts" in str(info.value)
    assert "2405.00108" not in arxiv_ids(store) and "2405.00105" in arxiv_ids(store)
    saved = store.sync_state("arxiv", "cs")
    assert saved is not None and saved.token == "7183501|2002" and saved.cursor == 4
    assert saved.high_water is None and saved.latest == "2024-05-03"

    server.requests.clear()
    report = harvest(store, server)
    assert server.requests == [{"verb": "ListRecords", "resumptionToken": "7183501|2002"}]
    assert report.resumed and report.pages == 1 and report.new == 1
    assert arxiv_ids(store) == FIRST_HARVEST
    assert store.stats().records == len(FIRST_HARVEST)
    every_paper_once(store)
    state = store.sync_state("arxiv", "cs")
    assert state is not None and state.high_water == "2024-05-03" and state.token is None


def test_truncated_page_stores_nothing_of_it_and_stays_resumable(
    store: Store, server: Replay, oai: OaiAnswers
) -> None:
    text = (SYNC / "page2.xml").read_bytes()
    oai.queued["7183501|1001"] = [(200, XML, text[: len(text) * 2 // 3])]
    with pytest.raises(ParseError) as info:
        harvest(store, server)
    message = str(info.value)
    assert message.startswith(f"{server.url}?verb=ListRecords&resumptionToken=7183501%7C1001:")
    assert info.value.line is not None and "not well-formed XML" in message
    assert arxiv_ids(store) == ["2405.00101", "2405.00104"]  # page 1 only
    saved = store.sync_state("arxiv", "cs")
    assert saved is not None and saved.token == "7183501|1001"

    server.requests.clear()
    harvest(store, server)
    assert [q.get("resumptionToken") for q in server.requests] == ["7183501|1001", "7183501|2002"]
    assert arxiv_ids(store) == FIRST_HARVEST
    every_paper_once(store)


def test_a_page_and_the_state_after_it_are_one_transaction(
    store: Store, server: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved: list[SyncState] = []

    def save_then_fail(state: SyncState) -> None:
        saved.append(state)
        if len(saved) == 2:
            raise OSError("disk full while saving the token of page 3")
        store_save(state)

    store_save = store.save_sync_state
    monkeypatch.setattr(store, "save_sync_state", save_then_fail)
    with pytest.raises(OSError):
        harvest(store, server)
    assert arxiv_ids(store) == ["2405.00101", "2405.00104"]  # page 2 rolled back with it
    state = store.sync_state("arxiv", "cs")
    assert state is not None and state.token == "7183501|1001"


def test_expired_token_restarts_the_window_from_the_high_water_mark(
    store: Store, server: Replay, oai: OaiAnswers
) -> None:
    harvest(store, server)  # high-water mark 2024-05-03
    oai.first, oai.pages = "next1.xml", dict(NEXT_PAGES)
    oai.queued["7190277|1001"] = [status(503)] * 3
    with pytest.raises(HarvestError):
        harvest(store, server, today=date(2024, 5, 5))
    saved = store.sync_state("arxiv", "cs")
    assert saved is not None and saved.token == "7190277|1001"

    # By the next run the server has forgotten that token.
    bad = (SYNC / "bad_token.xml").read_bytes()
    oai.queued["7190277|1001"] = [(200, XML, bad)]
    server.requests.clear()
    report = harvest(store, server, today=date(2024, 5, 6))
    assert server.requests == [
        {"verb": "ListRecords", "resumptionToken": "7190277|1001"},
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2024-05-03"},
        {"verb": "ListRecords", "resumptionToken": "7190277|1001"},
    ]
    assert report.resumed and report.restarts == 1
    assert arxiv_ids(store) == sorted([*FIRST_HARVEST, "2405.00110"])
    every_paper_once(store)
    state = store.sync_state("arxiv", "cs")
    assert state is not None and state.high_water == "2024-05-04" and state.token is None


def test_a_server_that_refuses_every_token_gives_up(
    store: Store, server: Replay, oai: OaiAnswers
) -> None:
    oai.pages = {}  # every token is unknown
    with pytest.raises(HarvestError, match="badResumptionToken"):
        harvest(store, server)
    assert len(server.requests) == 8  # (first page + refused token) x 4, then it stops


def test_an_explicit_window_drops_a_saved_harvest_of_another(
    store: Store, server: Replay, oai: OaiAnswers
) -> None:
    oai.queued["7183501|1001"] = [status(503)] * 3
    with pytest.raises(HarvestError):
        harvest(store, server)
    server.requests.clear()
    report = harvest(store, server, since="2024-05-01")
    assert report.abandoned and not report.resumed
    assert server.requests[0]["from"] == "2024-05-01"
    assert arxiv_ids(store) == FIRST_HARVEST


def test_other_oai_errors_are_reported(store: Store, server: Replay, oai: OaiAnswers) -> None:
    oai.first = "bad_set.xml"
    with pytest.raises(OaiProtocolError, match="badArgument: Invalid set: nope"):
        harvest(store, server)
    assert store.sync_state("arxiv", "cs") is None


# ---------------------------------------------------------------------------- HTTP client


@pytest.fixture
def answers() -> list[Response]:
    return []


@pytest.fixture
def scripted(answers: list[Response]) -> Iterator[Replay]:
    """A server giving the queued answers in turn, then 200 "ok"."""
    replay = Replay(lambda q: answers.pop(0) if answers else (200, {}, b"ok"))
    yield replay
    replay.close()


def test_503_waits_the_seconds_retry_after_asks(scripted: Replay, answers: list[Response]) -> None:
    answers.extend([status(503, {"Retry-After": "7"}), status(503, {"Retry-After": "2"})])
    sleeps: list[float] = []
    with client(sleeps, retries=3) as http:
        assert http.get(scripted.url).text == "ok"
    assert sleeps == [7.0, 2.0]
    assert len(scripted.requests) == 3


def test_backoff_doubles_and_the_retries_are_bounded(
    scripted: Replay, answers: list[Response]
) -> None:
    answers.extend([status(500)] * 10)
    sleeps: list[float] = []
    with client(sleeps, retries=3) as http, pytest.raises(HarvestError) as info:
        http.get(scripted.url, {"verb": "Identify"})
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(scripted.requests) == 4
    assert str(info.value).startswith(f"{scripted.url}?verb=Identify: HTTP 500")
    assert "4 attempts" in str(info.value)


def test_client_errors_are_not_retried(scripted: Replay, answers: list[Response]) -> None:
    answers.append(status(404))
    sleeps: list[float] = []
    with client(sleeps) as http, pytest.raises(HarvestError, match="HTTP 404"):
        http.get(scripted.url)
    assert sleeps == [] and len(scripted.requests) == 1


def test_a_retry_after_beyond_max_wait_stops_at_once(
    scripted: Replay, answers: list[Response]
) -> None:
    answers.append(status(503, {"Retry-After": "7200"}))
    sleeps: list[float] = []
    with client(sleeps, max_wait=600) as http, pytest.raises(HarvestError, match="7200 s"):
        http.get(scripted.url)
    assert sleeps == [] and len(scripted.requests) == 1


def test_network_errors_are_retried_then_reported() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    with client(sleeps, retries=2) as http, pytest.raises(HarvestError) as info:
        http.get(f"http://127.0.0.1:{port}/oai")
    assert "cannot connect" in str(info.value) and "3 attempts" in str(info.value)
    assert sleeps == [1.0, 2.0]


def test_requests_are_spaced_by_the_delay(scripted: Replay) -> None:
    now = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with PoliteClient(delay=3.0, sleep=sleep, clock=lambda: now[0]) as http:
        http.get(scripted.url)
        now[0] += 1.0  # the caller spends a second on the answer
        http.get(scripted.url)
        now[0] += 5.0
        http.get(scripted.url)
    assert sleeps == [2.0]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2024, 5, 4, 12, 0, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after("Sat, 04 May 2024 12:00:30 GMT", now) == 30.0
    assert retry_after("Sat, 04 May 2024 11:00:00 GMT", now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


# ---------------------------------------------------------------------------- HF daily


class HfAnswers:
    """One JSON file per day (``days[date]``); other days have no papers."""

    def __init__(self) -> None:
        self.days = {"2024-05-02": "hf_2024-05-02.json", "2024-05-03": "hf_2024-05-03.json"}
        self.raw: dict[str, bytes] = {}

    def __call__(self, query: Query) -> Response:
        day = query.get("date", "")
        if day in self.raw:
            return 200, JSON, self.raw[day]
        name = self.days.get(day)
        return 200, JSON, (SYNC / name).read_bytes() if name else b"[]"


@pytest.fixture
def hf_answers() -> HfAnswers:
    return HfAnswers()


@pytest.fixture
def hf_server(hf_answers: HfAnswers) -> Iterator[Replay]:
    replay = Replay(hf_answers)
    yield replay
    replay.close()


def hf_sync(
    store: Store,
    server: Replay,
    day: date | None = None,
    days: int | None = None,
    today: date = date(2024, 5, 5),
) -> DailyReport:
    with client() as http:
        run = HfDailySync(store, http, day=day, days=days, endpoint=server.url, today=today)
        return run.run()


def test_hf_day_joins_papers_harvested_from_arxiv(
    store: Store, server: Replay, hf_server: Replay
) -> None:
    harvest(store, server)
    report = hf_sync(store, hf_server, day=date(2024, 5, 2))
    assert hf_server.requests == [{"date": "2024-05-02"}]
    assert (report.papers, report.new, report.merged, report.skipped) == (3, 1, 1, 1)
    routers = by_arxiv(store, "2405.00101")
    assert routers.upvotes == 12
    assert {s.source for s in routers.sources} == {"arxiv", "hf-daily"}
    pocket = by_arxiv(store, "2404.12345")
    assert pocket.authors == ["Yara Schmidt", "Nikhil Varga", "Dana Ito"]
    assert pocket.organizations == ["Pocket Lab"] and pocket.date == "2024-04-18"
    assert pocket.url == "https://huggingface.co/papers/2404.12345"


def test_hf_upvotes_follow_the_latest_reading(
    store: Store, hf_server: Replay, hf_answers: HfAnswers
) -> None:
    hf_sync(store, hf_server, day=date(2024, 5, 2))
    before = store.stats()
    hf_answers.days["2024-05-02"] = "hf_2024-05-02_later.json"
    report = hf_sync(store, hf_server, day=date(2024, 5, 2))
    assert (report.updated, report.new, report.merged) == (2, 0, 0)
    assert by_arxiv(store, "2405.00101").upvotes == 57
    assert by_arxiv(store, "2404.12345").upvotes == 44
    assert (store.stats().papers, store.stats().records) == (before.papers, before.records)
    every_paper_once(store)
    # The latest reading wins even when the count goes down (an upvote withdrawn).
    hf_answers.days["2024-05-02"] = "hf_2024-05-02.json"
    again = hf_sync(store, hf_server, day=date(2024, 5, 2))
    assert again.updated == 2 and by_arxiv(store, "2405.00101").upvotes == 12
    # The same reading once more changes nothing.
    assert hf_sync(store, hf_server, day=date(2024, 5, 2)).unchanged == 2


def test_hf_default_run_skips_complete_days(store: Store, hf_server: Replay) -> None:
    first = hf_sync(store, hf_server)  # today 2024-05-05 and 3 days back
    assert [q["date"] for q in hf_server.requests] == [
        "2024-05-02",
        "2024-05-03",
        "2024-05-04",
        "2024-05-05",
    ]
    assert first.fetched == [q["date"] for q in hf_server.requests] and first.new == 3
    done = store.sync_state("hf-daily", "2024-05-02")
    assert done is not None and done.complete
    recent = store.sync_state("hf-daily", "2024-05-03")
    assert recent is not None and not recent.complete

    hf_server.requests.clear()
    second = hf_sync(store, hf_server)
    assert [q["date"] for q in hf_server.requests] == ["2024-05-03", "2024-05-04", "2024-05-05"]
    assert second.already_complete == ["2024-05-02"] and second.unchanged == 1

    hf_server.requests.clear()
    hf_sync(store, hf_server, day=date(2024, 5, 2))  # --date fetches a complete day
    assert hf_server.requests == [{"date": "2024-05-02"}]


def test_hf_bad_json_names_the_url_and_keeps_nothing(
    store: Store, hf_server: Replay, hf_answers: HfAnswers
) -> None:
    hf_answers.raw["2024-05-02"] = (SYNC / "hf_2024-05-02.json").read_bytes()[:900]
    with pytest.raises(ParseError) as info:
        hf_sync(store, hf_server, day=date(2024, 5, 2))
    assert str(info.value).startswith(f"{hf_server.url}?date=2024-05-02:")
    assert info.value.line is not None and "not JSON" in str(info.value)
    assert papers(store) == [] and store.sync_state("hf-daily", "2024-05-02") is None
    hf_answers.raw["2024-05-02"] = b'{"error": "Invalid date"}'
    with pytest.raises(ParseError, match="Invalid date"):
        hf_sync(store, hf_server, day=date(2024, 5, 2))


def test_hf_refuses_a_future_date(store: Store, hf_server: Replay) -> None:
    with pytest.raises(UsageError, match="after today"):
        hf_sync(store, hf_server, day=date(2024, 5, 9))
    assert hf_server.requests == []


# ---------------------------------------------------------------------------- command line


def run_cli(capsys: Capture, db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "sync", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_sync_arxiv_ends_with_a_summary(db_path: Path, server: Replay, capsys: Capture) -> None:
    args = ["arxiv", "--set", "cs", "--categories", "cs.LG,stat.ML", "--from", "2024-04-27"]
    code, out, _ = run_cli(capsys, db_path, *args, "--endpoint", server.url, "--delay", "0")
    assert code == 0
    assert out.strip() == (
        "arxiv set cs (cs.LG, stat.ML), 2024-04-27..: 3 pages, 9 records "
        "(2 in other categories), 5 new papers, 0 merged, 0 updated, "
        "0 already in the library, 2 skipped; high-water mark 2024-05-03"
    )


def test_cli_sync_failure_is_one_line_and_non_zero(
    db_path: Path, server: Replay, oai: OaiAnswers, capsys: Capture
) -> None:
    oai.queued["7183501|1001"] = [status(503)]
    args = ["arxiv", "--set", "cs", "--from", "2024-04-27", "--endpoint", server.url]
    code, _, err = run_cli(capsys, db_path, *args, "--delay", "0", "--retries", "0")
    assert code == 6 and "Traceback" not in err
    assert "stopped; kept before that: arxiv set cs, 2024-04-27..: 1 page, 4 records" in err
    assert f"papersift: error: {server.url}?verb=ListRecords&resumptionToken=" in err
    assert "HTTP 503" in err and "resumes" in err

    oai.first = "bad_set.xml"
    code, _, err = run_cli(capsys, db_path, "arxiv", "--set", "nope", "--endpoint", server.url)
    assert code == 2 and "OAI-PMH error badArgument" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, db_path, "arxiv", "--set", "cs", "--from", "May 1")
    assert code == 2 and "--from wants a day like 2024-05-01" in err


def test_cli_sync_hf_daily(db_path: Path, hf_server: Replay, capsys: Capture) -> None:
    args = ["hf-daily", "--date", "2024-05-02", "--endpoint", hf_server.url, "--delay", "0"]
    code, out, _ = run_cli(capsys, db_path, *args)
    assert code == 0
    assert out.strip() == (
        "hf-daily: 1 day fetched (2024-05-02..2024-05-02); 3 papers, 2 new, 0 merged, "
        "0 updated, 0 already in the library, 1 skipped"
    )
