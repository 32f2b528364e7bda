"""A reader's model: which papers they will like, learned from their 👍 and 👎.

Pure numpy / scikit-learn over embedding vectors (no I/O). ``ReaderModel.fit`` takes the
reader's labelled examples (their own papers, likes, pasted abstracts, feedback: each with
its weight and age) and, optionally, ``background`` vectors: library papers, used to centre
the space and as weak negatives.

* **Centring.** Vectors are compared after subtracting the background's mean (when there is
  a background): what every paper shares (the "this is an ML abstract" direction) stops
  counting as similarity. Measured: +0.02 nDCG@10 in cold start.
* **Interests.** Liked papers are clustered (weighted spherical k-means, k about
  sqrt(positives / 2), at most ``max_interests``). A candidate's *interest similarity* is
  the mean of its best cosine to an interest centroid and its weighted mean cosine to its
  3 nearest liked papers: a max over interests, never an average over everything liked, so
  a small interest is not crowded out by a dominant one (in cold start; with enough labels
  the regression decides, and it can rank a small interest's papers below some of the
  library). ``interest()`` says which interest a candidate falls in, ``nearest_positive()``
  which liked paper explains it.
* **Cold start** (fewer than ``min_positives`` likes, or nothing to contrast them with):
  the interest similarity, less ``negative_penalty`` times how much closer the candidate is
  to its nearest 👎 than to its nearest 👍 (only then: a noisy 👎 on a liked topic does not
  sink the whole topic).
* **Enough labels:** a class-balanced logistic regression on the (centred) embeddings, the
  👎 as negatives and a random sample of the background as weaker ones, strongly
  regularised (C = 0.1: close to the difference of the class means, which is what held up
  in the replay evaluation). ``logistic_share`` < 1 blends in the interest similarity (both
  standardised on the background sample, so a score never depends on its batch); the
  evaluation found no gain in it, so it is off by default.
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

from papersift.errors import PapersiftError, UsageError

Kind = Literal["similarity", "logistic"]
F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Example:
    """One labelled paper vector; ``label`` is +1 (liked) or -1 (not for me)."""

    vector: NDArray[np.float32]
    label: int  # +1 or -1
    age_days: float = 0.0
    weight: float = 1.0


class EmptyProfileError(PapersiftError):
    """A model was asked for without a single liked paper."""

    exit_code = 3


@dataclass(frozen=True)
class ModelSettings:
    """Knobs of ``ReaderModel``; the defaults are those the replay evaluation chose."""

    min_positives: int = 10  # fewer likes: cold start (similarity only)
    max_interests: int = 8
    neighbours: int = 3  # liked papers averaged in the interest similarity
    centroid_share: float = 0.5  # interest similarity: this * centroid + rest * neighbours
    negative_penalty: float = 0.5  # cold start: times (nearest 👎 - nearest 👍), when > 0
    center: bool = True  # subtract the background mean first
    logistic_share: float = 1.0  # with enough labels: regression vs interest similarity
    regularisation: float = 0.1  # C of the logistic regression (unit-length inputs)
    background_samples: int = 1000
    background_weight: float = 0.5  # of one background paper, relative to one 👎
    kmeans_iterations: int = 20
    #: newton-cg: 4x faster than lbfgs at C = 0.1 on centred vectors; at C = 1 on raw
    #: vectors (``papersift.rank.reader``) lbfgs is the fast one (13 vs 62 ms, 1,500 rows)
    solver: str = "newton-cg"


DEFAULT_SETTINGS = ModelSettings()


@dataclass(frozen=True)
class _Signals:
    """The examples split by label (unit-length, in the model's space) with decayed weights."""

    positives: F32
    positive_weights: F64
    negatives: F32
    negative_weights: F64


@dataclass(frozen=True)
class _Linear:
    weights: F64
    bias: float
    scale: tuple[float, float, float, float]  # mean and sd of similarity, then regression


class ReaderModel:
    """Scores candidate vectors for one reader; build it with ``ReaderModel.fit``."""

    kind: Kind
    n_positive: int
    n_negative: int
    n_interests: int
    #: Position, in the ``examples`` given to ``fit``, of each positive example, in order.
    positive_indices: I64

    def __init__(
        self,
        signals: _Signals,
        raw_positives: F32,
        positive_indices: I64,
        centroids: F32,
        shift: F32 | None,
        settings: ModelSettings,
        linear: _Linear | None = None,
    ) -> None:
        self._signals = signals
        self._raw_positives = raw_positives
        self._centroids = centroids
        self._shift = shift
        self._settings = settings
        self._linear = linear
        self.kind = "similarity" if linear is None else "logistic"
        self.n_positive = len(signals.positives)
        self.n_negative = len(signals.negatives)
        self.n_interests = len(centroids)
        self.positive_indices = positive_indices

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
        x, labels, weights = _examples(examples, half_life_days)
        rng = np.random.default_rng(rng_seed)
        bg = _background(background, x.shape[1], settings, rng)
        shift = bg.mean(axis=0) if settings.center and len(bg) > 1 else None
        z = _shifted(x, shift)
        pos, neg = labels == 1, labels == -1
        signals = _Signals(z[pos], weights[pos], z[neg], weights[neg])
        k = _interest_count(int(pos.sum()), settings.max_interests)
        centroids = spherical_kmeans(
            signals.positives, signals.positive_weights, k, rng, settings.kmeans_iterations
        )
        indices = np.flatnonzero(pos).astype(np.int64)
        args = (signals, x[pos], indices, centroids, shift, settings)
        plain = cls(*args)
        bg = _shifted(bg, shift)
        if pos.sum() < settings.min_positives or (not neg.any() and not len(bg)):
            return plain
        return cls(*args, plain._fit_linear(bg))

    def _fit_linear(self, bg: F32) -> _Linear:
        w, b = _fit_logistic(self._signals, bg, self._settings)
        contrast = bg if len(bg) else self._signals.negatives
        sim = self._similarity(contrast)
        reg = contrast.astype(np.float64) @ w + b
        return _Linear(w, b, (float(sim.mean()), _sd(sim), float(reg.mean()), _sd(reg)))

    # ------------------------------------------------------------------ scoring

    def score(self, vectors: NDArray[np.float32]) -> F64:
        """One score per row, higher = more likely to be liked."""
        x = _shifted(self._check(vectors), self._shift)
        if self._linear is None:
            return self._similarity(x) - self._negative_penalty(x)
        lin = self._linear
        reg = x.astype(np.float64) @ lin.weights + lin.bias
        share = self._settings.logistic_share
        if share >= 1.0:
            return reg
        mu_s, sd_s, mu_r, sd_r = lin.scale
        out: F64 = share * (reg - mu_r) / sd_r
        out += (1.0 - share) * (self._similarity(x) - mu_s) / sd_s
        return out

    def nearest_positive(self, vectors: NDArray[np.float32]) -> tuple[I64, F64]:
        """For each row: the closest liked example (its rank among the positives, in the
        order given to ``fit``: ``positive_indices`` maps it back) and their cosine."""
        x = self._check(vectors).astype(np.float64)
        cos = x @ self._raw_positives.T.astype(np.float64)
        best: I64 = np.argmax(cos, axis=1).astype(np.int64)
        return best, cos[np.arange(len(cos)), best]

    def interest(self, vectors: NDArray[np.float32]) -> I64:
        """For each row, the interest (cluster of liked papers, 0..n_interests-1) it is in."""
        x = _shifted(self._check(vectors), self._shift)
        best: I64 = np.argmax(x @ self._centroids.T, axis=1).astype(np.int64)
        return best

    def _similarity(self, x: F32) -> F64:
        s, sig = self._settings, self._signals
        centroid = (x @ self._centroids.T).max(axis=1).astype(np.float64)
        knn = _weighted_knn(x, sig.positives, sig.positive_weights, s.neighbours)
        out: F64 = s.centroid_share * centroid + (1.0 - s.centroid_share) * knn
        return out

    def _negative_penalty(self, x: F32) -> F64:
        sig = self._signals
        if not len(sig.negatives) or not self._settings.negative_penalty:
            return np.zeros(len(x))
        nearest_neg = (x @ sig.negatives.T).max(axis=1).astype(np.float64)
        nearest_pos = (x @ sig.positives.T).max(axis=1).astype(np.float64)
        out: F64 = self._settings.negative_penalty * np.maximum(nearest_neg - nearest_pos, 0.0)
        return out

    def _check(self, vectors: NDArray[np.float32]) -> F32:
        x = np.asarray(vectors, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        dim = self._raw_positives.shape[1]
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


def _shifted(x: F32, shift: F32 | None) -> F32:
    return x if shift is None else _unit(x - shift)


def _sd(values: F64) -> float:
    sd = float(values.std())
    return sd if sd > 1e-9 else 1.0


def _examples(examples: Sequence[Example], half_life_days: float) -> tuple[F32, I64, F64]:
    """Unit vectors, labels and decayed weights of the examples, checked."""
    if half_life_days <= 0:
        raise UsageError(f"half_life_days must be positive, got {half_life_days}")
    if not examples:
        raise EmptyProfileError("no liked papers yet: like or add a paper first")
    shapes = {np.shape(e.vector) for e in examples}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise UsageError(f"examples must be vectors of one dimension, got shapes {shapes}")
    labels = np.array([e.label for e in examples], dtype=np.int64)
    if not np.isin(labels, (1, -1)).all():
        raise UsageError("example labels must be +1 (liked) or -1 (not for me)")
    if not (labels == 1).any():
        raise EmptyProfileError("no liked papers yet, only papers marked as not for me")
    weights = np.array([e.weight for e in examples], dtype=np.float64)
    if (weights < 0).any() or not np.isfinite(weights).all():
        raise UsageError("example weights must be finite and not negative")
    if not (weights[labels == 1] > 0).any():
        raise UsageError("every liked example has weight 0: nothing to learn from")
    ages = np.array([max(e.age_days, 0.0) for e in examples], dtype=np.float64)
    x = _unit(np.stack([np.asarray(e.vector, dtype=np.float32) for e in examples]))
    return x, labels, weights * 0.5 ** (ages / half_life_days)


def _interest_count(n_positive: int, cap: int) -> int:
    return max(1, min(cap, round(math.sqrt(n_positive / 2))))


def _background(
    background: NDArray[np.float32] | None,
    dim: int,
    settings: ModelSettings,
    rng: np.random.Generator,
) -> F32:
    """A random sample (``background_samples``) of the background rows, unit-length."""
    if background is None or len(background) == 0:
        return np.empty((0, dim), dtype=np.float32)
    bg = np.asarray(background, dtype=np.float32)
    if bg.ndim != 2 or bg.shape[1] != dim:
        raise UsageError(f"background must have rows of dimension {dim}, got shape {bg.shape}")
    if len(bg) > settings.background_samples:
        bg = bg[rng.choice(len(bg), size=settings.background_samples, replace=False)]
    return _unit(bg)


def _fit_logistic(signals: _Signals, bg: F32, settings: ModelSettings) -> tuple[F64, float]:
    """Weights and bias of a class-balanced logistic regression (likes vs the rest)."""
    pos_w = signals.positive_weights
    neg_w = np.concatenate([signals.negative_weights, np.full(len(bg), settings.background_weight)])
    # each class weighs half, and the weights average 1 (so C keeps its usual meaning)
    n = len(pos_w) + len(neg_w)
    weights = np.concatenate([pos_w / max(pos_w.sum(), 1e-12), neg_w / max(neg_w.sum(), 1e-12)]) * (
        n / 2
    )
    x = np.concatenate([signals.positives, signals.negatives, bg]).astype(np.float64)
    y = np.concatenate([np.ones(len(pos_w)), np.zeros(len(neg_w))])
    # imported here: scikit-learn takes ~2 s to import, which every CLI command paid
    from sklearn.linear_model import (  # type: ignore[import-untyped, unused-ignore]
        LogisticRegression,
    )

    # newton-cg: the same optimum as lbfgs, reached about 4x faster on 384-dim embeddings
    clf = LogisticRegression(C=settings.regularisation, max_iter=200, solver=settings.solver)
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
    centroids = _kmeanspp(x, weights, min(k, len(x)), rng)
    assign = np.full(len(x), -1)
    for _ in range(iterations):
        new = np.argmax(x @ centroids.T, axis=1)
        if np.array_equal(new, assign):
            break
        assign = new
        for j in range(len(centroids)):
            members = assign == j
            if members.any():
                centroids[j] = (weights[members, None] * x[members]).sum(axis=0)
            else:  # empty: restart it on the worst-served point
                centroids[j] = x[int(np.argmin((x * centroids[assign]).sum(axis=1)))]
        centroids = _unit(centroids)
    return centroids


def _kmeanspp(x: F32, weights: F64, k: int, rng: np.random.Generator) -> F32:
    total = weights.sum()
    p = weights / total if total > 0 else None
    chosen = [int(rng.choice(len(x), p=p))]
    dist = 1.0 - x @ x[chosen[0]]
    for _ in range(1, k):
        d = np.maximum(dist, 0.0) * (weights if total > 0 else 1.0)
        if d.sum() <= 1e-12:  # every point is already a centroid
            break
        chosen.append(int(rng.choice(len(x), p=d / d.sum())))
        dist = np.minimum(dist, 1.0 - x @ x[chosen[-1]])
    return x[chosen].copy()
