"""Active learning on real readers: how many ratings reach a given nDCG@10, active vs random.

Data: the CiteULike dev set (``../shared/eval/citeulike_dev``: 1,929 papers, 412 readers
with 10 to 19 saved papers), embedded with the packaged all-MiniLM-L6-v2 (title + abstract,
256 tokens) and cached at /tmp/papersift-eval-cache/citeulike_minilm.npz (made here when
absent). Protocol, per reader (seeded):

* 30% of the saved papers (at least 3) are the **truth**, never asked about; the rest are
  the reader's **library**, which the simulated reader answers from: 👍 for a paper in it,
  👎 for any other. The model starts from **2 known positives** of the library.
* Each round, a strategy picks 10 papers to rate among those not rated yet (never a truth
  paper); the reader model (``ReaderModel.fit`` as the feed fits it: likes weigh 1,
  ratings 1.5, 1,000 random library papers as background) is refitted on every answer so
  far, and ranks every paper outside the reader's library: nDCG@10 of the truth papers.
* Strategies: ``active`` (``pick_to_rate``, the settings given), ``random`` (10 unrated
  papers at random), ``top`` (the model's current top 10: rating one's feed).

Readers are split as ``papersift evaluate`` splits them: a fixed fifth (by a hash of the
name) is held out; ``--tune`` compares settings on the other four fifths (dev) only, and
the figure to report is the held-out part's, with the settings chosen on dev.

``--cold``: a reader with no like yet, whose first round is the library's representatives
(the same 10 papers for everyone): the likes it finds against 10 random papers.

    python benchmarks/bench_active.py [--part held-out] [--readers 0] [--rounds 5] [--tune]
    python benchmarks/bench_active.py --cold
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from papersift.rank.active import DEFAULT_ACTIVE, ActiveSettings, pick_to_rate
from papersift.rank.personal import Example, ReaderModel
from papersift.recommend import BACKGROUND, SIGNAL_WEIGHTS

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "citeulike_dev"
CACHE = Path("/tmp/papersift-eval-cache/citeulike_minilm.npz")
ROUND = 10
SEEDS = 2
TARGETS = (15, 20, 25, 30)  # nDCG@10 x 100
#: (band, explore, diversity) compared by --tune
TUNING = [
    (10, 0.0, 1.0),  # = top
    (10, 0.0, 0.9),
    (10, 0.1, 1.0),
    (20, 0.0, 0.8),
    (20, 0.0, 0.5),
    (40, 0.0, 0.5),
    (40, 0.2, 0.5),
    (40, 0.2, 0.8),
    (100, 0.2, 0.5),
]
F32 = NDArray[np.float32]
I64 = NDArray[np.int64]
Strategy = Callable[[F32, NDArray[np.float64], I64, np.random.Generator], I64]


def held_out_reader(user: str) -> bool:
    """The held-out fifth of ``papersift evaluate`` (same hash rule)."""
    digest = hashlib.blake2b(user.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 5 == 0


def load_vectors() -> tuple[list[str], F32]:
    if CACHE.exists():
        data = np.load(CACHE)
        return [str(i) for i in data["ids"]], data["vectors"].astype(np.float32)
    from papersift.embed import load_embedder, paper_text

    with gzip.open(EVAL / "papers.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    texts = [paper_text(r.get("title"), r.get("abstract")) for r in rows]
    vectors = load_embedder(None).encode(texts, batch_size=64)
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, ids=np.array([r["id"] for r in rows]), vectors=vectors)
    return [r["id"] for r in rows], vectors


def load_readers(index: dict[str, int]) -> dict[str, list[int]]:
    saved: dict[str, set[int]] = {}
    with gzip.open(EVAL / "ratings.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("label", 1) > 0 and r["paper"] in index:
                saved.setdefault(r["user"], set()).add(index[r["paper"]])
    return {user: sorted(rows) for user, rows in sorted(saved.items())}


def ndcg10(scores: NDArray[np.float64], candidates: I64, truth: set[int]) -> float:
    top = candidates[np.argsort(-scores[candidates], kind="stable")[:10]]
    dcg = sum(1.0 / np.log2(i + 2) for i, row in enumerate(top) if int(row) in truth)
    ideal = sum(1.0 / np.log2(i + 2) for i in range(min(10, len(truth))))
    return float(dcg / ideal)


def fit_scores(
    x: F32, labels: dict[int, tuple[int, float]], background: F32
) -> NDArray[np.float64]:
    examples = [Example(x[row], label, 0.0, weight) for row, (label, weight) in labels.items()]
    return np.asarray(ReaderModel.fit(examples, background).score(x), dtype=np.float64)


def simulate(
    x: F32, saved: list[int], strategy: Strategy, rounds: int, seed: int
) -> tuple[list[float], list[int]]:
    """nDCG@10 after 0, 10, ... ratings, and the likes found by each round."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(saved)
    n_truth = max(3, round(0.3 * len(saved)))
    truth, library = set(order[:n_truth].tolist()), set(order[n_truth:].tolist())
    labels = {int(row): (1, SIGNAL_WEIGHTS["like"]) for row in order[n_truth : n_truth + SEEDS]}
    candidates = np.array([r for r in range(len(x)) if r not in library], dtype=np.int64)
    others = np.setdiff1d(np.arange(len(x)), order)
    background = x[rng.choice(others, size=min(BACKGROUND, len(others)), replace=False)]
    curve, found = [], []
    for step in range(rounds + 1):
        scores = fit_scores(x, labels, background)
        curve.append(ndcg10(scores, candidates, truth))
        if step == rounds:
            break
        pool = np.array(
            [r for r in range(len(x)) if r not in labels and r not in truth], dtype=np.int64
        )
        asked = strategy(x[pool], scores[pool], pool, rng)
        likes = 0
        for row in asked.tolist():
            label = 1 if row in library else -1
            likes += label > 0
            labels[row] = (label, SIGNAL_WEIGHTS["up" if label > 0 else "down"])
        found.append(likes)
    return curve, found


