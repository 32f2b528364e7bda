"""The Kaggle arXiv metadata snapshot: JSON lines, read one line at a time."""

import io
from pathlib import Path

import orjson

from papersift.ingest.sources import arxiv_snapshot
from papersift.models import ParseItem, Record, Skipped
from tests.support import FIXTURES, parse_path

SNAPSHOT = FIXTURES / "arxiv_snapshot.jsonl"


def parse_file(path: Path) -> list[ParseItem]:
    return parse_path(arxiv_snapshot.parse, path)


def test_record_fields() -> None:
    first = parse_file(SNAPSHOT)[0]
    assert isinstance(first, Record)
    assert first.title == "Teaching Sourdough Starters to Count: Microbial Arithmetic"
    assert (
        first.abstract
        == "We feed a sourdough starter four times a day and read off sums from its rise."
    )
    assert first.authors == ["W. Hallett", "J. Brindle-Yu", "O. Nakamura Jr."]
    assert first.organizations == ["Crumb Institute"]
    assert first.date == "2023-01-01"  # v1, not the latest version
    assert first.arxiv_id == "2301.00042"
    assert first.doi == "10.5555/dough.1"
    assert first.categories == ["q-bio.PE", "cs.NE"]
    assert first.venue == "Fict. J. Ferment. 2 (2023) 1-7"
    assert first.url == "https://arxiv.org/abs/2301.00042"
    assert first.locator == "line 1"
    assert first.extra == {"comments": "7 pages", "updated": "2023-02-09"}


def test_authors_string_when_authors_parsed_is_missing() -> None:
    second = parse_file(SNAPSHOT)[1]
    assert isinstance(second, Record)
    assert second.locator == "line 3"  # the blank line 2 is ignored
    assert second.authors == ["C. Balázs", "E. L. Berger-Fict", "P. Q. Nadolsky"]
    assert second.arxiv_id == "hep-ph/0703099"
    assert second.date == "2007-03-12"
    assert second.doi is None
    assert second.venue is None


def test_bad_lines_are_skipped_with_their_line() -> None:
    items = parse_file(SNAPSHOT)
    assert len(items) == 5
    bad_json, untitled = items[2], items[3]
    assert isinstance(bad_json, Skipped)
    assert (bad_json.locator, bad_json.line) == ("line 4", 4)
    assert bad_json.reason.startswith("not valid JSON")
    assert untitled == Skipped("line 5", "no title", 5)


def test_empty_authors_parsed_falls_back_to_the_string_and_et_al() -> None:
    last = parse_file(SNAPSHOT)[4]
    assert isinstance(last, Record)
    assert last.authors == ["Solo Author"]
    assert last.authors_truncated
    assert last.date == "2023-02-02"


def test_missing_id_and_non_objects() -> None:
    lines = '{"title": "No id here"}\n[1, 2]\n\n   \n{"id": "2401.00001", "title": "Ok"}\n'
    items = list(arxiv_snapshot.parse(io.StringIO(lines), "x.jsonl"))
    assert items[0] == Skipped("line 1", "no id", 1)
    assert items[1] == Skipped("line 2", "not a JSON object", 2)
    assert isinstance(items[2], Record)
    assert items[2].locator == "line 5"
    assert items[2].authors == [] and items[2].date is None


def test_split_author_list() -> None:
    split = arxiv_snapshot.split_author_list
    assert split("A. Smith, B. Jones and C. Lee") == (["A. Smith", "B. Jones", "C. Lee"], False)
    assert split("A. Smith (MIT, CSAIL), B. Jones, and C. Lee") == (
        ["A. Smith", "B. Jones", "C. Lee"],
        False,
    )
    assert split("A. Smith (1 and 2), B. Anderson ((1) Oxford, (2) CERN)") == (
        ["A. Smith", "B. Anderson"],
        False,
    )
    assert split("ATLAS Collaboration, A. Smith et al") == (
        ["ATLAS Collaboration", "A. Smith"],
        True,
    )
    assert split(None) == ([], False)


class LineIterationOnly(io.StringIO):
    """A stream that fails if the reader tries to load it whole."""

    def read(self, size: int | None = -1) -> str:
        raise AssertionError("the parser read the whole stream")


def test_streams_line_by_line() -> None:
    line = {
        "id": "2401.00000",
        "title": "Generated",
        "authors": "A. B",
        "versions": [{"version": "v1", "created": "Tue, 2 Jan 2024 00:00:00 GMT"}],
    }
    text = "".join(
        orjson.dumps({**line, "id": f"2401.{i:05d}"}).decode() + "\n" for i in range(20_000)
    )
    items = list(arxiv_snapshot.parse(LineIterationOnly(text), "big.jsonl"))
    assert len(items) == 20_000
    assert all(isinstance(i, Record) for i in items)
    assert items[-1].locator == "line 20000"


def test_sniff() -> None:
    assert arxiv_snapshot.sniff(SNAPSHOT.read_text(encoding="utf-8"), "snap.json")
    assert arxiv_snapshot.sniff('\n\n{"id": "1", "update_date": "2020-01-01"}\n', "x.jsonl")
    assert not arxiv_snapshot.sniff('{"id": "1", "title": "plain JSON record"}\n', "x.jsonl")
    assert not arxiv_snapshot.sniff('[{"id": "1", "versions": []}]\n', "x.json")
    assert not arxiv_snapshot.sniff("", "x.json")
    for name in ("arxiv_api.atom", "oai_arxiv.xml", "oai_arxivraw.xml", "oai_dc.xml"):
        assert not arxiv_snapshot.sniff((FIXTURES / name).read_text(encoding="utf-8"), name)


def test_format_spec() -> None:
    assert arxiv_snapshot.FORMAT.name == "arxiv-snapshot"
    assert arxiv_snapshot.FORMAT.extensions == (".json", ".jsonl")
