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
