"""Measure the "nothing close" threshold of meaning search (papersift.search.NOTHING_CLOSE).

1. The demo library (examples/, 37 papers on ML, NLP, retrieval, robotics, proteins): the
   best cosine similarity of each judged query of evaluation/example_queries.jsonl (written
   as researchers ask; each has relevant papers) against that of SciFact's biomedical claims
   (nothing in this library is about them). The threshold is the 5th percentile of the
   judged queries' best similarity on a dev half (even lines); the held-out half (odd
   lines, and the other half of the claims) is reported.
2. SciFact itself (slow on a CPU: 5,183 abstracts): for every claim with a judged abstract,
   the best similarity with the corpus as it is and with its relevant abstracts taken out.

    HF_HUB_OFFLINE=1 .venv/bin/python evaluation/nothing_close.py \
        [/work/shared/eval/scifact_train] [--demo-only]

Vectors are cached under /tmp/papersift-nothing-close/ (the data stays outside the repo).
"""

from __future__ import annotations

import csv
import gzip
import json
import sys
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from papersift.embed import load_embedder, paper_text

CACHE = Path("/tmp/papersift-nothing-close")


def _jsonl(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f]


def _vectors(name: str, texts: list[str]) -> NDArray[np.float32]:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{name}.npy"
    if path.exists():
        return np.asarray(np.load(path), dtype=np.float32)
    vectors = load_embedder(None).encode(texts)
    np.save(path, vectors)
    return np.asarray(vectors, dtype=np.float32)


def best_similarities(
    queries: NDArray[np.float32], corpus: NDArray[np.float32], relevant: list[list[int]]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Best similarity per query: over the whole corpus, and without its relevant rows."""
    sims = queries @ corpus.T
    with_relevant = sims.max(axis=1).astype(np.float64)
    for row, rel in enumerate(relevant):
        sims[row, rel] = -1.0
    return with_relevant, sims.max(axis=1).astype(np.float64)


def main(folder: Path) -> None:
    corpus = _jsonl(folder / "corpus.jsonl.gz")
    row_of = {str(d["id"]): i for i, d in enumerate(corpus)}
    relevant: dict[str, list[int]] = {}
    with (folder / "qrels_train.tsv").open() as f:
        for query_id, doc_id, *_ in csv.reader(f, delimiter="\t"):
            if doc_id in row_of:
                relevant.setdefault(query_id, []).append(row_of[doc_id])
    queries = [q for q in _jsonl(folder / "queries_train.jsonl.gz") if str(q["id"]) in relevant]
    doc_vectors = _vectors("corpus", [paper_text(d["title"], d["abstract"]) for d in corpus])
    query_vectors = _vectors("claims", [q["text"] for q in queries])
    rel = [relevant[str(q["id"])] for q in queries]
    found, unfound = best_similarities(query_vectors, doc_vectors, rel)
    dev = np.array([int(q["id"]) % 2 == 0 for q in queries])
    print(f"{len(queries)} claims ({dev.sum()} dev, {(~dev).sum()} held out)")
    for threshold in np.arange(0.30, 0.56, 0.025):
        print(
            f"threshold {threshold:.3f}: dev flags {np.mean(found[dev] < threshold):6.1%} "
            f"with relevant, {np.mean(unfound[dev] < threshold):6.1%} without"
        )
    threshold = float(np.quantile(found[dev], 0.05))
    print(f"chosen on dev (5th percentile of the best match when it exists): {threshold:.3f}")
    print(
        f"held out: flags {np.mean(found[~dev] < threshold):.1%} of claims whose relevant "
        f"abstract is in the corpus, {np.mean(unfound[~dev] < threshold):.1%} once it is removed"
    )


def demo(folder: Path) -> None:
    from papersift.ingest.pipeline import ingest_file
    from papersift.store import open_store

    root = Path(__file__).resolve().parents[1]
    CACHE.mkdir(exist_ok=True)
    db = CACHE / "demo.db"
    if not db.exists():
        store = open_store(db)
        for path in sorted((root / "examples").iterdir()):
            if path.suffix != ".md":
                ingest_file(store, path)
        store.close()
    store = open_store(db)
    papers = list(store.iter_papers())
    store.close()
    lines = (root / "evaluation" / "example_queries.jsonl").read_text().splitlines()
    queries = [json.loads(line)["query"] for line in lines if line.strip()]
    claims = [q["text"] for q in _jsonl(folder / "queries_train.jsonl.gz")][:300]
    vectors = _vectors("demo_papers", [paper_text(p.title, p.abstract) for p in papers])
    on = (_vectors("demo_queries", queries) @ vectors.T).max(axis=1)
    off = (_vectors("demo_claims", claims) @ vectors.T).max(axis=1)
    dev_on, dev_off = np.arange(len(on)) % 2 == 0, np.arange(len(off)) % 2 == 0
    threshold = float(np.quantile(on[dev_on], 0.05))
    print(f"demo library: {len(papers)} papers, {len(on)} judged queries, {len(off)} claims")
    for t in np.arange(0.25, 0.451, 0.025):
        print(
            f"  threshold {t:.3f}: flags {np.mean(on[dev_on] < t):6.1%} of judged queries, "
            f"{np.mean(off[dev_off] < t):6.1%} of off-topic claims (dev)"
        )
    print(f"  chosen on dev (5th percentile of the judged queries' best match): {threshold:.3f}")
    print(
        f"  held out: flags {np.mean(on[~dev_on] < threshold):.1%} of judged queries, "
        f"{np.mean(off[~dev_off] < threshold):.1%} of off-topic claims"
    )


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    data = Path(arguments[0] if arguments else "/work/shared/eval/scifact_train")
    demo(data)
    if "--demo-only" not in sys.argv:
        main(data)
