"""Search that says what it did: mode names for people, ``title:`` and ``-word``, reported
operators, and the "nothing close" note of meaning search. Both backends."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.embed import FakeEmbedder
from papersift.errors import UsageError
from papersift.index.lexical import parse_query
from papersift.ingest.pipeline import ingest_file
from papersift.search import NOTHING_CLOSE, Searcher
from papersift.search_modes import resolve_mode
from papersift.store import open_store
from tests.conftest import BACKENDS, new_pg_database

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module", params=BACKENDS)
def library(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Searcher]:
    if request.param == "postgres":
        store = open_store(new_pg_database(request.getfixturevalue("pg_cluster"))[1])
    else:
        store = open_store(tmp_path_factory.mktemp("syntax") / "library.db")
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)
    searcher = Searcher(store, lambda: FakeEmbedder(256), "fake-256")
    searcher.index()
    yield searcher
    store.close()


def test_modes_have_names_for_people_and_keep_the_old_ones() -> None:
    assert [resolve_mode(n) for n in ("Keywords", "meaning", "BOTH")] == [
        "lexical",
        "semantic",
        "hybrid",
    ]
    assert [resolve_mode(n) for n in ("lexical", "semantic", "hybrid")] == [
        "lexical",
        "semantic",
        "hybrid",
    ]
    with pytest.raises(UsageError, match="keywords, meaning or both"):
        resolve_mode("fuzzy")


def test_parse_query_reads_title_and_exclusions() -> None:
    parsed = parse_query('title:warmup -spike NOT "loss curve" learning')
    assert parsed.title == ['"warmup"']
    assert parsed.exclude == ['"spike"', '"loss curve"']
    assert parsed.parts == ['"warmup"', '"learning"']
    assert parsed.meaning_text() == "warmup learning"
    assert not parsed.notes


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("warmup AND schedule", "AND and OR are not needed"),
        ("warmup OR schedule", "AND and OR are not needed"),
        ("abstract:warmup", "abstract: is not a search field"),
        ("(warmup schedule)", "parentheses are not supported"),
    ],
)
def test_unsupported_operators_are_reported(library: Searcher, query: str, said: str) -> None:
    hits = library.search(query, mode="keywords")
    assert hits and "warmup" in " ".join(h.paper.title or "" for h in hits).lower()
    assert any(said in note for note in library.notes)


def test_exclusion_leaves_papers_out_in_every_mode(library: Searcher) -> None:
    for mode in ("keywords", "meaning", "both"):
        everything = library.search("loss spike", mode=mode, limit=50)
        assert any("Part II" in (h.paper.title or "") for h in everything)
        without = library.search('loss spike -"Part II"', mode=mode, limit=50)
        assert without and not any("Part II" in (h.paper.title or "") for h in without)
        assert any("Part I" in (h.paper.title or "") for h in without)


def test_title_field_keeps_only_titles_with_the_word(library: Searcher) -> None:
    anywhere = library.search("protein", mode="keywords", limit=50)
    titled = library.search("title:protein", mode="keywords", limit=50)
    assert titled and all("protein" in (h.paper.title or "").lower() for h in titled)
    assert len(titled) < len(anywhere)  # some papers say "protein" only in the abstract
    meaning = library.search("title:protein design", mode="meaning", limit=50)
    assert meaning and all("protein" in (h.paper.title or "").lower() for h in meaning)


def test_only_exclusions_is_refused(library: Searcher) -> None:
    with pytest.raises(UsageError, match="only leaves words out"):
        library.search("-warmup")


def test_nothing_close_is_said_for_a_far_query(library: Searcher) -> None:
    library.search("warmup curvature learning rate", mode="meaning")
    assert not any("nothing close" in n for n in library.notes)
    hits = library.search("zebra saxophone marmalade", mode="meaning")
    assert hits and hits[0].similarity is not None and hits[0].similarity < NOTHING_CLOSE
    assert any("nothing close" in n for n in library.notes)
