"""A reader's model: which papers they will like, learned from their 👍 and 👎.

Pure numpy / scikit-learn over embedding vectors (no I/O). ``ReaderModel.fit`` takes the
reader's labelled examples (their own papers, likes, pasted abstracts, feedback: each with
a weight and an age) and optionally ``background`` vectors (library papers, used as weak
negatives).

* **Interests.** The liked papers are clustered (weighted spherical k-means, k about
  sqrt(positives / 2), at most ``max_interests``), so a reader with a big topic and a small
  one keeps both: a candidate's *interest similarity* is the best cosine to an interest
  centroid blended with the mean cosine to its nearest liked papers, never an average over
  everything they liked.
* **Cold start** (fewer than ``min_positives`` likes, or nothing to contrast them with):
  the interest similarity, less a share of the similarity to the nearest 👎.
* **Enough labels:** a class-balanced logistic regression on the embeddings, with the 👎 as
  negatives and a random sample of the background as weaker negatives, blended with the
  interest similarity (both standardised on the background, so scores do not depend on the
  batch they are computed in).
* **Time.** A signal ``age_days`` old counts ``0.5 ** (age_days / half_life_days)`` times
  its weight, in the centroids, the nearest neighbours and the regression.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]

from papersift.errors import PapersiftError, UsageError

Kind = Literal["similarity", "logistic"]
F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


@dataclass(frozen=True)
class Example:
    """One labelled paper vector; ``label`` is +1 (liked) or -1 (not for me)."""

    vector: NDArray[np.float32]
    label: int
    age_days: float = 0.0
    weight: float = 1.0


class EmptyProfileError(PapersiftError):
    """A model was asked for without a single liked paper."""

    exit_code = 3


@dataclass(frozen=True)
class ModelSettings:
    """Knobs of ``ReaderModel``; the defaults are those the replay evaluation chose."""

    min_positives: int = 10  # fewer likes: cold start (similarity)
    max_interests: int = 8
    neighbours: int = 3  # liked papers averaged in the interest similarity
    centroid_share: float = 0.5  # interest similarity = share * centroid + rest * neighbours
    mean_share: float = 0.0  # part of the similarity given to the cosine to the mean like
    center: bool = False  # subtract the background mean before anything
    whiten: float = 0.0  # > 0: whiten with the background covariance, shrunk by this
    freshness: float = 0.0  # centroid cosine times (mean decay of its members) ** this
    negative_penalty: float = 0.5  # cold start: minus this times the cosine to the nearest 👎
    logistic_share: float = 0.5  # logistic mode: share of the regression in the blend
    background_samples: int = 600
    background_weight: float = 0.3  # of one background paper, relative to one 👎
    regularisation: float = 4.0  # C of the logistic regression (unit-length inputs)
    kmeans_iterations: int = 20


DEFAULT_SETTINGS = ModelSettings()


@dataclass(frozen=True)
class _Signals:
    """The examples split by label, unit-length, with their decayed weights."""

    positives: F32
    raw_positives: F32
    positive_weights: F64
    positive_indices: NDArray[np.int64]
    negatives: F32
    negative_weights: F64


class ReaderModel:
    """Scores candidate vectors for one reader; build it with ``ReaderModel.fit``."""

    kind: Kind
    n_positive: int
    n_negative: int
    n_interests: int
    #: Position in the ``examples`` given to ``fit`` of each positive example, in order.
    positive_indices: NDArray[np.int64]

    def __init__(
        self,
        signals: _Signals,
        centroids: F32,
        settings: ModelSettings,
        transform: _Transform,
        linear: tuple[F64, float] | None = None,
        scale: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0),
    ) -> None:
        self._signals = signals
        self._centroids = centroids
        self._settings = settings
        self._transform = transform
        self._linear = linear
        self._scale = scale  # mean and sd of the similarity, then of the regression
        self.kind = "similarity" if linear is None else "logistic"
        self.n_positive = len(signals.positives)
        self.n_negative = len(signals.negatives)
        self.n_interests = len(centroids)
        self.positive_indices = signals.positive_indices
        mean = (signals.positive_weights[:, None] * signals.positives).sum(axis=0)
        self._mean = _unit(mean[None, :].astype(np.float32))[0]
        member = np.argmax(signals.positives @ centroids.T, axis=1)
        self._fresh = np.array(
            [
                signals.positive_weights[member == j].mean() ** settings.freshness
                if (member == j).any()
                else 1.0
                for j in range(len(centroids))
            ]
        )

    @classmethod
    def fit(
        cls,
        examples: Sequence[Example],
        background: NDArray[np.float32] | None = None,
        *,
        half_life_days: float = 365.0,
        rng_seed: int = 0,
        settings: ModelSettings = DEFAULT_SETTINGS,
    ) -> ReaderModel:
        """Learn a reader's model; ``EmptyProfileError`` when no example is liked."""
        raw = _split(examples, half_life_days)
        rng = np.random.default_rng(rng_seed)
        bg = _background_rows(background, raw.positives.shape[1])
        transform = _Transform.fit(bg, settings)
        signals = transform.signals(raw)
        k = _interest_count(len(signals.positives), settings.max_interests)
        centroids = spherical_kmeans(
            signals.positives, signals.positive_weights, k, rng, settings.kmeans_iterations
        )
        plain = cls(signals, centroids, settings, transform)
        sample = _background_sample(bg, settings, rng)
        sample = transform(sample)
        if len(signals.positives) < settings.min_positives or (
            len(signals.negatives) == 0 and len(sample) == 0
        ):
            return plain
        linear = _fit_logistic(signals, sample, settings)
        contrast = sample if len(sample) else signals.negatives
        sim = plain._similarity(contrast)
        reg = contrast.astype(np.float64) @ linear[0] + linear[1]
        scale = (float(sim.mean()), _sd(sim), float(reg.mean()), _sd(reg))
        return cls(signals, centroids, settings, transform, linear, scale)

    # ------------------------------------------------------------------ scoring

    def score(self, vectors: NDArray[np.float32]) -> F64:
        """One score per row, higher = more likely to be liked."""
        x = self._transform(self._check(vectors))
        sim = self._similarity(x)
        if self._linear is None:
            if self.n_negative:
                sim -= self._settings.negative_penalty * _weighted_knn(
                    x, self._signals.negatives, self._signals.negative_weights, 1
                )
            return sim
        w, b = self._linear
        mu_s, sd_s, mu_r, sd_r = self._scale
        share = self._settings.logistic_share
        reg = (x.astype(np.float64) @ w + b - mu_r) / sd_r
        out: F64 = share * reg + (1.0 - share) * (sim - mu_s) / sd_s
        return out

    def nearest_positive(
        self, vectors: NDArray[np.float32]
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """For each row: which liked example is closest (its rank among the positives, in
        the order given to ``fit``; ``positive_indices`` maps it back) and the cosine."""
        x = self._check(vectors).astype(np.float64)
        cos = x @ self._signals.raw_positives.T.astype(np.float64)
        best = np.argmax(cos, axis=1).astype(np.int64)
        return best, cos[np.arange(len(cos)), best]

    def interest(self, vectors: NDArray[np.float32]) -> NDArray[np.int64]:
        """For each row, the interest (cluster of liked papers, 0..n_interests-1) it is in."""
        cos = self._transform(self._check(vectors)) @ self._centroids.T
        best: NDArray[np.int64] = np.argmax(cos, axis=1).astype(np.int64)
        return best

    def _similarity(self, x: F32) -> F64:
        s = self._settings
        sig = self._signals
        cos = (x @ self._centroids.T).astype(np.float64)
        if s.freshness:
            cos = cos * self._fresh[None, :]
        centroid = cos.max(axis=1)
        knn = _weighted_knn(x, sig.positives, sig.positive_weights, s.neighbours)
        out: F64 = s.centroid_share * centroid + (1.0 - s.centroid_share - s.mean_share) * knn
        if s.mean_share:
            out += s.mean_share * (x @ self._mean).astype(np.float64)
        return out

    def _check(self, vectors: NDArray[np.float32]) -> F32:
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        dim = self._signals.positives.shape[1]
        if x.ndim != 2 or x.shape[1] != dim:
            raise UsageError(f"expected vectors of dimension {dim}, got shape {x.shape}")
        return _unit(x)

    def __repr__(self) -> str:
        return (
            f"ReaderModel(kind={self.kind!r}, n_positive={self.n_positive}, "
            f"n_negative={self.n_negative}, n_interests={self.n_interests})"
        )


# ---------------------------------------------------------------------- fitting helpers


def _unit(x: F32) -> F32:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: F32 = (x / norms).astype(np.float32, copy=False)
    return out


def _sd(values: F64) -> float:
    sd = float(values.std())
    return sd if sd > 1e-9 else 1.0


def _split(examples: Sequence[Example], half_life_days: float) -> _Signals:
    if half_life_days <= 0:
        raise UsageError(f"half_life_days must be positive, got {half_life_days}")
    if not examples:
        raise EmptyProfileError("no liked papers yet: like or add a paper first")
    dims = {np.asarray(e.vector).shape for e in examples}
    if len(dims) != 1 or len(next(iter(dims))) != 1:
        raise UsageError(f"examples must be vectors of one dimension, got shapes {sorted(dims)}")
    labels = np.array([e.label for e in examples])
    if not np.isin(labels, (1, -1)).all():
        raise UsageError("example labels must be +1 (liked) or -1 (not for me)")
    if not (labels == 1).any():
        raise EmptyProfileError("no liked papers yet, only papers marked as not for me")
    x = _unit(np.stack([np.asarray(e.vector, dtype=np.float32) for e in examples]))
    ages = np.array([max(e.age_days, 0.0) for e in examples], dtype=np.float64)
    w = np.array([e.weight for e in examples], dtype=np.float64) * 0.5 ** (ages / half_life_days)
    pos, neg = labels == 1, labels == -1
    indices = np.flatnonzero(pos).astype(np.int64)
    return _Signals(x[pos], x[pos], w[pos], indices, x[neg], w[neg])


def _interest_count(n_positive: int, cap: int) -> int:
    return max(1, min(cap, round(math.sqrt(n_positive / 2))))


def _background_rows(background: NDArray[np.float32] | None, dim: int) -> F32:
    if background is None or len(background) == 0:
        return np.empty((0, dim), dtype=np.float32)
    bg = np.asarray(background, dtype=np.float32)
    if bg.ndim != 2 or bg.shape[1] != dim:
        raise UsageError(f"background must have rows of dimension {dim}, got shape {bg.shape}")
    return bg


def _background_sample(bg: F32, settings: ModelSettings, rng: np.random.Generator) -> F32:
    if settings.background_samples <= 0:
        return bg[:0]
    if len(bg) > settings.background_samples:
        bg = bg[rng.choice(len(bg), size=settings.background_samples, replace=False)]
    return _unit(bg)


class _Transform:
    """Centring (and whitening) of unit vectors with the background's statistics."""

    def __init__(self, mean: F32 | None = None, matrix: F32 | None = None) -> None:
        self.mean = mean
        self.matrix = matrix

    @classmethod
    def fit(cls, bg: F32, settings: ModelSettings) -> _Transform:
        if len(bg) < 2 or not (settings.center or settings.whiten):
            return cls()
        x = _unit(bg[:4000]).astype(np.float64)
        mean = x.mean(axis=0)
        if not settings.whiten:
            return cls(mean.astype(np.float32))
        cov = np.cov(x - mean, rowvar=False)
        vals, vecs = np.linalg.eigh(cov)
        vals = np.maximum(vals, 0.0) + settings.whiten * max(float(vals.mean()), 1e-12)
        matrix = (vecs / np.sqrt(vals)) @ vecs.T
        return cls(mean.astype(np.float32), matrix.astype(np.float32))

    def __call__(self, x: F32) -> F32:
        if self.mean is None:
            return x
        y = x - self.mean
        if self.matrix is not None:
            y = y @ self.matrix
        return _unit(y.astype(np.float32))

    def signals(self, raw: _Signals) -> _Signals:
        return _Signals(
            self(raw.positives),
            raw.positives,
            raw.positive_weights,
            raw.positive_indices,
            self(raw.negatives),
            raw.negative_weights,
        )


def _fit_logistic(signals: _Signals, sample: F32, settings: ModelSettings) -> tuple[F64, float]:
    """Weights and bias of a class-balanced logistic regression (positives vs the rest)."""
    neg_w = np.concatenate(
        [signals.negative_weights, np.full(len(sample), settings.background_weight)]
    )
    pos_w = signals.positive_weights
    # balance: both classes weigh as much as the examples do on average
    total = (pos_w.sum() + neg_w.sum()) / 2.0
    weights = np.concatenate([pos_w * total / pos_w.sum(), neg_w * total / neg_w.sum()])
    weights *= len(weights) / weights.sum()
    x = np.concatenate([signals.positives, signals.negatives, sample]).astype(np.float64)
    y = np.concatenate([np.ones(len(pos_w)), np.zeros(len(neg_w))])
    clf = LogisticRegression(C=settings.regularisation, max_iter=300, tol=1e-4)
    clf.fit(x, y, sample_weight=weights)
    return np.asarray(clf.coef_[0], dtype=np.float64), float(clf.intercept_[0])


def _weighted_knn(x: F32, refs: F32, weights: F64, k: int) -> F64:
    """Per row of x: the weight-averaged cosine of its k most similar refs."""
    cos = (x @ refs.T).astype(np.float64)
    k = min(k, refs.shape[0])
    if k == refs.shape[0]:
        top = np.broadcast_to(np.arange(k), (cos.shape[0], k))
    else:
        top = np.argpartition(-cos, k - 1, axis=1)[:, :k]
    w = weights[top]
    picked = np.take_along_axis(cos, top, axis=1)
    out: F64 = (picked * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
    return out


def spherical_kmeans(
    x: F32, weights: F64, k: int, rng: np.random.Generator, iterations: int = 20
) -> F32:
    """Unit-length centroids of k weighted clusters of unit rows (k-means++ start)."""
    k = min(k, len(x))
    centroids = _kmeanspp(x, weights, k, rng)
    assign = np.full(len(x), -1)
    for _ in range(iterations):
        new = np.argmax(x @ centroids.T, axis=1)
        if np.array_equal(new, assign):
            break
        assign = new
        for j in range(k):
            members = assign == j
            if not members.any():  # empty: restart it on the worst-served point
                worst = int(np.argmin((x * centroids[assign]).sum(axis=1)))
                centroids[j] = x[worst]
                continue
            centroids[j] = (weights[members, None] * x[members]).sum(axis=0)
        centroids = _unit(centroids)
    return centroids


def _kmeanspp(x: F32, weights: F64, k: int, rng: np.random.Generator) -> F32:
    p = weights / weights.sum() if weights.sum() > 0 else None
    chosen = [int(rng.choice(len(x), p=p))]
    dist = 1.0 - x @ x[chosen[0]]
    for _ in range(1, k):
        d = np.maximum(dist, 0.0) * weights
        if d.sum() <= 0:
            break
        chosen.append(int(rng.choice(len(x), p=d / d.sum())))
        dist = np.minimum(dist, 1.0 - x @ x[chosen[-1]])
    return x[chosen].copy()
