"""The feed's priors: recency only for dated papers, popularity only where upvotes exist."""

import numpy as np

from papersift.rank.priors import feed_relevance


def relevance(ages: list[float], upvotes: list[float]) -> dict[str, list[float]]:
    raw = np.zeros(len(ages))  # the model cannot tell the candidates apart
    _, parts = feed_relevance(
        raw,
        np.array(ages),
        np.array(upvotes),
        window_days=7,
        recency_weight=0.1,
        popularity_weight=0.1,
    )
    return {k: v.round(4).tolist() for k, v in parts.items()}


def test_an_undated_paper_gets_no_recency() -> None:
    # today, 3.5 days old, undated (inf), undated (NaN), older than the window
    parts = relevance([0, 3.5, np.inf, np.nan, 30], [0, 0, 0, 0, 0])
    assert parts["recency"] == [0.1, 0.05, 0.0, 0.0, 0.0]


def test_popularity_only_where_upvotes_exist() -> None:
    # 0, 10 and 100 upvotes, then two papers from a source without upvotes (NaN)
    parts = relevance([1] * 5, [0, 10, 100, np.nan, np.nan])
    pop = parts["popularity"]
    assert pop[0] == 0.0 and pop[2] == 0.1 and 0 < pop[1] < pop[2]
    # neither pushed down by the others' votes nor up: the mean of the known ones
    assert pop[3] == pop[4] == round(sum(pop[:3]) / 3, 4)


def test_no_upvotes_anywhere_is_no_prior() -> None:
    assert relevance([1, 1], [np.nan, np.nan])["popularity"] == [0.0, 0.0]
    assert relevance([1, 1], [0, 0])["popularity"] == [0.0, 0.0]


def test_a_long_window_rewards_only_the_last_weeks() -> None:
    _, parts = feed_relevance(
        np.zeros(3),
        np.array([0.0, 15.0, 400.0]),
        np.zeros(3),
        window_days=3650,
        recency_weight=0.1,
        popularity_weight=0.0,
    )
    assert parts["recency"].round(3).tolist() == [0.1, 0.05, 0.0]
