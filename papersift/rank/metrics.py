"""Ranking quality measures, pure functions over a ranked list and graded judgments."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def dcg(gains: Sequence[float]) -> float:
    return float(sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains)))


def ndcg_at(ranked: Sequence[K], relevance: Mapping[K, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the top k, with graded relevance (2^g - 1)."""
    ideal = dcg(sorted(relevance.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([relevance.get(item, 0.0) for item in ranked[:k]]) / ideal


def reciprocal_rank(ranked: Sequence[K], relevance: Mapping[K, float]) -> float:
    """1 / rank of the first relevant item, 0 when none is ranked."""
    for i, item in enumerate(ranked, start=1):
        if relevance.get(item, 0) > 0:
            return 1.0 / i
    return 0.0


def recall_at(ranked: Sequence[K], relevance: Mapping[K, float], k: int = 10) -> float:
    relevant = {item for item, grade in relevance.items() if grade > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def precision_at(ranked: Sequence[K], relevance: Mapping[K, float], k: int = 10) -> float:
    return sum(1 for item in ranked[:k] if relevance.get(item, 0) > 0) / k
