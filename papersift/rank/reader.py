"""The reader model a feed ranks by: the embedding model, the word model and the centroid,
each z-scored on reference papers and summed. Pure numpy over vectors and sparse rows.

Chosen on the CiteULike development readers (README, "Evaluation"; nDCG@10 x 100, 334
readers, seed 0): the embedding regression alone 55.5, the TF-IDF SVM alone 53.7, the
mean-cosine centroid alone 54.5; regression + SVM 57.9; regression + SVM + centroid
58.6. Each part is standardised by its mean and spread over ``reference`` papers (random
library papers the parts were not trained on), so no part wins by its scale and a score
does not depend on the batch of candidates it is in.

``fit_reader`` is the small public entry (positives and negatives as vectors, optional
word rows): the active-learning chooser and the evaluation use it, the feed too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papersift.rank.lexical_reader import WordModel, WordSpace
from papersift.rank.personal import Example, ModelSettings, ReaderModel

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class FusionWeights:
    """How much each standardised part counts (0 leaves it out)."""

    dense: float = 1.0  # ReaderModel: the regression (or, in cold start, the similarity)
    words: float = 1.0  # WordModel: TF-IDF + linear SVM
    centroid: float = 1.0  # cosine to the mean liked vector, centred on the background

    def for_likes(self, n: int) -> FusionWeights:
        """The weights for a reader with ``n`` likes: words count fully from ``WORDS_FROM``
        likes on, half at one fewer, not at all below (dev readers cut to their first n
        likes: at 2 the SVM alone is 35.0 nDCG@10 against 43.2 for the regression and the
        fusion loses 1.4 to the centroid; at 4 and 6 the fusion is best, 49.7 and 55.5)."""
        share = min(1.0, max(0.0, (n - WORDS_FROM + 2) / 2))
        return FusionWeights(self.dense, self.words * share, self.centroid)


DEFAULT_WEIGHTS = FusionWeights()
WORDS_FROM = 4
#: The dense part: a class-balanced regression on the raw vectors (C = 1, every background
#: paper a full negative) from the first like on; on the dev readers 55.4 nDCG@10 alone and
#: 58.6 fused, against 55.7 and 57.9 for ``ReaderModel``'s own defaults (centred, C = 0.1,
#: similarity only under 10 likes): the centroid part already brings the similarity.
DENSE_SETTINGS = ModelSettings(
    min_positives=1, regularisation=1.0, center=False, background_weight=1.0, solver="lbfgs"
)


def _unit_rows(x: NDArray[Any]) -> F32:
    v = np.asarray(x, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: F32 = (v / norms).astype(np.float32)
    return out


@dataclass(frozen=True)
class _Scale:
    mean: float
    sd: float

    @classmethod
    def of(cls, values: F64) -> _Scale:
        if not len(values):
            return cls(0.0, 1.0)
        sd = float(values.std())
        return cls(float(values.mean()), sd if sd > 1e-9 else 1.0)

    def apply(self, values: F64) -> F64:
        out: F64 = (values - self.mean) / self.sd
        return out


class FusedReader:
    """Scores candidates for one reader; build it with ``fit_reader``."""

    def __init__(
        self,
        dense: ReaderModel,
        words: WordModel | None,
        centre: F32,
        shift: F32,
        weights: FusionWeights,
    ) -> None:
        self.dense = dense
        self.words = words
        self._centre = centre
        self._shift = shift
        self.weights = weights
        self._scales: dict[str, _Scale] = {}
        #: the word space the word model was fitted in (``word_rows`` of new texts)
        self.space: WordSpace | None = None

    def word_rows(self, texts: Sequence[str]) -> Any:
        """Word rows of candidate texts, for ``score``; None without a word model."""
        if self.space is None or self.words is None:
            return None
        return self.space.rows(texts)

    def nearest_positive(self, vectors: NDArray[np.float32]) -> tuple[I64, F64]:
        """The liked example closest to each row, and their cosine (see ``ReaderModel``)."""
        return self.dense.nearest_positive(vectors)

    @property
    def kind(self) -> str:
        return self.dense.kind

    def parts(self, vectors: NDArray[np.float32], rows: Any = None) -> dict[str, F64]:
        """Each part's raw score for the candidates (``rows``: their word rows, if any)."""
        w = self.weights
        out: dict[str, F64] = {}
        if w.dense:
            out["dense"] = self.dense.score(vectors)
        if w.centroid:
            x = _unit_rows(_unit_rows(vectors) - self._shift)
            out["centroid"] = (x @ self._centre).astype(np.float64)
        if w.words and self.words is not None and rows is not None:
            out["words"] = self.words.score(rows)
        return out

    def calibrate(self, vectors: NDArray[np.float32], rows: Any = None) -> None:
        """Learn each part's mean and spread on reference papers (not trained on)."""
        self._scales = {k: _Scale.of(v) for k, v in self.parts(vectors, rows).items()}

    def score(self, vectors: NDArray[np.float32], rows: Any = None) -> F64:
        """One score per candidate, higher = more likely liked: the weighted sum of the
        standardised parts (without ``rows`` the word part is left out)."""
        total = np.zeros(len(_unit_rows(vectors)) if len(vectors) else 0)
        for name, raw in self.parts(vectors, rows).items():
            scale = self._scales.get(name, _Scale.of(raw))
            total += getattr(self.weights, name) * scale.apply(raw)
        return total


