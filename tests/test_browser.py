"""The web app in a real browser: Debian's Chromium driven by Playwright.

A new reader signs up, finds their papers by name, searches, opens a paper, 👍 it, sees the
feed change, and logs out. A screenshot of each page goes to build/screenshots/ (the README
shows one). Skipped, with the reason, only where /usr/bin/chromium is missing (`make test`
installs it).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.web.app import create_app
from tests.support import example_library

CHROMIUM = Path("/usr/bin/chromium")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SHOTS = Path(__file__).resolve().parents[1] / "build" / "screenshots"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "lib.db"
    example_library(db)
    yield from serve(db)


def serve(db: Path) -> Iterator[str]:
    """The web app over ``db`` (fake embedder) on a free local port, until the test ends."""
    app = create_app(Settings(db=str(db), model="fake-256"), embedder_factory=FakeEmbedder)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # startup takes a moment; the loop ends when it is up
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


def test_a_new_reader_in_the_browser(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 420, "height": 900})  # a phone
        page.goto(f"{server}/")
        expect(page).to_have_url(f"{server}/login")
        page.screenshot(path=str(SHOTS / "login.png"), full_page=True)

        page.click("text=Sign up")
        page.fill("#name", "tomas")
        page.fill("#password", "correct horse battery")
        page.click("button:has-text('Create my account')")
        expect(page).to_have_url(f"{server}/onboarding")  # the guided steps (their own test)
        page.goto(f"{server}/profile")
        page.fill("#author-name", "Tomas Okafor")
        page.click("button:has-text('Find my papers')")
        expect(page.locator("table").first).to_contain_text("your paper")
        page.screenshot(path=str(SHOTS / "profile.png"), full_page=True)

        page.goto(f"{server}/feed?days=3650")
        first_feed = page.locator("#feed article h3").all_inner_texts()
        assert first_feed and "close to your paper" in page.inner_text("#feed")

        page.click("text=Search")
        page.fill("#q", "protein structure")
        page.select_option("#mode", "lexical")
        page.click("button:has-text('Search')")
        expect(page.locator("#results article").first).to_be_visible()
        page.screenshot(path=str(SHOTS / "search.png"), full_page=True)

        page.locator("#results article h3 a").first.click()
        expect(page.locator("h2", has_text="Sources")).to_be_visible()
        liked = page.inner_text("h1")
        page.click("button[data-vote=up]")  # HTMX swaps the buttons in place
        expect(page.locator("button[data-vote=up]").first).to_have_attribute("aria-pressed", "true")
        page.screenshot(path=str(SHOTS / "paper.png"), full_page=True)

        page.goto(f"{server}/feed?days=3650")
        # the previous ranking may show first, while the new one is made: it swaps itself in
        expect(page.locator("#feed-updating")).to_have_count(0, timeout=30_000)
        feed_text = page.inner_text("#feed")
        assert f"“{liked[:40]}" in feed_text or "which you liked" in feed_text
        assert page.locator("#feed article h3").all_inner_texts() != first_feed
        page.screenshot(path=str(SHOTS / "feed.png"))  # the first screenful

        page.click("#logout")
        expect(page).to_have_url(f"{server}/login")
        page.goto(f"{server}/feed")
        expect(page).to_have_url(f"{server}/login?next=/feed")
        browser.close()
    assert all((SHOTS / f"{name}.png").stat().st_size > 1000 for name in ("login", "feed"))


EVIL_URL = "javascript:alert(document.cookie)"
PLANTED = (
    '{"title": "Planted Paper With A Script Link", "abstract": "Click the link for the data.", '
    '"authors": ["Mallory Planter"], "date": "2025-04-20", "url": "' + EVIL_URL + '"}\n'
)
SECRET = (
    '{"title": "Quokka Corridors From Unpublished Camera Traps", "abstract": "Not yet '
    'published: quokka movement between islands.", "authors": ["Ada Private"], '
    '"date": "2025-04-25"}\n'
)
PASSWORD = "correct horse battery"


@pytest.fixture
def planted_server(tmp_path: Path) -> Iterator[str]:
    """A library with a paper whose url is a script (as a stranger's file could hold), and
    two readers, ada and bob."""
    from papersift.accounts import Accounts
    from papersift.ingest.pipeline import ingest_file
    from papersift.store import open_store

    db = tmp_path / "lib.db"
    example_library(db)
    planted = tmp_path / "planted.jsonl"
    planted.write_text(PLANTED)
    store = open_store(db)
    ingest_file(store, planted)
    for name in ("ada", "bob"):
        Accounts(store).add_user(name, PASSWORD)
    store.close()
    app = create_app(Settings(db=str(db), model="fake-256"), embedder_factory=FakeEmbedder)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


def _log_in(page: Any, server: str, name: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"{server}/feed")


def test_a_script_link_and_another_readers_paste_in_the_browser(planted_server: str) -> None:
    """Issue 13 end to end: a planted javascript: URL is not clickable (no script runs, no
    CSP violation on any page: there is no inline script), and a second reader cannot find,
    open or see the author of the first reader's paste."""
    from playwright.sync_api import expect, sync_playwright

    server = planted_server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        ada = browser.new_context().new_page()
        dialogs: list[str] = []
        violations: list[str] = []
        ada.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        ada.on(
            "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
        )
        _log_in(ada, server, "ada")
        ada.goto(f"{server}/search?q=planted+script+link&mode=keywords")
        ada.locator("#results article h3 a", has_text="Planted Paper").first.click()
        expect(ada.locator("h1")).to_have_text("Planted Paper With A Script Link")
        assert ada.locator("a[href^='javascript' i]").count() == 0
        shown = ada.locator(".unsafe-url").first
        expect(shown).to_contain_text(EVIL_URL)  # the address is shown as text, not a link
        shown.click()
        ada.wait_for_timeout(300)
        assert not dialogs and "/papers/" in ada.url  # nothing ran, nowhere went
        response = ada.goto(f"{server}/feed")
        assert (
            response is not None
            and "frame-ancestors 'none'" in response.headers["content-security-policy"]
        )
        # ada pastes an unpublished abstract: hers alone
        ada.goto(f"{server}/profile")
        ada.fill("#paste", SECRET)
        ada.click("button:has-text('Add to my profile')")
        expect(ada.locator("#form-note")).to_contain_text("1 added as your own")
        ada.goto(f"{server}/search?q=quokka+camera+traps&mode=keywords")
        link = ada.locator("#results article h3 a", has_text="Quokka")
        expect(link).to_have_count(1)
        secret_path = link.get_attribute("href")
        assert secret_path and secret_path.startswith("/papers/")
        for path in ("/feed", "/search?q=x", "/profile", secret_path):
            ada.goto(f"{server}{path}")
        assert not violations, violations
        # bob, in his own browser session, cannot find it, open it or see who added it
        bob = browser.new_context().new_page()
        _log_in(bob, server, "bob")
        bob.goto(f"{server}/search?q=quokka+camera+traps&mode=keywords")
        expect(bob.locator("#results")).not_to_contain_text("Quokka")
        missing = bob.goto(f"{server}{secret_path}")
        assert missing is not None and missing.status == 404
        expect(bob.locator("h1")).to_have_text("Not found")  # in the site's layout
        assert "Ada Private" not in bob.content() and "Quokka" not in bob.content()
        api = bob.goto(f"{server}/api{secret_path}")
        assert api is not None and api.status == 404
        browser.close()
