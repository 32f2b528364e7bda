"""Issue 13, accounts: no reader taken over by sign-up, names unique whatever their case, API
tokens shown once and never in an address, optionally expiring, no state change on GET, a
login throttle in the database that holds under concurrency, is keyed on the peer address
(X-Forwarded-For only from a trusted proxy) and slows an attacker without locking the owner
out; and every input that gave a 500 in the issue gets a 4xx with a message. Both backends
where the library is touched."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from papersift import clock, login_throttle
from papersift.accounts import Accounts
from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.errors import UsageError
from papersift.query_limits import MAX_QUERY_CHARS, MAX_QUERY_TERMS, bound_query
from papersift.store import Store, open_store
from papersift.web.app import create_app
from tests.conftest import BACKENDS, copy_of_library, module_library_location
from tests.support import example_library

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=BACKENDS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    location = module_library_location(request, tmp_path_factory.mktemp("accounts"))
    example_library(location)  # type: ignore[arg-type]  # a path or a database URL
    store = open_store(location)
    Accounts(store).add_user("ada", PASSWORD)
    store.add_reader("ines", "2025-01-01T00:00:00+00:00")  # made with the CLI: no account
    store.close()
    return location


@pytest.fixture
def location(request: pytest.FixtureRequest, built: str, tmp_path: Path) -> str:
    return copy_of_library(request, built, tmp_path)


def _app(location: str, **options: Any) -> TestClient:
    app = create_app(
        Settings(db=location, model="fake-256"),
        embedder_factory=lambda: FakeEmbedder(256),
        **options,
    )
    return TestClient(app)


@pytest.fixture
def client(location: str) -> Iterator[TestClient]:
    with _app(location) as c:
        yield c


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/profile").text)
    assert found
    return found.group(1)


def test_sign_up_never_takes_over_a_reader_and_names_ignore_case(
    client: TestClient, location: str
) -> None:
    for name in ("ines", "INES", "Ada", "ADA"):
        r = client.post("/signup", data={"name": name, "password": PASSWORD})
        assert r.status_code == 400 and "is taken" in r.text, name
        assert f'value="{name}"' in r.text  # the form keeps what was typed ...
        assert PASSWORD not in r.text  # ... but never the password
    store = open_store(location)
    assert store.user_by_name("ines") is None and store.user_by_name("INES") is None
    # the operator (CLI) may link the existing reader to an account
    Accounts(store).add_user("ines", PASSWORD, link_reader=True)
    assert Accounts(store).user("ines").reader_id == store.reader_id("ines")
    with pytest.raises(UsageError, match="is taken"):
        Accounts(store).add_user("Ines", PASSWORD, link_reader=True)
    store.close()
    r = client.post("/login", data={"name": "ADA", "password": PASSWORD})  # any case logs in
    assert r.status_code == 200 and client.get("/api/me").json()["name"] == "ada"


def test_a_new_token_is_shown_once_on_its_page_and_never_in_an_address(
    client: TestClient, location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.post("/login", data={"name": "ada", "password": PASSWORD})
    csrf = _csrf(client)
    r = client.post("/profile/tokens", data={"csrf": csrf, "name": "laptop", "days": "30"})
    assert r.status_code == 200 and not r.history  # no redirect to an address holding it
    token = re.search(r'id="new-token">(ps_[^<]+)<', r.text)
    assert token and r.headers["cache-control"] == "no-store"
    assert token.group(1) not in str(r.url) and "until 20" in r.text
    assert token.group(1) not in client.get("/profile").text  # shown once
    assert client.get("/profile", params={"token": "ps_x"}).text.count("ps_x") == 0
    bearer = {"Authorization": f"Bearer {token.group(1)}"}
    assert TestClient(client.app).get("/api/me", headers=bearer).status_code == 200
    later = clock.now() + timedelta(days=31)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert TestClient(client.app).get("/api/me", headers=bearer).status_code == 401


def test_get_changes_nothing_and_shown_is_a_post(client: TestClient, location: str) -> None:
    client.post("/login", data={"name": "ada", "password": PASSWORD})
    csrf = _csrf(client)
    client.post("/profile/authors", data={"name": "Tomas Okafor", "csrf": csrf})
    store = open_store(location)
    reader = Accounts(store).user("ada").reader_id
    before = store.reader_version(reader)
    feed = client.get("/api/feed", params={"days": 3650, "mark_shown": "true"}).json()["hits"]
    assert feed and store.reader_version(reader) == before
    shown = [h["paper"]["id"] for h in feed[:2]]
    r = client.post("/api/feed/shown", json={"papers": shown}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json() == {"marked": 2}
    again = client.get("/api/feed", params={"days": 3650}).json()["hits"]
    assert not set(shown) & {h["paper"]["id"] for h in again}
    store.close()


def _claims(location: str, address: str, tries: int) -> list[float]:
    """``tries`` throttle claims for ada at once, each on its own connection."""
    waits: list[float] = []
    start = threading.Barrier(tries)

    def one() -> None:
        store = open_store(location)
        try:
            start.wait()
            waits.append(login_throttle.claim(store, address, "ada", time.time())[0])
        finally:
            store.close()

    threads = [threading.Thread(target=one) for _ in range(tries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return waits


def test_the_throttle_holds_under_concurrent_tries(location: str) -> None:
    waits = _claims(location, "10.0.0.1", 20)
    assert len(waits) == 20
    assert sum(w == 0 for w in waits) == login_throttle.PER_PAIR  # 5 tries, not 20
    store = open_store(location)  # ... and a right password from elsewhere still gets in
    assert login_throttle.claim(store, "10.0.0.2", "ada", time.time())[0] == 0
    store.close()


def test_forwarded_for_counts_only_from_a_trusted_proxy(location: str) -> None:
    with _app(location) as direct:  # no proxy configured: the peer is who tries
        for n in range(login_throttle.PER_PAIR):
            headers = {"X-Forwarded-For": f"192.0.2.{n}"}
            r = direct.post("/login", data={"name": "ada", "password": "guess"}, headers=headers)
            assert r.status_code == 401
        r = direct.post(
            "/login",
            data={"name": "ada", "password": "guess"},
            headers={"X-Forwarded-For": "1.1.1.1"},
        )
        assert r.status_code == 429 and "too many failed logins" in r.text
        assert 'value="ada"' in r.text and 0 < int(r.headers["retry-after"]) <= 900
    with _app(location, trusted_proxies=["testclient"]) as proxied:
        attacker = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7"}  # the proxy appended the last
        for _ in range(login_throttle.PER_PAIR):
            proxied.post("/login", data={"name": "ada", "password": "guess"}, headers=attacker)
        r = proxied.post("/login", data={"name": "ada", "password": PASSWORD}, headers=attacker)
        assert r.status_code == 429  # even the right password, from the attacker's address
        owner = {"X-Forwarded-For": "198.51.100.8"}
        r = proxied.post("/login", data={"name": "ada", "password": PASSWORD}, headers=owner)
        assert r.status_code == 200 and r.url.path == "/feed"  # the owner is not locked out


def test_many_addresses_slow_down_but_the_owner_gets_in(location: str) -> None:
    store: Store = open_store(location)
    now = time.time()
    for n in range(login_throttle.PER_NAME):
        _, claimed = login_throttle.claim(store, f"198.18.0.{n % 40}", "ada", now)
        assert claimed is not None
    # an address that failed on the name now waits; one that never did may try
    assert login_throttle.claim(store, "198.18.0.1", "ada", now)[0] > 0
    assert login_throttle.claim(store, "198.18.1.1", "ada", now)[0] == 0
    store.close()


def test_client_address_rules() -> None:
    trusted = {"10.0.0.1"}
    assert login_throttle.client_address("1.2.3.4", "5.6.7.8", trusted) == "1.2.3.4"
    assert login_throttle.client_address("10.0.0.1", "5.6.7.8, 9.9.9.9", trusted) == "9.9.9.9"
    assert login_throttle.client_address("10.0.0.1", "5.6.7.8, 10.0.0.1", trusted) == "5.6.7.8"
    assert login_throttle.client_address("10.0.0.1", None, trusted) == "10.0.0.1"


def test_queries_are_bounded() -> None:
    long = "attention " * 3000  # 30 KB
    cut, notes = bound_query(long)
    assert cut == "attention" and len(notes) == 2  # cut to 1,000 characters, then deduplicated
    assert bound_query("protein folding") == ("protein folding", [])
    same = "graph neural graph networks " * 20  # under the character limit, over the words
    assert bound_query(same)[0] == "graph neural networks"
    words = " ".join(f"w{i}" for i in range(100))
    cut, notes = bound_query(words)
    assert cut.split() == [f"w{i}" for i in range(MAX_QUERY_TERMS)] and len(notes) == 1
    assert len(bound_query("x" * 5000)[0]) == MAX_QUERY_CHARS


ODD_QUERIES = ['"', "*", 'author:"', "author:*", "title:*", "NOT", "-", "(", 'a AND "', "🙂"]


def test_no_input_of_the_issue_reaches_a_500(client: TestClient) -> None:
    client.post("/login", data={"name": "ada", "password": PASSWORD})
    csrf = _csrf(client)
    huge = "9" * 5000
    for path in (f"/papers/{huge}", f"/api/papers/{huge}", f"/api/papers/{huge}/similar"):
        assert client.get(path).status_code == 404, path
    for q in ODD_QUERIES:
        for mode in ("lexical", "hybrid"):
            r = client.get("/api/search", params={"q": q, "mode": mode})
            assert 200 <= r.status_code < 500, (q, mode, r.text[:200])
        for author in ("*", '"', "-", "NOT"):
            r = client.get("/search", params={"q": "protein", "author": author})
            assert r.status_code == 200, (author, r.text[-300:])
    r = client.get("/api/search", params={"q": "protein " * 3000, "mode": "lexical"})
    assert r.status_code == 200 and any("cut to" in n for n in r.json()["notes"])
    page = client.get("/feed", params={"days": "abc"})  # a browser route: a page, not JSON
    assert page.status_code == 400 and "<main>" in page.text and "days" in page.text
    assert client.get("/api/feed", params={"days": "abc"}).status_code == 422  # JSON stays
    r = client.post("/profile/authors", data={"csrf": csrf})  # a missing field
    assert r.status_code == 400 and "give the name" in r.text
    r = client.post("/login", data={})
    assert r.status_code == 400 and "<form" in r.text
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<main>" in missing.text


def test_html_validation_on_the_forms(client: TestClient) -> None:
    signup = client.get("/signup").text
    assert 'minlength="8"' in signup and "8 characters or more" in signup
    assert 'pattern="' in signup and "required" in signup
    client.post("/login", data={"name": "ada", "password": PASSWORD})
    profile = client.get("/profile").text
    assert "up to 1 MB" in profile and "up to 5 MB" in profile  # the limits are stated
    assert 'id="author-name" name="name" type="text" value="" required' in profile


def test_a_search_that_cannot_run_comes_back_in_its_form(client: TestClient) -> None:
    client.post("/login", data={"name": "ada", "password": PASSWORD})
    r = client.get("/search", params={"q": "protein folding", "since": "yesterday"})
    assert r.status_code == 400 and 'id="search-error"' in r.text and "since" in r.text
    assert 'value="protein folding"' in r.text and 'value="yesterday"' in r.text
    r = client.get("/search", params={"q": "protein", "mode": "telepathy"})
    assert r.status_code == 400 and "unknown search mode" in r.text and 'value="protein"' in r.text