def fit_reader(
    positives: NDArray[np.float32] | None = None,
    negatives: NDArray[np.float32] | None = None,
    background: NDArray[np.float32] | None = None,
    *,
    examples: Sequence[Example] | None = None,
    positive_rows: Any = None,
    negative_rows: Any = None,
    background_rows: Any = None,
    reference: NDArray[np.float32] | None = None,
    reference_rows: Any = None,
    weights: FusionWeights = DEFAULT_WEIGHTS,
    settings: ModelSettings = DENSE_SETTINGS,
    rng_seed: int = 0,
    space: WordSpace | None = None,
) -> FusedReader:
    """A reader's fused model from liked and disliked vectors (``examples`` instead, to
    give ages and weights), ``background`` library vectors (weak negatives), optionally
    word rows of the same papers in one space (``positive_rows``, ``negative_rows``,
    ``background_rows``; without them no word part) and ``reference`` papers to
    standardise the parts on (default: the background)."""
    if examples is None:
        examples = [Example(v, 1) for v in np.atleast_2d(_or_empty(positives))]
        examples += [Example(v, -1) for v in np.atleast_2d(_or_empty(negatives)) if v.size]
    dense = ReaderModel.fit(examples, background, rng_seed=rng_seed, settings=settings)
    weights = weights.for_likes(dense.n_positive)
    liked = _unit_rows(np.stack([e.vector for e in examples if e.label == 1]))
    bg = _unit_rows(background) if background is not None and len(background) else liked
    shift = bg.mean(axis=0).astype(np.float32)
    centre = _unit_rows(_unit_rows(liked - shift).mean(axis=0))[0]
    words = None
    others = [r for r in (negative_rows, background_rows) if r is not None and r.shape[0]]
    if weights.words and positive_rows is not None and others:
        words = WordModel.fit(positive_rows, _stack_rows(others))
    model = FusedReader(dense, words, centre, shift, weights)
    model.space = space
    if reference is None:
        reference, reference_rows = background, background_rows
    if reference is not None and len(reference):
        model.calibrate(reference, reference_rows)
    return model


def _stack_rows(parts: list[Any]) -> Any:
    from scipy.sparse import vstack  # type: ignore[import-untyped, unused-ignore]

    return vstack(parts).tocsr()


def _or_empty(x: NDArray[np.float32] | None) -> NDArray[np.float32]:
    return np.empty((0, 1), np.float32) if x is None else np.asarray(x, np.float32)
