"""Issue 13, private contributions, on both backends: what a reader pastes, uploads or
sends through the API is theirs alone. Another reader cannot find it (keyword or meaning),
open it, rate it, get it in a feed or a saved-search feed, nor see who added it; a paper
the library already holds just gets the reader's signal, and nothing new shows there."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from papersift.accounts import Accounts
from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.ingest.pipeline import ingest_file
from papersift.search import Searcher
from papersift.store import open_store
from tests.conftest import BACKENDS, copy_of_library, module_library_location
from tests.support import example_library

PASSWORD = "correct horse battery"
SECRET_TITLE = "Quokka Migration Corridors Inferred From Unpublished Camera Traps"
SECRET = (
    '{"title": "' + SECRET_TITLE + '", "abstract": "An unpublished study of quokka '
    'movement between islands, from camera traps.", "authors": ["Ada Private"], '
    '"date": "2025-04-25"}\n'
)
KNOWN_TITLE = "Speech-to-Speech Translation Without Parallel Audio"  # in examples/papers.jsonl
KNOWN = '{"title": "' + KNOWN_TITLE + '", "arxiv_id": "2504.08761", "date": "2025-04-11"}\n'


@pytest.fixture(scope="module", params=BACKENDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    location = module_library_location(request, tmp_path_factory.mktemp("private"))
    example_library(location)  # type: ignore[arg-type]  # a path or a database URL
    store = open_store(location)
    for name in ("ada", "bob"):
        Accounts(store).add_user(name, PASSWORD)
    Accounts(store).add_user("root", PASSWORD, role="admin")
    store.close()
    return location


@pytest.fixture
def settings(request: pytest.FixtureRequest, built: str, tmp_path: Path) -> Settings:
    return Settings(db=copy_of_library(request, built, tmp_path), model="fake-256")


def _client(settings: Settings, name: str) -> tuple[TestClient, str]:
    from papersift.web.app import create_app

    client = TestClient(create_app(settings, embedder_factory=lambda: FakeEmbedder(256)))
    client.__enter__()
    r = client.post("/login", data={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text[:300]
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/profile").text)
    assert found
    return client, found.group(1)


@pytest.fixture
def two(settings: Settings) -> Iterator[tuple[tuple[TestClient, str], tuple[TestClient, str]]]:
    ada, bob = _client(settings, "ada"), _client(settings, "bob")
    yield ada, bob
    ada[0].__exit__(None, None, None)
    bob[0].__exit__(None, None, None)


def _ids(client: TestClient, q: str, mode: str = "lexical") -> list[int]:
    r = client.get("/api/search", params={"q": q, "mode": mode})
    assert r.status_code == 200, r.text
    return [h["paper"]["id"] for h in r.json()["hits"]]


def _secret_id(client: TestClient, mode: str = "lexical") -> int | None:
    """The id of the pasted paper when this client's search finds it."""
    r = client.get("/api/search", params={"q": "quokka camera traps", "mode": mode})
    assert r.status_code == 200, r.text
    found = [h["paper"]["id"] for h in r.json()["hits"] if h["paper"]["title"] == SECRET_TITLE]
    return found[0] if found else None


def _paste(client: TestClient, csrf: str, text: str) -> Any:
    r = client.post("/profile/papers", data={"csrf": csrf, "text": text})
    assert r.status_code == 200, r.text[-500:]
    return r


