"""Regions of the map and the words that name them. Pure functions.

Clusters are found on the 2-D map (k-means of the points), not in the 384-d space: a label
then names a region one can see, in one piece, and placing a new paper needs only its
neighbours. A cluster is named by class-based TF-IDF of its papers' titles (BERTopic's
c-TF-IDF): the words a cluster's titles use often and other clusters' titles seldom.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

#: Labelled regions: about sqrt(n / 4), from 1 (a handful of papers) to 40 (more reads as
#: noise on a screen; at 100k papers a region holds ~2,500 papers).
MAX_CLUSTERS = 40
LABEL_WORDS = 3

STOP_WORDS = frozenset(
    """a about above across after against all along also among an analysis and any approach
    are as at based be between beyond both but by can case could do does down during each
    effect effects for from further has have how in into is it its learning method methods
    model models more most new not novel of on one or other our over paper results study
    such than that the their these this through to toward towards two under use using via
    was we what when where which while who why with within without""".split()
)
_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def cluster_count(n: int) -> int:
    """How many regions a map of ``n`` points gets."""
    return max(1, min(MAX_CLUSTERS, round(math.sqrt(n / 4)))) if n else 0


def cluster_points(
    xy: NDArray[np.float32], k: int | None = None, seed: int = 0
) -> NDArray[np.int64]:
    """A region number (0..k-1) for each point: k-means of the 2-D points."""
    n = len(xy)
    k = cluster_count(n) if k is None else min(k, n)
    if k <= 1:
        return np.zeros(n, np.int64)
    from sklearn.cluster import (  # type: ignore[import-untyped, unused-ignore]
        KMeans,
        MiniBatchKMeans,
    )

    if n > 20_000:  # same regions to the eye, 10x faster at 100k points
        model: KMeans | MiniBatchKMeans = MiniBatchKMeans(
            k, random_state=seed, n_init=3, batch_size=8192
        )
    else:
        model = KMeans(k, random_state=seed, n_init=3)
    labels: NDArray[np.int64] = model.fit_predict(xy.astype(np.float64)).astype(np.int64)
    return _renumber_by_size(labels)


def _renumber_by_size(labels: NDArray[np.int64]) -> NDArray[np.int64]:
    """Region 0 is the largest: stable numbers for the same map."""
    counts = np.bincount(labels)
    order = np.argsort(-counts, kind="stable")
    new = np.empty_like(order)
    new[order] = np.arange(len(order))
    return new[labels]


def title_words(title: str | None) -> list[str]:
    """The words of a title worth counting: lower case, no stop words, no numbers alone."""
    words = _WORD.findall((title or "").lower())
    return [w for w in words if len(w) > 2 and w not in STOP_WORDS]


def ctf_idf(
    titles: Sequence[str | None], clusters: NDArray[np.int64], k: int, top: int = LABEL_WORDS
) -> list[list[str]]:
    """The ``top`` characteristic words of each cluster 0..k-1, best first.

    c-TF-IDF: ``tf(t, c) * log(1 + A / f(t))``, with ``tf(t, c)`` the frequency of word
    ``t`` among cluster ``c``'s title words, ``f(t)`` its count over all clusters and ``A``
    the mean number of words per cluster. A word must occur in two titles of the cluster
    (one title's quirk names nothing) unless the cluster has fewer than four papers.
    """
    counts = [Counter[str]() for _ in range(k)]
    titles_with = [Counter[str]() for _ in range(k)]
    sizes = np.bincount(clusters, minlength=k)
    for title, c in zip(titles, clusters.tolist(), strict=True):
        words = title_words(title)
        counts[c].update(words)
        titles_with[c].update(set(words))
    total = Counter[str]()
    for each in counts:
        total.update(each)
    mean_words = sum(total.values()) / max(1, k)
    labels = []
    for c in range(k):
        words_in_c = sum(counts[c].values()) or 1
        floor = 2 if sizes[c] >= 4 else 1
        scored = [
            (count / words_in_c * math.log(1 + mean_words / total[word]), word)
            for word, count in counts[c].items()
            if titles_with[c][word] >= floor
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))
        labels.append([word for _, word in scored[:top]])
    return labels


def label_of(words: Sequence[str], cluster: int) -> str:
    return " · ".join(words) if words else f"region {cluster + 1}"


def centres(xy: NDArray[np.float32], clusters: NDArray[np.int64], k: int) -> NDArray[np.float32]:
    """Where each cluster's label goes: the point of the cluster nearest its mean (the mean
    itself may fall outside a crescent-shaped region)."""
    out = np.zeros((k, 2), np.float32)
    for c in range(k):
        members = xy[clusters == c]
        if len(members):
            mean = members.mean(axis=0)
            out[c] = members[int(np.argmin(((members - mean) ** 2).sum(axis=1)))]
    return out
