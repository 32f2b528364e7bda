"""Search quality floors with the real model (all-MiniLM-L6-v2 on the CPU; about a minute).

The judged queries are in evaluation/: researchers' paraphrases, not title words. Hybrid
search must be at least as good as lexical and semantic search alone, on both sets.
"""

from pathlib import Path

import pytest

from papersift.embed import load_embedder
from papersift.evaluate_search import ModeScores, evaluate, judged_queries, load_judgments
from papersift.ingest.pipeline import ingest_file
from papersift.search import Searcher
from papersift.store import open_store
from tests.support import SEEDS

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    return load_embedder("default")


def scores(tmp: Path, files: list[Path], queries: Path, embedder) -> dict[str, ModeScores]:  # type: ignore[no-untyped-def]
    store = open_store(tmp / "library.db")
    for path in files:
        ingest_file(store, path)
    searcher = Searcher(store, lambda: embedder, embedder.name)
    searcher.index()
    judged, missing = judged_queries(store, load_judgments(queries))
    assert not missing, missing
    result = {s.mode: s for s in evaluate(searcher, judged, ["lexical", "semantic", "hybrid"])}
    store.close()
    return result


def assert_hybrid_floor(result: dict[str, ModeScores], ndcg_floor: float) -> None:
    hybrid = result["hybrid"]
    for alone in ("lexical", "semantic"):
        assert hybrid.ndcg10 >= result[alone].ndcg10, (alone, result)
        assert hybrid.mrr >= result[alone].mrr, (alone, result)
    assert hybrid.ndcg10 >= ndcg_floor


def test_examples_quality(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    files = sorted(p for p in (ROOT / "examples").iterdir() if p.suffix != ".md")
    result = scores(tmp_path, files, ROOT / "evaluation" / "example_queries.jsonl", embedder)
    assert_hybrid_floor(result, 0.90)


def test_seed_quality(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    if not SEEDS.is_dir():
        pytest.skip(f"seed folder {SEEDS} is not present")
    files = sorted(SEEDS.glob("*.txt"))
    result = scores(tmp_path, files, ROOT / "evaluation" / "seed_queries.jsonl", embedder)
    assert_hybrid_floor(result, 0.80)
