"""Generic JSON: arrays, wrapped arrays, JSON Lines, and our own `papers list` export."""

import io
from pathlib import Path

import orjson
import pytest

from papersift.errors import ParseError
from papersift.ingest.sources import json_records
from papersift.models import Paper, ParseItem, Record, Skipped, Source
from tests.support import FIXTURES

PAPERS = FIXTURES / "papers.json"
LINES = FIXTURES / "papers.jsonl"
EXPORT = FIXTURES / "export.jsonl"
WRAPPER = FIXTURES / "wrapper.json"
BROKEN = FIXTURES / "broken.json"


def parse_file(path: Path, columns: dict[str, str] | None = None) -> list[ParseItem]:
    with path.open(encoding="utf-8") as f:
        return list(json_records.parse(f, str(path), columns))


def parse_text(text: str, filename: str = "inline.json") -> list[ParseItem]:
    return list(json_records.parse(io.StringIO(text), filename))


def test_array_of_objects() -> None:
    first, not_object, untitled, aliased = parse_file(PAPERS)
    assert isinstance(first, Record) and isinstance(aliased, Record)
    assert first.title == "Warm Starts for Sparse Optimizers"
    assert first.abstract == "We reuse the support of a previous solution."
    assert first.authors == ["Ada Quinlan", "Bo Lindgren"]  # [{"name": ...}]
    assert first.date == "2025-01-12"
    assert first.arxiv_id == "2501.00007"
    assert first.upvotes == 17
    assert first.categories == ["cs.LG", "math.OC"]
    assert first.locator == "record 1 (line 2)"
    assert not_object == Skipped("record 2 (line 11)", "not a JSON object", 11)
    assert untitled == Skipped("record 3 (line 12)", "no title and no abstract", 12)
    assert aliased.title == "Strings on a Shoestring"  # "Paper Title"
    assert aliased.authors == ["Chidi Okafor", "Mei Ng"]  # "Okafor, Chidi; Ng, Mei"
    assert aliased.date == "1999"
    assert aliased.venue == "Fictional Physics Letters"
    assert aliased.doi == "10.5555/fpl.1999.1"
    assert aliased.arxiv_id == "hep-th/9901001"  # "id" that looks like an arXiv id
    assert aliased.locator == "record 4 (line 16)"


def test_json_lines_with_a_bad_line() -> None:
    items = parse_file(LINES)
    assert [type(i).__name__ for i in items] == [
        "Record", "Skipped", "Skipped", "Record", "Skipped",
    ]  # fmt: skip
    first, bad, array, untitled_abstract, empty = items
    assert isinstance(first, Record) and isinstance(untitled_abstract, Record)
    assert first.authors == ["Chidi Okafor", "Mei Ng"]
    assert first.date == "2024-01-05"
    assert first.arxiv_id == "2401.01234"  # from the arxiv.org URL
    assert first.locator == "line 1"
    assert isinstance(bad, Skipped) and bad.line == 3 and bad.locator == "line 3"
    assert bad.reason.startswith("not valid JSON")
    assert array == Skipped("line 4", "not a JSON object", 4)
    assert untitled_abstract.title is None
    assert untitled_abstract.abstract == "An abstract without a title still counts."
    assert untitled_abstract.arxiv_id is None  # this "id" is not an arXiv id
    assert empty == Skipped("line 6", "no title and no abstract", 6)


def test_our_export_fixture() -> None:
    first, second, third = parse_file(EXPORT)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.title == "Schrödinger's Sourdough: BERT for Bread"
    assert first.authors == ["Hans Müller", "Ana García"]
    assert first.authors_truncated is True
    assert (first.date, first.doi, first.arxiv_id) == ("2021-03", "10.5555/fict.2021.007", None)
    assert first.venue == "Journal of Fictional Baking"
    assert first.extra == {}  # "sources" is ignored, "id" (a number) too
    assert (second.arxiv_id, second.upvotes, second.n_authors) == ("2501.00007", 17, 6)
    assert second.organizations == ["quinlab"]
    assert second.abstract_truncated is True
    assert isinstance(third, Record) and third.title is None


