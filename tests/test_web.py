"""The web app and its API through FastAPI's TestClient: accounts, pages, feed, and above
all who may see and change what (every route is tried by a stranger and by another reader)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from papersift.accounts import Accounts, app_secret
from papersift.config import Settings
from papersift.digest import digest_links
from papersift.embed import FakeEmbedder
from papersift.login_throttle import Budgets, wait_for
from papersift.models import Hit
from papersift.store import open_store
from papersift.web.app import create_app
from tests.support import example_library

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PASSWORD = "correct horse battery"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    db = tmp_path / "lib.db"
    example_library(db)
    store = open_store(db)
    accounts = Accounts(store)
    accounts.add_user("ada", PASSWORD, email="ada@example.org")
    accounts.add_user("bob", PASSWORD)
    accounts.add_user("root", PASSWORD, role="admin")
    store.close()
    return Settings(db=str(db), model="fake-256")


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, embedder_factory=lambda: FakeEmbedder(256))
    with TestClient(app) as client:
        yield client


def log_in(client: TestClient, name: str) -> str:
    """Log in; returns the CSRF token of the session (found in the page)."""
    r = client.post("/login", data={"name": name, "password": PASSWORD})
    assert r.status_code == 200 and r.url.path in ("/feed", "/profile"), r.text[:300]
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/profile").text)
    assert found
    return found.group(1)


@pytest.fixture
def ada(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings, embedder_factory=lambda: FakeEmbedder(256))
    with TestClient(app) as client:
        yield client, log_in(client, "ada")


@pytest.fixture
def bob(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings, embedder_factory=lambda: FakeEmbedder(256))
    with TestClient(app) as client:
        yield client, log_in(client, "bob")


def test_login_wrong_password_and_cookie_flags(app_client: TestClient) -> None:
    r = app_client.post("/login", data={"name": "ada", "password": "nope"})
    assert r.status_code == 401 and "wrong user name or password" in r.text
    r = app_client.post("/login", data={"name": "nobody", "password": PASSWORD})
    assert r.status_code == 401 and "wrong user name or password" in r.text
    r = app_client.post(
        "/login", data={"name": "ada", "password": PASSWORD}, follow_redirects=False
    )
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 303 and "httponly" in cookie and "samesite=lax" in cookie


def test_signup_builds_a_profile_and_a_feed(app_client: TestClient) -> None:
    r = app_client.post("/signup", data={"name": "tomas", "password": PASSWORD})
    assert r.status_code == 200 and r.url.path == "/onboarding"  # the guided first steps
    csrf = re.search(r'name="csrf" value="([^"]+)"', r.text)
    assert csrf
    assert "Your profile is empty" in app_client.get("/feed").text
    r = app_client.post("/profile/authors", data={"name": "Tomas Okafor", "csrf": csrf.group(1)})
    assert r.status_code == 200 and "your paper" in r.text
    page = app_client.get("/feed?days=3650").text
    assert 'class="paper"' in page and "close to your paper" in page
    # a duplicate name is refused with a message, not a crash
    r = app_client.post("/signup", data={"name": "tomas", "password": PASSWORD})
    assert r.status_code == 400 and "is taken" in r.text


class HeldBackground:
    """Stands in for the app's background ranking pool: holds the jobs until ``run``."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Any, tuple[Any, ...]]] = []

    def submit(self, fn: Any, *args: Any) -> None:
        self.jobs.append((fn, args))

    def run(self) -> None:
        jobs, self.jobs = self.jobs, []
        for fn, args in jobs:
            fn(*args)


def _titles(html: str) -> list[str]:
    return re.findall(r"<h3[^>]*>.*?<a[^>]*>(.*?)</a>", html, flags=re.S)


def test_feed_page_shows_the_last_ranking_while_the_new_one_is_made(
    ada: tuple[TestClient, str],
) -> None:
    client, csrf = ada
    vote = {"HX-Request": "true", "X-CSRF-Token": csrf}
    first = client.get("/api/search", params={"q": "retrieval", "mode": "lexical"}).json()
    client.post(f"/feedback/{first['hits'][0]['paper']['id']}/up", headers=vote)
    held = HeldBackground()
    client.app.state.library._background = held  # type: ignore[attr-defined]
    before = client.get("/feed?days=3650").text
    assert 'id="feed-updating"' not in before and _titles(before)
    hit = client.get("/api/search", params={"q": "protein structure", "mode": "lexical"})
    liked = hit.json()["hits"][0]["paper"]["id"]
    client.post(f"/feedback/{liked}/up", headers=vote)
    assert len(held.jobs) == 1  # the vote started the re-ranking of the feed ada looked at
    stale = client.get("/feed?days=3650").text
    assert 'id="feed-updating"' in stale and "hx-trigger" in stale
    assert _titles(stale) == _titles(before)
    assert len(held.jobs) == 1  # asking again does not queue a second ranking
    held.run()
    fresh = client.get("/feed?days=3650&part=list").text
    assert 'id="feed-updating"' not in fresh and "<html" not in fresh
    assert _titles(fresh) != _titles(before) and "which you liked" in fresh
    # the API never answers with a stale ranking
    client.post(f"/feedback/{liked}/down", headers=vote)
    api = client.get("/api/feed", params={"days": 3650}).json()["hits"]
    assert liked not in [h["paper"]["id"] for h in api]


