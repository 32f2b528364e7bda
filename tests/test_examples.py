"""The bundled examples (what `make demo` ingests): every format, dedup across all of them.

examples/README.md lists the intended duplicates and near-misses that these tests check.
"""

from collections import Counter
from pathlib import Path

import pytest

from papersift.ingest.pipeline import ingest_file
from papersift.models import Paper
from papersift.store import Store

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FILES = sorted(p for p in EXAMPLES.iterdir() if p.suffix != ".md")
FORMATS = {
    "lab_page.txt": "pubpage",
    "reading_list.txt": "abstracts",
    "hf_daily.txt": "hf-daily",
    "arxiv_api.atom": "arxiv-atom",
    "oai_arxiv.xml": "oai-pmh",
    "arxiv_snapshot.jsonl": "arxiv-snapshot",
    "library.bib": "bibtex",
    "zotero_export.csv": "csv",
    "papers.jsonl": "json",
}


def ingest_all(store: Store, files: list[Path]) -> list[Paper]:
    for path in files:
        report = ingest_file(store, path)
        assert report.format == FORMATS[path.name]
        assert not report.skipped, report.skipped
    return list(store.iter_papers())


def test_one_example_per_format() -> None:
    assert sorted(p.name for p in FILES) == sorted(FORMATS)


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_examples_deduplicate_the_same_in_any_order(store: Store, order: str) -> None:
    files = FILES if order == "sorted" else FILES[::-1]
    papers = ingest_all(store, files)
    assert len(papers) == 37
    assert sum(len(p.sources) for p in papers) == 51
    assert sum(len(p.sources) > 1 for p in papers) == 12


def test_near_misses_stay_apart_and_merges_keep_the_best(store: Store) -> None:
    papers = ingest_all(store, FILES)
    titles = Counter(p.title for p in papers)
    assert titles["Scaling Laws for Retrieval Augmented Generation"] == 1
    assert titles["Scaling Laws for Retrieval Augmented Translation"] == 1
    spikes = [p for p in papers if p.title and p.title.startswith("Anatomy of a Loss Spike")]
    assert len(spikes) == 2
    warmup = next(p for p in papers if p.arxiv_id == "2502.11873")
    assert len(warmup.sources) == 4
    assert len(warmup.authors) == 5 and not warmup.authors_truncated
    assert warmup.upvotes is not None
    query = next(p for p in papers if p.title and p.title.startswith("Query Rewri"))
    assert "Rewritting" not in query.title  # the typo in the BibTeX title lost to the spelling
    assert query.doi is not None
