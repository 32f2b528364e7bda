"""arXiv API Atom feeds: one entry a paper, an error feed raises."""

import io
from pathlib import Path

import pytest

from papersift.errors import ParseError
from papersift.ingest.sources import arxiv_atom
from papersift.models import ParseItem, Record, Skipped
from tests.support import FIXTURES, parse_path

FEED = FIXTURES / "arxiv_api.atom"
ERROR_FEED = FIXTURES / "arxiv_api_error.atom"


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of ``path`` containing ``needle``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


def parse_file(path: Path) -> list[ParseItem]:
    return parse_path(arxiv_atom.parse, path)


def test_entry_fields() -> None:
    first = parse_file(FEED)[0]
    assert isinstance(first, Record)
    assert first.title == "Folding Transformers: Origami Priors for Sparse Attention"
    assert first.abstract is not None
    assert first.abstract.startswith("We fold attention matrices along learned creases")
    assert first.abstract.endswith("a quarter of the memory.")
    assert first.authors == ["Zoë Ångström", "Kenji Oribe", "Mara Lindqvist"]
    assert first.organizations == ["Institute of Paper Folding", "Crane Robotics Lab"]
    assert first.date == "2024-01-03"
    assert first.arxiv_id == "2401.01234"
    assert first.doi == "10.5555/fold.2024.001"
    assert first.categories == ["cs.LG", "stat.ML", "cs.CL"]
    assert first.url == "http://arxiv.org/abs/2401.01234v2"
    assert first.venue == "J. Fict. Mach. Learn. 3 (2024) 12-26"
    assert first.extra == {"updated": "2024-02-10", "comments": "14 pages, 6 figures"}
    entry_line = line_of(FEED, "<entry>")
    assert first.locator == f"entry 1 (line {entry_line})"


def test_old_style_id_and_doi_from_link() -> None:
    second = parse_file(FEED)[1]
    assert isinstance(second, Record)
    assert second.arxiv_id == "hep-th/9901001"
    assert second.doi == "10.5555/crane.99"
    assert second.date == "1999-01-04"
    assert second.categories == ["hep-th", "gr-qc"]
    assert second.organizations == []
    assert second.venue is None


def test_entry_without_title_is_skipped() -> None:
    items = parse_file(FEED)
    assert len(items) == 3
    line = line_of(FEED, "2402.05555v1") - 1
    assert items[2] == Skipped(f"entry 3 (line {line})", "entry without a title", line)


def test_api_error_feed_raises() -> None:
    with pytest.raises(ParseError) as caught:
        parse_file(ERROR_FEED)
    assert caught.value.path == str(ERROR_FEED)
    assert caught.value.line == line_of(ERROR_FEED, "<entry>")
    assert "incorrect id format for 1234.12345" in caught.value.message


def test_malformed_xml_names_the_line() -> None:
    text = FEED.read_text(encoding="utf-8")
    cut = text[: text.index("<title>Paper Cranes")] + "<title>Paper Cranes</summary>\n"
    items: list[ParseItem] = []
    with pytest.raises(ParseError) as caught:
        items.extend(arxiv_atom.parse(io.StringIO(cut), "cut.atom"))
    assert caught.value.line == cut.count("\n")
    assert len(items) == 1  # the entry before the fault still comes out


def test_empty_feed_yields_nothing() -> None:
    feed = '<feed xmlns="http://www.w3.org/2005/Atom"><title>arXiv query</title></feed>'
    assert list(arxiv_atom.parse(io.StringIO(feed), "empty.atom")) == []


def test_sniff() -> None:
    assert arxiv_atom.sniff(FEED.read_text(encoding="utf-8"), "feed.atom")
    assert arxiv_atom.sniff(ERROR_FEED.read_text(encoding="utf-8"), "feed.xml")
    others = ["oai_arxiv.xml", "oai_arxivraw.xml", "oai_dc.xml", "arxiv_snapshot.jsonl"]
    for name in others:
        assert not arxiv_atom.sniff((FIXTURES / name).read_text(encoding="utf-8"), name)
    blog = '<feed xmlns="http://www.w3.org/2005/Atom"><title>My blog</title></feed>'
    assert not arxiv_atom.sniff(blog, "blog.atom")


def test_format_spec() -> None:
    assert arxiv_atom.FORMAT.name == "arxiv-atom"
    assert arxiv_atom.FORMAT.extensions == (".atom", ".xml")
    assert arxiv_atom.FORMAT.parse is arxiv_atom.parse