def active(settings: ActiveSettings) -> Strategy:
    def choose(
        vectors: F32, scores: NDArray[np.float64], pool: I64, rng: np.random.Generator
    ) -> I64:
        picks = pick_to_rate(
            vectors, scores, ROUND, settings=settings, seed=int(rng.integers(1 << 30))
        )
        return pool[[p.row for p in picks]]

    return choose


def random_picks(
    vectors: F32, scores: NDArray[np.float64], pool: I64, rng: np.random.Generator
) -> I64:
    return rng.choice(pool, size=ROUND, replace=False)


def top_picks(
    vectors: F32, scores: NDArray[np.float64], pool: I64, rng: np.random.Generator
) -> I64:
    return pool[np.argsort(-scores, kind="stable")[:ROUND]]


def run(
    x: F32, readers: dict[str, list[int]], strategies: dict[str, Strategy], rounds: int, seed: int
) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Per strategy: mean nDCG@10 by number of ratings, and mean likes found per round."""
    out = {}
    for name, strategy in strategies.items():
        curves, found = [], []
        for i, rows in enumerate(readers.values()):
            curve, likes = simulate(x, rows, strategy, rounds, seed + i)
            curves.append(curve)
            found.append(likes)
        print(f"# {name}: done", flush=True)
        out[name] = (np.mean(curves, axis=0), np.mean(found, axis=0))
    return out


def print_table(
    results: dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]], rounds: int
) -> None:
    header = " ".join(f"{ROUND * r:>6}" for r in range(rounds + 1))
    print(f"{'ratings':24} {header}")
    for name, (curve, found) in results.items():
        print(f"{name:24} " + " ".join(f"{100 * v:6.1f}" for v in curve) + "   nDCG@10 x 100")
        print(f"{'  likes found per round':24} {'':6} " + " ".join(f"{v:6.2f}" for v in found))
    for target in TARGETS:
        reached = {
            name: next((ROUND * r for r, v in enumerate(curve) if 100 * v >= target), None)
            for name, (curve, _) in results.items()
        }
        text = ", ".join(
            f"{n} {'>' + str(ROUND * rounds) if v is None else v}" for n, v in reached.items()
        )
        print(f"ratings to reach nDCG@10 {target}: {text}")


def cold_start(x: F32, readers: dict[str, list[int]], seeds: int = 5) -> None:
    """A reader with no like at all: the first round's likes, representatives vs random."""
    saved = [set(rows) for rows in readers.values()]
    for name, rounds in (
        (
            "representatives",
            [[p.row for p in pick_to_rate(x, None, ROUND, seed=s)] for s in range(seeds)],
        ),
        (
            "random",
            [
                np.random.default_rng(s).choice(len(x), ROUND, replace=False).tolist()
                for s in range(200)
            ],
        ),
    ):
        likes = np.array([[len(s & set(r)) for s in saved] for r in rounds], dtype=np.float64)
        print(
            f"cold start, first {ROUND} asked, {name:15}: {likes.mean():.2f} likes per reader, "
            f"{100 * (likes > 0).mean():.0f}% of readers find one ({len(rounds)} draws)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--part", choices=["dev", "held-out", "all"], default="held-out")
    parser.add_argument("--readers", type=int, default=0, help="At most this many (0: all).")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tune", action="store_true", help="Compare settings on dev readers.")
    parser.add_argument("--configs", help="--tune: only these TUNING rows (e.g. 1,2,3).")
    parser.add_argument("--no-baselines", action="store_true", help="Leave random and top out.")
    parser.add_argument("--cold", action="store_true", help="Only the first round from no like.")
    args = parser.parse_args()
    if not EVAL.is_dir():
        raise SystemExit(f"{EVAL} is not here: nothing to measure")
    ids, x = load_vectors()
    readers = load_readers({pid: i for i, pid in enumerate(ids)})
    part = "dev" if args.tune else args.part
    chosen = {
        u: r
        for u, r in readers.items()
        if part == "all" or held_out_reader(u) == (part == "held-out")
    }
    if args.readers:
        chosen = dict(list(chosen.items())[: args.readers])
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{len(x)} papers, {len(chosen)} {part} readers, {SEEDS} known likes to start, "
        f"{ROUND} ratings a round"
    )
    if args.cold:
        cold_start(x, chosen)
        return
    strategies: dict[str, Strategy] = {}
    if not args.no_baselines:
        strategies.update(random=random_picks, top=top_picks)
    if args.tune:
        rows = [int(i) for i in args.configs.split(",")] if args.configs else range(len(TUNING))
        for band, explore, diversity in (TUNING[i] for i in rows):
            settings = ActiveSettings(band=band, explore=explore, diversity=diversity)
            strategies[f"active b{band} e{explore} d{diversity}"] = active(settings)
    else:
        strategies["active"] = active(DEFAULT_ACTIVE)
    started = time.perf_counter()
    print_table(run(x, chosen, strategies, args.rounds, args.seed), args.rounds)
    print(f"# {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
