"""2-D layout of the library's vectors, and placing new papers on it. Pure functions.

Chosen by measurement (benchmarks/bench_map.py and the README's "Map" section): on the
packaged model's vectors of the 1,929 real abstracts of the CiteULike development set,
openTSNE kept 0.474 of each paper's 10 nearest neighbours on the map (trustworthiness@10
0.972), UMAP 0.389 (0.961), PCA 0.062 (0.787). openTSNE's wheel is 13 MB installed with
nothing new besides (UMAP brings numba and llvmlite: 210 MB, and 36 s to import here), and
it is deterministic for a seed. PCA is the layout of a handful of papers, where t-SNE has too
few neighbours to work with, and the fallback when openTSNE is not installed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

#: Below this many papers the map is a PCA projection (t-SNE wants ~3 x perplexity points).
MIN_TSNE = 12
PERPLEXITY = 30.0
#: New papers sit at the similarity-weighted mean of this many laid-out neighbours.
PLACE_NEIGHBOURS = 10
_CHUNK = 2048  # rows of new vectors compared with the laid-out ones at a time


def tsne_available() -> bool:
    try:
        import openTSNE  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def layout_method(n: int) -> str:
    """The method ``lay_out`` uses for ``n`` vectors."""
    return "tsne" if n >= MIN_TSNE and tsne_available() else "pca"


def lay_out(
    vectors: NDArray[np.float32],
    *,
    seed: int = 0,
    threads: int = 1,
    method: str | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> NDArray[np.float32]:
    """Unit-length rows -> 2-D points in [0, 1] x [0, 1] (aspect kept), one per row."""
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 2), np.float32)
    chosen = method or layout_method(n)
    if chosen == "tsne":
        xy = _tsne(vectors, seed, threads, on_progress)
    elif chosen == "pca":
        xy = _pca(vectors)
    else:
        raise ValueError(f"unknown layout method {chosen!r}")
    return fit_unit_square(xy)


def _tsne(
    vectors: NDArray[np.float32],
    seed: int,
    threads: int,
    on_progress: Callable[[str], None] | None,
) -> NDArray[np.float64]:
    from openTSNE import TSNE  # type: ignore[import-untyped, unused-ignore]

    perplexity = min(PERPLEXITY, (len(vectors) - 1) / 3.0)
    if on_progress:
        on_progress(f"t-SNE of {len(vectors)} vectors (perplexity {perplexity:.0f})")
    tsne = TSNE(
        perplexity=perplexity,
        metric="cosine",
        n_jobs=threads,
        random_state=seed,
        verbose=False,
    )
    return np.asarray(tsne.fit(np.ascontiguousarray(vectors, dtype=np.float32)))


def _pca(vectors: NDArray[np.float32]) -> NDArray[np.float64]:
    centred = vectors.astype(np.float64) - vectors.mean(axis=0)
    if len(vectors) < 2 or not np.any(centred):
        return np.zeros((len(vectors), 2))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2].T
    if axes.shape[1] < 2:
        axes = np.pad(axes, ((0, 0), (0, 2 - axes.shape[1])))
    out: NDArray[np.float64] = centred @ axes
    return out


def fit_unit_square(xy: NDArray[np.float64] | NDArray[np.float32]) -> NDArray[np.float32]:
    """Shift and scale (the same factor on both axes) into [0, 1] x [0, 1], centred."""
    xy = np.asarray(xy, np.float64)
    if len(xy) == 0:
        return np.zeros((0, 2), np.float32)
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = float((high - low).max())
    if span <= 0:
        return np.full(xy.shape, 0.5, np.float32)
    centred: NDArray[np.float64] = (xy - (low + high) / 2) / span + 0.5
    return centred.astype(np.float32)


def nearest_laid_out(
    new: NDArray[np.float32], laid: NDArray[np.float32], k: int = PLACE_NEIGHBOURS
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """For each new row, the rows of ``laid`` most similar to it (cosine, best first) and
    the similarities: exact, by pages of ``_CHUNK`` rows (a brute-force product)."""
    k = min(k, len(laid))
    idx = np.zeros((len(new), k), np.int64)
    sims = np.zeros((len(new), k), np.float32)
    for start in range(0, len(new), _CHUNK):
        block = new[start : start + _CHUNK] @ laid.T
        top = np.argpartition(-block, k - 1, axis=1)[:, :k] if k < len(laid) else None
        if top is None:
            top = np.tile(np.arange(len(laid)), (len(block), 1))
        top_sims = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_sims, axis=1)
        idx[start : start + len(block)] = np.take_along_axis(top, order, axis=1)
        sims[start : start + len(block)] = np.take_along_axis(top_sims, order, axis=1)
    return idx, sims


def place_new(
    new: NDArray[np.float32],
    laid: NDArray[np.float32],
    laid_xy: NDArray[np.float32],
    laid_cluster: NDArray[np.int64],
    k: int = PLACE_NEIGHBOURS,
) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
    """Where new papers go on a map already laid out, without moving anything: at the mean
    of their ``k`` nearest laid-out neighbours weighted by similarity (sharpened: the
    closest count most), in the cluster of the nearest one."""
    if len(new) == 0 or len(laid) == 0:
        return np.zeros((len(new), 2), np.float32), np.zeros(len(new), np.int64)
    idx, sims = nearest_laid_out(new, laid, k)
    weights = np.exp((sims - sims[:, :1]) / 0.05)  # softmax at temperature 0.05
    weights /= weights.sum(axis=1, keepdims=True)
    xy = np.einsum("nk,nkd->nd", weights, laid_xy[idx]).astype(np.float32)
    return xy, laid_cluster[idx[:, 0]].astype(np.int64)


def spread_pick(xy: NDArray[np.float32], k: int, seed: int = 0) -> list[int]:
    """Up to ``k`` indices of ``xy`` spread over the points (farthest-point sampling from
    the point nearest their centre): the papers a selected region stands for."""
    n = len(xy)
    if n == 0 or k <= 0:
        return []
    centre = xy.mean(axis=0)
    first = int(np.argmin(((xy - centre) ** 2).sum(axis=1)))
    chosen = [first]
    distance = ((xy - xy[first]) ** 2).sum(axis=1)
    for _ in range(min(k, n) - 1):
        nxt = int(np.argmax(distance))
        if distance[nxt] <= 0:
            break
        chosen.append(nxt)
        distance = np.minimum(distance, ((xy - xy[nxt]) ** 2).sum(axis=1))
    return chosen


def neighbour_preservation(
    vectors: NDArray[np.float32], xy: NDArray[np.float32], queries: NDArray[np.int64], k: int = 10
) -> float:
    """Mean share of each query row's ``k`` nearest neighbours (cosine, in the vectors) that
    are also among its ``k`` nearest on the map: 1.0 keeps every neighbourhood."""
    from scipy.spatial import cKDTree  # type: ignore[import-untyped, unused-ignore]

    if len(vectors) <= k or len(queries) == 0:
        return 1.0
    _, low = cKDTree(xy).query(xy[queries], k + 1)
    shared = 0
    for start in range(0, len(queries), 256):
        rows = queries[start : start + 256]
        sims = vectors[rows] @ vectors.T
        sims[np.arange(len(rows)), rows] = -np.inf
        high = np.argpartition(-sims, k, axis=1)[:, :k]
        for q, near, on_map in zip(rows, high, low[start : start + 256], strict=True):
            shared += len(set(near.tolist()) & (set(on_map.tolist()) - {int(q)}))
    return shared / (k * len(queries))
