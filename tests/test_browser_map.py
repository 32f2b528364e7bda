"""The map in a real browser (Debian's Chromium driven by Playwright), at desktop and phone
sizes: the map draws, clicking a dot opens its paper, and selecting a region adds its
papers to the reader's likes. Screenshots go to build/screenshots/ (map-desktop.png,
map-phone.png). Skipped, with the reason, only where /usr/bin/chromium is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from papersift.accounts import Accounts
from papersift.map.build import build_map
from papersift.store import open_store
from tests.support import example_library
from tests.test_browser import CHROMIUM, SHOTS, serve

PASSWORD = "correct horse battery"
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def mapped_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("map") / "lib.db"
    example_library(db)
    store = open_store(db)
    Accounts(store).add_user("ada", PASSWORD)
    build_map(store, "fake-256")
    store.close()
    return db


@pytest.fixture
def server(mapped_db: Path, tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "lib.db"
    db.write_bytes(mapped_db.read_bytes())  # each test changes ada's likes: its own copy
    yield from serve(db)


def _screen_point(page: Any, point: list[float]) -> tuple[float, float]:
    """Where map.js draws a map point in the whole map's view (centre 0.5, scale 1)."""
    box = page.locator("#map-canvas").bounding_box()
    base = min(box["width"], box["height"]) * 0.92
    return (
        box["x"] + (point[1] - 0.5) * base + box["width"] / 2,
        box["y"] + (point[2] - 0.5) * base + box["height"] / 2,
    )


def _loneliest(points: list[list[float]]) -> list[float]:
    """The point farthest from any other (a click on it cannot hit a neighbour)."""

    def gap(p: list[float]) -> float:
        return min((p[1] - q[1]) ** 2 + (p[2] - q[2]) ** 2 for q in points if q is not p)

    return max(points, key=gap)


@pytest.mark.parametrize("size", list(SIZES))
def test_map_click_a_paper_and_seed_from_a_region(server: str, size: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport=SIZES[size])  # type: ignore[arg-type]
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server}/map")
        expect(page).to_have_url(f"{server}/login?next=/map")
        # log in through the form's POST (the login page has its own browser test)
        r = page.request.post(f"{server}/login", form={"name": "ada", "password": PASSWORD})
        assert r.ok and r.url.endswith(("/feed", "/profile")), r.url
        page.goto(f"{server}/map")
        expect(page.locator("#map-root")).to_have_attribute("data-ready", "1")
        expect(page.locator("#map-status")).to_contain_text("37 papers")
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        tools = page.locator(".map-tools button").all()
        assert all(b.bounding_box()["height"] >= 44 for b in tools)  # tap targets

        # zooming in asks for more points of the view (without the feed again)
        with page.expect_response(lambda r: "points_only=1" in r.url and r.ok):
            for _ in range(3):
                page.click("#map-zoom-in")
        page.click("#map-reset")

        # click a dot: its paper opens
        data = page.evaluate("fetch('/api/map').then(r => r.json())")
        target = _loneliest(data["points"])
        title = page.evaluate(f"fetch('/api/papers/{target[0]}').then(r => r.json())")["title"]
        page.mouse.click(*_screen_point(page, target))
        expect(page).to_have_url(f"{server}/papers/{target[0]}")
        expect(page.locator("h1")).to_contain_text(title[:30])

        # select a region (the whole map): ten of its papers become likes
        page.goto(f"{server}/map")
        expect(page.locator("#map-root")).to_have_attribute("data-ready", "1")
        page.click("#map-select")
        expect(page.locator("#map-select")).to_have_attribute("aria-pressed", "true")
        box = page.locator("#map-canvas").bounding_box()
        page.mouse.move(box["x"] + 3, box["y"] + 3)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
        page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] - 3, steps=5)
        page.mouse.up()
        expect(page.locator("#map-region")).to_be_visible()
        page.click("#map-region-add")
        result = page.locator("#map-region-result")
        expect(result).to_contain_text("Added to your likes: 10 papers")
        expect(result.locator("li")).to_have_count(10)
        expect(page.locator("#map-status")).to_contain_text("your likes: 10")
        # the feed that the likes make is drawn too
        expect(page.locator("#map-status")).not_to_contain_text("your feed: 0 ")
        page.screenshot(path=str(SHOTS / f"map-{size}.png"))
        profile = page.evaluate("fetch('/api/profile').then(r => r.json())")
        assert sum(s["kind"] == "like" for s in profile["signals"]) == 10

        # or pick a region from the list (keyboard and phone friendly): the same offer
        regions = page.locator("#map-regions button")
        expect(regions).to_have_count(len(data["clusters"]))
        expect(regions.first).to_contain_text(data["clusters"][0]["label"])
        regions.first.click()
        expect(page.locator("#map-region")).to_be_visible()
        page.click("#map-region-add")
        expect(result).to_contain_text("Added to your likes")
        more = page.evaluate("fetch('/api/profile').then(r => r.json())")
        assert sum(s["kind"] == "like" for s in more["signals"]) > 10
        assert not errors, errors
        browser.close()
