"""Cards, paper pages, the feed's window and search, in Chromium at desktop and phone
sizes: the full abstract opens without script, math is typeset by the local KaTeX (no CSP
complaint), links are there, a vote shows and can be undone, keyboard shortcuts work, dark
mode follows the system, tap targets are 44 px and nothing scrolls sideways at 360 px.
Skipped only where /usr/bin/chromium is missing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_browser import CHROMIUM, server  # noqa: F401 (the server fixture)
from tests.test_browser_onboarding import DOCS, SIZES, no_sideways_scroll, sign_up

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
)


def _reader(page: Any, base: str, name: str) -> None:
    sign_up(page, base, name)
    page.goto(f"{base}/profile")
    page.fill("#author-name", "Tomas Okafor")
    page.click("button:has-text('Find my papers')")


def _small_targets(page: Any, selector: str) -> list[str]:
    small = []
    for element in page.locator(selector).all():
        box = element.bounding_box()
        if box and box["height"] < 44:
            small.append(f"{element.inner_text()[:30]!r}: {box['height']:.0f}px")
    return small


@pytest.mark.parametrize("size", list(SIZES))
def test_cards_and_paper_page(server: str, size: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        complaints: list[str] = []
        page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
        _reader(page, server, f"cards-{size}")

        page.goto(f"{server}/search?q=rewarming&mode=keywords")
        card = page.locator("#results article.paper").first
        details = card.locator("details.abstract")  # a long abstract: closed at first
        expect(details.locator("p")).to_be_hidden()
        details.locator("summary").click()  # opens without script
        expect(details.locator("p")).to_be_visible()
        expect(details.locator("p .katex").first).to_be_visible()  # $\eta$, typeset
        assert "$\\eta$" not in card.inner_text()
        for label in ("BibTeX",):
            expect(card.locator("a.link", has_text=label)).to_be_visible()
        assert card.locator("svg.icon").count() >= 3

        card.locator("button[data-vote=up]").click()
        expect(card.locator("button[data-vote=up]")).to_have_attribute("aria-pressed", "true")
        expect(card.locator(".voted")).to_contain_text("Noted")
        card.locator("button[data-vote=undo]").click()
        expect(card.locator("button[data-vote=up]")).to_have_attribute("aria-pressed", "false")
        expect(card.locator(".voted")).to_have_count(0)
        assert not _small_targets(page, "#results .votes button, #results a.link")
        assert no_sideways_scroll(page)

        page.goto(f"{server}/papers/1")
        expect(page.locator(".merges li").first).to_contain_text("matched by")
        bib = page.request.get(f"{server}/papers/1/bibtex")
        assert bib.ok and bib.text().lstrip().startswith("@")
        expect(page.locator("link[rel=icon]")).to_have_attribute("href", "/static/favicon.svg")
        assert no_sideways_scroll(page)
        if size != "narrow":
            DOCS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS / f"paper-page-{size}.png"), full_page=True)
        assert not [c for c in complaints if "Security Policy" in c], complaints
        browser.close()


def test_keyboard_dark_mode_window_and_search(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        _reader(page, server, "keys")
        page.goto(f"{server}/feed")
        expect(page.locator("#window")).to_contain_text("latest papers")
        first = page.locator("#feed article.paper").first
        expect(first).to_be_visible()
        page.keyboard.press("j")
        expect(first).to_have_class("paper current")
        page.keyboard.press("j")
        second = page.locator("#feed article.paper").nth(1)
        expect(second).to_have_class("paper current")
        page.keyboard.press("u")
        expect(second.locator("button[data-vote=up]")).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("?")
        expect(page.locator("#keys-help")).to_contain_text("next / previous paper")
        page.keyboard.press("?")
        expect(page.locator("#keys-help")).to_be_hidden()
        title = first.locator("a.title").inner_text()
        page.keyboard.press("k")
        page.keyboard.press("o")
        expect(page.locator("h1")).to_have_text(title)

        page.goto(f"{server}/feed")
        label = page.locator("#window b").inner_text()
        page.click("text=← week")
        expect(page.locator("#window b")).not_to_have_text(label)
        page.emulate_media(color_scheme="dark")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(18, 21, 27)", background
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "feed-dark-desktop.png"))
        page.emulate_media(color_scheme="light")

        page.goto(f"{server}/feed?days=7&until=2024-01-01")
        expect(page.locator("#empty-window")).to_contain_text("The library covers 2025-01-13")
        page.click("#latest")
        expect(page.locator("#feed article").first).to_be_visible()

        page.goto(f"{server}/search")
        options = page.locator("#mode option").all_inner_texts()
        assert options == ["Both", "Keywords", "Meaning"], options
        page.locator("#syntax summary").click()
        expect(page.locator("#syntax")).to_contain_text("title:word")
        page.fill("#q", "zebra saxophone marmalade")
        page.select_option("#mode", label="Meaning")
        page.click("button:has-text('Search')")
        expect(page.locator(".search-note").first).to_contain_text("nothing close in meaning")
        page.fill("#q", "loss spike AND divergence")
        page.select_option("#mode", label="Keywords")
        page.click("button:has-text('Search')")
        expect(page.locator(".search-note").first).to_contain_text("AND and OR are not needed")
        browser.close()


def test_narrow_pages_never_scroll_sideways(server: str) -> None:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 360, "height": 740})
        _reader(page, server, "narrow")
        wide = []
        for path in (
            "/feed",
            "/search?q=protein+-ligand&mode=both",
            "/papers/3",
            "/profile",
            "/onboarding",
            "/onboarding/rate",
        ):
            page.goto(f"{server}{path}")
            if not no_sideways_scroll(page):
                wide.append(path)
        assert not wide, wide
        browser.close()
