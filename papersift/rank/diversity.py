"""Picking a varied short list from scored candidates. Pure functions."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def mmr(
    relevance: NDArray[np.float64], vectors: NDArray[np.float32], k: int, lam: float = 0.7
) -> list[int]:
    """Maximal marginal relevance: indices of k candidates, each chosen for
    ``lam * relevance - (1 - lam) * (highest cosine to one already chosen)``.

    ``relevance`` is rescaled to [0, 1] first, so ``lam`` means the same whatever the model's
    scale; ``lam = 1`` is plain ranking by relevance. Rows of ``vectors`` are unit length.
    """
    n = len(relevance)
    if n == 0 or k <= 0:
        return []
    span = float(relevance.max() - relevance.min())
    rel = (relevance - relevance.min()) / span if span > 0 else np.ones(n)
    closest = np.full(n, -1.0)  # highest similarity to anything chosen so far
    chosen: list[int] = []
    available = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        penalty = np.where(closest > -1.0, closest, 0.0)
        value = np.where(available, lam * rel - (1.0 - lam) * penalty, -np.inf)
        best = int(np.argmax(value))
        chosen.append(best)
        available[best] = False
        closest = np.maximum(closest, vectors @ vectors[best])
    return chosen
