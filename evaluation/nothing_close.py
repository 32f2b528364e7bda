"""Measure the "nothing close" threshold of meaning search on SciFact (training claims).

For every claim with a judged abstract, the cosine similarity of the best match in the
corpus is recorded twice: with the corpus as it is (something relevant exists) and with the
claim's relevant abstracts taken out (the best is then only near the topic). A threshold
below which "nothing close" is said should flag few of the first and many of the second.
The claims are split by id parity: tuned on the even ones (dev), reported on the odd ones.

    HF_HUB_OFFLINE=1 .venv/bin/python evaluation/nothing_close.py [/work/shared/eval/scifact_train]

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


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/eval/scifact_train"))
