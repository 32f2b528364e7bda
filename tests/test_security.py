"""Issue 13, links and headers: only http(s) and relative URLs ever become links (pages,
Atom, digests, BibTeX), and every response carries the security headers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.accounts import Accounts
from papersift.config import Settings
from papersift.digest import digest_links, render_digest
from papersift.embed import FakeEmbedder
from papersift.export import atom_feed, to_bibtex
from papersift.ingest.pipeline import ingest_file
from papersift.links import absolute_url, safe_url
from papersift.models import Hit
from papersift.store import open_store
from papersift.web.app import SECURITY_HEADERS, create_app
from tests.support import example_library

PASSWORD = "correct horse battery"
EVIL = "javascript:fetch('/api/tokens',{method:'POST'})"
PLANTED = (
    '{"title": "Planted Paper With A Script Link", "abstract": "Bait for a click.", '
    '"authors": ["Mallory Planter"], "date": "2025-04-20", "url": "' + EVIL + '"}\n'
    '{"title": "Honest Paper With A Web Link", "abstract": "A normal one.", '
    '"authors": ["Honest Author"], "date": "2025-04-21", "url": "https://example.org/p"}\n'
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("HTTP://EXAMPLE.ORG", "HTTP://EXAMPLE.ORG"),
        ("/papers/3", "/papers/3"),
        ("notes/p.pdf", "notes/p.pdf"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        (" \x01java\tscr\nipt:alert(1)", None),  # browsers drop these before the scheme
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox", None),
        ("/\\evil.example", None),
        ("", None),
        (None, None),
    ],
)
def test_only_web_and_relative_urls_are_safe(url: str | None, expected: str | None) -> None:
    assert safe_url(url) == expected


def test_feeds_mail_and_bibtex_take_only_absolute_web_urls() -> None:
    assert absolute_url("https://example.org") == "https://example.org"
    assert absolute_url("/papers/3") is None and absolute_url(EVIL) is None


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    db = tmp_path / "lib.db"
    example_library(db)
    planted = tmp_path / "planted.jsonl"
    planted.write_text(PLANTED)
    store = open_store(db)
    ingest_file(store, planted)  # the operator ingests it: it is in the shared library
    Accounts(store).add_user("ada", PASSWORD)
    store.close()
    return Settings(db=str(db), model="fake-256")


@pytest.fixture
def ada(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, embedder_factory=lambda: FakeEmbedder(256))
    with TestClient(app) as client:
        r = client.post("/login", data={"name": "ada", "password": PASSWORD})
        assert r.status_code == 200
        yield client


def _planted_id(client: TestClient) -> int:
    hits = client.get("/api/search", params={"q": "planted script link", "mode": "lexical"})
    found = [h["paper"] for h in hits.json()["hits"] if h["paper"]["title"].startswith("Planted")]
    assert found, hits.text
    return int(found[0]["id"])


def test_a_planted_script_url_is_never_a_link(ada: TestClient, settings: Settings) -> None:
    pid = _planted_id(ada)
    api = ada.get(f"/api/papers/{pid}").json()
    assert api["url"] == EVIL and api["url_safe"] is False  # stored, marked unsafe
    page = ada.get(f"/papers/{pid}").text
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and not [h for h in hrefs if "javascript" in h.lower()], hrefs
    assert 'class="unsafe-url"' in page  # shown as text
    # no server path: a source is named by its source name
    assert api["sources"] and all("file" not in s for s in api["sources"])
    assert str(Path(settings.db).parent) not in page and "planted.jsonl" not in page
    honest = ada.get("/api/search", params={"q": "honest web link", "mode": "lexical"}).json()
    honest_id = honest["hits"][0]["paper"]["id"]
    assert 'href="https://example.org/p"' in ada.get(f"/papers/{honest_id}").text


def test_atom_bibtex_and_digest_drop_a_script_url(ada: TestClient, settings: Settings) -> None:
    store = open_store(settings.db)
    paper = store.get_paper(_planted_id(ada))
    store.close()
    assert paper is not None and paper.url == EVIL
    hits = [Hit(paper, 1.0, ["close to your paper"])]
    atom = atom_feed("t", "https://site/atom/x", "https://site", hits, feed_id="u").decode()
    assert "javascript" not in atom.lower() and "https://site/papers/" in atom
    assert "javascript" not in to_bibtex([paper]).lower()
    links = digest_links("secret", 1, hits, "https://site")
    _subject, html, text = render_digest("ada", hits, links)
    assert "javascript" not in (html + text).lower()


def test_every_response_has_the_security_headers(ada: TestClient) -> None:
    answers = [
        ada.get("/feed"),
        ada.get("/api/me"),
        ada.get("/static/style.css"),
        ada.get("/papers/999999"),  # an error page
        ada.get("/api/papers/999999"),  # an API error
        ada.get("/no/such/route"),
        TestClient(ada.app).get("/login"),
    ]
    for r in answers:
        for name, value in SECURITY_HEADERS.items():
            assert r.headers.get(name) == value, (r.url, name)
    csp = SECURITY_HEADERS["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_no_inline_script_or_style_in_the_templates() -> None:
    """A strict CSP blocks inline script and style: the templates must not need them."""
    folder = Path(__file__).resolve().parents[1] / "papersift" / "web" / "templates"
    for template in folder.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text), template.name  # onclick=...
        assert "javascript:" not in text and " style=" not in text, template.name