def test_export_round_trip() -> None:
    paper = Paper(
        id=42,
        title="Counting Crumbs",
        abstract="We count the crumbs.",
        authors=["Wren Hallett", "Jun Brindle-Yu"],
        date="2023-02-09",
        arxiv_id="2302.00001",
        doi="10.5555/crumbs",
        upvotes=5,
        n_authors=3,
        authors_truncated=True,
        categories=["cs.CV", "q-bio.PE"],
        organizations=["Crumb Institute"],
        url="https://example.org/crumbs",
        venue="Journal of Fictional Baking",
        abstract_truncated=True,
        sources=[Source(1, "hf", "a.txt", "line 3", "hf-daily", "2024-01-01T00:00:00+00:00")],
    )
    line = orjson.dumps(paper.to_dict()).decode()
    (record,) = parse_text(line + "\n", "export.jsonl")
    assert record == Record(
        title=paper.title,
        abstract=paper.abstract,
        authors=paper.authors,
        authors_truncated=True,
        n_authors=3,
        date=paper.date,
        arxiv_id=paper.arxiv_id,
        doi=paper.doi,
        upvotes=5,
        categories=paper.categories,
        organizations=paper.organizations,
        url=paper.url,
        venue=paper.venue,
        abstract_truncated=True,
        locator="line 1",
    )


def test_wrapped_array_and_csl_json() -> None:
    first, second = parse_file(WRAPPER)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert (first.title, first.venue, first.date) == (
        "Kernel Ridge for Ridge Kernels",
        "Proc. Fictional Wordplay",
        "2022",
    )
    assert first.locator == "record 1"
    assert second.authors == ["Wren Hallett"]  # {"given": ..., "family": ...}
    assert second.date == "2023-02-09"  # {"date-parts": [[2023, 2, 9]]}
    assert second.venue == "Journal of Fictional Baking"  # "container-title"


def test_single_line_wrapper_is_expanded() -> None:
    text = '{"items": [{"title": "A"}, {"title": "B"}, 3]}\n'
    items = parse_text(text)
    assert [i.locator for i in items] == [
        "line 1, record 1",
        "line 1, record 2",
        "line 1, record 3",
    ]
    assert isinstance(items[2], Skipped)


def test_broken_document_names_the_line() -> None:
    with pytest.raises(ParseError) as err:
        parse_file(BROKEN)
    assert err.value.line == 3
    assert err.value.path == str(BROKEN)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{\n  "papers": [\n    {"title": "x",}\n  ]\n}\n', 3),
        ('[\n  {"title": "x"}\n  {"title": "y"}\n]\n', 3),
        ('[\n  {"title": "x"},\n]\n', 3),
        ('[\n  {"title": "x"}\n', 3),
        ('[\n  {"title": "x"}\n]\n]\n', 4),
        ("\n\n[1, 2,\n", 4),
        ('"just a string"\n', 1),
    ],
)
def test_document_errors(text: str, line: int) -> None:
    with pytest.raises(ParseError) as err:
        parse_text(text)
    assert err.value.line == line


def test_empty_inputs() -> None:
    assert parse_text("") == []
    assert parse_text("\n \n") == []
    assert parse_text("[]\n") == []
    assert parse_text('{"papers": []}') == []


def test_jsonl_extension_reads_lines_even_when_the_first_is_bad() -> None:
    items = parse_text('{"title": \n{"title": "Fine"}\n', "x.jsonl")
    assert isinstance(items[0], Skipped) and items[0].line == 1
    assert isinstance(items[1], Record) and items[1].title == "Fine"


def test_column_override() -> None:
    text = '{"name": "A Paper", "summary": "Text", "who": ["A. One", "et al."]}\n'
    (item,) = json_records.parse(io.StringIO(text), "x.jsonl", {"title": "name", "authors": "who"})
    assert isinstance(item, Record)
    assert (item.title, item.abstract) == ("A Paper", "Text")
    assert item.authors == ["A. One"] and item.authors_truncated is True


def test_authors_as_a_string() -> None:
    (item,) = parse_text('{"title": "T", "authors": "One, Ann and Two, Bob"}')
    assert isinstance(item, Record) and item.authors == ["Ann One", "Bob Two"]