def test_failed_logins_are_throttled_per_address_and_name(app_client: TestClient) -> None:
    for _ in range(5):
        r = app_client.post("/login", data={"name": "ada", "password": "guess"})
        assert r.status_code == 401
    r = app_client.post("/login", data={"name": "ada", "password": PASSWORD})
    assert r.status_code == 429 and "too many failed logins" in r.text  # even the right one
    assert 0 < int(r.headers["retry-after"]) <= 900
    r = app_client.post("/login", data={"name": "bob", "password": PASSWORD})
    assert r.status_code == 200  # another account from the same address is not locked


def test_login_throttle_budgets_are_a_pure_rule() -> None:
    budgets = Budgets(per_pair=2, per_address=3, per_name=4, window=60)
    assert wait_for(budgets, [10.0], [10.0], [10.0], 20) == 0
    assert wait_for(budgets, [10.0, 5.0], [10.0, 5.0], [10.0, 5.0], 20) == 45  # 5 + 60 - 20
    assert wait_for(budgets, [], [30.0, 20.0, 10.0], [30.0], 40) == 30  # spraying from one place
    # many failures on the name from elsewhere: an address that failed on it waits ...
    everyone = [50.0, 40.0, 30.0, 20.0]
    assert wait_for(budgets, [50.0], [50.0], everyone, 55) == 25
    # ... an address that never failed on it (the owner, say) still gets its try
    assert wait_for(budgets, [], [], everyone, 55) == 0


