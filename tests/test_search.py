"""Search: FTS5 BM25 with query syntax and filters, vectors, hybrid fusion, similar papers.

These use the fake embedder (hashed bags of words): fast and deterministic. The real model
has its own tests in test_search_quality.py.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papersift.embed import FakeEmbedder
from papersift.errors import NotFoundError, UsageError
from papersift.ingest.pipeline import ingest_file
from papersift.models import SearchFilters
from papersift.rank.fusion import reciprocal_rank_fusion
from papersift.search import NotIndexedError, Searcher
from papersift.store import Store, open_store
from tests.conftest import BACKENDS, new_pg_database
from tests.support import FIXTURES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def make_searcher(store: Store, dim: int = 256) -> Searcher:
    return Searcher(store, lambda: FakeEmbedder(dim), f"fake-{dim}")


@pytest.fixture(scope="module", params=BACKENDS)
def library(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Searcher]:
    if request.param == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        store = open_store(new_pg_database(cluster)[1])
    else:
        store = open_store(tmp_path_factory.mktemp("search") / "library.db")
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)
    searcher = make_searcher(store)
    searcher.index()
    yield searcher
    store.close()


def titles(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.paper.title for h in hits]


def test_lexical_finds_words_and_explains(library: Searcher) -> None:
    hits = library.search("warmup curvature", mode="lexical")
    assert hits[0].paper.arxiv_id == "2502.11873"
    assert "warmup" in hits[0].matched_terms
    assert hits[0].reasons[0].startswith("matches ")
    assert hits[0].lexical_rank == 1 and hits[0].semantic_rank is None


def test_stemming_phrase_and_prefix(library: Searcher) -> None:
    stem = library.search("rewarmed", mode="lexical")
    assert any("Rewarming" in (t or "") for t in titles(stem))
    phrase = library.search('"loss spike"', mode="lexical")
    assert phrase and all(
        "loss spike" in ((h.paper.title or "") + (h.paper.abstract or "")).lower() for h in phrase
    )
    prefix = library.search("equivar*", mode="lexical")
    assert any("Equivariant" in (t or "") for t in titles(prefix))


def test_title_outweighs_abstract(library: Searcher) -> None:
    hits = library.search("dexterous manipulation", mode="lexical")
    assert "Dexterous" in (hits[0].paper.title or "")


def test_author_search_ignores_accents(library: Searcher) -> None:
    with_accent = library.search('author:"Tomás Okafor" translation', mode="lexical", limit=50)
    without = library.search(
        "translation", mode="lexical", filters=SearchFilters(author="tomas okafor"), limit=50
    )
    assert with_accent and {h.paper.id for h in with_accent} == {h.paper.id for h in without}
    assert all(any("Okafor" in a for a in h.paper.authors) for h in with_accent)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_any_query_text_is_safe(library: Searcher, text: str) -> None:
    if not any(c.isalnum() for c in text):
        with pytest.raises(UsageError):
            library.search(text, mode="lexical")
        return
    try:
        library.search(text, mode="lexical")  # never an FTS5 syntax error
    except UsageError as exc:  # "-word" alone: a clear refusal, not a crash
        assert "only leaves words out" in str(exc)


@pytest.mark.parametrize(
    "query", ['"unclosed', "NEAR(a b)", "a AND OR NOT", "title:warmup -y ^z", "{title}: x"]
)
def test_fts_syntax_characters(library: Searcher, query: str) -> None:
    assert library.search(query, mode="hybrid")


@pytest.mark.parametrize("query", ["*", "()", '"', "   "])
def test_queries_without_words_are_refused_clearly(library: Searcher, query: str) -> None:
    with pytest.raises(UsageError, match="no words"):
        library.search(query)


def test_filters(library: Searcher) -> None:
    everything = library.search("learning", mode="lexical", limit=100)
    since = library.search(
        "learning", mode="lexical", limit=100, filters=SearchFilters(since="2025-03-01")
    )
    assert since and len(since) < len(everything)
    assert all(h.paper.date and h.paper.date >= "2025-03-01" for h in since)
    until = library.search(
        "learning", mode="lexical", limit=100, filters=SearchFilters(until="2025-02")
    )
    assert all(h.paper.date and h.paper.date <= "2025-02-31" for h in until)
    source = library.search(
        "learning", mode="hybrid", limit=100, filters=SearchFilters(source="library")
    )
    assert source and all(any(s.source == "library" for s in h.paper.sources) for h in source)
    semantic = library.search(
        "learning", mode="semantic", limit=100, filters=SearchFilters(since="2025-03-01")
    )
    dated = [p for p in library.store.iter_papers() if p.date and p.date >= "2025-03-01"]
    assert len(semantic) == len(dated)  # every paper in the window, ranked; none outside
    assert all(h.paper.date and h.paper.date >= "2025-03-01" for h in semantic)


def test_semantic_and_hybrid(library: Searcher) -> None:
    semantic = library.search("protein backbone diffusion", mode="semantic")
    assert semantic[0].similarity is not None and semantic[0].semantic_rank == 1
    assert any("Protein" in (t or "") for t in titles(semantic[:3]))
    hybrid = library.search("protein backbone diffusion", mode="hybrid")
    assert any(h.lexical_rank and h.semantic_rank for h in hybrid)
    both = next(h for h in hybrid if h.lexical_rank and h.semantic_rank)
    assert len(both.reasons) == 2


def test_similar_excludes_the_paper_itself(library: Searcher) -> None:
    hits = library.similar("2502.11873", limit=5)
    assert hits and all(h.paper.arxiv_id != "2502.11873" for h in hits)
    assert hits[0].similarity is not None
    text = library.similar(
        text="learning rate warmup sharpness and loss spikes in transformers", limit=3
    )
    assert text[0].paper.arxiv_id == "2502.11873" or "Warm" in (text[0].paper.title or "") or text
    with pytest.raises(NotFoundError):
        library.similar("999999")
    with pytest.raises(UsageError):
        library.similar()


def test_rrf_is_a_pure_fusion() -> None:
    fused = reciprocal_rank_fusion([[1, 2, 3], [3, 1, 4]])
    assert [k for k, _ in fused][:2] == [1, 3]
    assert reciprocal_rank_fusion([]) == []


def test_index_embeds_only_what_changed(store: Store, tmp_path: Path) -> None:
    ingest_file(store, FIXTURES / "pubpage.txt")
    searcher = make_searcher(store)
    with pytest.raises(NotIndexedError):
        searcher.search("warm starts", mode="semantic")
    first = searcher.index()
    assert first.embedded == 4 and first.lexical == 4
    assert make_searcher(store).index().embedded == 0
    ingest_file(store, FIXTURES / "hf_daily.txt")  # merges into paper 1 (new upvotes, same text)
    again = make_searcher(store).index()
    assert again.embedded == 2  # the two new papers; paper 1's text did not change
    other = make_searcher(store, dim=64).index()  # another model keeps its own vectors
    assert other.embedded == 6
    assert store.embedding_counts() == {"fake-256": 6, "fake-64": 6}


def test_interrupted_index_resumes(store: Store) -> None:
    ingest_file(store, FIXTURES / "pubpage.txt")
    ingest_file(store, FIXTURES / "hf_daily.txt")

    class Flaky(FakeEmbedder):
        calls = 0

        def encode(self, texts, **kwargs):  # type: ignore[no-untyped-def, override]
            Flaky.calls += 1
            if Flaky.calls > 1:
                raise KeyboardInterrupt
            return super().encode(texts, **kwargs)

    searcher = Searcher(store, lambda: Flaky(256), "fake-256")
    with pytest.raises(KeyboardInterrupt):
        searcher.index(commit_every=2)  # the first two vectors are committed, then Ctrl-C
    saved = store.embedding_counts().get("fake-256", 0)
    assert 0 < saved < 6
    assert make_searcher(store).index().embedded == 6 - saved


def test_vectors_match_the_embedder(store: Store) -> None:
    ingest_file(store, FIXTURES / "pubpage.txt")
    searcher = make_searcher(store)
    searcher.index()
    paper = store.get_paper(1)
    assert paper is not None
    stored = store.embedding_of(1, "fake-256")
    from papersift.embed import paper_text

    expected = FakeEmbedder(256).encode([paper_text(paper.title, paper.abstract)])[0]
    assert stored is not None and np.allclose(stored, expected, atol=1e-6)


def test_plan_match_keeps_every_word_in_small_libraries() -> None:
    from papersift.index.lexical import SCORE_BUDGET, plan_match

    parts = ['"learning"', '"warmup"', '"curvature"']
    assert plan_match(parts, [30, 3, 2], 37) == '"learning" OR "warmup" OR "curvature"'
    big = 10 * SCORE_BUDGET
    # in a large library the rarest words are ranked, the near-universal one is left out
    assert plan_match(parts, [big // 2, 900, 40], big) == '"curvature" OR "warmup"'
    assert plan_match(parts, [big, big, big], big) is None
    assert plan_match([], [], big) is None
