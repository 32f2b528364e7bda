"""Active learning: which papers a reader is asked to rate (fake embedder: fast)."""

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from papersift import cli_rate
from papersift.cli import main
from papersift.embed import FakeEmbedder
from papersift.errors import NotFoundError
from papersift.ingest.pipeline import ingest_file
from papersift.rank.active import ActiveSettings, choose_papers_to_rate, pick_to_rate
from papersift.rank.personal import Example, ReaderModel
from papersift.recommend import Recommender
from papersift.search import Searcher
from papersift.store import Store, open_store
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
    assert any("teaches it most" in h.reasons[0] for h in first)
    for hit in first[:3]:
        rec.feedback("ines", str(hit.paper.id), "down")
    second = choose_papers_to_rate(rec, "ines")
    assert not {h.paper.id for h in second} & {h.paper.id for h in first[:3]}


def test_unknown_reader(rec: Recommender) -> None:
    with pytest.raises(NotFoundError):
        choose_papers_to_rate(rec, "nobody")


# ---------------------------------------------------------------------- papersift reader rate


@pytest.fixture
def cli_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    db = tmp_path / "library.db"
    assert main(["--db", str(db), "--model", "fake", "ingest", str(EXAMPLES)]) == 0
    assert main(["--db", str(db), "--model", "fake", "index"]) == 0
    assert main(["--db", str(db), "--model", "fake", "reader", "add", "ines"]) == 0
    capsys.readouterr()
    return db


def rate(db: Path, answers: str, monkeypatch: pytest.MonkeyPatch, terminal: bool = True) -> int:
    monkeypatch.setattr(cli_rate, "stdin_is_terminal", lambda: terminal)
    monkeypatch.setattr("sys.stdin", io.StringIO(answers))
    return main(["--db", str(db), "--model", "fake", "reader", "rate", "ines"])


def signals_of(db: Path, name: str) -> list[tuple[str, int]]:
    store = open_store(db)
    try:
        reader_id = store.reader_id(name)
        assert reader_id is not None
        return [(s.kind, s.label) for s in store.signals(reader_id)]
    finally:
        store.close()


def test_a_round_in_the_terminal_records_the_answers(
    cli_library: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rate(cli_library, "y\nn\ns\nmaybe\ny\nq\n", monkeypatch) == 0
    out = capsys.readouterr().out
    assert "[1/10]" in out and "why asked:" in out and "please answer y, n, s or q" in out
    assert "[5/10]" in out and "[6/10]" not in out  # q ended the round
    assert "2 👍 and 1 👎 recorded" in out
    assert sorted(signals_of(cli_library, "ines")) == [("down", -1), ("up", 1), ("up", 1)]
    # the next round asks about other papers: the rated ones are never asked again
    assert rate(cli_library, "", monkeypatch) == 0
    assert "0 👍 and 0 👎" in capsys.readouterr().out


def test_end_of_input_keeps_what_was_answered(
    cli_library: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rate(cli_library, "n\n", monkeypatch) == 0
    captured = capsys.readouterr()
    assert "end of input" in captured.err and "0 👍 and 1 👎" in captured.out
    assert signals_of(cli_library, "ines") == [("down", -1)]


def test_rating_needs_a_terminal_and_a_known_reader(
    cli_library: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert rate(cli_library, "y\n", monkeypatch, terminal=False) != 0
    err = capsys.readouterr().err
    assert "run it in a terminal" in err and "Traceback" not in err
    assert signals_of(cli_library, "ines") == []
    monkeypatch.setattr(cli_rate, "stdin_is_terminal", lambda: True)
    assert main(["--db", str(cli_library), "--model", "fake", "reader", "rate", "nobody"]) != 0
    assert "no reader named 'nobody'" in capsys.readouterr().err


def test_active_rounds_find_more_likes_than_random_ones() -> None:
    """A simulated reader who likes 24 of 1,200 papers, in two of 40 topics: rounds chosen
    by ``pick_to_rate`` find far more of them than random rounds (the dev-set simulation,
    benchmarks/bench_active.py, in miniature)."""
    rng = np.random.default_rng(7)
    x = _clusters(40, 30, dim=48, seed=7)
    x = x + 0.1 * rng.standard_normal(x.shape).astype(np.float32)  # topics overlap
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    liked = {*range(0, 12), *range(30, 42)}  # 12 papers of topic 0, 12 of topic 1
    background = x[rng.choice(len(x), 300, replace=False)]

    def likes_found(strategy: str) -> int:
        labels = {0: 1, 30: 1}  # two known likes
        found = 0
        for _ in range(2):
            examples = [Example(x[r], label) for r, label in labels.items()]
            scores = ReaderModel.fit(examples, background).score(x)
            pool = np.array([r for r in range(len(x)) if r not in labels])
            if strategy == "active":
                rows = pool[[p.row for p in pick_to_rate(x[pool], scores[pool], 10)]]
            else:
                rows = rng.choice(pool, 10, replace=False)
            for row in rows.tolist():
                labels[row] = 1 if row in liked else -1
                found += row in liked
        return found

    active, random = likes_found("active"), likes_found("random")
    assert active >= 8 and active >= 4 * max(random, 1)
