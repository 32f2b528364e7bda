"""The five seed files in ../shared/seeds: entry counts and the cross-file merges.

What we verified by reading the files:
* 000 (a researcher's page, 17 papers) and 002 (another's page, 21 papers) share no paper.
* 001 is a reader's list of 10 abstracts without titles; each is the abstract of a paper on
  000 (one differs only in LaTeX spelling: "$\\eta$" there, "$η$" on 000).
* 003 (35 papers) and 004 (93 papers) are Hugging Face Daily Papers pages; they share three
  papers, with identical titles and abstracts; 004 shows no authors, dates or upvotes.
* 002 and 004 share one paper, whose abstracts differ in LaTeX ("$μ$Param" vs "muParam").
* 000 holds both "Scaling Laws for Neural Machine Translation" and "Scaling Laws for
  Multilingual Neural Machine Translation": different papers that must stay apart.
"""

from collections import Counter
from pathlib import Path

import pytest

from papersift.ingest.pipeline import ingest_file
from papersift.ingest.sources import abstract_list, hf_daily, pubpage
from papersift.models import Paper, Record
from papersift.store import Store
from tests.support import seed_file

pytestmark = pytest.mark.seeds

COUNTS = {
    "000": (pubpage, 17),
    "001": (abstract_list, 10),
    "002": (pubpage, 21),
    "003": (hf_daily, 35),
    "004": (hf_daily, 93),
}


@pytest.mark.parametrize("prefix", sorted(COUNTS))
def test_entry_count_of_each_seed(seeds: Path, prefix: str) -> None:
    reader, expected = COUNTS[prefix]
    path = seed_file(seeds, prefix)
    with path.open() as f:
        items = list(reader.parse(f, str(path)))
    assert len(items) == expected
    assert all(isinstance(i, Record) for i in items)


@pytest.mark.parametrize("prefix", ["000", "002"])
def test_page_titles_are_split_from_authors(seeds: Path, prefix: str) -> None:
    path = seed_file(seeds, prefix)
    with path.open() as f:
        records = [r for r in pubpage.parse(f, str(path)) if isinstance(r, Record)]
    for r in records:
        assert r.title and r.authors and r.date
        # no author name is glued into the title: titles do not end in a capitalised name
        assert not any(r.title.endswith(a.split()[0]) for a in r.authors)
    assert sum(r.authors_truncated for r in records) >= len(records) // 2


@pytest.fixture
def library(seeds: Path, store: Store) -> tuple[Store, list[Paper]]:
    for prefix in sorted(COUNTS):
        report = ingest_file(store, seed_file(seeds, prefix))
        assert report.format == COUNTS[prefix][0].FORMAT.name
        assert not report.skipped
    return store, list(store.iter_papers())


def _files(paper: Paper) -> Counter[str]:
    return Counter(Path(s.file).name[:3] for s in paper.sources)


def test_all_seeds_give_the_right_unique_papers(library: tuple[Store, list[Paper]]) -> None:
    _, papers = library
    assert len(papers) == 17 + 21 + 35 + 93 - 3 - 1  # 001 adds nothing new
    # no false merge: no paper holds two entries of one file (no file repeats a paper)
    assert all(max(_files(p).values()) == 1 for p in papers)


def test_cross_file_merges(library: tuple[Store, list[Paper]]) -> None:
    _, papers = library
    pairs = Counter(frozenset(_files(p)) for p in papers if len(_files(p)) > 1)
    assert pairs == {
        frozenset({"000", "001"}): 10,
        frozenset({"003", "004"}): 3,
        frozenset({"002", "004"}): 1,
    }


def test_merged_papers_keep_the_best_fields(library: tuple[Store, list[Paper]]) -> None:
    _, papers = library
    for p in papers:
        files = _files(p)
        if {"003", "004"} <= set(files):  # 003 knows date, author count and maybe upvotes
            assert p.n_authors and p.date
        if {"002", "004"} <= set(files):  # the page knows the authors and date, HF does not
            assert p.authors and p.date and p.title
        if "001" in files:  # a title-less abstract joined a titled paper
            assert p.title and p.authors
            assert len(p.sources) == 2


def test_similar_titles_stay_apart(library: tuple[Store, list[Paper]]) -> None:
    _, papers = library
    nmt = [
        p
        for p in papers
        if p.title and p.title.startswith("Scaling Laws for") and "Machine Translation" in p.title
    ]
    assert len(nmt) == 2
    part_one = [p for p in papers if p.title and p.title.endswith("Part I")]
    assert len(part_one) == 1 and len(part_one[0].sources) == 2
