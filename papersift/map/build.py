"""Making and updating the map of a library (``papersift map build`` / ``map update``).

``build_map`` lays out every vector of a model again (nightly: the t-SNE of 100k papers
took 483 CPU-seconds here, 1M about 73 CPU-minutes extrapolated; see the README's "Map");
``update_map`` only places the papers embedded since, at their nearest laid-out neighbours
(15 s for 1,000 new papers on a map of 100k), and leaves every other point where it was, so
a reader's map does not move under them between builds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from papersift.clock import now_iso
from papersift.errors import UsageError
from papersift.map.labels import centres, cluster_points, ctf_idf, label_of
from papersift.map.layout import lay_out, layout_method, place_new
from papersift.store import Store
from papersift.store.shared_map import MapCluster, MapPoint, MapState

Progress = Callable[[str], None]


@dataclass(frozen=True)
class MapReport:
    points: int
    placed: int
    clusters: int
    method: str
    seconds: float


def _vectors(
    store: Store, model: str, since: int = 0
) -> tuple[NDArray[np.int64], NDArray[np.float32], int]:
    ids, vectors, seq = store.embeddings_since(model, since)
    if since == 0 and len(ids) == 0:
        raise UsageError(
            f"the library has no vectors of {model}: run `papersift index` first "
            "(the map lays out the papers' vectors)"
        )
    return ids, vectors, seq


def make_clusters(
    store: Store, ids: NDArray[np.int64], xy: NDArray[np.float32], regions: NDArray[np.int64]
) -> list[MapCluster]:
    """Each region's label (c-TF-IDF of its titles), label position and size, from the
    shared library's papers alone: a reader's private papers (pasted in their profile, see
    papersift.contributions) are on the map for them only, so their titles' words, places
    and numbers never reach a label that every reader sees."""
    k = int(regions.max()) + 1 if len(regions) else 0
    private = store.paper_owners(ids.tolist())
    shared = np.array([int(i) not in private for i in ids], bool)
    titles_by_id = store.paper_titles(ids[shared].tolist())
    titles = [titles_by_id.get(int(i)) for i in ids[shared]]
    words = ctf_idf(titles, regions[shared], k)
    where = centres(xy[shared].reshape(-1, 2), regions[shared], k)
    sizes = np.bincount(regions[shared], minlength=k)
    return [
        MapCluster(
            c,
            label_of(words[c], c),
            words[c],
            float(where[c, 0]),
            float(where[c, 1]),
            int(sizes[c]),
        )
        for c in range(k)
    ]


def build_map(
    store: Store, model: str, *, seed: int = 0, threads: int = 1, progress: Progress | None = None
) -> MapReport:
    """Lay out every vector of ``model``, find and name the regions, replace the stored map."""
    started = time.perf_counter()
    say = progress or (lambda _: None)
    ids, vectors, seq = _vectors(store, model)
    method = layout_method(len(ids))
    say(f"laying out {len(ids)} papers ({method})")
    xy = lay_out(vectors, seed=seed, threads=threads, method=method)
    say("finding and naming the regions")
    regions = cluster_points(xy, seed=seed)
    clusters = make_clusters(store, ids, xy, regions)
    ranks = np.random.default_rng(seed).permutation(len(ids))
    points = [
        MapPoint(int(i), float(p[0]), float(p[1]), int(c), int(r))
        for i, p, c, r in zip(ids, xy, regions, ranks, strict=True)
    ]
    now = now_iso()
    with store.transaction():
        store.replace_map(points, clusters, MapState(model, method, seq, now, now))
    return MapReport(len(points), 0, len(clusters), method, time.perf_counter() - started)


def update_map(store: Store, model: str, *, progress: Progress | None = None) -> MapReport:
    """Place the papers embedded since the map was made; build it if there is none (or it
    shows another model's vectors)."""
    state = store.map_state()
    if state is None or state.model != model:
        return build_map(store, model, progress=progress)
    started = time.perf_counter()
    new_ids, new_vectors, seq = store.embeddings_since(model, state.vector_seq)
    if len(new_ids) == 0:
        return MapReport(store.map_size(), 0, len(store.map_clusters()), "none", 0.0)
    (progress or (lambda _: None))(f"placing {len(new_ids)} new papers")
    renewed = set(new_ids.tolist())  # re-embedded papers are placed again
    old = [p for p in store.map_points() if p.paper_id not in renewed]
    by_id = {p.paper_id: p for p in old}
    every_id, every_vector, _ = store.embeddings_since(model, 0)
    laid = np.array([int(i) in by_id for i in every_id], bool)
    laid_points = [by_id[int(i)] for i in every_id[laid]]
    laid_xy = np.array([[p.x, p.y] for p in laid_points], np.float32).reshape(-1, 2)
    laid_regions = np.array([p.cluster for p in laid_points], np.int64)
    xy, regions = place_new(new_vectors, every_vector[laid], laid_xy, laid_regions)
    next_rank = max((p.rank for p in old), default=-1) + 1
    points = [
        MapPoint(int(i), float(p[0]), float(p[1]), int(c), next_rank + n)
        for n, (i, p, c) in enumerate(zip(new_ids, xy, regions, strict=True))
    ]
    all_ids = np.array([p.paper_id for p in old] + [p.paper_id for p in points], np.int64)
    all_xy = np.array([[p.x, p.y] for p in old + points], np.float32).reshape(-1, 2)
    all_regions = np.array([p.cluster for p in old + points], np.int64)
    clusters = make_clusters(store, all_ids, all_xy, all_regions)
    with store.transaction():
        store.add_map_points(points, clusters, seq, now_iso())
    return MapReport(
        len(all_ids), len(points), len(clusters), "placed", time.perf_counter() - started
    )
