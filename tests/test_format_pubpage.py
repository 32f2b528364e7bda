"""Publication pages: category+date headers, titles glued to author lists."""

from pathlib import Path

import pytest

from papersift.ingest.sources import pubpage
from papersift.models import Record, Skipped

FIXTURE = Path(__file__).parent / "fixtures" / "pubpage.txt"


def parse() -> list[Record | Skipped]:
    with FIXTURE.open() as f:
        return list(pubpage.parse(f, str(FIXTURE)))


def test_fields_of_each_entry() -> None:
    items = parse()
    assert len(items) == 4
    first = items[0]
    assert isinstance(first, Record)
    assert first.title == "Warm Starts for Sparse Optimizers"
    assert first.authors == ["Ada Quinlan", "Bo Lindgren", "C. Daniel Ortiz"]
    assert first.authors_truncated
    assert first.organizations == ["quinlab", "northfield"]
    assert first.date == "2025-01-12"
    assert first.categories == ["cs.LG"]
    assert first.extra["has_code"] is True
    assert first.abstract is not None and first.abstract.startswith("We study warm starts")
    assert first.locator == "line 1"


def test_title_ending_in_question_mark_and_apostrophe_names() -> None:
    second = parse()[1]
    assert isinstance(second, Record)
    assert second.title == "Do Tokenizers Matter for Translation?"
    assert second.authors == ["Ada Quinlan", "Jean-Luc D'Arcy"]
    assert not second.authors_truncated


def test_camel_case_title_word_is_not_taken_for_an_author() -> None:
    third = parse()[2]
    assert isinstance(third, Record)
    assert third.title == "AdaNorm: Normalizing Adaptive Steps in Deep Nets"
    assert third.authors == ["Marta McAllister", "Ada Quinlan"]


def test_entry_without_abstract_and_single_author() -> None:
    last = parse()[3]
    assert isinstance(last, Record)
    assert last.title == "A Note on Kernel Ridge"
    assert last.authors == ["Ada Quinlan"]
    assert last.abstract is None


@pytest.mark.parametrize(
    ("line", "title", "authors"),
    [
        ("Scaling in NLPAdam Smith, Bo Li", "Scaling in NLP", ["Adam Smith", "Bo Li"]),
        ("GPT-4 Tricks (GT4)Ann Lee", "GPT-4 Tricks (GT4)", ["Ann Lee"]),
        (
            "On Schrödinger BridgesÉmile Zola, Ann Lee",
            "On Schrödinger Bridges",
            ["Émile Zola", "Ann Lee"],
        ),
    ],
)
def test_split_title_authors(line: str, title: str, authors: list[str]) -> None:
    split = pubpage.split_title_authors(line)
    assert split is not None
    assert split[0] == title
    assert split[1] == authors


def test_unsplittable_line_is_skipped_with_its_line() -> None:
    import io

    text = "LGJan 1, 2024\nno authors here at all\nAn abstract.\n"
    items = list(pubpage.parse(io.StringIO(text), "x.txt"))
    assert items == [Skipped("line 2", "cannot tell the title from the author list", 2)]


def test_sniff() -> None:
    assert pubpage.sniff(FIXTURE.read_text(), "page.txt")
    assert not pubpage.sniff("Abstract: something\n", "list.txt")
