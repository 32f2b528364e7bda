"""Vector search: exact numpy against the approximate (ANN) candidates, on clustered vectors.

The data is a Gaussian mixture that looks like sentence embeddings rather than uniform noise
(which is unrealistically hard for every ANN): a few hundred unit centres in 384 dimensions,
each cluster spread over its own low-dimensional subspace, plus a little isotropic noise, all
L2-normalised so that cosine similarity is the inner product. The queries are fresh samples of
the same mixture ("near the data"), and the truth for recall@10 is exact search.

For each candidate, in a child process of its own (so its RSS delta is its own), it prints:
build time (N vectors, all cores), time to add 1,000 more to the built index, single-query
latency p50/p95 (k=10, one thread), recall@10 against exact, the RSS delta of the index and the
size of its file. The HNSW candidates are measured at several ef_search; the table row uses the
smallest ef_search whose recall@10 reaches the target (0.95).

Then, for the auto threshold, it grows one exact and one ANN index (the one papersift ships)
step by step and prints both latencies at each size: exact search costs O(N) per query, the
ANN roughly O(log N), and the crossover is where ``open_index("auto")`` switches.

    python benchmarks/bench_vector.py                     # N = 200,000 (~6 min on 2 cores)
    python benchmarks/bench_vector.py --n 20000           # a quick run
    python benchmarks/bench_vector.py --only usearch,exact

It prints figures only: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from papersift.index.vector import (  # noqa: E402
    ANN_DTYPE,
    ANN_EF_CONSTRUCTION,
    ANN_EF_SEARCH,
    ANN_M,
    AUTO_EXACT_MAX,
    ExactIndex,
    UsearchIndex,
)

DATA = Path(__file__).parent / "data"
DIM = 384
N_CENTRES = 300
SUBSPACE = 24
N_QUERIES = 200
N_EXTRA = 1000
K = 10
TARGET_RECALL = 0.95
EF_SWEEP = (16, 24, 32, 48, 64, 96, 128, 192, 256)
CANDIDATES = (
    "exact",
    "usearch-f32",
    "usearch-f16",
    "usearch-bf16",
    "usearch-i8",
    "hnswlib",
    "faiss-hnsw",
    "sqlite-vec",
    "sqlite-vec-bit",
)
# sqlite-vec is brute force: it scans every row on every query. Its row counts are capped so the
# whole run stays near 10 minutes on 2 cores (its latency is linear in N; scale it up by hand).
SQLITE_VEC_MAX_N = 200_000
CROSSOVER_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)

Array = np.ndarray[Any, Any]


# ---------------------------------------------------------------- data


def _mixture(rng: np.random.Generator, n: int, centres: Array, bases: Array) -> Array:
    labels = rng.integers(0, len(centres), size=n)
    out = np.empty((n, DIM), dtype=np.float32)
    for c in range(len(centres)):
        rows = np.flatnonzero(labels == c)
        if rows.size == 0:
            continue
        z = rng.standard_normal((rows.size, SUBSPACE)).astype(np.float32)
        noise = rng.standard_normal((rows.size, DIM)).astype(np.float32) * (0.25 / np.sqrt(DIM))
        out[rows] = centres[c] + z @ bases[c] + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def make_data(n: int, seed: int = 7) -> tuple[Array, Array, Array]:
    """(base vectors, 1,000 extra vectors, queries), cached under benchmarks/data/."""
    cache = DATA / f"vectors-{n}-{seed}.npz"
    if cache.exists():
        with np.load(cache) as z:
            return z["base"], z["extra"], z["queries"]
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((N_CENTRES, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    # Each cluster spreads over its own SUBSPACE-dim plane, at about 0.7 of the centre's norm.
    bases = rng.standard_normal((N_CENTRES, SUBSPACE, DIM)).astype(np.float32)
    bases *= 0.7 / np.sqrt(SUBSPACE * DIM)
    base = _mixture(rng, n, centres, bases)
    extra = _mixture(rng, N_EXTRA, centres, bases)
    queries = _mixture(rng, N_QUERIES, centres, bases)
    DATA.mkdir(parents=True, exist_ok=True)
    np.savez(cache, base=base, extra=extra, queries=queries)
    return base, extra, queries


def exact_truth(base: Array, queries: Array, k: int = K) -> Array:
    sims = queries @ base.T
    top = np.argpartition(-sims, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


def recall(found: list[Array], truth: Array) -> float:
    hits = sum(len(np.intersect1d(f, t)) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- candidates
#
# Each one: build(ids, vectors); add(ids, vectors); search(query, k) -> ids; save(path);
# set_ef(ef) for the HNSW ones (None otherwise).


class Candidate:
    tunable = False

    def build(self, ids: Array, vecs: Array) -> None:
        raise NotImplementedError

    def add(self, ids: Array, vecs: Array) -> None:
        raise NotImplementedError

    def search(self, q: Array, k: int) -> Array:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        raise NotImplementedError

    def load(self, path: Path) -> None:
        """Open the saved file as a fresh index (timed: what a CLI command pays to start)."""
        raise NotImplementedError

    def set_ef(self, ef: int) -> None:
        pass


class Exact(Candidate):
    """papersift's ExactIndex (numpy matmul + argpartition)."""

    def __init__(self) -> None:
        self.ix = ExactIndex(DIM)

    def build(self, ids: Array, vecs: Array) -> None:
        self.ix.add(ids, vecs)

    add = build

    def search(self, q: Array, k: int) -> Array:
        return np.array([i for i, _ in self.ix.search(q, k)])

    def save(self, path: Path) -> None:
        self.ix.save(path)

    def load(self, path: Path) -> None:
        self.ix = ExactIndex.load(path)