def test_a_paste_is_private_to_its_reader(two: Any, settings: Settings) -> None:
    (ada, a_csrf), (bob, b_csrf) = two
    known = _ids(ada, KNOWN_TITLE)[0]
    sources_before = ada.get(f"/api/papers/{known}").json()["sources"]
    page = _paste(ada, a_csrf, SECRET + KNOWN)
    assert "1 found in the library" in page.text and "1 added as your own" in page.text
    secret = _secret_id(ada)
    assert secret is not None
    # ada finds, opens and sees her paper; its source names neither her nor a path
    paper = ada.get(f"/api/papers/{secret}").json()
    assert paper["title"] == SECRET_TITLE
    assert all("ada" not in str(s).lower() and "/" not in s["source"] for s in paper["sources"])
    own_page = ada.get(f"/papers/{secret}")
    assert own_page.status_code == 200 and 'id="private-note"' in own_page.text
    assert "your profile" in own_page.text and "profile:" not in own_page.text
    assert 'id="private-note"' not in ada.get(f"/papers/{known}").text
    signals = {s["paper"] for s in ada.get("/api/profile").json()["signals"]}
    assert {secret, known} <= signals
    # the paper already in the library got ada's signal and nothing else: no new source
    assert ada.get(f"/api/papers/{known}").json()["sources"] == sources_before
    # bob can neither find nor open nor rate it, nor learn that it exists
    assert _secret_id(bob) is None
    assert "Quokka" not in bob.get("/search", params={"q": "quokka", "mode": "lexical"}).text
    assert bob.get(f"/papers/{secret}").status_code == 404
    assert bob.get(f"/api/papers/{secret}").status_code == 404
    assert bob.get(f"/api/papers/{secret}/similar").status_code == 404
    assert bob.get(f"/papers/{secret}/bibtex").status_code == 404
    vote = bob.post(f"/feedback/{secret}/up", headers={"X-CSRF-Token": b_csrf})
    assert vote.status_code == 404
    api_vote = bob.post(
        "/api/feedback",
        json={"paper": str(secret), "verdict": "up"},
        headers={"X-CSRF-Token": b_csrf},
    )
    assert api_vote.status_code == 404
    assert secret not in {s["paper"] for s in bob.get("/api/profile").json()["signals"]}
    # bob's profile by author name does not pick up ada's private paper either
    bob.post("/profile/authors", data={"name": "Ada Private", "csrf": b_csrf})
    assert secret not in {s["paper"] for s in bob.get("/api/profile").json()["signals"]}


def test_meaning_search_similar_and_feeds_leave_out_others_pastes(
    two: Any, settings: Settings
) -> None:
    (ada, a_csrf), (bob, b_csrf) = two
    _paste(ada, a_csrf, SECRET)
    secret = _secret_id(ada)
    assert secret is not None
    store = open_store(settings.db)
    Searcher(store, lambda: FakeEmbedder(256), "fake-256").index()  # it has a vector now
    ada_user, bob_user = Accounts(store).user("ada"), Accounts(store).user("bob")
    assert secret not in store.feed_candidates(bob_user.reader_id, "2000-01-01", None)
    with store.transaction():  # ada's own paper is a feed candidate for her once unrated
        store.remove_signals(ada_user.reader_id, secret)
    assert secret in store.feed_candidates(ada_user.reader_id, "2000-01-01", None)
    store.close()
    for mode in ("semantic", "hybrid"):
        assert secret in _ids(ada, SECRET_TITLE, mode)
        assert secret not in _ids(bob, SECRET_TITLE, mode)
    # bob likes papers close to it: his feed, similar lists and saved-search feed stay clean
    near = _ids(bob, SECRET_TITLE, "semantic")[:3]
    for pid in near:
        bob.post(
            "/api/feedback",
            json={"paper": str(pid), "verdict": "up"},
            headers={"X-CSRF-Token": b_csrf},
        )
        assert secret not in [
            h["paper"]["id"] for h in bob.get(f"/api/papers/{pid}/similar").json()
        ]
    feed = bob.get("/api/feed", params={"days": 3650, "limit": 100}).json()["hits"]
    assert feed and secret not in [h["paper"]["id"] for h in feed]
    bob.post(
        "/api/saved-searches",
        json={"name": "q", "query": "quokka migration", "mode": "lexical"},
        headers={"X-CSRF-Token": b_csrf},
    )
    store = open_store(settings.db)
    token = store.saved_searches(bob_user.id)[0].feed_token
    store.close()
    assert b"Quokka" not in bob.get(f"/atom/search/{token}").content