def test_feedback_changes_the_feed(ada: tuple[TestClient, str]) -> None:
    client, csrf = ada
    first = client.get("/api/search", params={"q": "retrieval", "mode": "lexical"}).json()
    liked = first["hits"][0]["paper"]["id"]
    r = client.post(f"/feedback/{liked}/up", headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 200 and "on-up" in r.text
    feed = client.get("/api/feed", params={"days": 3650}).json()["hits"]
    assert feed and "which you liked" in feed[0]["reasons"][0]
    top = feed[0]["paper"]["id"]
    r = client.post(
        "/api/feedback", json={"paper": str(top), "verdict": "down"}, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200
    again = client.get("/api/feed", params={"days": 3650}).json()["hits"]
    assert top not in [h["paper"]["id"] for h in again]


def test_csrf_is_required_for_browser_writes(ada: tuple[TestClient, str]) -> None:
    client, csrf = ada
    assert client.post("/feedback/1/up").status_code == 403
    assert client.post("/feedback/1/up", headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post("/api/feedback", json={"paper": "1", "verdict": "up"}).status_code == 403
    assert client.post("/profile/authors", data={"name": "X"}).status_code == 403
    r = client.post("/profile/authors", data={"name": "Tomas Okafor", "csrf": csrf})
    assert r.status_code == 200


def test_pages_and_api_need_a_login(app_client: TestClient) -> None:
    for path in ("/feed", "/search?q=x", "/papers/1", "/profile", "/admin"):
        r = app_client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    for method, path in [
        ("GET", "/api/me"),
        ("GET", "/api/feed"),
        ("GET", "/api/search?q=x"),
        ("GET", "/api/papers/1"),
        ("GET", "/api/profile"),
        ("POST", "/api/feedback"),
        ("GET", "/api/tokens"),
        ("GET", "/api/saved-searches"),
    ]:
        assert app_client.request(method, path).status_code == 401, path
    r = app_client.get("/api/me", headers={"Authorization": "Bearer ps_nonsense"})
    assert r.status_code == 401


def test_api_tokens_work_and_belong_to_one_reader(
    ada: tuple[TestClient, str], bob: tuple[TestClient, str]
) -> None:
    client, csrf = ada
    token = client.post("/api/tokens", json={"name": "script"}, headers={"X-CSRF-Token": csrf})
    secret = token.json()["token"]
    bare = TestClient(client.app)
    me = bare.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["name"] == "ada"
    # a token needs no CSRF header (browsers never send it on their own)
    r = bare.post(
        "/api/feedback",
        json={"paper": "1", "verdict": "up"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert r.status_code == 200
    token_id = client.get("/api/tokens").json()[0]["id"]
    other, other_csrf = bob
    assert other.get("/api/tokens").json() == []
    r = other.delete(f"/api/tokens/{token_id}", headers={"X-CSRF-Token": other_csrf})
    assert r.status_code == 404
    r = other.post(f"/profile/tokens/{token_id}/remove", data={"csrf": other_csrf})
    assert r.status_code == 404
    assert bare.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    r = client.delete(f"/api/tokens/{token_id}", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    assert bare.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_one_reader_never_sees_or_changes_anothers_data(
    ada: tuple[TestClient, str], bob: tuple[TestClient, str]
) -> None:
    a, a_csrf = ada
    b, b_csrf = bob
    a.post("/profile/authors", data={"name": "Tomas Okafor", "csrf": a_csrf})
    a.post(
        "/api/feedback", json={"paper": "2", "verdict": "down"}, headers={"X-CSRF-Token": a_csrf}
    )
    saved = a.post(
        "/api/saved-searches",
        json={"name": "mine", "query": "translation"},
        headers={"X-CSRF-Token": a_csrf},
    ).json()
    a_profile = a.get("/api/profile").json()
    assert a_profile["authors"] == ["Tomas Okafor"] and a_profile["signals"]
    # bob's views show none of it
    assert b.get("/api/profile").json() == {"name": "bob", "authors": [], "signals": []}
    assert b.get("/api/saved-searches").json() == []
    assert "Tomas Okafor" not in b.get("/profile").text
    assert b.get("/api/feed").json()["problem"] == "empty"
    # and bob cannot reach ada's things by id
    h = {"X-CSRF-Token": b_csrf}
    assert b.get(f"/api/saved-searches/{saved['id']}/results").status_code == 404
    assert b.delete(f"/api/saved-searches/{saved['id']}", headers=h).status_code == 404
    assert b.post(f"/saved/{saved['id']}/remove", data={"csrf": b_csrf}).status_code == 404
    own = a_profile["signals"][0]["paper"]
    assert b.delete(f"/api/profile/signals/{own}", headers=h).status_code == 404
    assert b.post(f"/profile/signals/{own}/remove", data={"csrf": b_csrf}).status_code == 404
    # ada's data is untouched, and her session cookie is not bob's
    assert a.get("/api/profile").json() == a_profile
    assert a.get("/api/saved-searches").json()[0]["id"] == saved["id"]
    assert a.get("/api/me").json()["name"] == "ada" and b.get("/api/me").json()["name"] == "bob"


def test_only_admins_upload_to_the_library(
    ada: tuple[TestClient, str], settings: Settings, tmp_path: Path
) -> None:
    client, csrf = ada
    listing = b"title,date\nA Brand New Paper on Tensor Sketches,2025-01-02\n"
    files = {"file": ("new.csv", listing, "text/csv")}
    assert client.get("/admin").status_code == 403
    r = client.post("/admin/library", data={"csrf": csrf}, files=files)
    assert r.status_code == 403
    app = create_app(settings, embedder_factory=lambda: FakeEmbedder(256))
    with TestClient(app) as root:
        root_csrf = log_in(root, "root")
        r = root.post("/admin/library", data={"csrf": root_csrf}, files=files)
        assert r.status_code == 200 and "1 new" in r.text
        assert "Tensor Sketches" in root.get("/search?q=tensor+sketches&mode=lexical").text


def test_paper_page_and_errors(ada: tuple[TestClient, str]) -> None:
    client, _ = ada
    page = client.get("/papers/1")
    assert page.status_code == 200 and "Sources" in page.text and "Similar papers" in page.text
    assert client.get("/papers/999999").status_code == 404
    assert "no paper" in client.get("/papers/999999").text
    assert client.get("/api/papers/999999").json()["detail"].startswith("no paper")
    assert client.get("/search?q=x&since=yesterday").status_code == 400
    assert client.get("/api/docs").status_code == 200
    assert "/api/feed" in client.get("/api/openapi.json").json()["paths"]


def test_logout_ends_the_session(ada: tuple[TestClient, str]) -> None:
    client, csrf = ada
    r = client.post("/logout", data={"csrf": csrf})
    assert r.url.path == "/login"
    assert client.get("/api/me").status_code == 401


def test_digest_links_open_without_login_and_change_only_on_post(
    app_client: TestClient, settings: Settings
) -> None:
    store = open_store(settings.db)
    ada = Accounts(store).user("ada")
    paper = store.get_paper(1)
    assert paper is not None
    links = digest_links(app_secret(store), ada.reader_id, [Hit(paper, 1.0)], "http://testserver")
    up = links.papers[1].up.removeprefix("http://testserver")
    page = app_client.get(up)  # a mail scanner's GET records nothing
    assert page.status_code == 200 and "More like this" in page.text
    assert not store.signals(ada.reader_id)
    done = app_client.post(up)
    assert done.status_code == 200 and "Noted" in done.text
    assert [(s.paper_id, s.kind) for s in store.signals(ada.reader_id)] == [(1, "up")]
    forged = up[:-3] + ("abc" if not up.endswith("abc") else "xyz")
    assert app_client.post(forged).status_code == 400
    unsubscribe = links.unsubscribe.removeprefix("http://testserver")
    assert "Stop the e-mail digest" in app_client.get(unsubscribe).text
    assert ada.reader_id not in store.digest_unsubscribed()
    assert "Unsubscribed" in app_client.post(unsubscribe).text  # also RFC 8058 one-click
    assert ada.reader_id in store.digest_unsubscribed()
    store.close()


def test_atom_feeds_at_secret_addresses_and_bibtex(
    ada: tuple[TestClient, str], app_client: TestClient, settings: Settings
) -> None:
    client, csrf = ada
    client.post("/profile/authors", data={"name": "Tomas Okafor", "csrf": csrf})
    store = open_store(settings.db)
    token = Accounts(store).user("ada").feed_token
    store.close()
    assert f"/atom/{token}" in client.get("/profile").text
    atom = app_client.get(f"/atom/{token}")  # no login: the address is the secret
    assert atom.status_code == 200 and atom.headers["content-type"] == "application/atom+xml"
    assert b"<feed" in atom.content and b"new for ada" in atom.content
    assert app_client.get("/atom/not-the-token").status_code == 404
    saved = client.post(
        "/api/saved-searches",
        json={"name": "mt", "query": "translation"},
        headers={"X-CSRF-Token": csrf},
    ).json()
    store = open_store(settings.db)
    search_token = store.saved_searches(Accounts(store).user("ada").id)[0].feed_token
    store.close()
    assert saved["name"] == "mt"
    assert b"<entry>" in app_client.get(f"/atom/search/{search_token}").content
    liked = client.get("/export/liked.bib")
    assert liked.status_code == 200 and liked.text.lstrip().startswith("@")
    assert client.get("/export/search.bib", params={"q": "translation"}).text.count("@") >= 1
    assert app_client.get("/export/liked.bib", follow_redirects=False).status_code == 303


#: Routes anyone may use: signing up and in, and the front page that sends one there.
PUBLIC = {("GET", "/"), ("GET", "/login"), ("POST", "/login"), ("GET", "/signup")}
PUBLIC |= {("POST", "/signup"), ("POST", "/logout")}
PATH_VALUES = {"ident": "1", "paper_id": "1", "verdict": "up", "search_id": "1", "token_id": "1"}


def test_every_route_refuses_a_stranger(app_client: TestClient) -> None:
    """Each route of the app, found by walking its two routers (so a new route is tried
    too): without a session it answers 401 (API), sends to the login page or refuses the
    form; a secret-link route refuses a made-up secret."""
    from fastapi.routing import APIRoute

    from papersift.web import account_pages, api, pages

    tried = 0
    for route in [*api.router.routes, *pages.router.routes, *account_pages.router.routes]:
        assert isinstance(route, APIRoute)
        for method in sorted(route.methods - {"HEAD"}):
            if (method, route.path) in PUBLIC:
                continue
            path = route.path.replace("{token}", "ps_made_up_secret")
            for name, value in PATH_VALUES.items():
                path = path.replace("{" + name + "}", value)
            r = app_client.request(method, path, follow_redirects=False)
            where = f"{method} {route.path}: {r.status_code}"
            if "{token}" in route.path:
                assert 400 <= r.status_code < 500, where
            elif route.path.startswith("/api/"):
                assert r.status_code == 401, where
            else:
                to_login = r.status_code == 303 and r.headers["location"].startswith("/login")
                assert to_login or r.status_code in (401, 403), where
            tried += 1
    assert tried >= 35, tried  # the walk found the routes (39 when this was written)