class Usearch(Candidate):
    """papersift's UsearchIndex (usearch HNSW, inner product), vectors stored as ``dtype``.

    papersift ships f16 (``ANN_DTYPE``); the others are measured to justify that.
    """

    tunable = True

    def __init__(self, dtype: str = "f32") -> None:
        self.ix = UsearchIndex(DIM, dtype=dtype)

    def build(self, ids: Array, vecs: Array) -> None:
        self.ix.add(ids, vecs)

    add = build

    def search(self, q: Array, k: int) -> Array:
        return np.array([i for i, _ in self.ix.search(q, k)])

    def save(self, path: Path) -> None:
        self.ix.save(path)

    def load(self, path: Path) -> None:
        self.ix = UsearchIndex.load(path)

    def set_ef(self, ef: int) -> None:
        self.ix.ef_search = ef


class Hnswlib(Candidate):
    tunable = True

    def __init__(self) -> None:
        import hnswlib

        self.ix = hnswlib.Index(space="ip", dim=DIM)
        self.ix.init_index(
            max_elements=1024,
            M=ANN_M,
            ef_construction=ANN_EF_CONSTRUCTION,
            allow_replace_deleted=True,
        )

    def _grow(self, extra: int) -> None:
        need = self.ix.get_current_count() + extra
        if need > self.ix.get_max_elements():
            self.ix.resize_index(max(need, 2 * self.ix.get_max_elements()))

    def build(self, ids: Array, vecs: Array) -> None:
        self._grow(len(ids))
        self.ix.add_items(vecs, ids, num_threads=os.cpu_count() or 1)

    add = build

    def search(self, q: Array, k: int) -> Array:
        labels, _ = self.ix.knn_query(q, k=k, num_threads=1)
        return np.asarray(labels[0])

    def save(self, path: Path) -> None:
        self.ix.save_index(str(path))

    def load(self, path: Path) -> None:
        import hnswlib

        self.ix = hnswlib.Index(space="ip", dim=DIM)
        self.ix.load_index(str(path), allow_replace_deleted=True)

    def set_ef(self, ef: int) -> None:
        self.ix.set_ef(ef)


