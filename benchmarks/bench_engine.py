"""Which engine runs `papersift embed`: local, dask (LocalCluster) or Ray, measured.

Embeds the same N generated papers (a library built once under benchmarks/data/) with each
engine through the real driver (``papersift.engine.embed_pending``: batches read from SQLite,
shipped to workers, vectors saved batch by batch), each engine in a fresh subprocess so that
memory and start-up are its own, and prints per engine:

* papers/s of the embedding (cluster start-up not included) and the wall time;
* overhead per batch: the same run's time per batch with a null embedder (zeros, no compute):
  shipping, scheduling, results coming back, saving;
* start-up: importing the engine (a fresh interpreter) and starting its local cluster;
* peak RSS in MB of the driver, of the largest child process (a worker) and of all children
  together (workers plus scheduler, nanny, raylet, GCS...);
* install size in MB: the engine's distribution and the dependencies it adds to papersift's.

The model is the fake embedder made to cost ``--cost-ms`` of CPU per paper (default 5 ms,
in the range of all-MiniLM-L6-v2 on one core at 128 tokens; single-threaded, so N workers
should give N times local), or the real all-MiniLM-L6-v2 (``--model real``; torch runs 2
threads in the local engine, one per worker in the clusters).

    python benchmarks/bench_engine.py                              # fake, N=2000, 2 workers
    python benchmarks/bench_engine.py --model real --n 300
    python benchmarks/bench_engine.py --model real --device cuda --n 20000 --engines local,dask
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import contextlib

import bench_embed
import bench_ingest

from papersift.embed import Embedder, FakeEmbedder
from papersift.engine import EmbedderSpec, Engine, ModelSpec, embed_pending, open_engine
from papersift.ingest.pipeline import ingest_file
from papersift.store import open_store

ENGINE_MODULES = {"local": None, "dask": "distributed", "ray": "ray"}
ENGINE_DISTS = {"dask": ("dask", ["distributed"]), "ray": ("ray", [])}


# --------------------------------------------------------------------------- embedders


class BusyEmbedder(FakeEmbedder):
    """The fake embedder, plus ``cost_ms`` of single-threaded CPU work per text."""

    def __init__(self, cost_ms: float, dim: int = 384) -> None:
        super().__init__(dim)
        self.cost_ms = cost_ms

    def encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        end = time.thread_time() + self.cost_ms * len(texts) / 1000
        while time.thread_time() < end:
            pass
        return super().encode(texts, **kwargs)


class NullEmbedder(FakeEmbedder):
    """Zeros, at once: what is left of a run is the engine's own cost."""

    def encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        return np.zeros((len(texts), self.dim), dtype=np.float32)


@dataclass(frozen=True)
class BusySpec:
    cost_ms: float
    dim: int = 384

    def load(self) -> Embedder:
        return BusyEmbedder(self.cost_ms, self.dim)


@dataclass(frozen=True)
class NullSpec:
    dim: int = 384

    def load(self) -> Embedder:
        return NullEmbedder(self.dim)


# --------------------------------------------------------------------------- the library


def build_library(n: int) -> Path:
    """A library of ``n`` generated papers (abstract-like, 140-260 words), built once."""
    db = bench_ingest.DATA / f"engine-{n}.db"
    if db.exists():
        return db
    bench_ingest.DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(0)
    source = bench_ingest.DATA / f"engine-{n}.jsonl"
    with source.open("w", encoding="utf-8") as f:
        for i in range(n):
            words = rng.choices(bench_embed.WORDS, k=rng.randint(5, 12))
            title = f"{' '.join(words).capitalize()} {i}"
            text = bench_embed.abstract(rng, rng.randint(140, 260))
            f.write(json.dumps({"title": title, "abstract": text}) + "\n")
    tmp = db.with_suffix(".tmp.db")
    store = open_store(tmp)
    ingest_file(store, source)
    store.close()
    tmp.rename(db)
    source.unlink()
    return db


# --------------------------------------------------------------------------- one engine


class PeakMemory:
    """Samples the RSS of this process and of its children every 50 ms."""

    def __init__(self) -> None:
        self.driver = self.child = self.children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            self.driver = max(self.driver, me.memory_info().rss)
            sizes = []
            for child in me.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    sizes.append(child.memory_info().rss)
            self.child = max(self.child, max(sizes, default=0))
            self.children = max(self.children, sum(sizes))


def timed_run(engine: Engine, db: Path, model: str, batch_size: int) -> tuple[float, int, int]:
    work = Path(tempfile.mkdtemp()) / "library.db"
    shutil.copy(db, work)
    store = open_store(work)
    start = time.perf_counter()
    report = embed_pending(store, model, engine, batch_size)
    seconds = time.perf_counter() - start
    store.close()
    shutil.rmtree(work.parent)
    return seconds, report.embedded, report.batches


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    """One engine, in this (fresh) process: a JSON-able dict of its figures."""
    spec: EmbedderSpec
    if args.model == "real":
        spec, name = ModelSpec("default", args.device), ModelSpec("default").name
    else:
        spec, name = BusySpec(args.cost_ms), "busy-fake"
    db = Path(args.db)
    with PeakMemory() as memory:
        start = time.perf_counter()
        engine = open_engine(args.one, spec, None, args.workers)
        started = time.perf_counter() - start
        try:
            seconds, embedded, _batches = timed_run(engine, db, name, args.batch_size)
        finally:
            engine.close()
    null = open_engine(args.one, NullSpec(), None, args.workers)
    try:
        timed_run(null, db, "null", args.batch_size)  # warm: workers started, modules loaded
        null_seconds, _, null_batches = timed_run(null, db, "null", args.batch_size)
    finally:
        null.close()
    return {
        "engine": args.one,
        "workers": engine.workers,
        "papers": embedded,
        "seconds": seconds,
        "papers_per_s": embedded / seconds,
        "overhead_ms": 1000 * null_seconds / max(null_batches, 1),
        "start_s": started,
        "driver_mb": memory.driver / 2**20,
        "child_mb": memory.child / 2**20,
        "children_mb": memory.children / 2**20,
    }


