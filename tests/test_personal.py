"""The reader model: cold start, several interests, 👎, time decay, logistic mode, errors."""

import numpy as np
import pytest
from numpy.typing import NDArray

from papersift.errors import UsageError
from papersift.rank.personal import (
    EmptyProfileError,
    Example,
    ModelSettings,
    ReaderModel,
    spherical_kmeans,
)

DIM = 32
Vectors = NDArray[np.float32]

# Enough likes for the regression, but forced to stay in similarity (interest) mode.
SIMILARITY_ONLY = ModelSettings(min_positives=1000)


def unit(x: NDArray[np.floating]) -> Vectors:
    out: Vectors = (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
    return out


def directions(rng: np.random.Generator, n: int) -> Vectors:
    """n random unit directions (in 32 dimensions, nearly orthogonal)."""
    return unit(rng.normal(size=(n, DIM)))


def around(rng: np.random.Generator, center: Vectors, n: int, noise: float = 0.5) -> Vectors:
    """n unit vectors scattered around ``center`` (cosine to it about 0.9 at noise 0.5)."""
    return unit(center + noise * rng.normal(size=(n, DIM)) / np.sqrt(DIM))


def background(rng: np.random.Generator, topics: Vectors, per_topic: int = 40) -> Vectors:
    """A library of other topics, loosely clustered."""
    return np.concatenate([around(rng, t, per_topic, noise=1.0) for t in topics])


def likes(vectors: Vectors, age_days: float = 0.0) -> list[Example]:
    return [Example(v, 1, age_days=age_days) for v in vectors]


def dislikes(vectors: Vectors) -> list[Example]:
    return [Example(v, -1) for v in vectors]


def auc(positive: NDArray[np.float64], negative: NDArray[np.float64]) -> float:
    above = (positive[:, None] > negative[None, :]).mean()
    ties = (positive[:, None] == negative[None, :]).mean()
    return float(above + 0.5 * ties)


# ------------------------------------------------------------------------------ modes


def test_few_likes_is_cold_start_similarity() -> None:
    rng = np.random.default_rng(1)
    topic, *others = directions(rng, 6)
    model = ReaderModel.fit(likes(around(rng, topic, 4)), background(rng, np.stack(others)))
    assert model.kind == "similarity"
    assert (model.n_positive, model.n_negative) == (4, 0)


def test_enough_likes_and_background_is_logistic() -> None:
    rng = np.random.default_rng(2)
    topic, *others = directions(rng, 6)
    examples = likes(around(rng, topic, 12))
    assert ReaderModel.fit(examples, background(rng, np.stack(others))).kind == "logistic"
    # 👎 alone are enough to contrast the likes with
    with_negatives = examples + dislikes(around(rng, others[0], 5))
    assert ReaderModel.fit(with_negatives).kind == "logistic"


def test_likes_without_anything_to_contrast_stay_similarity() -> None:
    rng = np.random.default_rng(3)
    (topic,) = directions(rng, 1)
    model = ReaderModel.fit(likes(around(rng, topic, 30)))
    assert model.kind == "similarity"
    assert model.n_negative == 0


def test_min_positives_is_the_threshold() -> None:
    rng = np.random.default_rng(4)
    topic, *others = directions(rng, 4)
    bg = background(rng, np.stack(others))
    examples = likes(around(rng, topic, 5))
    assert ReaderModel.fit(examples, bg, settings=ModelSettings(min_positives=6)).kind == (
        "similarity"
    )
    assert ReaderModel.fit(examples, bg, settings=ModelSettings(min_positives=5)).kind == (
        "logistic"
    )


# ------------------------------------------------------------------------------ interests


def _two_interests(seed: int) -> tuple[list[Example], Vectors, Vectors, Vectors, Vectors]:
    """A big interest (30 likes), a small one (5 likes), a library of 10 other topics;
    returns the examples, the library, and fresh candidates near each interest and in the
    library's topics."""
    rng = np.random.default_rng(seed)
    big, small, *others = directions(rng, 12)
    rest = np.stack(others)
    examples = likes(around(rng, big, 30)) + likes(around(rng, small, 5))
    near_big, near_small = around(rng, big, 20), around(rng, small, 20)
    elsewhere = background(rng, rest, per_topic=5)
    return examples, background(rng, rest), near_big, near_small, elsewhere


def test_small_interest_is_not_crowded_out_in_similarity_mode() -> None:
    examples, bg, near_big, near_small, elsewhere = _two_interests(10)
    for library in (bg, None):
        model = ReaderModel.fit(examples, library, settings=SIMILARITY_ONLY)
        assert model.kind == "similarity"
        assert model.n_interests >= 2
        # every candidate of either interest above every candidate of another topic
        assert model.score(near_small).min() > model.score(elsewhere).max()
        assert model.score(near_big).min() > model.score(elsewhere).max()
        # and the small interest is about as strong as the big one: a max over interests
        assert model.score(near_small).mean() > 0.8 * model.score(near_big).mean()


def test_small_interest_still_ranks_above_background_in_logistic_mode() -> None:
    examples, bg, near_big, near_small, elsewhere = _two_interests(10)
    model = ReaderModel.fit(examples, bg)
    assert model.kind == "logistic"
    others = model.score(elsewhere)
    assert model.score(near_small).mean() > others.mean()
    # Looser than in similarity mode: a regression leans towards the big interest.
    assert auc(model.score(near_small), others) > 0.75
    assert auc(model.score(near_big), others) > 0.95


def test_interest_separates_the_two_topics() -> None:
    examples, bg, near_big, near_small, _ = _two_interests(11)
    for settings in (SIMILARITY_ONLY, ModelSettings()):
        model = ReaderModel.fit(examples, bg, settings=settings)
        assert model.n_interests >= 2
        big = set(model.interest(near_big).tolist())
        small = set(model.interest(near_small).tolist())
        assert not big & small
        assert len(small) == 1  # five likes: one interest, not split
        assert all(0 <= i < model.n_interests for i in big | small)


def test_interest_count_is_capped() -> None:
    rng = np.random.default_rng(12)
    topics = directions(rng, 6)
    examples = [e for t in topics for e in likes(around(rng, t, 10))]
    model = ReaderModel.fit(examples, settings=ModelSettings(max_interests=3))
    assert model.n_interests == 3
    assert ReaderModel.fit(examples[:2]).n_interests == 1


# ------------------------------------------------------------------------------ 👎


def test_a_dislike_lowers_nearby_candidates_in_cold_start() -> None:
    rng = np.random.default_rng(20)
    liked, disliked, other = directions(rng, 3)
    pos = likes(around(rng, liked, 5))
    neg = dislikes(around(rng, disliked, 1))
    plain = ReaderModel.fit(pos)
    with_neg = ReaderModel.fit(pos + neg)
    assert plain.kind == with_neg.kind == "similarity"
    near_neg = around(rng, disliked, 10)
    near_like = around(rng, liked, 10)
    elsewhere = around(rng, other, 10)
    assert (with_neg.score(near_neg) < plain.score(near_neg) - 0.1).all()
    # the penalty applies only where the 👎 is closer than every 👍
    np.testing.assert_allclose(with_neg.score(near_like), plain.score(near_like), atol=1e-6)
    assert with_neg.score(near_neg).mean() < with_neg.score(elsewhere).mean()


def test_a_dislike_on_a_liked_topic_does_not_sink_it() -> None:
    rng = np.random.default_rng(21)
    (liked,) = directions(rng, 1)
    pos = likes(around(rng, liked, 6))
    noisy = dislikes(around(rng, liked, 1, noise=0.8))
    candidates = around(rng, liked, 20)
    plain = ReaderModel.fit(pos).score(candidates)
    with_neg = ReaderModel.fit(pos + noisy).score(candidates)
    assert with_neg.mean() > plain.mean() - 0.05


def test_no_penalty_setting_ignores_dislikes_in_cold_start() -> None:
    rng = np.random.default_rng(22)
    liked, disliked = directions(rng, 2)
    pos = likes(around(rng, liked, 5))
    neg = dislikes(around(rng, disliked, 2))
    off = ModelSettings(negative_penalty=0.0)
    candidates = around(rng, disliked, 10)
    np.testing.assert_allclose(
        ReaderModel.fit(pos + neg, settings=off).score(candidates),
        ReaderModel.fit(pos, settings=off).score(candidates),
        atol=1e-6,
    )


# ------------------------------------------------------------------------------ time


@pytest.mark.parametrize("per_topic", [4, 15], ids=["cold-start", "logistic"])
def test_old_signals_count_less(per_topic: int) -> None:
    rng = np.random.default_rng(30)
    first, second, *others = directions(rng, 8)
    bg = background(rng, np.stack(others))
    recent, old = around(rng, first, per_topic), around(rng, second, per_topic)
    near_first, near_second = around(rng, first, 20), around(rng, second, 20)

    def gap(age_days: float) -> float:
        examples = likes(recent) + likes(old, age_days=age_days)
        model = ReaderModel.fit(examples, bg, half_life_days=100.0)
        return float(model.score(near_first).mean() - model.score(near_second).mean())

    fresh, stale = gap(0.0), gap(1000.0)
    assert stale > fresh + 0.2
    assert stale > 0  # the recent topic now leads


def test_half_life_sets_how_fast_signals_fade() -> None:
    rng = np.random.default_rng(31)
    first, second, *others = directions(rng, 8)
    bg = background(rng, np.stack(others))
    examples = likes(around(rng, first, 15)) + likes(around(rng, second, 15), age_days=200.0)
    near_second = around(rng, second, 20)
    long_memory = ReaderModel.fit(examples, bg, half_life_days=10_000.0)
    short_memory = ReaderModel.fit(examples, bg, half_life_days=20.0)
    rest = around(rng, first, 20)
    long_gap = long_memory.score(rest).mean() - long_memory.score(near_second).mean()
    short_gap = short_memory.score(rest).mean() - short_memory.score(near_second).mean()
    assert short_gap > long_gap


# ------------------------------------------------------------------------------ logistic


def test_logistic_mode_ranks_held_out_likes_above_the_library() -> None:
    rng = np.random.default_rng(40)
    first, second, disliked, *others = directions(rng, 14)
    rest = np.stack(others)
    examples = (
        likes(around(rng, first, 15))
        + likes(around(rng, second, 10))
        + dislikes(around(rng, disliked, 10))
    )
    model = ReaderModel.fit(examples, background(rng, rest))
    assert model.kind == "logistic"
    held_out = np.concatenate([around(rng, first, 15), around(rng, second, 10)])
    library = np.concatenate([background(rng, rest, per_topic=10), around(rng, disliked, 10)])
    assert auc(model.score(held_out), model.score(library)) > 0.9


def test_logistic_blend_with_similarity_still_ranks() -> None:
    rng = np.random.default_rng(41)
    topic, *others = directions(rng, 8)
    rest = np.stack(others)
    examples = likes(around(rng, topic, 20))
    blend = ReaderModel.fit(
        examples, background(rng, rest), settings=ModelSettings(logistic_share=0.5)
    )
    assert blend.kind == "logistic"
    held_out, library = around(rng, topic, 20), background(rng, rest, per_topic=5)
    assert auc(blend.score(held_out), blend.score(library)) > 0.9


# ------------------------------------------------------------------------------ explaining


def test_nearest_positive_points_at_the_closest_like() -> None:
    rng = np.random.default_rng(50)
    a, b, c, d = directions(rng, 4)
    examples = [
        Example(d, -1),
        Example(a, 1),
        Example(around(rng, d, 1)[0], -1),
        Example(b, 1),
        Example(c, 1),
    ]
    model = ReaderModel.fit(examples)
    assert model.positive_indices.tolist() == [1, 3, 4]
    candidates = np.stack([around(rng, c, 1, 0.2)[0], around(rng, a, 1, 0.2)[0], b])
    best, cosine = model.nearest_positive(candidates)
    assert best.tolist() == [2, 0, 1]
    assert model.positive_indices[best].tolist() == [4, 1, 3]
    liked = np.stack([a, b, c])
    expected = (candidates @ liked.T).max(axis=1)
    np.testing.assert_allclose(cosine, expected, atol=1e-5)
    assert cosine[2] == pytest.approx(1.0, abs=1e-5)


def test_nearest_positive_uses_raw_cosines_even_when_centred() -> None:
    rng = np.random.default_rng(51)
    a, b, *others = directions(rng, 6)
    examples = likes(np.stack([a, b]))
    model = ReaderModel.fit(examples, background(rng, np.stack(others)))
    candidate = unit(a + 0.3 * b)
    best, cosine = model.nearest_positive(candidate)
    assert best.tolist() == [0]
    assert cosine[0] == pytest.approx(float(candidate @ a), abs=1e-5)


def test_score_accepts_a_single_vector_and_any_length() -> None:
    rng = np.random.default_rng(52)
    (topic,) = directions(rng, 1)
    model = ReaderModel.fit(likes(around(rng, topic, 3)))
    near = around(rng, topic, 1)[0]
    assert model.score(near).shape == (1,)
    # scores compare unit vectors: the length of a candidate does not matter
    np.testing.assert_allclose(model.score(near * 7.0), model.score(near), atol=1e-6)


# ------------------------------------------------------------------------------ errors


def test_no_examples_is_an_empty_profile() -> None:
    with pytest.raises(EmptyProfileError):
        ReaderModel.fit([])


def test_only_dislikes_is_an_empty_profile() -> None:
    rng = np.random.default_rng(60)
    with pytest.raises(EmptyProfileError):
        ReaderModel.fit(dislikes(directions(rng, 3)))


@pytest.mark.parametrize("label", [0, 2, -2])
def test_labels_other_than_plus_or_minus_one_fail(label: int) -> None:
    rng = np.random.default_rng(61)
    x, y = directions(rng, 2)
    with pytest.raises(UsageError, match="label"):
        ReaderModel.fit([Example(x, 1), Example(y, label)])


def test_mixed_dimensions_fail() -> None:
    rng = np.random.default_rng(62)
    short = rng.normal(size=DIM // 2).astype(np.float32)
    with pytest.raises(UsageError, match="dimension"):
        ReaderModel.fit([Example(directions(rng, 1)[0], 1), Example(short, 1)])


def test_scoring_the_wrong_dimension_fails() -> None:
    rng = np.random.default_rng(63)
    model = ReaderModel.fit(likes(directions(rng, 3)))
    wrong = np.ones((2, DIM + 1), dtype=np.float32)
    for call in (model.score, model.interest, model.nearest_positive):
        with pytest.raises(UsageError, match=f"dimension {DIM}"):
            call(wrong)


def test_background_of_the_wrong_dimension_fails() -> None:
    rng = np.random.default_rng(64)
    with pytest.raises(UsageError, match="background"):
        ReaderModel.fit(likes(directions(rng, 3)), np.ones((5, DIM - 1), dtype=np.float32))


@pytest.mark.parametrize("weight", [-1.0, float("nan"), float("inf")])
def test_bad_weights_fail(weight: float) -> None:
    rng = np.random.default_rng(65)
    x, y = directions(rng, 2)
    with pytest.raises(UsageError, match="weight"):
        ReaderModel.fit([Example(x, 1), Example(y, 1, weight=weight)])


@pytest.mark.parametrize("half_life", [0.0, -30.0])
def test_half_life_must_be_positive(half_life: float) -> None:
    rng = np.random.default_rng(66)
    with pytest.raises(UsageError, match="half_life_days"):
        ReaderModel.fit(likes(directions(rng, 2)), half_life_days=half_life)


# ------------------------------------------------------------------------------ determinism


def test_same_inputs_and_seed_give_identical_scores() -> None:
    rng = np.random.default_rng(70)
    first, second, disliked, *others = directions(rng, 10)
    rest = np.stack(others)
    # more background rows than background_samples: the sample depends on the seed
    bg = background(rng, rest, per_topic=200)
    candidates = np.concatenate([around(rng, first, 10), background(rng, rest, per_topic=3)])
    for n in (6, 20):  # cold start, then logistic
        examples = (
            likes(around(rng, first, n))
            + likes(around(rng, second, n), age_days=100.0)
            + dislikes(around(rng, disliked, 4))
        )
        one = ReaderModel.fit(examples, bg, rng_seed=7)
        two = ReaderModel.fit(examples, bg, rng_seed=7)
        assert one.kind == two.kind
        np.testing.assert_array_equal(one.score(candidates), two.score(candidates))
        np.testing.assert_array_equal(one.interest(candidates), two.interest(candidates))


# ------------------------------------------------------------------------------ k-means


def test_spherical_kmeans_recovers_well_separated_clusters() -> None:
    rng = np.random.default_rng(80)
    centers = directions(rng, 3)
    x = np.concatenate([around(rng, c, 20, noise=0.3) for c in centers])
    truth = np.repeat(np.arange(3), 20)
    centroids = spherical_kmeans(x, np.ones(len(x)), 3, np.random.default_rng(0))
    assert centroids.shape == (3, DIM)
    np.testing.assert_allclose(np.linalg.norm(centroids, axis=1), 1.0, atol=1e-5)
    assign = np.argmax(x @ centroids.T, axis=1)
    labels_of = [set(assign[truth == k].tolist()) for k in range(3)]
    assert all(len(s) == 1 for s in labels_of)  # every cluster's points share one centroid
    assert len(set().union(*labels_of)) == 3  # and no two clusters share one
    # each centroid sits on its cluster's centre
    for k in range(3):
        assert float(centroids[labels_of[k].pop()] @ centers[k]) > 0.95


def test_spherical_kmeans_never_returns_more_centroids_than_points() -> None:
    rng = np.random.default_rng(81)
    x = directions(rng, 2)
    centroids = spherical_kmeans(x, np.ones(2), 5, np.random.default_rng(0))
    assert len(centroids) <= 2


def test_likes_that_all_weigh_nothing_are_refused() -> None:
    vectors = np.eye(4, dtype=np.float32)
    with pytest.raises(UsageError, match="weight 0"):
        ReaderModel.fit([Example(v, 1, weight=0.0) for v in vectors])


# ---------------------------------------------------------------- the fused reader (feed)


def _topic_vectors(
    rng: np.random.Generator, centre: NDArray[np.float64], n: int
) -> NDArray[np.float32]:
    x = centre + 0.08 * rng.normal(size=(n, centre.size))
    out: NDArray[np.float32] = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def test_fit_reader_ranks_the_liked_topic_first_whatever_the_batch() -> None:
    from papersift.rank.reader import fit_reader

    rng = np.random.default_rng(3)
    liked_topic, other = rng.normal(size=(2, 32)) / np.sqrt(32)  # unit-ish, far apart
    model = fit_reader(
        _topic_vectors(rng, liked_topic, 6),
        _topic_vectors(rng, other, 2),
        background=_topic_vectors(rng, np.zeros(32), 300),
        reference=_topic_vectors(rng, np.zeros(32), 100),
    )
    near, far = _topic_vectors(rng, liked_topic, 20), _topic_vectors(rng, other, 20)
    both = np.concatenate([near, far])
    scores = model.score(both)
    assert scores[:20].mean() > scores[20:].mean() + 1.0  # in reference spreads
    assert (np.argsort(-scores)[:10] < 20).all()
    # standardised on the reference papers, not on the batch: a score is the paper's own
    assert np.allclose(model.score(near[:3]), scores[:3])


def test_the_word_part_starts_at_four_likes() -> None:
    from papersift.rank.reader import DEFAULT_WEIGHTS

    assert [DEFAULT_WEIGHTS.for_likes(n).words for n in (1, 2, 3, 4, 9)] == [0, 0, 0.5, 1, 1]
    assert DEFAULT_WEIGHTS.for_likes(1).dense == DEFAULT_WEIGHTS.dense


def test_the_word_part_reads_words_the_vectors_miss() -> None:
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped, unused-ignore]

    from papersift.rank.reader import FusionWeights, fit_reader

    rng = np.random.default_rng(5)
    vectors = _topic_vectors(rng, np.zeros(16), 40)  # the vectors say nothing
    words = np.zeros((40, 3))
    words[:8, 0] = 1.0  # the 8 liked papers share word 0
    words[8:, 1] = 1.0
    rows = csr_matrix(words)
    model = fit_reader(
        vectors[:8],
        background=vectors[8:30],
        positive_rows=rows[:8],
        background_rows=rows[8:30],
        reference=vectors[30:],
        reference_rows=rows[30:],
        weights=FusionWeights(dense=0.0, words=1.0, centroid=0.0),
    )
    candidates = csr_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    scores = model.score(vectors[30:32], candidates)
    assert scores[0] > scores[1]
    assert model.words is not None
