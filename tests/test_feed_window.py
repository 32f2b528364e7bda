"""Feeds that explain their window: the pure choice (papersift.feed_window), the visit
record on both backends, and the feed page, its Atom and BibTeX through the TestClient."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.accounts import Accounts
from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.feed_window import MAX_DEFAULT_DAYS, default_window, fixed_window
from papersift.store import Store, open_store
from papersift.web.app import create_app
from tests.support import example_library

TODAY = date(2025, 5, 10)
PASSWORD = "correct horse battery"


def _counter(days_with_papers: dict[date, int]):  # type: ignore[no-untyped-def]
    return lambda a, b: sum(n for d, n in days_with_papers.items() if a <= d <= b)


def test_since_the_last_visit_when_it_holds_enough() -> None:
    papers = {TODAY - timedelta(days=i): 5 for i in range(30)}
    window = default_window(TODAY, TODAY - timedelta(days=3), _counter(papers), enough=10)
    assert (window.since, window.until, window.days) == (TODAY - timedelta(days=3), TODAY, 4)
    assert "since your last visit (2025-05-07)" in window.why


def test_at_least_a_day_and_a_first_visit_is_a_week() -> None:
    papers = {TODAY - timedelta(days=i): 50 for i in range(30)}
    same_day = default_window(TODAY, TODAY, _counter(papers), enough=10)
    assert same_day.days == 7 and "last 7 days" in same_day.why  # no earlier visit known
    yesterday = default_window(TODAY, TODAY - timedelta(days=1), _counter(papers), enough=10)
    assert yesterday.days == 2


def test_widened_until_enough_papers_and_says_so() -> None:
    papers = {TODAY - timedelta(days=20): 12}
    window = default_window(TODAY, TODAY - timedelta(days=2), _counter(papers), enough=10)
    assert window.days == 24 and window.since <= TODAY - timedelta(days=20)
    assert "held fewer than 10 papers: widened to the last 24 days" in window.why
    nothing = default_window(TODAY, None, _counter({}), enough=10)
    assert nothing.days == MAX_DEFAULT_DAYS  # an empty library: the widest, never forever


def test_fixed_windows_shift_by_days_and_weeks() -> None:
    window = fixed_window(7, TODAY)
    assert window.since == TODAY - timedelta(days=6) and window.label().endswith("(7 days)")
    assert window.shifted(-7).until == TODAY - timedelta(days=7)
    assert window.shifted(1).days == 7
    assert fixed_window(1, TODAY).label() == "2025-05-10"


def test_visits_move_once_a_day(store: Store) -> None:
    Accounts(store).add_user("ada", PASSWORD)
    user = store.user_by_name("ada")
    assert user is not None
    with store.transaction():
        assert store.record_visit(user.id, "2025-05-01") is None
        assert store.record_visit(user.id, "2025-05-01") is None
        assert store.record_visit(user.id, "2025-05-04") == "2025-05-01"
        assert store.record_visit(user.id, "2025-05-04") == "2025-05-01"
        assert store.record_visit(user.id, "2025-05-09") == "2025-05-04"


@pytest.fixture
def ada(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = tmp_path / "lib.db"
    example_library(db)
    store = open_store(db)
    Accounts(store).add_user("ada", PASSWORD)
    store.close()
    app = create_app(Settings(db=str(db), model="fake-256"), embedder_factory=FakeEmbedder)
    with TestClient(app) as client:
        client.post("/login", data={"name": "ada", "password": PASSWORD})
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/profile").text)
        assert found
        client.post("/profile/authors", data={"name": "Tomas Okafor", "csrf": found.group(1)})
        yield client


def test_an_empty_window_says_what_the_library_covers(ada: TestClient) -> None:
    first = ada.get("/feed").text  # today is long after the examples (2025-01..2025-05)
    assert "nothing newer: the library covers 2025-01-13 to 2025-05-05" in first
    assert "<article" in first  # the default window lands on the latest papers
    page = ada.get("/feed", params={"days": 7}).text  # a week asked for: empty, and why
    assert 'id="empty-window"' in page
    assert "The library covers 2025-01-13 to 2025-05-05" in page
    latest = re.search(r'href="([^"]+)" id="latest"', page)
    assert latest
    shown = ada.get(latest.group(1).replace("&amp;", "&")).text
    assert "<article" in shown and re.search(r"<b>2025-0[1-4]-\d\d to 2025-05-05", shown)


def test_window_links_and_more(ada: TestClient) -> None:
    page = ada.get("/feed", params={"days": 60, "until": "2025-04-30", "limit": 3}).text
    assert "2025-03-02 to 2025-04-30 (60 days)" in page
    assert "until=2025-04-23" in page and "until=2025-05-07" in page  # a week back, forward
    assert "until=2025-04-29" in page  # a day back
    assert len(re.findall(r"<article", page)) == 3 and "limit=13" in page  # "more"
    more = ada.get("/feed", params={"days": 60, "until": "2025-04-30", "limit": 13}).text
    assert len(re.findall(r"<article", more)) > 3
    bad = ada.get("/feed", params={"until": "soon"})
    assert bad.status_code == 400 and "until wants a day" in bad.text


def test_atom_and_bibtex_take_the_same_window(ada: TestClient) -> None:
    token = re.search(r"/atom/([\w-]+)", ada.get("/profile").text)
    assert token
    wide = ada.get(f"/atom/{token.group(1)}", params={"days": 120, "until": "2025-05-05"})
    assert wide.status_code == 200 and wide.text.count("<entry>") >= 3
    narrow = ada.get(f"/atom/{token.group(1)}", params={"days": 1, "until": "2025-01-01"})
    assert narrow.status_code == 200 and "<entry>" not in narrow.text
    default = ada.get(f"/atom/{token.group(1)}")  # widened until it holds papers
    assert default.status_code == 200 and "<entry>" in default.text
    bib = ada.get("/export/feed.bib", params={"days": 120, "until": "2025-05-05"})
    assert bib.status_code == 200 and bib.text.lstrip().startswith("@")
