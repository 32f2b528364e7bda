"""Active learning: which papers to ask a reader to rate next.

The pure core, ``pick_to_rate``, works on a pool of candidate vectors and (when the reader
has liked something) the reader model's scores for them:

* **Empty profile:** diverse representatives of the library: a spherical k-means of the
  pool into ``k`` groups, and from each group the paper closest to its centre, biggest
  groups first.
* **With a profile:** the ``k`` papers come from the *band* of the ``band`` papers the model
  ranks highest, spread by maximal marginal relevance (``diversity``), and an ``explore``
  share from representatives of the rest of the pool.

The settings were chosen by simulation on the CiteULike dev readers
(``benchmarks/bench_active.py --tune``: 60 readers, 2 known likes to start, 5 rounds of 10):
where a reader likes 0.5% of the library, the most informative answers are about the
papers the model ranks highest, since a 👍 teaches the model most and a 👎 on a far-off
paper next to nothing. nDCG@10 x 100 after 50 ratings: the model's plain top 10 each round
41.3, the top 20 spread by MMR (lambda 0.8, the default) 41.2, a band of 40 with 2 of 10
exploring 36.2, a band of 100 35.0, random papers 10.5 (from 10.5 at the start). The MMR
spread costs nothing measurable and spares a reader ten near-copies of one paper.

``choose_papers_to_rate`` ties it to a library: the pool is the embedded papers near the
reader's liked ones (from the vector index) plus a random sample of the library, less every
paper the reader has already rated (or owns).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from papersift.models import Hit
from papersift.rank.diversity import mmr

if TYPE_CHECKING:
    from papersift.recommend import Recommender

Kind = Literal["uncertain", "explore", "representative"]
F32 = NDArray[np.float32]
F64 = NDArray[np.float64]

#: Papers asked about in one round.
ROUND_SIZE = 10
#: Random library papers in the pool (besides those near the reader's likes).
POOL_SAMPLE = 3000
#: Papers taken from the vector index around each of the reader's latest likes.
POOL_PER_LIKE = 200
POOL_LIKES = 20


@dataclass(frozen=True)
class ActiveSettings:
    """Knobs of ``pick_to_rate``; the defaults are those the dev-set simulation chose
    (``benchmarks/bench_active.py``)."""

    band: int = 20  # the model's best this many papers are the candidates
    explore: float = 0.0  # share of a round that explores the rest of the pool
    diversity: float = 0.8  # MMR lambda inside the band (1 = by score alone)
    kmeans_iterations: int = 15


DEFAULT_ACTIVE = ActiveSettings()


@dataclass(frozen=True)
class Pick:
    """One paper to ask about: its row in the pool, why it was chosen, and its score."""

    row: int
    kind: Kind
    score: float
    group_size: int = 0  # representatives: how many pool papers their group holds


def pick_to_rate(
    vectors: F32,
    scores: F64 | None,
    k: int = ROUND_SIZE,
    *,
    settings: ActiveSettings = DEFAULT_ACTIVE,
    seed: int = 0,
) -> list[Pick]:
    """``k`` rows of ``vectors`` (unit rows) to ask about; ``scores`` is None for an empty
    profile (then: representatives of the pool)."""
    n = len(vectors)
    k = min(k, n)
    if k <= 0:
        return []
    rng = np.random.default_rng(seed)
    if scores is None:
        return _representatives(vectors, np.arange(n), k, rng, settings, "representative")
    n_explore = min(k - 1, round(k * settings.explore)) if k > 1 else 0
    order = np.argsort(-scores, kind="stable")
    band = order[: min(max(settings.band, k - n_explore), n - n_explore)]  # room to explore
    chosen = mmr(scores[band], vectors[band], k - n_explore, settings.diversity)
    picks = [Pick(int(band[j]), "uncertain", float(scores[band[j]])) for j in chosen]
    rest = order[len(band) :]
    if n_explore and len(rest):
        found = _representatives(vectors, rest, n_explore, rng, settings, "explore")
        picks += [Pick(p.row, p.kind, float(scores[p.row]), p.group_size) for p in found]
    return picks


def _representatives(
    vectors: F32,
    rows: NDArray[np.intp],
    k: int,
    rng: np.random.Generator,
    settings: ActiveSettings,
    kind: Kind,
) -> list[Pick]:
    """From k groups of ``rows``, each group's paper closest to its centre, biggest first."""
    x = vectors[rows]
    k = min(k, len(rows))
    centres, assign = _spherical_kmeans(x, k, rng, settings.kmeans_iterations)
    picks = []
    for j in range(len(centres)):
        members = np.flatnonzero(assign == j)
        if not len(members):
            continue
        best = members[int(np.argmax(x[members] @ centres[j]))]
        picks.append(Pick(int(rows[best]), kind, 0.0, len(members)))
    picks.sort(key=lambda p: -p.group_size)
    return picks


