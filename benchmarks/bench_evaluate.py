"""Reader-model training time and replay-evaluation throughput.

* Training: ``ReaderModel.fit`` (and the feed's ``fit_reader``, its embedding parts) for a reader with 250 to 2,000 labels (80% 👍 around three
  interests of unequal size, 20% 👎) plus the feed's 1,000 background papers, 384-dim
  vectors (the packaged model's size), median of --repeat fits.
* Evaluation: ``papersift evaluate`` on a generated world (``papersift synthetic``; 3,000
  papers, 40 readers by default) with the fake embedder, so the figure is the evaluation's
  own cost (the methods: papersift and six baselines), not the embedding's: readers/s and
  candidates/s. Embedding the papers with the real model comes on top (see bench_embed.py).

    python benchmarks/bench_evaluate.py [--papers 3000] [--users 40] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from papersift.embed import FakeEmbedder
from papersift.evaluate import evaluate
from papersift.rank.personal import Example, ReaderModel
from papersift.rank.reader import fit_reader
from papersift.synthetic import generate

DIM = 384


def clustered(rng: np.random.Generator, centre: np.ndarray, n: int, spread: float) -> np.ndarray:
    x = centre + spread * rng.normal(size=(n, DIM))
    out: np.ndarray = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def training(labels: int, repeat: int) -> tuple[float, str]:
    rng = np.random.default_rng(labels)
    centres = rng.normal(size=(3, DIM)) / np.sqrt(DIM)
    n_up = int(labels * 0.8)
    sizes = (n_up // 2, n_up // 3, n_up - n_up // 2 - n_up // 3)
    up = np.concatenate([clustered(rng, c, s, 0.05) for c, s in zip(centres, sizes, strict=True)])
    down = clustered(rng, np.zeros(DIM), labels - n_up, 0.05)
    examples = [Example(v, 1, float(rng.uniform(0, 400))) for v in up]
    examples += [Example(v, -1, float(rng.uniform(0, 400))) for v in down]
    background = clustered(rng, np.zeros(DIM), 1000, 0.05)
    reference = clustered(rng, np.zeros(DIM), 200, 0.05)
    times, fused = [], []
    ReaderModel.fit(examples[:20], background)  # imports sklearn outside the timing
    for _ in range(repeat):
        t = time.perf_counter()
        model = ReaderModel.fit(examples, background)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        fit_reader(examples=examples, background=background, reference=reference)
        fused.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), (
        f"{model.kind}, {model.n_interests} interests; the feed's fused model without its "
        f"word part (fit_reader): p50 {statistics.median(fused):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=3000)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    for labels in (250, 500, 1000, 2000):
        ms, kind = training(labels, args.repeat)
        print(f"training, {labels:>5} labels + 1,000 background papers: p50 {ms:.1f} ms ({kind})")

    with tempfile.TemporaryDirectory() as tmp:
        papers, ratings = generate(Path(tmp), papers=args.papers, users=args.users, seed=0)
        t = time.perf_counter()
        report = evaluate(papers, ratings, FakeEmbedder(DIM))
        seconds = time.perf_counter() - t
    print(
        f"evaluation of {report.users} readers ({report.candidates:,} candidates, "
        f"{report.ratings:,} ratings, {report.papers:,} papers, {len(report.methods)} methods): {seconds:.1f} s, "
        f"{report.users / seconds:.1f} readers/s, {report.candidates / seconds:,.0f} candidates/s"
    )
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
