"""MMR diversification."""

import numpy as np

from papersift.rank.diversity import mmr


def unit(*rows: list[float]) -> np.ndarray:
    m = np.array(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_lambda_one_is_plain_ranking() -> None:
    rel = np.array([0.1, 0.9, 0.5, 0.7])
    vecs = unit([1, 0], [1, 0.01], [1, 0.02], [1, 0.03])
    assert mmr(rel, vecs, 4, lam=1.0) == [1, 3, 2, 0]


def test_near_duplicates_give_way_to_another_topic() -> None:
    # two near-identical top papers on topic A, a slightly lower one on topic B, and weak ones
    rel = np.array([1.0, 0.99, 0.8, 0.1, 0.0])
    vecs = unit([1, 0, 0], [1, 0.001, 0], [0, 1, 0], [0, 0, 1], [0, 0.7, 0.7])
    assert mmr(rel, vecs, 2, lam=0.7) == [0, 2]
    assert mmr(rel, vecs, 2, lam=1.0) == [0, 1]


def test_edge_cases() -> None:
    assert mmr(np.array([]), np.empty((0, 2), np.float32), 5) == []
    assert sorted(mmr(np.array([0.3, 0.3]), unit([1, 0], [0, 1]), 5)) == [0, 1]