def test_the_api_adds_private_papers_and_an_admin_adds_shared_ones(
    two: Any, settings: Settings, tmp_path: Path
) -> None:
    (ada, a_csrf), (bob, _) = two
    r = ada.post(
        "/api/profile/papers",
        json={"text": SECRET, "filename": "mine.jsonl"},
        headers={"X-CSRF-Token": a_csrf},
    )
    assert r.status_code == 200 and r.json()["new"] == 1, r.text
    secret = r.json()["papers"][0]
    # the operator ingests the same paper into the shared library: a paper of its own,
    # never merged into ada's private one
    listing = tmp_path / "listing.jsonl"
    listing.write_text(SECRET)
    store = open_store(settings.db)
    report = ingest_file(store, listing)
    assert report.new == 1
    store.close()
    public = _secret_id(bob)
    assert public is not None and public != secret
    assert secret in _ids(ada, "quokka camera traps")
    # removing ada removes her private papers with her
    store = open_store(settings.db)
    Accounts(store).remove_user("ada")
    assert store.get_paper(secret) is None and store.get_paper(public) is not None
    store.close()


@pytest.mark.parametrize("name", ["..", ".", "../../etc/passwd", "a\\b.bib", ""])
def test_odd_upload_names_get_a_message_never_a_500(two: Any, name: str) -> None:
    (ada, a_csrf), _ = two
    files = {"file": (name, SECRET.encode(), "application/json")}
    r = ada.post("/profile/papers", data={"csrf": a_csrf}, files=files)
    assert r.status_code in (200, 400), r.status_code
    assert "/tmp" not in r.text and "Traceback" not in r.text


def test_an_unreadable_paste_keeps_the_text_and_lists_the_formats(two: Any) -> None:
    (ada, a_csrf), _ = two
    r = ada.post("/profile/papers", data={"csrf": a_csrf, "text": "@@@ ??? !!! <&>"})
    assert r.status_code == 400
    assert "cannot tell the format" in r.text and "bibtex" in r.text
    assert "@@@ ??? !!! &lt;&amp;&gt;</textarea>" in r.text  # kept, escaped
    assert "--format" not in r.text and "/tmp" not in r.text
    big = "x" * (1024 * 1024 + 10)
    r = ada.post("/profile/papers", data={"csrf": a_csrf, "text": big})
    assert r.status_code == 400 and "<main>" in r.text  # a page of the site, not JSON
    assert "over 1 MB" in r.text or "exceeded maximum size of 1024KB" in r.text


@pytest.mark.parametrize("name", ["..", ".", "../../etc/passwd"])
def test_an_admin_upload_with_an_odd_name_is_read_or_refused(settings: Settings, name: str) -> None:
    root, csrf = _client(settings, "root")
    files = {"file": (name, SECRET.encode(), "application/json")}
    r = root.post("/admin/library", data={"csrf": csrf}, files=files)
    root.__exit__(None, None, None)
    assert r.status_code == 200 and "1 new" in r.text, r.text[-300:]
    assert "root" not in str(r.url)  # the source is not the admin's name


def test_the_map_shows_nobody_elses_paste(two: Any, settings: Settings) -> None:
    from papersift.map.build import build_map

    (ada, a_csrf), (bob, b_csrf) = two
    _paste(ada, a_csrf, SECRET)
    secret = _secret_id(ada)
    store = open_store(settings.db)
    Searcher(store, lambda: FakeEmbedder(256), "fake-256").index()
    build_map(store, "fake-256")
    store.close()
    assert secret in [p[0] for p in ada.get("/api/map").json()["points"]]
    assert secret not in [p[0] for p in bob.get("/api/map").json()["points"]]
    whole = {"x0": -10.0, "y0": -10.0, "x1": 10.0, "y1": 10.0}
    for _ in range(5):  # seeding picks up to 10 papers of the region each time
        r = bob.post("/api/map/region", json=whole, headers={"X-CSRF-Token": b_csrf})
        assert r.status_code == 200 and secret not in [a["id"] for a in r.json()["added"]]
    assert secret not in {s["paper"] for s in bob.get("/api/profile").json()["signals"]}
