"""How a feed ranks: the reader model's score plus recency and popularity priors.

One pure function, used by the feed (``papersift.recommend``) and by the replay evaluation
(``papersift.evaluate``), so the evaluation measures the ranking readers get:

    relevance = model + recency_weight * recency + popularity_weight * popularity

* ``model``: the reader model's raw scores, rescaled to 0..1 over the candidates (best 1);
* ``recency``: 1 for a paper dated today (or later), falling linearly to 0 at the start of
  the window (``window_days`` ago) or ``RECENCY_HORIZON_DAYS`` ago, whichever is nearer
  (a feed over years is not "newest decade first": the seed readers' feeds over all time
  had 2019 papers "moved up by recency"; no real rating set has times, so the horizon is
  a choice, not a measurement); 0 for an undated paper (age inf or NaN: the day it was
  ingested is not its date, and giving it the boost put undated papers above the model's
  choice);
* ``popularity``: log(1 + upvotes), divided by the largest among the candidates (0..1),
  only where upvotes exist: a paper whose source has no upvotes (NaN) gets the mean
  popularity of the candidates that have them, so an arXiv listing is neither pushed down
  by a Hugging Face page's votes nor up; with no upvotes anywhere the prior is 0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

#: The defaults of ``papersift feed`` (``--days``, ``--recency-weight``, ``--popularity-weight``).
DEFAULT_WINDOW_DAYS = 7
DEFAULT_RECENCY_WEIGHT = 0.1
DEFAULT_POPULARITY_WEIGHT = 0.1
RECENCY_HORIZON_DAYS = 30


def feed_relevance(
    raw: F64,
    ages_days: F64,
    upvotes: F64,
    *,
    window_days: float,
    recency_weight: float,
    popularity_weight: float,
) -> tuple[F64, dict[str, F64]]:
    """The total relevance of each candidate, and its parts (``model``, ``recency``,
    ``popularity``); ``ages_days`` is inf for an undated paper, negative for a future one."""
    raw = np.asarray(raw, dtype=np.float64)
    span = float(raw.max() - raw.min()) if len(raw) else 0.0
    model = (raw - raw.min()) / span if span > 0 else np.ones(len(raw))
    ages = np.asarray(ages_days, dtype=np.float64)
    ages = np.where(np.isnan(ages), np.inf, np.maximum(ages, 0.0))
    span = max(1.0, min(window_days, RECENCY_HORIZON_DAYS))
    recency = recency_weight * np.clip(1.0 - ages / span, 0.0, 1.0)
    popularity = popularity_weight * _popularity(np.asarray(upvotes, dtype=np.float64))
    parts = {"model": model, "recency": recency, "popularity": popularity}
    return model + recency + popularity, parts


def _popularity(upvotes: F64) -> F64:
    """log(1 + upvotes) over the largest among the candidates; unknown (NaN): the mean."""
    known = ~np.isnan(upvotes)
    votes = np.log1p(np.maximum(np.where(known, upvotes, 0.0), 0.0))
    top = float(votes[known].max()) if known.any() else 0.0
    if top <= 0:
        return np.zeros(len(upvotes))
    out: F64 = np.where(known, votes / top, float((votes[known] / top).mean()))
    return out
