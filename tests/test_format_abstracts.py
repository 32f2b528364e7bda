"""Abstract lists: a reader's name, then 'Abstract:' paragraphs with no titles."""

from pathlib import Path

from papersift.ingest.sources import abstract_list
from papersift.models import Record, Skipped

FIXTURE = Path(__file__).parent / "fixtures" / "abstracts.txt"


def test_entries_without_titles_and_multiline_abstracts() -> None:
    with FIXTURE.open() as f:
        items = list(abstract_list.parse(f, str(FIXTURE)))
    assert len(items) == 3
    first, second, empty = items
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.title is None
    assert first.abstract is not None and first.abstract.startswith("We study warm starts")
    assert first.extra == {"listed_by": "Priya"}
    assert second.abstract is not None
    assert "systematically across twelve" in second.abstract
    assert second.locator == "line 3"
    assert empty == Skipped("line 5", "empty abstract", 5)


def test_sniff() -> None:
    assert abstract_list.sniff(FIXTURE.read_text(), "a.txt")
    assert not abstract_list.sniff("Title\n\nSome paragraph.\n", "a.txt")
