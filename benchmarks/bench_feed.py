"""Feed latency for a reader with 500 labels, and model training time.

Uses the generated library of bench_search.py (N papers from the generated arXiv snapshot,
with the clustered vectors of bench_vector.py stored as their embeddings). A reader gets 500
labels: 400 👍 on papers near three "interests" (three random papers' neighbourhoods, of
unequal size) and 100 👎 spread over the library. Then, in a warm process:

* model training: the dense part (ReaderModel.fit, the fused model's settings, on the 500
  labels + the feed's 1,000 background papers) and the whole fused model as the feed builds
  it (``Recommender.model_for``: store reads, the word space and SVM, the calibration);
* feed latency over a window holding every paper (N candidates: the vector index shortlists),
  over one week (the default window) and over one year (dated papers of one year plus
  undated ones; at 1M more than 20,000 papers, so shortlisted too);

    python benchmarks/bench_feed.py --n 100000
    python benchmarks/bench_feed.py --n 1000000   # builds a 1M library first (long)
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import bench_search

from papersift.embed import FakeEmbedder
from papersift.models import Signal
from papersift.rank.personal import Example, ReaderModel
from papersift.rank.reader import DENSE_SETTINGS
from papersift.recommend import BACKGROUND, FeedSettings, Recommender
from papersift.search import Searcher


def add_reader(rec: Recommender, rng: np.random.Generator) -> str:
    store = rec.store
    index = rec.searcher.vectors()
    name = "bench-reader"
    if store.reader_id(name) is not None:
        return name
    now = datetime.now(UTC).isoformat(timespec="seconds")
    ids = index.ids()
    up: list[int] = []
    for size in (250, 100, 50):  # three interests, one dominant
        seed_paper = int(rng.choice(ids))
        _, vector = store.vectors_of([seed_paper], rec.searcher.model_name)
        up += [pid for pid, _ in index.search(vector[0], size)]
    down = [int(i) for i in rng.choice(ids, 100, replace=False) if int(i) not in set(up)]
    signals = [Signal(p, "up", 1, now) for p in up] + [Signal(p, "down", -1, now) for p in down]
    with store.transaction():
        reader_id = store.add_reader(name, now)
        store.set_signals(reader_id, signals)
    return name


timed = bench_search.timed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    store = bench_search.build_library(args.n)
    bench_search.store_vectors(store, args.n)
    searcher = Searcher(store, lambda: FakeEmbedder(384), bench_search.MODEL, index_kind="ann")
    t = time.perf_counter()
    searcher.vectors()
    print(f"vector index ready in {time.perf_counter() - t:.1f} s")
    rec = Recommender(store, searcher)
    name = add_reader(rec, np.random.default_rng(0))
    reader = rec.reader(name)
    print(f"reader: {reader.positives} 👍 and {reader.negatives} 👎")

    model, signals, ids = rec.model_for(reader, datetime.now(UTC).date())
    _, vectors = store.vectors_of([int(i) for i in ids], bench_search.MODEL)
    examples = [Example(v, s.label) for v, s in zip(vectors, signals, strict=True)]
    _, background = store.vectors_of(
        [int(i) for i in store.random_embedded_ids(BACKGROUND, 1, bench_search.MODEL)],
        bench_search.MODEL,
    )
    p50, p95 = timed(
        lambda: ReaderModel.fit(examples, background, settings=DENSE_SETTINGS), args.repeat
    )
    print(
        f"training the dense part on {len(examples)} labels + {len(background)} background papers: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({model.kind})"
    )
    today = datetime.now(UTC).date()
    p50, p95 = timed(lambda: rec.model_for(reader, today), args.repeat)
    print(
        f"the whole fused model as the feed builds it (reads, words, calibration): p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )

    everything = FeedSettings(since="1900-01-01", limit=10)
    p50, p95 = timed(lambda: rec.feed(name, everything), args.repeat)
    print(
        f"feed over all {args.n:,} papers (shortlisted with the vector index): p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )
    week = FeedSettings(since="2020-06-01", until="2020-06-07", limit=10)
    in_week = store.count_in_window("2020-06-01", "2020-06-07")
    p50, p95 = timed(lambda: rec.feed(name, week), args.repeat)
    print(f"feed over one week (~{in_week:,} candidates): p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    year = FeedSettings(since="2020-01-01", until="2020-12-31", limit=10)
    in_year = store.count_in_window("2020-01-01", "2020-12-31")
    p50, p95 = timed(lambda: rec.feed(name, year), args.repeat)
    print(f"feed over one year (~{in_year:,} candidates): p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    store.close()


if __name__ == "__main__":
    main()
