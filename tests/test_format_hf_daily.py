"""Hugging Face Daily Papers page text."""

from pathlib import Path

from papersift.ingest.sources import hf_daily
from papersift.models import Record

FIXTURE = Path(__file__).parent / "fixtures" / "hf_daily.txt"


def parse() -> list[Record]:
    with FIXTURE.open() as f:
        items = list(hf_daily.parse(f, str(FIXTURE)))
    assert all(isinstance(i, Record) for i in items)
    return items  # type: ignore[return-value]


def test_truncated_abstract_authors_count_date_and_upvotes() -> None:
    first = parse()[0]
    assert first.title == "Warm Starts for Sparse Optimizers"
    assert first.abstract_truncated
    assert first.abstract is not None and first.abstract.endswith("number of iterations")
    assert first.n_authors == 6
    assert first.date == "2025-01-12"
    assert first.upvotes == 17
    assert first.extra["page_date"] == "Apr 2"


def test_organisation_line_and_date_without_year() -> None:
    second = parse()[1]
    assert second.title == "Lattice Decoding for Speech Models"
    assert second.organizations == ["Quinlab"]
    assert second.date is None
    assert second.extra["date_text"] == "Mar 30"
    assert second.upvotes == 3
    assert not second.abstract_truncated


def test_entry_without_abstract() -> None:
    third = parse()[2]
    assert third.title == "A Paper With No Abstract Shown"
    assert third.abstract is None
    assert third.n_authors == 2
    assert third.date == "2024-02-02"
    assert third.upvotes is None


def test_sniff() -> None:
    assert hf_daily.sniff(FIXTURE.read_text(), "page.txt")
    assert not hf_daily.sniff("LGJan 1, 2024\nTitleAnn Lee\n", "page.txt")
