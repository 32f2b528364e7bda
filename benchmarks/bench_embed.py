"""Embedding throughput: ``SentenceTransformerEmbedder.encode`` against a plain model call.

On the same N generated abstract-like texts (~200 words each, lengths varied so that length
sorting matters), for ``max_seq_length`` 256 (the default) and 128 it times

* raw: ``SentenceTransformer.encode(texts, batch_size=32, normalize_embeddings=True)``;
* ours: ``SentenceTransformerEmbedder.encode(texts, batch_size=32)`` (same loaded model);

* ours, with on_batch: the same with a progress callback (one encode call per batch);

and prints texts/s of each and our overhead in percent (must stay <= 10%). A warm-up call
of each is run first and not timed. With ``--repeat R`` each runs R times (in alternating
order) and the best time counts; every run's time is printed, to show the noise.

    python benchmarks/bench_embed.py            # N=200, ~40 s on 2 CPU cores
    python benchmarks/bench_embed.py --n 2000 --device cuda
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ingest

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # as the library does, set early

from papersift.embed import SentenceTransformerEmbedder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

WORDS = bench_ingest.WORDS
OPENERS = [
    "We propose",
    "In this paper we study",
    "We introduce",
    "This work presents",
    "Recent advances in",
    "We show that",
    "Our experiments demonstrate that",
    "Moreover,",
    "Finally, we analyse",
    "Compared with prior work,",
]
GLUE = "a an the of for with via on in and under towards beyond without that is are".split()


def abstract(rng: random.Random, n_words: int) -> str:
    """An abstract-like text of about ``n_words`` words: sentences of 12-28 words."""
    sentences: list[str] = []
    count = 0
    while count < n_words:
        length = rng.randint(12, 28)
        words = rng.choice(OPENERS).split()
        while len(words) < length:
            words.append(rng.choice(GLUE) if rng.random() < 0.3 else rng.choice(WORDS))
        if rng.random() < 0.2:
            words.append(f"({rng.randint(2, 98)}.{rng.randint(0, 9)}% on {rng.choice(WORDS)})")
        sentences.append(" ".join(words) + ".")
        count += len(words)
    return " ".join(sentences)


def make_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12))).capitalize()
        texts.append(f"{title}. {abstract(rng, rng.randint(140, 260))}")
    return texts


def run_timed(
    funcs: dict[str, Callable[[], np.ndarray]], repeat: int
) -> tuple[dict[str, list[float]], dict[str, np.ndarray]]:
    """Wall times of each function over ``repeat`` runs, and what it returned."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    results: dict[str, np.ndarray] = {}
    for r in range(repeat):
        names = list(funcs) if r % 2 == 0 else list(reversed(funcs))  # alternate the order
        for name in names:
            start = time.perf_counter()
            results[name] = funcs[name]()
            times[name].append(time.perf_counter() - start)
    return times, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="number of texts (default 200)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if any)")
    parser.add_argument("--model", default=None, help="model directory (default: packaged)")
    parser.add_argument("--seq", type=int, nargs="+", default=[256, 128])
    parser.add_argument("--repeat", type=int, default=1, help="runs per side, best counts")
    args = parser.parse_args()

    import sentence_transformers
    import torch

    texts = make_texts(args.n)
    words = [len(t.split()) for t in texts]
    print(
        f"python {platform.python_version()}  torch {torch.__version__}  "
        f"sentence-transformers {sentence_transformers.__version__}"
    )
    print(
        f"cpu count {os.cpu_count()}  torch threads {torch.get_num_threads()}  "
        f"cuda {torch.cuda.is_available()}"
    )
    print(
        f"texts {len(texts)}  words/text mean {np.mean(words):.0f} "
        f"min {min(words)} max {max(words)}  batch size {args.batch_size}  "
        f"repeat {args.repeat}"
    )

    for seq in args.seq:
        emb = SentenceTransformerEmbedder(args.model, device=args.device, max_seq_length=seq)
        model, bs = emb.model, args.batch_size
        tokens = [len(ids) for ids in model.tokenizer(texts[:50], verbose=False)["input_ids"]]
        truncated = sum(t > seq for t in tokens)

        def raw(model: SentenceTransformer = model, bs: int = bs) -> np.ndarray:
            return np.asarray(
                model.encode(
                    texts, batch_size=bs, normalize_embeddings=True, show_progress_bar=False
                )
            )

        def ours(emb: SentenceTransformerEmbedder = emb, bs: int = bs) -> np.ndarray:
            return emb.encode(texts, batch_size=bs)

        def ours_on_batch(emb: SentenceTransformerEmbedder = emb, bs: int = bs) -> np.ndarray:
            return emb.encode(texts, batch_size=bs, on_batch=lambda n: None)

        warm = texts[: 2 * bs]  # warm-up: not timed
        model.encode(warm, batch_size=bs, normalize_embeddings=True, show_progress_bar=False)
        emb.encode(warm, batch_size=bs)
        emb.encode(warm, batch_size=bs, on_batch=lambda n: None)

        funcs: dict[str, Callable[[], np.ndarray]] = {
            "raw": raw,
            "ours": ours,
            "ours+on_batch": ours_on_batch,
        }
        runs, results = run_timed(funcs, args.repeat)
        raw_best = min(runs["raw"])
        print(
            f"\n[{emb.name}] device {emb.device}  max_seq_length {seq}  "
            f"({truncated}/{len(tokens)} sampled texts longer than that, "
            f"tokens/text ~{np.mean(tokens):.0f})"
        )
        labels = {
            "raw": "raw  SentenceTransformer.encode",
            "ours": "ours SentenceTransformerEmbedder",
            "ours+on_batch": "ours, with on_batch",
        }
        for name, label in labels.items():
            best = min(runs[name])
            overhead = "" if name == "raw" else f"  overhead {(best / raw_best - 1) * 100:+5.1f}%"
            diff = float(np.abs(results[name] - results["raw"]).max())
            print(
                f"  {label:34} {len(texts) / best:7.1f} texts/s{overhead:17}"
                f"  max|diff| {diff:.1e}  runs(s) {' '.join(f'{t:.2f}' for t in runs[name])}"
            )


if __name__ == "__main__":
    main()
