"""A reader's word model: arxiv-sanity-lite's TF-IDF + linear SVM, beside the dense model.

Pure scikit-learn over texts (no I/O); ``papersift.rank.reader`` fuses it with the
embedding model. Why keep words at all: on the CiteULike development readers (see the
README, "Evaluation") the SVM alone is below the MiniLM regression (53.7 vs 55.5 nDCG@10),
but its z-scored sum with it gains 2.4 points over the regression: the two err on
different papers (an exact method or gene name is a word, not a direction in 384
dimensions). On the expertise-rating set of issue 14 the SVM even beat the regression.

* **Space.** ``WordSpace.fit`` learns the vocabulary and idf from a sample of the library
  (the feed's background papers and the reader's own): sublinear tf, English stop words,
  min_df 2 (1 on fewer than ``MIN_DF_AT`` texts), as arxiv-sanity-lite, but single words:
  its 1-2 grams cost 3x the time to fit (2.0 vs 0.66 s for 1,000 abstracts on the 2-core
  VM) for nothing on the dev readers (fused: 58.6 with 1-2 grams, 58.7 with words).
* **Model.** A LinearSVC, C = 0.01, balanced classes, of the liked papers against the
  👎 and the background ones: arxiv-sanity-lite's recipe, C re-checked on the dev readers
  (0.01: 53.7, 0.1: 52.8; a logistic regression at C = 1, 10, 100: 52.9, 52.8, 52.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papersift.errors import UsageError

F64 = NDArray[np.float64]
#: Below this many texts a word need only appear once to be in the vocabulary.
MIN_DF_AT = 200
SVM_C = 0.01


@dataclass(frozen=True)
class WordSpace:
    """A fitted TF-IDF vectorizer: texts -> sparse unit rows."""

    vectorizer: Any

    @classmethod
    def fit(cls, texts: Sequence[str]) -> WordSpace:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped, unused-ignore]
            TfidfVectorizer,
        )

        vectorizer = TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            stop_words="english",
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
            ngram_range=(1, 1),
            max_features=20000,
            sublinear_tf=True,
            min_df=2 if len(texts) >= MIN_DF_AT else 1,
            dtype=np.float64,
        )
        try:
            vectorizer.fit(list(texts))
        except ValueError:  # no word at all (only stop words, or nothing)
            vectorizer = None
        return cls(vectorizer)

    def rows(self, texts: Sequence[str]) -> Any:
        """Sparse TF-IDF rows (CSR), one per text; all zero when the space has no words."""
        from scipy.sparse import csr_matrix  # type: ignore[import-untyped, unused-ignore]

        if self.vectorizer is None:
            return csr_matrix((len(texts), 1))
        if not texts:
            return csr_matrix((0, len(self.vectorizer.vocabulary_)))
        return self.vectorizer.transform(list(texts)).tocsr()


@dataclass(frozen=True)
class WordModel:
    """A linear model over a reader's words; ``score`` works on rows of the same space."""

    weights: F64
    bias: float

    @classmethod
    def fit(cls, liked: Any, other: Any, other_weights: F64 | None = None) -> WordModel:
        """Liked rows against other rows (👎 and background), sparse, same space."""
        from scipy.sparse import vstack  # type: ignore[import-untyped, unused-ignore]
        from sklearn.svm import LinearSVC  # type: ignore[import-untyped, unused-ignore]

        n_pos, n_neg = liked.shape[0], other.shape[0]
        if not n_pos:
            raise UsageError("a word model needs at least one liked paper")
        if not n_neg or liked.nnz == 0:  # nothing to contrast, or no words: no opinion
            return cls(np.zeros(liked.shape[1]), 0.0)
        x = vstack([liked, other]).tocsr()
        y = np.concatenate([np.ones(n_pos), np.zeros(n_neg)])
        weights = (
            np.ones(n_pos + n_neg)
            if other_weights is None
            else np.r_[np.ones(n_pos), other_weights]
        )
        svm = LinearSVC(class_weight="balanced", C=SVM_C, max_iter=1000)
        svm.fit(x, y, sample_weight=weights)
        return cls(np.asarray(svm.coef_[0], dtype=np.float64), float(svm.intercept_[0]))

    def score(self, rows: Any) -> F64:
        out: F64 = np.asarray(rows @ self.weights, dtype=np.float64).ravel() + self.bias
        return out