def test_sniff() -> None:
    for path in (PAPERS, LINES, EXPORT, WRAPPER, BROKEN):
        assert json_records.sniff(path.read_text(encoding="utf-8"), path.name)
    assert json_records.sniff("\n   [1]", "x")
    others = ["zotero.bib", "scholar.bib", "zotero.csv", "custom.tsv", "abstracts.txt"]
    others += ["hf_daily.txt", "pubpage.txt", "oai_dc.xml", "arxiv_api.atom"]
    for name in others:
        assert not json_records.sniff((FIXTURES / name).read_text(encoding="utf-8"), name), name


def test_format_spec() -> None:
    assert json_records.FORMAT.name == "json"
    assert json_records.FORMAT.extensions == (".json", ".jsonl", ".ndjson")


# The shapes of the Semantic Scholar Graph API and of OpenAlex works (field names as their
# documentation gives them; values made up).
S2_PAPER = {
    "paperId": "649def34f8be52c8b66281af98ae884c09aef38b",
    "externalIds": {"DOI": "10.18653/V1/N19-1423", "ArXiv": "1810.04805", "CorpusId": 52967399},
    "title": "A Made-up Paper on Routing",
    "abstract": "We route tokens.",
    "venue": "",
    "year": 2019,
    "journal": {"name": "North American Chapter of the ACL", "pages": "4171-4186"},
    "authors": [{"authorId": "1", "name": "Ann Lee"}, {"authorId": "2", "name": "Bo Wu"}],
    "publicationDate": "2019-06-02",
}
OPENALEX_WORK = {
    "id": "https://openalex.org/W2963403868",
    "doi": "https://doi.org/10.48550/arxiv.1706.03762",
    "title": "A Made-up Work on Attention",
    "display_name": "A Made-up Work on Attention",
    "publication_date": "2017-06-12",
    "ids": {"openalex": "https://openalex.org/W2963403868"},
    "primary_location": {
        "landing_page_url": "https://arxiv.org/abs/1706.03762",
        "source": {"display_name": "arXiv (Cornell University)"},
    },
    "authorships": [
        {"author": {"display_name": "Ann Lee"}, "institutions": []},
        {"author": {"display_name": "Bo Wu"}, "institutions": []},
    ],
    "abstract_inverted_index": {"Attention": [0], "is": [1], "made": [2], "up.": [3]},
}


def test_semantic_scholar_ids_and_journal() -> None:
    text = orjson.dumps({"total": 1, "offset": 0, "data": [S2_PAPER]}).decode()
    (item,) = list(json_records.parse(io.StringIO(text), "s2.json"))
    assert isinstance(item, Record)
    assert (item.doi, item.arxiv_id) == ("10.18653/v1/n19-1423", "1810.04805")
    assert item.venue == "North American Chapter of the ACL"  # "venue" was empty
    assert item.authors == ["Ann Lee", "Bo Wu"] and item.date == "2019-06-02"
    # Near miss: a non-empty top-level venue is kept over the nested journal name.
    (named,) = list(
        json_records.parse(
            io.StringIO(orjson.dumps({**S2_PAPER, "venue": "NAACL"}).decode()), "s2.json"
        )
    )
    assert isinstance(named, Record) and named.venue == "NAACL"


def test_openalex_works() -> None:
    text = orjson.dumps({"meta": {"count": 1}, "results": [OPENALEX_WORK]}).decode()
    (item,) = list(json_records.parse(io.StringIO(text), "openalex.json"))
    assert isinstance(item, Record)
    assert item.title == "A Made-up Work on Attention"
    assert item.arxiv_id == "1706.03762"
    assert item.venue == "arXiv (Cornell University)"
    assert item.authors == ["Ann Lee", "Bo Wu"]
    assert item.abstract == "Attention is made up."
    assert item.date == "2017-06-12"


def test_a_semantic_scholar_citation_item_is_read_as_its_paper() -> None:
    item = {"contexts": ["as in [4]"], "isInfluential": True, "citingPaper": S2_PAPER}
    (paper,) = list(json_records.parse(io.StringIO(orjson.dumps([item]).decode()), "c.json"))
    assert isinstance(paper, Record) and paper.title == S2_PAPER["title"]
    assert paper.arxiv_id == "1810.04805"
    # Near miss: an object with a title of its own is that paper, whatever else it holds.
    own = {"title": "Its Own Title", "citedPaper": S2_PAPER}
    (kept,) = list(json_records.parse(io.StringIO(orjson.dumps([own]).decode()), "c.json"))
    assert isinstance(kept, Record) and kept.title == "Its Own Title"
