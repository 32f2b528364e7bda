"""The map of the library: layout time and quality, regions and words, placing new papers.

For each size N (default 25k, 50k, 100k) it lays out N vectors with the layout the map uses
(openTSNE, all cores unless --threads) and prints the seconds (wall and CPU: on a shared
machine the CPU seconds are the steadier figure), the share of each paper's
10 nearest neighbours (cosine) that stay among its 10 nearest on the map (on 1,000 sampled
papers), the time to find and name the regions (k-means + c-TF-IDF of titles), and the time
and neighbour share of placing 1,000 new papers on the map (``map update``). Then it fits
``seconds = a * N^b`` to the measured sizes and extrapolates to 1M papers: an estimate,
printed as one (a 1M t-SNE needs ~1.5 GB for the vectors and long minutes on 2 cores;
``--sizes 1000000`` measures it for real where there is time).

The vectors are a Gaussian mixture shaped like sentence embeddings (as bench_vector.py):
unit centres in 384 dimensions, each topic spread over its own 24-dim subspace; the titles
are words drawn from each topic's own vocabulary plus common ones. ``--real`` lays out
the packaged model's vectors of the 1,929 real abstracts of ../shared/eval/citeulike_dev
instead (embedded once, cached in /tmp/papersift-eval-cache/), ``--vectors FILE.npy`` any
other vectors, and ``--methods`` compares layouts (tsne, pca, umap when umap-learn is
installed); those runs also print trustworthiness@10 (scikit-learn, on up to 5,000 papers).

    python benchmarks/bench_map.py                       # 25k, 50k, 100k (~15 min on 2 cores)
    python benchmarks/bench_map.py --sizes 5000          # a quick run
    python benchmarks/bench_map.py --real --methods tsne,umap,pca

It prints figures only: nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from papersift.map.labels import centres, cluster_points, ctf_idf  # noqa: E402
from papersift.map.layout import (  # noqa: E402
    fit_unit_square,
    lay_out,
    neighbour_preservation,
    place_new,
)

DIM = 384
TOPICS = 200
SUBSPACE = 24
NEW = 1_000
QUERIES = 1_000
Array = np.ndarray[Any, Any]


def mixture(n: int, seed: int = 7) -> tuple[Array, Array]:
    """``n`` unit vectors of a topic mixture, and the topic of each."""
    rng = np.random.default_rng(seed)
    topic_centres = rng.standard_normal((TOPICS, DIM)).astype(np.float32)
    topic_centres /= np.linalg.norm(topic_centres, axis=1, keepdims=True)
    bases = rng.standard_normal((TOPICS, SUBSPACE, DIM)).astype(np.float32) * (0.7 / np.sqrt(DIM))
    topics = rng.integers(0, TOPICS, size=n)
    out = np.empty((n, DIM), np.float32)
    for t in range(TOPICS):
        rows = np.flatnonzero(topics == t)
        z = rng.standard_normal((rows.size, SUBSPACE)).astype(np.float32)
        noise = rng.standard_normal((rows.size, DIM)).astype(np.float32) * (0.25 / np.sqrt(DIM))
        out[rows] = topic_centres[t] + z @ bases[t] + noise
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out, topics


def titles_for(topics: Array, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    vocab = [[f"t{t}w{i}" for i in range(12)] for t in range(TOPICS)]
    common = ["learning", "efficient", "robust", "neural", "scalable", "deep", "data"]
    return [" ".join([*rng.choice(vocab[t], 3), *rng.choice(common, 2)]) for t in topics.tolist()]


def _layout(vectors: Array, method: str, threads: int) -> Array:
    if method == "umap":
        import umap  # type: ignore[import-not-found, unused-ignore]

        layout = umap.UMAP(metric="cosine", random_state=0).fit_transform(vectors)
        return fit_unit_square(layout)
    return lay_out(vectors, method=method, threads=threads)


def measure(vectors: Array, topics: Array | None, method: str, threads: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    n = len(vectors) - NEW
    laid, new = vectors[:n], vectors[n:]
    started, cpu = time.perf_counter(), time.process_time()
    xy = _layout(laid, method, threads)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    queries = rng.choice(n, min(QUERIES, n), replace=False)
    kept = neighbour_preservation(laid, xy, queries)
    line = (
        f"{method:5s} N={n:>9,}  layout {seconds:7.1f} s (CPU {cpu:7.1f} s)  "
        f"neighbours kept@10 {kept:.3f}"
    )
    if topics is not None:
        started = time.perf_counter()
        regions = cluster_points(xy)
        k = int(regions.max()) + 1
        ctf_idf(titles_for(topics[:n]), regions, k)
        centres(xy, regions, k)
        line += f"  regions+words {time.perf_counter() - started:5.1f} s ({k})"
        started = time.perf_counter()
        placed, _ = place_new(new, laid, xy, regions)
        place_s = time.perf_counter() - started
        both = np.concatenate([laid, new])
        kept_new = neighbour_preservation(
            both, np.concatenate([xy, placed]), np.arange(n, n + len(new))
        )
        line += f"  place {len(new)} new {place_s:4.1f} s (kept@10 {kept_new:.3f})"
    print(line, flush=True)
    return seconds, cpu


def trust(vectors: Array, method: str, threads: int) -> None:
    """Neighbours kept and trustworthiness of a layout of real vectors (quality only)."""
    from sklearn.manifold import trustworthiness  # type: ignore[import-untyped, unused-ignore]

    rng = np.random.default_rng(0)
    started, cpu = time.perf_counter(), time.process_time()
    xy = _layout(vectors, method, threads)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    every = np.arange(len(vectors))
    queries = every if len(vectors) <= 5000 else rng.choice(every, QUERIES, replace=False)
    kept = neighbour_preservation(vectors, xy, queries)
    sample = rng.choice(len(vectors), min(5000, len(vectors)), replace=False)
    tw = trustworthiness(vectors[sample], xy[sample], n_neighbors=10, metric="cosine")
    print(
        f"{method:5s} N={len(vectors):>9,}  layout {seconds:7.1f} s (CPU {cpu:7.1f} s)  "
        f"neighbours kept@10 {kept:.3f}  trustworthiness@10 {tw:.3f}",
        flush=True,
    )


def real_vectors() -> Array:
    """The packaged model's vectors of the CiteULike development set's papers (cached)."""
    import gzip
    import json

    cache = Path("/tmp/papersift-eval-cache/citeulike_minilm.npz")
    if cache.exists():
        with np.load(cache) as z:
            return np.asarray(z["vectors"], np.float32)
    from papersift.embed import load_embedder, paper_text

    source = ROOT.parent / "shared" / "eval" / "citeulike_dev" / "papers.jsonl.gz"
    with gzip.open(source, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    vectors = load_embedder(None).encode(
        [paper_text(r.get("title"), r.get("abstract")) for r in rows]
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, ids=np.array([r["id"] for r in rows]), vectors=vectors)
    return vectors


def extrapolate(measured: dict[int, tuple[float, float]], target: int = 1_000_000) -> None:
    """Fit ``seconds = a * N^b`` (wall, and CPU: the steadier on a shared machine)."""
    if len(measured) < 2 or target in measured:
        return
    sizes = np.array(sorted(measured), float)
    for name, column in (("wall", 0), ("CPU", 1)):
        secs = np.array([measured[int(s)][column] for s in sizes])
        b, log_a = np.polyfit(np.log(sizes), np.log(secs), 1)
        estimate = float(np.exp(log_a) * target**b)
        print(
            f"{name} extrapolated from {', '.join(f'{int(s):,}' for s in sizes)}: ~ N^{b:.2f}; "
            f"{target:,} papers ~ {estimate:.0f} s ({estimate / 60:.1f} min), an estimate"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="25000,50000,100000")
    parser.add_argument("--methods", default="tsne")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--vectors", type=Path, help="lay out these (.npy) instead")
    parser.add_argument("--real", action="store_true", help="the CiteULike dev set's vectors")
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"threads {args.threads}"
    )
    for method in args.methods.split(","):
        if args.vectors or args.real:
            real = real_vectors() if args.real else np.load(args.vectors).astype(np.float32)
            trust(real, method, args.threads)
            continue
        measured = {}
        for n in (int(s) for s in args.sizes.split(",")):
            vectors, topics = mixture(n + NEW)
            measured[n] = measure(vectors, topics, method, args.threads)
        extrapolate(measured)


if __name__ == "__main__":
    main()
