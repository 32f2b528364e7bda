"""Load on the web app: bounded concurrent clients against feed, search and paper pages.

The library is bench_search.py's generated one (N papers with stored clustered vectors),
copied so that the run may write to it. Eight readers get an account and 500 labels each
(bench_feed.py's reader), and the server (uvicorn, W worker processes, as `papersift serve
--workers W` runs it) is started in a child process. Then C clients, each a loop of one
request after the other for D seconds (with --think T: after a random pause of T seconds on
average, as a person reading), log in as one of the readers and ask, at random: their feed
page (the last ten years: shortlisted, then scored; a repeat is served from the feed cache
until their 👍/👎 or the library change), a search page (2 to 3 words of a random title,
hybrid: the query embedding is the fake embedder's, bench_search.py measures the real one),
or a paper page (with its similar papers). Every 20th request of a client is a 👍, which
starts a re-ranking of that reader's feed in the background: a feed page asked for before it
is done shows the previous ranking and is counted apart ("feed-stale"). Prints requests/s,
p50/p99 per kind (after a warm-up: first rankings, caches) and the error count. The clients
run on the same machine as the server.

    python benchmarks/bench_web.py [--n 100000] [--clients 50] [--seconds 60] [--think 0]
        [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).parent))
import bench_feed
import bench_search

from papersift.accounts import Accounts
from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.recommend import Recommender
from papersift.search import Searcher
from papersift.store import open_store

PASSWORD = "bench-password"
READERS = 8


def prepare(n: int) -> Path:
    source = bench_search.build_library(n)
    bench_search.store_vectors(source, n)
    src = Path(source.location)
    source.close()
    db = src.with_name(f"web-{n}.db")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copy(src, db)
    vectors = Path(f"{src}.vectors")
    if vectors.exists():
        shutil.rmtree(Path(f"{db}.vectors"), ignore_errors=True)
        shutil.copytree(vectors, Path(f"{db}.vectors"))
    store = open_store(db)
    searcher = Searcher(store, lambda: FakeEmbedder(384), bench_search.MODEL, index_kind="ann")
    rec = Recommender(store, searcher)
    accounts = Accounts(store)
    for i in range(READERS):
        name = bench_feed.add_reader(rec, np.random.default_rng(i))
        new = f"reader{i}"
        with store.transaction():
            store.conn.execute("UPDATE readers SET name = ? WHERE name = ?", (new, name))  # type: ignore[attr-defined]
        accounts.add_user(new, PASSWORD)
    store.close()
    return db


def make_app() -> FastAPI:
    """The app as `papersift serve` makes it, with the fake embedder for queries (each
    server worker process calls this)."""
    from papersift.web.app import create_app

    return create_app(
        Settings(db=os.environ["BENCH_WEB_DB"], model="fake-384", index_kind="ann"),
        embedder_factory=lambda: FakeEmbedder(384),
        model_name=bench_search.MODEL,
    )


def serve(db: str, port: int, workers: int) -> None:
    from papersift.web.app import run_server

    os.environ["BENCH_WEB_DB"] = db
    run_server("bench_web:make_app", "127.0.0.1", port, workers, app_dir=str(Path(__file__).parent))


async def client(
    base: str,
    number: int,
    until: float,
    words: list[str],
    ids: list[int],
    out: dict[str, list[float]],
    errors: list[str],
    think: float,
    counted_from: float,
) -> None:
    rng = random.Random(number)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.post(
            "/login", data={"name": f"reader{number % READERS}", "password": PASSWORD}
        )
        found = re.search(r'name="csrf" value="([^"]+)"', (await http.get("/profile")).text)
        csrf = found.group(1) if found else ""
        count = 0
        while time.perf_counter() < until:
            if think > 0:  # a person reads before the next click
                await asyncio.sleep(rng.expovariate(1 / think))
            count += 1
            kind = rng.choice(("feed", "search", "paper"))
            if count % 20 == 0:
                kind, path = "feedback", f"/feedback/{rng.choice(ids)}/up"
            elif kind == "feed":
                path = "/feed?days=3650"
            elif kind == "search":
                path = "/search?q=" + "+".join(rng.sample(words, rng.randint(2, 3)))
            else:
                path = f"/papers/{rng.choice(ids)}"
            t = time.perf_counter()
            try:
                if kind == "feedback":
                    r = await http.post(path, headers={"X-CSRF-Token": csrf, "HX-Request": "1"})
                else:
                    r = await http.get(path)
                if r.status_code != 200:
                    errors.append(f"{path}: HTTP {r.status_code}")
                elif kind == "feed" and 'id="feed-updating"' in r.text:
                    kind = "feed-stale"  # the previous ranking, the new one under way
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {exc!r}")
                continue
            if t >= counted_from:  # after the warm-up: first rankings, caches filling
                out.setdefault(kind, []).append((time.perf_counter() - t) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--warmup",
        type=float,
        default=10,
        help="seconds of load before the measured ones (errors count from the start)",
    )
    parser.add_argument(
        "--think",
        type=float,
        default=0,
        help="mean seconds a client waits between requests (exponential; 0: none, saturation)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (papersift serve --workers)"
    )
    parser.add_argument("--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.workers)
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    db = prepare(args.n)
    store = open_store(db)
    titles = [p.title or "" for p in store.iter_papers(limit=2000)]
    ids = [p.id for p in store.iter_papers(limit=5000)]
    store.close()
    words = sorted({w.lower() for t in titles for w in re.findall(r"[A-Za-z]{5,}", t)})
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(db), str(port), "--workers", str(args.workers)]
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):  # the server loads the vector index first
            try:
                if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        times: dict[str, list[float]] = {}
        errors: list[str] = []
        start = time.perf_counter()
        counted_from = start + args.warmup
        until = counted_from + args.seconds

        async def run() -> None:
            await asyncio.gather(
                *(
                    client(base, i, until, words, ids, times, errors, args.think, counted_from)
                    for i in range(args.clients)
                )
            )

        asyncio.run(run())
        elapsed = time.perf_counter() - counted_from
    finally:
        server.terminate()
        server.wait()
    total = sum(len(v) for v in times.values())
    print(
        f"{args.clients} clients for {args.seconds:.0f} s (after {args.warmup:g} s of warm-up) on {args.n:,} papers, {args.workers} server worker(s), think time {args.think:g} s: {total:,} requests, {total / elapsed:.1f} requests/s, {len(errors)} errors"
    )
    every = sorted(x for v in times.values() for x in v)
    for kind, values in [*sorted(times.items()), ("all", every)]:
        values = sorted(values)
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
        print(
            f"  {kind:<9} {len(values):>6} requests  p50 {statistics.median(values):7.1f} ms  p99 {p99:7.1f} ms"
        )
    for line in errors[:5]:
        print("  error:", line)


if __name__ == "__main__":
    main()
