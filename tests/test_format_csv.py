"""CSV/TSV: Zotero's CSV export, Google-Scholar-like lists, custom columns and overrides."""

import io
from pathlib import Path

import pytest

from papersift.errors import ParseError
from papersift.ingest.sources import tabular
from papersift.models import ParseItem, Record, Skipped
from tests.support import FIXTURES

ZOTERO = FIXTURES / "zotero.csv"
CUSTOM = FIXTURES / "custom.tsv"
SCHOLAR = FIXTURES / "scholar.csv"


def parse_file(path: Path, columns: dict[str, str] | None = None) -> list[ParseItem]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(tabular.parse(f, str(path), columns))


def parse_text(text: str, filename: str = "inline.csv") -> list[ParseItem]:
    return list(tabular.parse(io.StringIO(text), filename))


def test_zotero_export() -> None:
    items = parse_file(ZOTERO)
    assert [type(i).__name__ for i in items] == ["Record", "Record", "Skipped", "Skipped", "Record"]
    first, preprint, _, _, last = items
    assert isinstance(first, Record) and isinstance(preprint, Record) and isinstance(last, Record)
    assert first.title == "Schrödinger's Sourdough"
    assert first.abstract == "We ask a language model whether a sealed starter is alive."
    assert first.authors == ["Hans Müller", "Ana García"]
    assert first.date == "2021-03-15"  # "Date" wins over "Publication Year"
    assert first.doi == "10.5555/fict.2021.007"
    assert first.url == "https://doi.org/10.5555/FICT.2021.007"
    assert first.venue == "Journal of Fictional Baking"
    assert first.categories == ["fermentation", "language models"]
    assert first.locator == "line 2"
    assert preprint.authors == ["Chidi Okafor", "Jan Peter van der Berg"]
    assert preprint.arxiv_id == "2401.01234"
    assert preprint.abstract == (
        "We train a small transformer to count sheep. It falls asleep after forty-two."
    )
    assert preprint.locator == "line 3"
    assert last.authors == ["Åsa Lindqvist"]
    assert last.date == "2022-06"


def test_skipped_rows_carry_their_physical_line() -> None:
    items = parse_file(ZOTERO)
    # the preprint's abstract spans lines 3-5, so the untitled row is on line 6
    assert items[2] == Skipped("line 6", "no title and no abstract", 6)
    assert items[3] == Skipped("line 7", "5 cells, the header has 16", 7)
    assert isinstance(items[4], Record) and items[4].locator == "line 9"  # line 8 is blank


def test_scholar_like_export() -> None:
    (paper,) = parse_file(SCHOLAR)
    assert isinstance(paper, Record)
    assert paper.authors == ["W Hallett", "J Brindle-Yu", "O Nakamura"]
    assert paper.date == "2023"
    assert paper.venue == "arXiv preprint arXiv:2301.00042"
    assert paper.url == "https://arxiv.org/abs/2301.00042"
    assert paper.arxiv_id == "2301.00042"  # from the arxiv.org URL


def test_tsv_with_unknown_title_column_needs_an_override() -> None:
    with pytest.raises(ParseError) as err:
        parse_file(CUSTOM)
    assert err.value.line == 1
    message = err.value.message
    assert "no title column" in message and "--columns title=NAME" in message
    assert "'paper_name', 'writers', 'year', 'venue', 'upvotes', 'arxiv id'" in message


def test_a_spreadsheet_with_abstracts_but_no_title_column_is_refused() -> None:
    # A real export ingested 160 title-less papers from its abstract column without a word.
    text = "Abstract,Authors\n" + "".join(
        f"Text number {i} of an abstract,A. One\n" for i in range(3)
    )
    with pytest.raises(ParseError, match=r"no title column.*'Abstract', 'Authors'"):
        list(tabular.parse(io.StringIO(text), "x.csv"))
    # Near miss: naming the title column reads it.
    (item, *_) = tabular.parse(io.StringIO(text), "x.csv", {"title": "Abstract"})
    assert isinstance(item, Record) and item.title == "Text number 0 of an abstract"


@pytest.mark.parametrize(
    ("cell", "authors"),
    [
        ("Liu R., Smith J.A., Wang X", ["R. Liu", "J. A. Smith", "X. Wang"]),
        ("Liu R; Ng AY", ["R. Liu", "A. Y. Ng"]),
        # near misses: given names first, or "Last, First", stay as they are read
        ("Ruth Liu, Andrew Ng", ["Ruth Liu", "Andrew Ng"]),
        ("Liu, Ruth; Ng, Andrew", ["Ruth Liu", "Andrew Ng"]),
        ("W Hallett, J Brindle-Yu", ["W Hallett", "J Brindle-Yu"]),
    ],
)
def test_surname_initials_authors_are_read_given_names_first(cell: str, authors: list[str]) -> None:
    assert tabular.split_authors(cell)[0] == authors


