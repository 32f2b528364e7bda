"""The first hour of a new reader in Chromium, at desktop and phone sizes (390x844 and 360
wide): sign up, find yourself by name (or give arXiv ids), rate ten papers, see the first
feed with its window explained, and never scroll sideways. The desktop and 390-wide runs
save the screenshots that the README's "First hour" shows (docs/first-hour-*.png, written
there with PAPERSIFT_SCREENSHOTS=docs).
Skipped only where /usr/bin/chromium is missing.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.test_browser import CHROMIUM, server  # noqa: F401 (the server fixture)

ROOT = Path(__file__).resolve().parents[1]
#: The README's pictures are refreshed with PAPERSIFT_SCREENSHOTS=docs; other runs write to
#: build/ (ignored), so running the tests leaves the work tree as it was.
DOCS = ROOT / ("docs" if os.environ.get("PAPERSIFT_SCREENSHOTS") == "docs" else "build/screenshots")
SIZES = {"desktop": (1280, 800), "phone": (390, 844), "narrow": (360, 740)}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
)


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def sign_up(page: Any, base: str, name: str) -> None:
    page.goto(f"{base}/signup")
    page.fill("#name", name)
    page.fill("#password", "correct horse battery")
    page.click("button:has-text('Create my account')")


def shot(page: Any, size: str, name: str) -> None:
    if size != "narrow":  # the 360-wide run checks the layout; its pictures add nothing
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / f"first-hour-{name}-{size}.png"), full_page=True)


@pytest.mark.parametrize("size", list(SIZES))
def test_first_hour_by_author_name(server: str, size: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        csp_errors: list[str] = []
        page.on("console", lambda m: csp_errors.append(m.text) if "Security" in m.text else None)
        sign_up(page, server, f"nia-{size}")
        expect(page).to_have_url(f"{server}/onboarding")
        expect(page.locator("[aria-current=step]")).to_contain_text("Your papers")
        assert no_sideways_scroll(page)
        shot(page, size, "1-start")

        page.fill("#author-name", "Nobody Atall")
        page.click("#find-authors")
        expect(page.locator("#form-error")).to_contain_text("no paper in the library")
        expect(page.locator("#form-error")).to_contain_text("give your papers instead")

        page.fill("#author-name", "Okafor")
        page.click("#find-authors")
        choices = page.locator("#candidates label.choice")
        expect(choices.first).to_be_visible()
        assert "Okafor" in choices.first.inner_text() and "paper" in choices.first.inner_text()
        assert no_sideways_scroll(page)
        shot(page, size, "2-candidates")
        page.click("#take-authors")

        expect(page.locator("#form-note")).to_contain_text("papers in the library are yours")
        cards = page.locator("#rate-form article.paper")
        expect(cards).to_have_count(10)
        for i, verdict in enumerate(("up", "up", "down")):
            cards.nth(i).locator(f"input[data-rate={verdict}]").check()
        box = cards.first.locator("label.choice").first.bounding_box()
        assert box and box["height"] >= 44  # a tap target
        assert no_sideways_scroll(page)
        shot(page, size, "3-rate")
        page.click("#see-feed")

        expect(page).to_have_url(f"{server}/feed")
        expect(page.locator("#window")).to_contain_text("latest papers")
        expect(page.locator("#feed article").first).to_be_visible()
        assert no_sideways_scroll(page)
        shot(page, size, "4-feed")

        page.click("#improve")  # "improve my feed": another round, without the rated ones
        expect(page.locator("#rate-form article.paper").first).to_be_visible()
        assert not csp_errors, csp_errors
        browser.close()


def test_first_hour_by_pasted_ids(server: str) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        sign_up(page, server, "ids")
        page.fill("#paste", "2502.11873\nhttps://arxiv.org/abs/2503.02561v2\n2401.99999")
        page.click("#give-papers")
        note = page.locator("#form-note")
        expect(note).to_contain_text("2 of your ids found")
        expect(note).to_contain_text("not in the library: arXiv:2401.99999")
        expect(page.locator("#rate-form article.paper").first).to_be_visible()

        page.goto(f"{server}/onboarding")
        page.fill("#paste", "too short")
        page.click("#give-papers")
        expect(page.locator("#form-error")).to_contain_text("paste arXiv ids")
        expect(page.locator("#paste")).to_have_value("too short")
        browser.close()
