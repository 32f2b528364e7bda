"""Active learning: which papers a reader is asked to rate (fake embedder: fast)."""

from collections.abc import Iterator

import numpy as np
import pytest

from papersift.embed import FakeEmbedder
from papersift.errors import NotFoundError
from papersift.ingest.pipeline import ingest_file
from papersift.rank.active import ActiveSettings, choose_papers_to_rate, pick_to_rate
from papersift.recommend import Recommender
from papersift.search import Searcher
from papersift.store import Store
from tests.support import EXAMPLES


def _clusters(n_groups: int, per_group: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors in ``n_groups`` tight, well separated groups (group g = rows g*per..)."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim, dtype=np.float32)[:n_groups]
    x = np.repeat(centres, per_group, axis=0) + 0.05 * rng.standard_normal(
        (n_groups * per_group, dim)
    ).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_empty_profile_gets_one_representative_per_group() -> None:
    x = _clusters(6, 20)
    picks = pick_to_rate(x, None, 6)
    assert sorted(p.row // 20 for p in picks) == list(range(6))
    assert all(p.kind == "representative" and p.group_size == 20 for p in picks)


def test_uncertain_picks_come_from_the_band_and_explore_picks_from_elsewhere() -> None:
    x = _clusters(5, 40)
    scores = np.zeros(len(x))
    scores[:40] = np.linspace(2.0, 1.0, 40)  # group 0 is what the reader likes
    settings = ActiveSettings(band=40, explore=0.3, diversity=0.5)
    picks = pick_to_rate(x, scores, 10, settings=settings)
    rows = [p.row for p in picks]
    assert len(set(rows)) == 10
    uncertain = [p.row for p in picks if p.kind == "uncertain"]
    explore = [p.row for p in picks if p.kind == "explore"]
    assert len(uncertain) == 7 and all(r < 40 for r in uncertain)
    assert len(explore) == 3 and all(r >= 40 for r in explore)
    assert len({r // 40 for r in explore}) == 3  # three different unexplored groups


def test_small_pools_and_rounds() -> None:
    x = _clusters(2, 3)
    assert pick_to_rate(x, None, 0) == []
    assert len(pick_to_rate(x, None, 50)) == 6
    assert len({p.row for p in pick_to_rate(x, np.arange(6.0), 50)}) == 6
    assert len(pick_to_rate(x[:1], np.ones(1), 10)) == 1


@pytest.fixture
def rec(store: Store) -> Iterator[Recommender]:
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)
    searcher = Searcher(store, lambda: FakeEmbedder(256), "fake-256")
    searcher.index()
    yield Recommender(store, searcher)


def test_a_new_reader_is_asked_about_varied_papers(rec: Recommender) -> None:
    rec.add_reader("nova")
    hits = choose_papers_to_rate(rec, "nova")
    assert len(hits) == 10 and len({h.paper.id for h in hits}) == 10
    assert all(h.reasons and "group of" in h.reasons[0] for h in hits)
    again = choose_papers_to_rate(rec, "nova")
    assert [h.paper.id for h in again] == [h.paper.id for h in hits]  # seeded: stable
    other = choose_papers_to_rate(rec, "nova", exclude=[h.paper.id for h in hits[:5]])
    assert not {h.paper.id for h in other} & {h.paper.id for h in hits[:5]}


def test_a_reader_with_likes_is_never_asked_about_what_they_rated(rec: Recommender) -> None:
    rec.add_reader("ines", likes=["2502.07731", "2504.02276"])  # two retrieval papers
    first = choose_papers_to_rate(rec, "ines")
    assert len(first) == 10
    rated = {int(s.paper_id) for s in rec.store.signals(rec.reader("ines").id)}
    assert not {h.paper.id for h in first} & rated
    assert any("teaches the model" in h.reasons[0] for h in first)
    for hit in first[:3]:
        rec.feedback("ines", str(hit.paper.id), "down")
    second = choose_papers_to_rate(rec, "ines")
    assert not {h.paper.id for h in second} & {h.paper.id for h in first[:3]}


def test_unknown_reader(rec: Recommender) -> None:
    with pytest.raises(NotFoundError):
        choose_papers_to_rate(rec, "nobody")
