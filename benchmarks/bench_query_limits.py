"""What a 20 KB query costs, with and without the query limits of papersift.query_limits.

Builds (cached under /tmp) a library of N generated papers (papersift.synthetic) with fake
vectors, then times keyword and hybrid searches for: a short query, 3,000 repeated words
(21 KB, the query of issue 13), 26 distinct words (the 99th percentile of the SciFact
claims' length) and 3,000 distinct words from the library's vocabulary. Each
is run with the limits (as papersift runs) and without them (``bound_query`` replaced by the
identity), median of ``--repeat`` runs after a warm-up (without the limits: one run, which
takes seconds), in milliseconds.

    python benchmarks/bench_query_limits.py            # N = 20,000
    python benchmarks/bench_query_limits.py --n 3000   # a quick run
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import papersift.search as search_module
from papersift.embed import FakeEmbedder
from papersift.ingest.pipeline import ingest_file
from papersift.search import Searcher
from papersift.store import Store, open_store
from papersift.synthetic import generate

CACHE = Path(tempfile.gettempdir()) / "papersift-bench-query-limits"


def library(n: int) -> Path:
    db = CACHE / f"lib-{n}.db"
    if not db.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        papers, _ = generate(CACHE / f"world-{n}", papers=n, users=1)
        store = open_store(db)
        ingest_file(store, papers)
        Searcher(store, lambda: FakeEmbedder(256), "fake-256").index()
        store.close()
    return db


def queries(store: Store) -> dict[str, str]:
    rows = store.get_papers(list(range(1, 400)))
    words = list(dict.fromkeys(w for p in rows.values() for w in (p.abstract or "").split()))
    return {
        "short (3 words)": "protein structure prediction",
        "26 distinct words (a claim)": " ".join(words[:26]),
        "3000 repeated words (21 KB)": "retrieval " * 2100 + "model " * 900,
        "3000 distinct words": " ".join((words * (3000 // max(1, len(words)) + 1))[:3000]),
    }


def median_ms(run: Callable[[], object], repeat: int, warm: bool = True) -> float:
    if warm:
        run()  # caches, the index and the model are loaded by the first search
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limited-only", action="store_true", help="skip the slow unlimited runs")
    args = parser.parse_args()
    store = open_store(library(args.n))
    searcher = Searcher(store, lambda: FakeEmbedder(256), "fake-256")
    searcher.sync_lexical()
    print(f"{args.n} papers; {platform.machine()}, Python {platform.python_version()}")
    print(f"{'query':<30} {'mode':<8} {'bytes':>6} {'limited ms':>11} {'unlimited ms':>13}")
    bounded = search_module.bound_query
    for name, q in queries(store).items():
        for mode in ("lexical", "hybrid"):
            run = lambda q=q, mode=mode: searcher.search(q, mode, limit=20)  # noqa: E731
            search_module.bound_query = bounded
            limited = median_ms(run, args.repeat)
            search_module.bound_query = lambda text: (text, [])
            free = float("nan") if args.limited_only else median_ms(run, 1, warm=False)
            search_module.bound_query = bounded
            print(
                f"{name:<30} {mode:<8} {len(q.encode()):>6} {limited:>11.1f} {free:>13.1f}",
                flush=True,
            )
    store.close()


if __name__ == "__main__":
    main()