class FaissHnsw(Candidate):
    """faiss IndexHNSWFlat behind an IndexIDMap2 (ids); note: HNSW in faiss cannot remove_ids."""

    tunable = True

    def __init__(self) -> None:
        import faiss

        self.faiss = faiss
        self.hnsw = faiss.IndexHNSWFlat(DIM, ANN_M, faiss.METRIC_INNER_PRODUCT)
        self.hnsw.hnsw.efConstruction = ANN_EF_CONSTRUCTION
        self.ix: Any = faiss.IndexIDMap2(self.hnsw)

    def build(self, ids: Array, vecs: Array) -> None:
        self.faiss.omp_set_num_threads(os.cpu_count() or 1)
        self.ix.add_with_ids(vecs, ids.astype(np.int64))
        self.faiss.omp_set_num_threads(1)

    add = build

    def search(self, q: Array, k: int) -> Array:
        _, labels = self.ix.search(q.reshape(1, -1), k)
        return np.asarray(labels[0])

    def save(self, path: Path) -> None:
        self.faiss.write_index(self.ix, str(path))

    def load(self, path: Path) -> None:
        self.ix = self.faiss.read_index(str(path))

    def set_ef(self, ef: int) -> None:
        self.hnsw.hnsw.efSearch = ef


class SqliteVec(Candidate):
    """sqlite-vec 0.1.x vec0 (through apsw): a brute-force scan over float[384] chunks.

    With ``bits=True`` it is the coarse-then-rescore recipe from the sqlite-vec docs (its only
    speed-up for large tables in 0.1.x, which has no ANN index): a bit[384] vec0 column (the
    sign of each dimension) is scanned by Hamming distance for ``oversample * k`` rows, which
    are then rescored exactly with their float vectors, kept in a plain rowid table.
    """

    def __init__(self, bits: bool = False, oversample: int = 20) -> None:
        import apsw
        import sqlite_vec

        self.bits = bits
        self.oversample = oversample
        self.tmp = tempfile.TemporaryDirectory()
        self.path = Path(self.tmp.name) / "vec.db"
        self.db = apsw.Connection(str(self.path))
        self.db.enable_load_extension(True)
        self.db.load_extension(sqlite_vec.loadable_path())
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"CREATE VIRTUAL TABLE v USING vec0(e float[{DIM}] distance_metric=cosine)")
        if bits:
            self.db.execute(f"CREATE VIRTUAL TABLE b USING vec0(e bit[{DIM}])")
            self.db.execute("CREATE TABLE f(id INTEGER PRIMARY KEY, e BLOB NOT NULL)")

    def build(self, ids: Array, vecs: Array) -> None:
        with self.db:
            rows = [(int(i), v.tobytes()) for i, v in zip(ids, vecs, strict=True)]
            if self.bits:
                self.db.executemany(
                    "INSERT INTO b(rowid, e) VALUES (?, vec_quantize_binary(?))", rows
                )
                self.db.executemany("INSERT INTO f(id, e) VALUES (?, ?)", rows)
            else:
                self.db.executemany("INSERT INTO v(rowid, e) VALUES (?, ?)", rows)

    add = build

    def search(self, q: Array, k: int) -> Array:
        blob = q.astype(np.float32).tobytes()
        if not self.bits:
            rows = self.db.execute(
                "SELECT rowid FROM v WHERE e MATCH ? AND k = ? ORDER BY distance", (blob, k)
            ).fetchall()
            return np.array([r[0] for r in rows])
        rows = self.db.execute(
            "SELECT rowid FROM b WHERE e MATCH vec_quantize_binary(?) AND k = ?",
            (blob, k * self.oversample),
        ).fetchall()
        cand = [r[0] for r in rows]
        marks = ",".join("?" * len(cand))
        got = self.db.execute(f"SELECT id, e FROM f WHERE id IN ({marks})", cand).fetchall()
        ids = np.array([r[0] for r in got])
        blob = b"".join(bytes(r[1]) for r in got)  # type: ignore[arg-type]
        mat = np.frombuffer(blob, dtype=np.float32).reshape(-1, DIM)
        order = np.argsort(-(mat @ q))[:k]
        return ids[order]

    def save(self, path: Path) -> None:
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        path.write_bytes(b"")  # the index is its database file; measured in place
        self.path_for_size = self.path

    def load(self, path: Path) -> None:
        import apsw
        import sqlite_vec

        self.db = apsw.Connection(str(self.path))
        self.db.enable_load_extension(True)
        self.db.load_extension(sqlite_vec.loadable_path())


FACTORIES: dict[str, Callable[[], Candidate]] = {
    "exact": Exact,
    "usearch-f32": lambda: Usearch("f32"),
    "usearch-f16": lambda: Usearch("f16"),
    "usearch-bf16": lambda: Usearch("bf16"),
    "usearch-i8": lambda: Usearch("i8"),
    "hnswlib": Hnswlib,
    "faiss-hnsw": FaissHnsw,
    "sqlite-vec": lambda: SqliteVec(bits=False),
    "sqlite-vec-bit": lambda: SqliteVec(bits=True),
}