def _spherical_kmeans(
    x: F32, k: int, rng: np.random.Generator, iterations: int
) -> tuple[F32, NDArray[np.intp]]:
    """Unit centres and assignments of k groups of unit rows (k-means++ start)."""
    centres = np.empty((k, x.shape[1]), dtype=np.float32)
    centres[0] = x[rng.integers(len(x))]
    closest = 1.0 - x @ centres[0]
    for j in range(1, k):
        weights = np.maximum(closest, 0.0) ** 2
        total = float(weights.sum())
        pick = rng.choice(len(x), p=weights / total) if total > 0 else rng.integers(len(x))
        centres[j] = x[pick]
        closest = np.minimum(closest, 1.0 - x @ centres[j])
    assign = np.argmax(x @ centres.T, axis=1)
    for _ in range(iterations):
        for j in range(k):
            members = assign == j
            if members.any():
                total_vec = x[members].sum(axis=0)
                norm = float(np.linalg.norm(total_vec))
                centres[j] = total_vec / norm if norm > 0 else centres[j]
        new = np.argmax(x @ centres.T, axis=1)
        if np.array_equal(new, assign):
            break
        assign = new
    return centres, assign


# ---------------------------------------------------------------------- with a library


def choose_papers_to_rate(
    recommender: Recommender,
    name: str,
    k: int = ROUND_SIZE,
    *,
    exclude: Collection[int] = (),
    seed: int = 0,
) -> list[Hit]:
    """Up to ``k`` papers for reader ``name`` to rate, each a ``Hit`` whose ``reasons`` say
    why it is asked about; never a paper the reader already rated or owns, nor ``exclude``.

    Only papers with a vector for the library's model are considered (``papersift index``).
    ``NotFoundError`` for an unknown reader.
    """
    store, model_name = recommender.store, recommender.searcher.model_name
    reader = recommender.reader(name)
    signals = store.signals(reader.id)
    known = {s.paper_id for s in signals} | set(exclude)
    liked = [s.paper_id for s in signals if s.label > 0]
    ids = _pool_ids(recommender, liked, known, seed)
    if not ids:
        return []
    pool_ids, vectors = store.vectors_of(ids, model_name)
    vectors = _unit(vectors)
    scores = None
    model = None
    if liked:
        today = datetime.now(UTC).date()
        model = recommender.model_for(reader, today, signals)[0]
        scores = np.asarray(model.score(vectors), dtype=np.float64)
    picks = pick_to_rate(vectors, scores, k, seed=seed)
    papers = store.get_papers([int(pool_ids[p.row]) for p in picks])
    ranks = _ranks(scores)
    return [
        Hit(papers[int(pool_ids[p.row])], p.score, [_reason(p, ranks, len(pool_ids))])
        for p in picks
        if int(pool_ids[p.row]) in papers
    ]


def _pool_ids(recommender: Recommender, liked: list[int], known: set[int], seed: int) -> list[int]:
    """Embedded papers near the reader's latest likes plus a random library sample."""
    store, searcher = recommender.store, recommender.searcher
    found: set[int] = {
        int(i) for i in store.random_embedded_ids(POOL_SAMPLE, seed, searcher.model_name)
    }
    if liked:
        _, queries = store.vectors_of(liked[-POOL_LIKES:], searcher.model_name)
        if len(queries):
            index = searcher.vectors()
            for query in queries:
                found.update(pid for pid, _ in index.search(query, POOL_PER_LIKE))
    return sorted(found - known)


def _unit(x: F32) -> F32:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: F32 = (x / norms).astype(np.float32, copy=False)
    return out


def _ranks(scores: F64 | None) -> NDArray[np.intp] | None:
    if scores is None:
        return None
    ranks = np.empty(len(scores), dtype=np.intp)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    return ranks


def _reason(pick: Pick, ranks: NDArray[np.intp] | None, size: int) -> str:
    if pick.kind == "representative":
        return f"stands for a group of {pick.group_size} papers of the library"
    if pick.kind == "explore":
        return (
            f"from a part of the library you have not rated yet "
            f"(a group of {pick.group_size} papers)"
        )
    rank = int(ranks[pick.row]) + 1 if ranks is not None else 0
    return f"the model ranks it #{rank} of {size} for you: your answer teaches it most"
