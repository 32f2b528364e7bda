"""Readers, feedback and feeds (fake embedder: fast, deterministic)."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.embed import FakeEmbedder
from papersift.errors import NotFoundError
from papersift.ingest.names import same_person
from papersift.ingest.pipeline import ingest_file
from papersift.rank.personal import EmptyProfileError
from papersift.recommend import FeedSettings, Recommender, render_feed_html
from papersift.search import Searcher
from papersift.store import Store
from tests.support import FIXTURES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
WINDOW = FeedSettings(since="2024-01-01", until="2025-12-31", limit=8)
# The model alone: the fake embedder is a bag of words, priors would blur what it learnt.
PLAIN = FeedSettings(
    since="2024-01-01",
    until="2025-12-31",
    limit=6,
    recency_weight=0,
    popularity_weight=0,
    diversity=1,
)


@pytest.fixture
def rec(store: Store) -> Iterator[Recommender]:
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)
    yield Recommender(store, Searcher(store, lambda: FakeEmbedder(256), "fake-256"))


def is_retrieval(title: str | None) -> bool:
    words = ("retriev", "search", "index", "rerank", "query", "citation")
    return any(w in (title or "").lower() for w in words)


def test_reader_from_own_papers_gets_a_sensible_feed(rec: Recommender) -> None:
    report = rec.add_reader("tomas", authors=["Tomas Okafor"])  # no accent, unlike most files
    own = set(rec.authored_by(["Tomas Okafor"]))
    titles = {p.title for p in rec.store.get_papers(sorted(own)).values()}
    assert report.own == len(own) >= 6  # "Tomás Okafor", "T. Okafor", "Okafor, Tomás" too
    assert "Dialect-Aware Evaluation of Machine Translation for West African Languages" in titles
    hits = rec.feed("tomas", WINDOW)
    assert hits and not {h.paper.id for h in hits} & own  # own papers never in one's feed
    top = " ".join((h.paper.title or "").lower() for h in rec.feed("tomas", PLAIN)[:3])
    assert "translation" in top
    assert all(h.reasons[0].startswith("close to your paper") for h in hits)
    assert rec.add_reader("tomas", authors=["Tomas Okafor"]).own == 0  # idempotent


def test_feedback_changes_the_next_feed(rec: Recommender) -> None:
    rec.add_reader("ines", likes=["2502.07731", "2504.02276"])  # two retrieval papers
    first = rec.feed("ines", PLAIN)
    assert sum(is_retrieval(h.paper.title) for h in first[:4]) >= 2
    assert "which you liked" in first[0].reasons[0]
    top = first[0].paper
    rec.feedback("ines", str(top.id), "down")
    second = rec.feed("ines", PLAIN)
    assert top.id not in {h.paper.id for h in second}  # rated papers leave the feed
    rec.feedback("ines", "2503.02561", "up")  # a protein paper
    third = rec.feed("ines", PLAIN)
    assert any("rotein" in (h.paper.title or "") for h in third[:5])
    assert [h.paper.id for h in second] != [h.paper.id for h in third]


def test_preview_does_not_eat_the_feed(rec: Recommender) -> None:
    rec.add_reader("mara", authors=["Mara Lindqvist"])
    preview = rec.feed("mara", WINDOW)
    assert preview and [h.paper.id for h in rec.feed("mara", WINDOW)] == [
        h.paper.id for h in preview
    ]
    rec.feed("mara", WINDOW, mark_shown=True)
    after = rec.feed("mara", WINDOW)
    assert not {h.paper.id for h in after} & {h.paper.id for h in preview}


def test_diversity_spreads_the_feed(rec: Recommender) -> None:
    rec.add_reader("ines", likes=["2502.07731", "2504.02276"])
    plain = rec.feed("ines", PLAIN)
    varied = rec.feed("ines", FeedSettings(**{**PLAIN.__dict__, "diversity": 0.2}))
    assert [h.paper.id for h in varied] != [h.paper.id for h in plain]
    assert varied[0].paper.id == plain[0].paper.id  # the best paper always leads


def test_reader_from_a_file_of_abstracts(store: Store) -> None:
    ingest_file(store, FIXTURES / "pubpage.txt")
    ingest_file(store, FIXTURES / "hf_daily.txt")
    rec = Recommender(store, Searcher(store, lambda: FakeEmbedder(256), "fake-256"))
    report = rec.add_reader("priya", papers=[FIXTURES / "abstracts.txt"])
    assert report.from_files == 2  # both abstracts joined papers already in the library
    hits = rec.feed("priya", WINDOW)
    assert all(h.paper.title != "Warm Starts for Sparse Optimizers" for h in hits)
    assert any(h.paper.abstract is None for h in hits) or len(hits) >= 1  # no-abstract papers ok


def test_clear_errors(rec: Recommender) -> None:
    with pytest.raises(NotFoundError, match="no reader named 'ghost'"):
        rec.feed("ghost", WINDOW)
    rec.add_reader("empty")
    with pytest.raises(EmptyProfileError, match="no papers or likes yet"):
        rec.feed("empty", WINDOW)
    rec.feedback("empty", "1", "down")
    with pytest.raises(EmptyProfileError, match="only thumbs-down"):
        rec.feed("empty", WINDOW)
    with pytest.raises(NotFoundError):
        rec.feedback("empty", "999999", "up")


def test_html_feed(rec: Recommender) -> None:
    rec.add_reader("mara", authors=["Mara Lindqvist"])
    page = render_feed_html("mara <3", rec.feed("mara", WINDOW))
    assert (
        page.startswith("<!doctype html>")
        and "mara &lt;3" in page
        and "close to your paper" in page
    )


def test_remove_reader(rec: Recommender) -> None:
    rec.add_reader("mara", authors=["Mara Lindqvist"])
    rec.remove_reader("mara")
    with pytest.raises(NotFoundError):
        rec.reader("mara")


def test_shortlisting_a_big_window_keeps_the_feed(
    rec: Recommender, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papersift.recommend as recommend

    rec.add_reader("ines", likes=["2502.07731", "2504.02276"])
    exact = [h.paper.id for h in rec.feed("ines", PLAIN)]
    monkeypatch.setattr(recommend, "SHORTLIST_AT", 0)  # every window counts as big
    monkeypatch.setattr(recommend, "SHORTLIST_PER_QUERY", 40)
    assert [h.paper.id for h in rec.feed("ines", PLAIN)] == exact
    monkeypatch.setattr(recommend, "SHORTLIST_PER_QUERY", 3)  # a tight shortlist
    short = [h.paper.id for h in rec.feed("ines", PLAIN)]
    assert 0 < len(short) <= 6 and short[0] == exact[0]


def test_a_paper_both_own_and_liked_is_embedded_once(rec: Recommender) -> None:
    """Signals can name one paper twice (an own paper also liked); vectors are made on the fly."""
    own = sorted(rec.authored_by(["Tomas Okafor"]))
    rec.add_reader("tomas", authors=["Tomas Okafor"], likes=[str(own[0])])
    assert rec.store.missing_vectors(own, rec.searcher.model_name)  # nothing indexed yet
    assert rec.feed("tomas", WINDOW)
    assert not rec.store.missing_vectors(own, rec.searcher.model_name)


def test_a_reader_from_papers_sharing_an_author_takes_that_name(
    rec: Recommender, tmp_path: Path
) -> None:
    """Four of Tomás Okafor's papers, given as a file without his name: he is on all of
    them, so the reader is taken to be him, his other papers are his own (never in his
    feed), and the name can be removed again."""
    his = rec.store.get_papers(rec.authored_by(["Tomas Okafor"]))
    given = sorted(his.values(), key=lambda p: p.id)[:4]
    rows = [{"title": p.title, "abstract": p.abstract, "authors": p.authors} for p in given]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")

    report = rec.add_reader("t", papers=[path])
    assert report.shared_author is not None
    assert same_person(report.shared_author.name, "Tomas Okafor")
    assert (report.shared_author.papers, report.shared_author.of) == (4, 4)
    assert rec.reader("t").authors == [report.shared_author.name]
    assert report.own == len(his) >= 6  # all his papers, found by the name, are his own
    feed = {h.paper.id for h in rec.feed("t", WINDOW)}
    assert feed and not feed & set(his)
    again = rec.add_reader("t", papers=[path])
    assert again.shared_author is None and again.own == 0  # already his name: said once

    assert rec.remove_author("t", report.shared_author.name) == len(his)
    kinds = {s.kind for s in rec.store.signals(rec.reader("t").id)}
    assert rec.reader("t").authors == [] and kinds == {"file"}
    with pytest.raises(NotFoundError, match="no author name"):
        rec.remove_author("t", "Ada Lovelace")


def test_a_new_paper_by_the_reader_never_enters_their_feed(
    rec: Recommender, tmp_path: Path
) -> None:
    rec.add_reader("tomas", authors=["Tomas Okafor"])
    path = tmp_path / "new.jsonl"
    row = {
        "title": "Machine translation for West African languages, once more",
        "abstract": "Dialect-aware evaluation of machine translation for West African languages.",
        "authors": ["T. Okafor", "Someone New"],
        "date": "2025-06-01",
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    ingest_file(rec.store, path)  # after the reader was made: not an "own" signal
    hits = rec.feed("tomas", WINDOW)
    assert hits and all("once more" not in (h.paper.title or "") for h in hits)


def test_an_undated_paper_is_never_moved_up_by_recency(rec: Recommender) -> None:
    rec.add_reader("mara", authors=["Mara Lindqvist"])
    for hit in rec.feed("mara", WINDOW):
        assert "None" not in " ".join(hit.reasons)
        if not hit.paper.date:
            assert not any("recency" in r for r in hit.reasons)