def _latencies(cand: Candidate, queries: Array) -> tuple[list[Array], Array]:
    found, times = [], []
    for q in queries:
        t = time.perf_counter()
        found.append(cand.search(q, K))
        times.append((time.perf_counter() - t) * 1000)
    return found, np.array(times)


def run_candidate(name: str, n: int) -> dict[str, Any]:
    base, extra, queries = make_data(n)
    truth = exact_truth(base, queries)
    ids = np.arange(1, n + 1, dtype=np.int64)
    rss0 = rss_mb()
    cand = FACTORIES[name]()
    t = time.perf_counter()
    cand.build(ids, base)
    build_s = time.perf_counter() - t
    rss1 = rss_mb()
    cand.search(queries[0], K)  # warm-up
    sweep = []
    if cand.tunable:
        for ef in EF_SWEEP:
            cand.set_ef(ef)
            found, ms = _latencies(cand, queries)
            sweep.append(
                {
                    "ef": ef,
                    "recall": recall(found, truth + 1),
                    "p50": float(np.median(ms)),
                    "p95": float(np.percentile(ms, 95)),
                }
            )
        chosen = next((s for s in sweep if s["recall"] >= TARGET_RECALL), sweep[-1])
        cand.set_ef(int(chosen["ef"]))
    found, ms = _latencies(cand, queries)
    rec = recall(found, truth + 1)
    t = time.perf_counter()
    cand.add(np.arange(n + 1, n + 1 + N_EXTRA, dtype=np.int64), extra)
    add_s = time.perf_counter() - t
    before = cand.search(queries[0], K)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.bin"
        t = time.perf_counter()
        cand.save(path)
        save_s = time.perf_counter() - t
        size_path = getattr(cand, "path_for_size", path)
        file_mb = size_path.stat().st_size / 2**20
        t = time.perf_counter()
        cand.load(path)
        load_s = time.perf_counter() - t
        if cand.tunable:  # ef_search is a search-time setting, not always saved in the file
            cand.set_ef(int(chosen["ef"]))
        again = cand.search(queries[0], K)
        load_ok = bool(np.array_equal(again, before))
    return {
        "name": name,
        "n": n,
        "build_s": build_s,
        "add_s": add_s,
        "p50": float(np.median(ms)),
        "p95": float(np.percentile(ms, 95)),
        "recall": rec,
        "rss_mb": rss1 - rss0,
        "file_mb": file_mb,
        "save_s": save_s,
        "load_s": load_s,
        "load_ok": load_ok,
        "sweep": sweep,
        "ef": int(chosen["ef"]) if cand.tunable else None,
    }


def run_crossover(n: int) -> list[dict[str, Any]]:
    """Grow an ExactIndex and a UsearchIndex (papersift's defaults) side by side and time
    both at every size."""
    base, _, queries = make_data(n)
    exact, ann = ExactIndex(DIM), UsearchIndex(DIM)
    out, done = [], 0
    for size in [s for s in CROSSOVER_SIZES if s <= n]:
        ids = np.arange(done + 1, size + 1, dtype=np.int64)
        exact.add(ids, base[done:size])
        t = time.perf_counter()
        ann.add(ids, base[done:size])
        ann_add_s = time.perf_counter() - t
        done = size
        truth = exact_truth(base[:size], queries) + 1
        row: dict[str, Any] = {"n": size, "ann_add_s": ann_add_s}
        for label, ix in (("exact", exact), ("ann", ann)):
            ix.search(queries[0], K)
            found, times = [], []
            for q in queries:
                t = time.perf_counter()
                hits = ix.search(q, K)
                times.append((time.perf_counter() - t) * 1000)
                found.append(np.array([i for i, _ in hits]))
            row[f"{label}_p50"] = float(np.median(times))
            row[f"{label}_p95"] = float(np.percentile(times, 95))
            row[f"{label}_recall"] = recall(found, truth)
        out.append(row)
    return out


# ---------------------------------------------------------------- parent