def test_column_override() -> None:
    items = parse_file(CUSTOM, {"title": "Paper Name", "authors": "writers"})
    first, second = items
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.title == "Warm Starts for Sparse Optimizers"
    assert first.authors == ["Ada Quinlan", "Bo Lindgren"]
    assert first.authors_truncated is True
    assert (first.date, first.venue, first.upvotes) == ("2025", "FSO", 17)
    assert first.arxiv_id == "2501.00007"
    assert second.authors == ["Ada Quinlan", "Jean-Luc D'Arcy"]
    assert second.venue is None and second.upvotes == 3


def test_override_takes_a_header_from_its_default_field() -> None:
    text = "Title,Summary,Notes\nA Paper,The summary,My notes\n"
    (item,) = tabular.parse(io.StringIO(text), "x.csv", {"abstract": "notes"})
    assert isinstance(item, Record)
    assert (item.title, item.abstract) == ("A Paper", "My notes")
    (item,) = tabular.parse(io.StringIO(text), "x.csv", {"title": "Summary"})
    assert isinstance(item, Record)
    assert (item.title, item.abstract) == ("The summary", None)  # Summary is taken


def test_override_errors() -> None:
    with pytest.raises(ParseError, match="no column 'Nope'"):
        list(tabular.parse(io.StringIO("Title\nx\n"), "x.csv", {"title": "Nope"}))
    with pytest.raises(ParseError, match="unknown field 'headline'"):
        list(tabular.parse(io.StringIO("Title\nx\n"), "x.csv", {"headline": "Title"}))


def test_header_without_known_columns() -> None:
    with pytest.raises(ParseError) as err:
        parse_text("\ufefffoo,bar,baz\n1,2,3\n")
    assert err.value.line == 1
    assert "Abstract Note" in err.value.message and "Publication Year" in err.value.message


def test_header_after_blank_lines_and_header_spellings() -> None:
    text = "\n\nPAPER_TITLE;publication-year;Abstract Note\nOne;2020;Text\n"
    (item,) = parse_text(text)
    assert isinstance(item, Record)  # ";" delimiter, headers matched loosely
    assert (item.title, item.date, item.abstract, item.locator) == ("One", "2020", "Text", "line 4")
    with pytest.raises(ParseError) as err:
        parse_text("\nfoo,bar\n")
    assert err.value.line == 2


def test_empty_file_and_blank_rows() -> None:
    assert parse_text("") == []
    assert parse_text("Title,Authors\n\n,\n") == []


@pytest.mark.parametrize(
    ("cell", "names", "truncated"),
    [
        ("Müller, Hans; García, Ana", ["Hans Müller", "Ana García"], False),
        ("Müller, Hans", ["Hans Müller"], False),
        ("Hans Müller, Ana García, Bo Li", ["Hans Müller", "Ana García", "Bo Li"], False),
        ("Hans Müller and Ana García", ["Hans Müller", "Ana García"], False),
        ("Müller, Hans and García, Ana and others", ["Hans Müller", "Ana García"], True),
        ("Hans Müller, Ana García, and Bo Li", ["Hans Müller", "Ana García", "Bo Li"], False),
        (
            "van der Berg, Jan; Beeblebrox, IV, Zaphod",
            ["Jan van der Berg", "Zaphod Beeblebrox IV"],
            False,
        ),
        ("A. One, B. Two, et al.", ["A. One", "B. Two"], True),
        ("Solo Author", ["Solo Author"], False),
        ("", [], False),
    ],
)
def test_split_authors(cell: str, names: list[str], truncated: bool) -> None:
    assert tabular.split_authors(cell) == (names, truncated)


def test_match_columns() -> None:
    headers = ["Key", "Abstract Note", "Publication Year", "Author", "Date Added", "Title"]
    assert tabular.match_columns(headers) == {
        "title": "Title",
        "abstract": "Abstract Note",
        "authors": "Author",
        "year": "Publication Year",
    }
    assert set(tabular.COLUMN_ALIASES) == {
        "title", "abstract", "authors", "date", "year", "arxiv_id", "doi", "upvotes", "url",
        "venue", "categories",
    }  # fmt: skip


def test_sniff() -> None:
    for path in (ZOTERO, CUSTOM, SCHOLAR):
        text = path.read_text(encoding="utf-8")
        assert tabular.sniff(text, path.name)
        assert tabular.sniff(text, "export.txt")  # by the header alone
    assert tabular.sniff("a,b,c\n", "list.CSV")
    assert not tabular.sniff("foo,bar,baz\n1,2,3\n", "data.txt")
    assert not tabular.sniff("Title, a note\n", "notes.txt")  # one comma is not a table
    others = ["zotero.bib", "scholar.bib", "papers.json", "papers.jsonl", "export.jsonl"]
    others += ["abstracts.txt", "hf_daily.txt", "pubpage.txt", "oai_dc.xml", "arxiv_api.atom"]
    for name in others:
        assert not tabular.sniff((FIXTURES / name).read_text(encoding="utf-8"), name), name


def test_format_spec() -> None:
    assert tabular.FORMAT.name == "csv"
    assert tabular.FORMAT.extensions == (".csv", ".tsv")
