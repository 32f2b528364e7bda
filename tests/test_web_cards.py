"""Cards and paper pages through the TestClient: links whenever known, the full abstract
behind <details>, BibTeX of one paper, the vote state with undo, merge reasons, SVG icons
instead of emoji, the favicon and the vendored KaTeX (served from /static, no CDN)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.accounts import Accounts
from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.store import open_store
from papersift.web.app import create_app
from tests.support import example_library

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    db = tmp_path_factory.mktemp("cards") / "lib.db"
    example_library(db)
    store = open_store(db)
    for name in ("ada", "bob"):
        Accounts(store).add_user(name, PASSWORD)
    store.close()
    return Settings(db=str(db), model="fake-256")


def _client(settings: Settings, name: str) -> Iterator[tuple[TestClient, str]]:
    app = create_app(settings, embedder_factory=lambda: FakeEmbedder(256))
    with TestClient(app) as client:
        client.post("/login", data={"name": name, "password": PASSWORD})
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/profile").text)
        assert found
        yield client, found.group(1)


@pytest.fixture
def ada(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    yield from _client(settings, "ada")


@pytest.fixture
def bob(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    yield from _client(settings, "bob")


def test_cards_link_everything_known(ada: tuple[TestClient, str]) -> None:
    client, _ = ada
    page = client.get("/search", params={"q": "protein", "mode": "keywords"}).text
    card = page[page.index('id="paper-3"') :].split("</article>")[0]
    assert 'href="https://arxiv.org/abs/2503.02561"' in card
    assert 'href="https://arxiv.org/pdf/2503.02561"' in card
    assert 'href="https://doi.org/10.5555/fjsb.2025.0093"' in card
    assert 'href="/papers/3/bibtex"' in card
    assert "<svg" in card and not any(e in page for e in ("▲", "▼", "👍", "👎"))


def test_long_abstracts_expand_without_script(ada: tuple[TestClient, str]) -> None:
    client, _ = ada
    store = open_store(client.app.state.library.settings.db)  # type: ignore[attr-defined]
    long_ones = [p for p in store.iter_papers() if p.abstract and len(p.abstract) > 400]
    store.close()
    assert long_ones, "the examples have long abstracts"
    paper = long_ones[0]
    page = client.get(f"/papers/{paper.id}").text
    assert paper.abstract is not None and paper.abstract[-60:] in page  # the paper page: all
    words = " ".join((paper.title or "").split()[:3])
    found = client.get("/search", params={"q": f'title:"{words}"', "mode": "keywords"}).text
    card = found[found.index(f'id="paper-{paper.id}"') :].split("</article>")[0]
    assert '<details class="abstract' in card and paper.abstract[-60:] in card


def test_bibtex_of_one_paper(ada: tuple[TestClient, str]) -> None:
    client, _ = ada
    r = client.get("/papers/3/bibtex")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-bibtex")
    assert r.text.lstrip().startswith("@") and "Equivariant Diffusion" in r.text
    assert 'filename="papersift-3.bib"' in r.headers["content-disposition"]
    assert client.get("/papers/99999/bibtex").status_code == 404


def test_vote_state_and_undo(ada: tuple[TestClient, str], bob: tuple[TestClient, str]) -> None:
    client, csrf = ada
    hx = {"HX-Request": "true", "X-CSRF-Token": csrf}
    voted = client.post("/feedback/5/up", headers=hx).text
    assert 'aria-pressed="true"' in voted and "Noted: more like this" in voted
    assert 'data-vote="undo"' in voted
    page = client.get("/papers/5").text
    assert "Noted: more like this" in page
    other, other_csrf = bob
    r = other.post("/feedback/5/undo", headers={"X-CSRF-Token": other_csrf})
    assert r.status_code == 404  # bob never voted: ada's vote is not his to undo
    profile = client.get("/profile").text
    assert "more like this" in profile and not any(e in profile for e in ("👍", "👎", "▲"))
    undone = client.post("/feedback/5/undo", headers=hx).text
    assert 'aria-pressed="true"' not in undone and "Noted" not in undone
    assert "Noted" not in client.get("/papers/5").text
    assert client.post("/feedback/5/undo", headers=hx).status_code == 404


def test_merge_reasons_on_the_paper_page(ada: tuple[TestClient, str]) -> None:
    client, _ = ada
    page = client.get("/papers/1").text
    merges = page[page.index("<h2>Merges</h2>") :].split("</ul>")[0]
    assert "matched by <b>" in merges and "title and abstract" in merges


def test_favicon_katex_and_keys_are_local_files(ada: tuple[TestClient, str]) -> None:
    client, _ = ada
    page = client.get("/feed").text
    for path in (
        "/static/favicon.svg",
        "/static/katex/katex.min.js",
        "/static/katex/auto-render.min.js",
        "/static/katex/katex.min.css",
        "/static/cards.js",
    ):
        assert f'"{path}"' in page
        assert client.get(path).status_code == 200, path
    css = client.get("/static/katex/katex.min.css").text
    fonts = set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css))
    assert fonts and all(client.get(f"/static/katex/{f}").status_code == 200 for f in fonts)
    assert "cdn" not in page.lower()
    assert '<link rel="icon" href="/static/favicon.svg"' in page
    assert Path(__file__).parents[1].joinpath("papersift/web/static/katex/LICENSE.txt").exists()


def test_the_api_takes_the_mode_names_too(ada: tuple[TestClient, str]) -> None:
    client, _ = ada
    for mode in ("keywords", "meaning", "both", "lexical"):
        r = client.get("/api/search", params={"q": "warmup", "mode": mode})
        assert r.status_code == 200 and r.json()["hits"], mode
    assert client.get("/api/search", params={"q": "warmup", "mode": "fuzzy"}).status_code == 422