# --------------------------------------------------------------------------- the report


def import_seconds(engine: str) -> float:
    module = ENGINE_MODULES[engine]
    if module is None:
        return 0.0
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(3)
    ]
    return min(runs)


def requirements(dist: str, extras: Sequence[str] = ()) -> set[str]:
    """``dist`` and everything it needs (with ``extras``), by normalised name, installed only."""
    seen: set[str] = set()
    todo = [(dist, tuple(extras))]
    while todo:
        name, wanted = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        seen.add(key)
        for req in requires:
            req_name, _, marker = req.partition(";")
            extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)", marker)
            if extra and extra.group(1) not in wanted:
                continue
            if marker.strip() and not extra and "python_version" not in marker:
                continue  # platform-specific (win32, ...)
            name_only = re.match(r"[A-Za-z0-9_.\-]+", req_name.strip())
            if name_only:
                todo.append((name_only.group(0), ()))
    return seen


def dist_megabytes(names: set[str]) -> float:
    total = 0
    for dist in md.distributions():
        key = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        if key in names:
            for file in dist.files or []:
                path = Path(str(file.locate()))
                if path.is_file():
                    total += path.stat().st_size
    return total / 2**20


def install_megabytes(engine: str) -> float:
    if engine == "local":
        return 0.0
    dist, extras = ENGINE_DISTS[engine]
    try:
        md.version(dist)
    except md.PackageNotFoundError:
        return float("nan")
    return dist_megabytes(requirements(dist, extras) - requirements("papersift"))


def device_line(model: str, device: str | None) -> str:
    cpu = platform.processor() or platform.machine()
    line = f"{os.cpu_count()} CPU cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB"
    if model == "real" or device == "cuda":
        import torch

        if torch.cuda.is_available():
            line += f"; GPU: {torch.cuda.get_device_name(0)} x{torch.cuda.device_count()}"
        else:
            line += "; no GPU"
    return line


def versions() -> str:
    parts = [f"python {platform.python_version()}"]
    for dist in ("dask", "distributed", "ray", "torch"):
        try:
            parts.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            parts.append(f"{dist} not installed")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="papers (default 2000)")
    parser.add_argument("--model", choices=["fake", "real"], default="fake")
    parser.add_argument("--cost-ms", type=float, default=5.0, help="fake: CPU ms per paper")
    parser.add_argument("--device", choices=["cpu", "cuda"], default=None)
    parser.add_argument("--engines", default="local,dask,ray")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=1, help="runs per engine; best counts")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args)))
        return

    db = build_library(args.n)
    engines = args.engines.split(",")
    print(versions())
    print(device_line(args.model, args.device))
    what = (
        "all-MiniLM-L6-v2"
        if args.model == "real"
        else f"fake embedder, {args.cost_ms} ms CPU/paper"
    )
    print(
        f"{args.n} papers, {what}, batch {args.batch_size}, {args.workers} workers; device {args.device or 'auto'}"
    )
    results: dict[str, list[dict[str, Any]]] = {e: [] for e in engines}
    for r in range(args.repeat):
        for engine in engines if r % 2 == 0 else list(reversed(engines)):
            argv = [sys.executable, __file__, "--one", engine, "--db", str(db), *sys.argv[1:]]
            done = subprocess.run(argv, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{engine}: failed\n{done.stderr[-2000:]}")
                continue
            result = json.loads(done.stdout.strip().splitlines()[-1])
            results[engine].append(result)
            print(
                f"  run {r + 1} {engine}: {result['papers_per_s']:.1f} papers/s ({result['seconds']:.1f} s)"
            )
    header = (
        f"{'engine':<7}{'workers':>8}{'papers/s':>10}{'wall s':>8}{'ovh/batch ms':>14}"
        f"{'import s':>10}{'start s':>9}{'driver MB':>11}{'worker MB':>11}{'all child MB':>14}{'install MB':>12}"
    )
    print(header)
    for engine, runs in results.items():
        if not runs:
            continue
        best = max(runs, key=lambda x: x["papers_per_s"])
        print(
            f"{engine:<7}{best['workers']:>8}{best['papers_per_s']:>10.1f}{best['seconds']:>8.1f}"
            f"{min(x['overhead_ms'] for x in runs):>14.1f}{import_seconds(engine):>10.2f}"
            f"{min(x['start_s'] for x in runs):>9.2f}{max(x['driver_mb'] for x in runs):>11.0f}"
            f"{max(x['child_mb'] for x in runs):>11.0f}{max(x['children_mb'] for x in runs):>14.0f}"
            f"{install_megabytes(engine):>12.0f}"
        )


if __name__ == "__main__":
    main()