def _child(args: list[str]) -> Any:
    env = dict(os.environ)
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import importlib.metadata as md

    versions = []
    for pkg in ("numpy", "usearch", "hnswlib", "faiss-cpu", "sqlite-vec", "apsw"):
        try:
            versions.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            versions.append(f"{pkg} -")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cpus, {model}, Python {platform.python_version()}, "
        f"load average at start {load}\n"
        f"         {', '.join(versions)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--only", default=",".join(CANDIDATES))
    ap.add_argument("--no-crossover", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child == "crossover":
        print(json.dumps(run_crossover(args.n)))
        return
    if args.child:
        print(json.dumps(run_candidate(args.child, args.n)))
        return

    print(machine())
    print(
        f"data: {args.n:,} clustered vectors, dim {DIM}, {N_CENTRES} centres; "
        f"{N_QUERIES} queries, k={K}; HNSW M={ANN_M}, ef_construction={ANN_EF_CONSTRUCTION}, "
        f"target recall@10 {TARGET_RECALL}"
    )
    t0 = time.perf_counter()
    make_data(args.n)
    print(f"(data generated/loaded in {time.perf_counter() - t0:.1f}s)\n")

    rows = []
    for name in args.only.split(","):
        n = min(args.n, SQLITE_VEC_MAX_N) if name.startswith("sqlite-vec") else args.n
        t = time.perf_counter()
        res = _child(["--child", name, "--n", str(n)])
        res.setdefault("name", name)
        print(f"  {name}: {time.perf_counter() - t:.0f}s", file=sys.stderr, flush=True)
        rows.append(res)

    head = (
        f"| {'index':<14} | {'N':>7} | {'ef':>4} | {'build s':>7} | {'+1000 s':>7} | "
        f"{'p50 ms':>7} | {'p95 ms':>7} | {'recall@10':>9} | {'RSS MB':>7} | {'file MB':>7} | "
        f"{'load s':>6} |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in rows:
        if "error" in r:
            print(f"| {r['name']:<14} | error: {r['error']}")
            continue
        ef = "-" if r["ef"] is None else str(r["ef"])
        print(
            f"| {r['name']:<14} | {r['n']:>7,} | {ef:>4} | {r['build_s']:>7.1f} | "
            f"{r['add_s']:>7.3f} | {r['p50']:>7.2f} | {r['p95']:>7.2f} | {r['recall']:>9.3f} | "
            f"{r['rss_mb']:>7.0f} | {r['file_mb']:>7.0f} | {r['load_s']:>6.2f} |"
            + ("" if r["load_ok"] else " (loaded index answered differently!)")
        )

    for r in rows:
        if r.get("sweep"):
            print(f"\n{r['name']} ef_search sweep (N={r['n']:,}):")
            print(
                "  "
                + "  ".join(
                    f"ef={s['ef']}: {s['recall']:.3f} @ {s['p50']:.2f}/{s['p95']:.2f}ms"
                    for s in r["sweep"]
                )
            )

    if not args.no_crossover:
        print(
            f"\ncrossover (ExactIndex vs UsearchIndex {ANN_DTYPE} ef={ANN_EF_SEARCH}, grown in steps;"
            f" auto switches above {AUTO_EXACT_MAX:,}):"
        )
        print(
            f"| {'N':>7} | {'exact p50':>9} | {'exact p95':>9} | {'ann p50':>7} | {'ann p95':>7} | "
            f"{'ann recall':>10} | {'ann add s':>9} |"
        )
        print("|---------|-----------|-----------|---------|---------|------------|-----------|")
        res = _child(["--child", "crossover", "--n", str(args.n)])
        for r in res if isinstance(res, list) else []:
            print(
                f"| {r['n']:>7,} | {r['exact_p50']:>9.3f} | {r['exact_p95']:>9.3f} | "
                f"{r['ann_p50']:>7.3f} | {r['ann_p95']:>7.3f} | {r['ann_recall']:>10.3f} | "
                f"{r['ann_add_s']:>9.2f} |"
            )
        if isinstance(res, dict):
            print(f"crossover error: {res.get('error')}")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\ntotal {time.perf_counter() - t0:.0f}s; load average at the end {load}")


if __name__ == "__main__":
    main()
