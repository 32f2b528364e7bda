"""Replay evaluation (reading, splitting, candidates, metrics, report) and the synthetic
readers it is run on."""

import gzip
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from numpy.typing import NDArray

from papersift.embed import FakeEmbedder
from papersift.errors import ParseError, UsageError
from papersift.evaluate import (
    EPOCH,
    METHODS,
    EvaluationReport,
    Library,
    Rating,
    Scorer,
    UserCase,
    auc,
    build_cases,
    evaluate,
    held_out_reader,
    read_papers,
    read_ratings,
    split_user,
    user_metrics,
)
from papersift.synthetic import TOPICS, generate

F64 = NDArray[np.float64]
EMBEDDER = FakeEmbedder(64)

TOPIC_WORDS = {
    "graphs": "graph neural network message passing node edge",
    "speech": "speech audio acoustic spectrogram speaker waveform",
    "robots": "robot manipulation grasp gripper locomotion torque",
}


def write_jsonl(path: Path, rows: Sequence[dict[str, Any] | str]) -> Path:
    """One line per row; a string row is written as it is (to make broken lines)."""
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def paper_rows() -> list[dict[str, Any]]:
    """30 papers, 10 per topic, dated over January 2024."""
    rows = []
    for t, (topic, words) in enumerate(TOPIC_WORDS.items()):
        for i in range(10):
            n = 10 * t + i
            rows.append(
                {
                    "id": f"p{n:02d}",
                    "title": f"{words.split()[i % 6]} study {n}",
                    "abstract": f"We look at {words} in {topic} setting number {i}.",
                    "authors": ["Ada Lovelace"],
                    "date": f"2024-01-{n % 28 + 1:02d}",
                    "upvotes": n,
                }
            )
    return rows


def rating(user: str, paper: str, label: int, when: str) -> dict[str, Any]:
    return {"user": user, "paper": paper, "label": label, "time": when}


def hand_ratings() -> list[dict[str, Any]]:
    """ada likes graphs on both sides of 2024-03-01; bob has no like after it; cy none
    before it."""
    return [
        rating("ada", "p00", 1, "2024-02-01"),
        rating("ada", "p01", 1, "2024-02-02"),
        rating("ada", "p10", -1, "2024-02-03"),
        rating("ada", "p02", 1, "2024-03-01T23:59:59"),
        rating("ada", "p03", 1, "2024-03-02T00:00:00"),
        rating("ada", "p11", -1, "2024-03-05"),
        rating("ada", "p04", 1, "2024-03-06"),
        rating("bob", "p20", 1, "2024-02-01"),
        rating("bob", "p21", 1, "2024-02-02"),
        rating("bob", "p12", -1, "2024-03-04"),
        rating("cy", "p13", -1, "2024-02-01"),
        rating("cy", "p14", 1, "2024-03-04"),
        rating("cy", "p15", 1, "2024-03-05"),
    ]


@pytest.fixture
def papers_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "papers.jsonl", paper_rows())


@pytest.fixture
def ratings_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "ratings.jsonl", hand_ratings())


def index_of(papers_file: Path) -> dict[str, int]:
    return {p.id: i for i, p in enumerate(read_papers(papers_file))}


def assert_parse_error(error: pytest.ExceptionInfo[ParseError], path: Path, line: int) -> None:
    assert error.value.path == str(path)
    assert error.value.line == line
    assert f"{path}:{line}" in str(error.value)


# ------------------------------------------------------------------------------ reading


def test_read_papers_reads_every_field(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "papers.jsonl",
        [
            {"id": 7, "title": "Only a title"},
            "",
            {"id": "p2", "abstract": "Only an abstract.", "date": "2024-03-01T10:00:00+02:00"},
            {"id": "p3", "title": "T", "upvotes": 12, "date": "2023-12-31"},
        ],
    )
    papers = read_papers(path)
    assert [p.id for p in papers] == ["7", "p2", "p3"]
    # no "upvotes": unknown (None), not 0
    assert (papers[0].date, papers[0].upvotes, papers[0].abstract) == (None, None, "")
    assert papers[1].date == datetime(2024, 3, 1, 8, 0)  # converted to UTC, naive
    assert (papers[2].date, papers[2].upvotes) == (datetime(2023, 12, 31), 12)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"id": "p9", "title": "cut', "not JSON"),
        ('["p9", "a list"]', "JSON object"),
        ('{"title": "No id at all"}', "id"),
        ('{"id": "", "title": "Empty id"}', "id"),
        ('{"id": "p9"}', "title or an abstract"),
        ('{"id": "p9", "title": "Bad date", "date": "last spring"}', "not a paper"),
        ('{"id": "p9", "title": "Bad votes", "upvotes": "many"}', "upvotes"),
        ('{"id": "p00", "title": "Twice"}', "twice"),
    ],
)
def test_a_bad_paper_line_names_file_and_line(tmp_path: Path, bad_line: str, message: str) -> None:
    rows: list[dict[str, Any] | str] = [*paper_rows()[:2], "", bad_line, *paper_rows()[2:4]]
    path = write_jsonl(tmp_path / "papers.jsonl", rows)
    with pytest.raises(ParseError, match=message) as error:
        read_papers(path)
    assert_parse_error(error, path, 4)  # blank lines count


def test_no_papers_or_no_file_is_a_parse_error(tmp_path: Path) -> None:
    empty = write_jsonl(tmp_path / "empty.jsonl", ["", "  "])
    with pytest.raises(ParseError, match="no papers") as error:
        read_papers(empty)
    assert error.value.line is None
    with pytest.raises(ParseError, match="cannot read"):
        read_papers(tmp_path / "missing.jsonl")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"user": "ada", "paper": "p01", "label": 0, "time": "2024-02-02"}, "label"),
        ({"user": "ada", "paper": "p01", "label": 2, "time": "2024-02-02"}, "label"),
        ({"user": "ada", "paper": "p01", "label": True, "time": "2024-02-02"}, "label"),
        ({"user": "ada", "paper": "p01", "label": 1, "time": "yesterday"}, "not a rating"),
        ({"user": "ada", "paper": "p01", "label": 1, "time": 5}, "ISO date"),
        ({"user": "", "paper": "p01", "label": 1, "time": "2024-02-02"}, "user"),
        ({"user": "ada", "label": 1, "time": "2024-02-02"}, "paper"),
    ],
)
def test_a_bad_rating_line_names_file_and_line(
    papers_file: Path, tmp_path: Path, bad: dict[str, Any], message: str
) -> None:
    path = write_jsonl(tmp_path / "ratings.jsonl", [*hand_ratings()[:2], bad])
    with pytest.raises(ParseError, match=message) as error:
        read_ratings(path, index_of(papers_file))
    assert_parse_error(error, path, 3)


def test_a_malformed_rating_line_names_file_and_line(papers_file: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "ratings.jsonl", [hand_ratings()[0], "{user: ada}"])
    with pytest.raises(ParseError, match="not JSON") as error:
        read_ratings(path, index_of(papers_file))
    assert_parse_error(error, path, 2)


def test_ratings_of_unknown_papers_are_counted_not_fatal(papers_file: Path, tmp_path: Path) -> None:
    rows = [
        *hand_ratings()[:3],
        rating("ada", "p99", 1, "2024-02-05"),
        rating("bob", "nope", -1, "2024-02-06"),
    ]
    ratings, unknown = read_ratings(write_jsonl(tmp_path / "r.jsonl", rows), index_of(papers_file))
    assert unknown == 2
    assert len(ratings) == 3


@pytest.mark.parametrize("later_first", [False, True])
def test_the_later_of_two_ratings_counts(
    papers_file: Path, tmp_path: Path, later_first: bool
) -> None:
    early = rating("ada", "p01", 1, "2024-02-01")
    late = rating("ada", "p01", -1, "2024-02-09T12:00:00")
    other = rating("bob", "p01", 1, "2024-02-03")
    rows = [late, other, early] if later_first else [early, other, late]
    index = index_of(papers_file)
    ratings, unknown = read_ratings(write_jsonl(tmp_path / "r.jsonl", rows), index)
    assert unknown == 0
    assert [(r.user, r.paper, r.label, r.time) for r in ratings] == [
        ("ada", index["p01"], -1, datetime(2024, 2, 9, 12)),
        ("bob", index["p01"], 1, datetime(2024, 2, 3)),
    ]


def test_ratings_come_sorted_by_reader_then_time(papers_file: Path, tmp_path: Path) -> None:
    rows = list(reversed(hand_ratings()))
    ratings, _ = read_ratings(write_jsonl(tmp_path / "r.jsonl", rows), index_of(papers_file))
    keys = [(r.user, r.time) for r in ratings]
    assert keys == sorted(keys)
    assert len(ratings) == len(rows)


# ------------------------------------------------------------------------------ splitting


def ratings_of(papers_file: Path, ratings_file: Path, user: str) -> list[Rating]:
    ratings, _ = read_ratings(ratings_file, index_of(papers_file))
    return [r for r in ratings if r.user == user]


def test_a_bare_date_holds_out_from_the_next_day_on(papers_file: Path, ratings_file: Path) -> None:
    ada = ratings_of(papers_file, ratings_file, "ada")
    train, test, now = split_user(ada, "2024-03-01", 0.2)
    assert train[-1].time == datetime(2024, 3, 1, 23, 59, 59)
    assert test[0].time == datetime(2024, 3, 2)
    assert (len(train), len(test)) == (4, 3)
    assert datetime(2024, 3, 1, 23, 59, 59) <= now < datetime(2024, 3, 2)


def test_a_datetime_holds_out_from_that_moment(papers_file: Path, ratings_file: Path) -> None:
    ada = ratings_of(papers_file, ratings_file, "ada")
    train, test, now = split_user(ada, "2024-03-01T12:00:00", 0.2)
    assert (len(train), len(test)) == (3, 4)
    assert now == datetime(2024, 3, 1, 12)


def test_test_fraction_holds_out_the_latest(papers_file: Path, ratings_file: Path) -> None:
    ada = ratings_of(papers_file, ratings_file, "ada")  # 7 ratings
    train, test, now = split_user(ada, None, 0.3)
    assert (len(train), len(test)) == (5, 2)
    assert max(r.time or EPOCH for r in train) <= min(r.time or EPOCH for r in test)
    assert now == train[-1].time
    # at least one on each side, whatever the fraction
    assert len(split_user(ada, None, 0.01)[1]) == 1
    assert len(split_user(ada, None, 0.99)[0]) == 1


def test_readers_without_a_like_on_each_side_are_skipped_and_counted(
    papers_file: Path, ratings_file: Path
) -> None:
    ratings, _ = read_ratings(ratings_file, index_of(papers_file))
    cases, skipped = build_cases(
        ratings, 30, test_after="2024-03-01", test_fraction=0.2, easy_negatives=5, seed=0
    )
    assert [c.user for c in cases] == ["ada"]
    assert skipped == 2  # bob: no like held out; cy: no like to learn from

    report = evaluate(
        papers_file, ratings_file, EMBEDDER, test_after="2024-03-01", easy_negatives=5
    )
    assert (report.users, report.skipped_users) == (1, 2)
    assert report.candidates == 3 + 5  # ada's three held-out ratings, five easy negatives
    assert report.held_out_positive == 2
    assert (report.papers, report.ratings, report.unknown_ratings) == (30, 13, 0)
    assert "2024-03-01" in report.split
    assert report.embedder == EMBEDDER.name
    assert "1 readers evaluated (2 skipped)" in report.table()


@pytest.mark.parametrize(
    "options",
    [
        {"test_after": "2024-03-01", "test_fraction": 0.2},
        {"test_fraction": 0.0},
        {"test_fraction": 1.0},
        {"test_after": "next tuesday"},
        {"easy_negatives": -1},
    ],
)
def test_bad_options_are_usage_errors(
    papers_file: Path, ratings_file: Path, options: dict[str, Any]
) -> None:
    with pytest.raises(UsageError):
        evaluate(papers_file, ratings_file, EMBEDDER, **options)


# ------------------------------------------------------------------------------ candidates


def test_candidates_are_held_out_papers_and_easy_negatives(
    papers_file: Path, ratings_file: Path
) -> None:
    ratings, _ = read_ratings(ratings_file, index_of(papers_file))
    cases, _ = build_cases(
        ratings, 30, test_after="2024-03-01", test_fraction=0.2, easy_negatives=6, seed=3
    )
    (case,) = cases
    index = index_of(papers_file)
    ada = [r for r in ratings if r.user == "ada"]
    held = {index[p] for p in ("p03", "p11", "p04")}
    rated = {r.paper for r in ada}
    candidates = case.candidates.tolist()
    assert len(candidates) == len(set(candidates)) == 3 + 6
    assert held <= set(candidates)
    easy = set(candidates) - held
    assert len(easy) == 6 and not easy & rated
    assert not set(case.train.tolist()) & set(candidates)
    assert set(case.train.tolist()) == {index[p] for p in ("p00", "p01", "p10", "p02")}
    assert case.labels.tolist() == [1, 1, -1, 1]
    # gain 1 exactly for the held-out likes
    liked = {index["p03"], index["p04"]}
    assert {c for c, g in zip(candidates, case.gains.tolist(), strict=True) if g > 0} == liked
    # the rest of the library: everything neither rated nor a candidate
    others = set(case.others.tolist())
    assert not others & (rated | set(candidates))
    assert others | rated | set(candidates) == set(range(30))
    # ages are days before the split, never negative
    assert (case.ages >= 0).all()
    assert case.ages[0] > case.ages[-1]


def test_easy_negatives_stop_at_the_library(papers_file: Path, ratings_file: Path) -> None:
    ratings, _ = read_ratings(ratings_file, index_of(papers_file))
    cases, _ = build_cases(
        ratings, 30, test_after="2024-03-01", test_fraction=0.2, easy_negatives=1000, seed=0
    )
    assert len(cases[0].candidates) == 30 - 7 + 3  # every unrated paper, and the held out
    assert len(cases[0].others) == 0


def test_cases_are_deterministic_for_a_seed(papers_file: Path, ratings_file: Path) -> None:
    ratings, _ = read_ratings(ratings_file, index_of(papers_file))

    def candidates(seed: int) -> list[int]:
        cases, _ = build_cases(
            ratings, 30, test_after="2024-03-01", test_fraction=0.2, easy_negatives=8, seed=seed
        )
        return [int(i) for i in cases[0].candidates]

    assert candidates(5) == candidates(5)
    assert candidates(5) != candidates(6)


# ------------------------------------------------------------------------------ metrics


def test_auc_on_hand_made_scores() -> None:
    gains = np.array([1.0, 0.0, 1.0, 0.0, 0.0])
    assert auc(np.array([0.9, 0.1, 0.8, 0.2, 0.3]), gains) == 1.0
    assert auc(np.array([0.1, 0.9, 0.2, 0.8, 0.7]), gains) == 0.0
    assert auc(np.full(5, 0.4), gains) == 0.5
    # one relevant paper ties one irrelevant one, beats the other two: (2 + 0.5) / 3
    assert auc(np.array([0.5, 0.5, 0.1]), np.array([1.0, 0.0, 0.0])) == pytest.approx(0.75)
    assert auc(np.array([0.5, 0.2]), np.array([0.0, 0.0])) == 0.5  # nothing relevant


def hand_case(gains: list[float]) -> UserCase:
    n = len(gains)
    return UserCase(
        user="ada",
        train=np.array([100], dtype=np.int64),
        labels=np.array([1], dtype=np.int64),
        ages=np.zeros(1),
        candidates=np.arange(n, dtype=np.int64),
        gains=np.array(gains),
        others=np.array([], dtype=np.int64),
    )


def test_user_metrics_on_a_hand_made_case() -> None:
    case = hand_case([0, 1, 0, 0, 1])
    scores = np.array([0.9, 0.8, 0.1, 0.2, 0.7])  # ranked: 0, 1, 4, 3, 2
    ndcg, rr, area, p10 = user_metrics(scores, case)
    # relevant at ranks 2 and 3; ideally at 1 and 2
    ideal = 1 + 1 / np.log2(3)
    assert ndcg == pytest.approx((1 / np.log2(3) + 1 / np.log2(4)) / ideal)
    assert rr == pytest.approx(1 / 2)
    assert area == pytest.approx(4 / 6)
    assert p10 == pytest.approx(2 / 10)

    perfect = user_metrics(np.array([0.1, 0.9, 0.2, 0.3, 0.8]), case)
    assert perfect == pytest.approx((1.0, 1.0, 1.0, 0.2))


def test_user_metrics_breaks_ties_by_candidate_order() -> None:
    ndcg, rr, area, _ = user_metrics(np.zeros(5), hand_case([0, 0, 1, 0, 0]))
    assert rr == pytest.approx(1 / 3)
    assert ndcg == pytest.approx(1 / np.log2(4))
    assert area == 0.5


# ------------------------------------------------------------------------------ end to end


@dataclass
class Recorder:
    """Wraps the methods to see what each was asked to rank."""

    seen: dict[str, list[tuple[str, list[int], list[int], int]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def wrap(self, name: str, scorer: Scorer) -> Scorer:
        def recorded(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
            scores = np.asarray(scorer(lib, case, rng), dtype=np.float64)
            row = (case.user, case.candidates.tolist(), case.train.tolist(), len(scores))
            self.seen[name].append(row)
            return scores

        return recorded


@dataclass
class Run:
    papers: Path
    ratings: Path
    scores: Path
    report: EvaluationReport
    recorder: Recorder


@pytest.fixture(scope="module")
def synthetic_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("synthetic")
    papers, ratings = generate(out, papers=400, users=8, seed=1)
    recorder = Recorder()
    methods = {name: recorder.wrap(name, scorer) for name, scorer in METHODS.items()}
    scores = out / "scores.jsonl"
    report = evaluate(papers, ratings, EMBEDDER, scores_out=scores, methods=methods, seed=0)
    return Run(papers, ratings, scores, report, recorder)


def test_report_has_every_method(synthetic_run: Run) -> None:
    report = synthetic_run.report
    assert list(report.methods) == [
        "papersift",
        "papersift-model",
        "random",
        "recency",
        "popularity",
        "bm25-profile",
        "mean-cosine",
        "tfidf-svm",
        "tfidf-centroid",
        "minilm-logreg",
    ]
    assert report.users >= 6 and report.users + report.skipped_users == 8
    assert report.papers == 400 and report.unknown_ratings == 0
    for name, m in report.methods.items():
        assert len(m.per_user) == report.users, name
        assert 0 <= m.ndcg10 <= 1 and 0 <= m.mrr <= 1 and 0 <= m.auc <= 1 and 0 <= m.p10 <= 1
    for name in report.methods:
        assert name in report.table()


def test_random_is_near_chance_and_papersift_well_above(synthetic_run: Run) -> None:
    methods = synthetic_run.report.methods
    assert 0.3 < methods["random"].auc < 0.7
    assert methods["papersift"].auc > 0.65
    assert methods["papersift"].auc > methods["random"].auc + 0.15
    assert methods["papersift"].ndcg10 > methods["random"].ndcg10


def test_every_method_ranks_the_same_candidates(synthetic_run: Run) -> None:
    seen = synthetic_run.recorder.seen
    report = synthetic_run.report
    reference = seen["papersift"]
    assert len(reference) == report.users
    assert sum(len(c) for _, c, _, _ in reference) == report.candidates
    for name in METHODS:
        assert seen[name] == reference, name
    for _, candidates, train, n_scores in reference:
        assert n_scores == len(candidates)
        assert not set(candidates) & set(train)


def test_candidates_are_held_out_ratings_plus_unrated_papers(synthetic_run: Run) -> None:
    index = {p.id: i for i, p in enumerate(read_papers(synthetic_run.papers))}
    ratings, _ = read_ratings(synthetic_run.ratings, index)
    rated: dict[str, set[int]] = defaultdict(set)
    for r in ratings:
        rated[r.user].add(r.paper)
    for user, candidates, train, _ in synthetic_run.recorder.seen["papersift"]:
        held_out = rated[user] - set(train)
        assert held_out <= set(candidates)
        assert len(set(candidates) - held_out) == 100  # the default easy negatives


def test_scores_out_has_a_line_per_candidate(synthetic_run: Run) -> None:
    lines = synthetic_run.scores.read_text(encoding="utf-8").splitlines()
    assert len(lines) == synthetic_run.report.candidates
    rows = [json.loads(line) for line in lines]
    assert all(set(row) == {"user", "paper", "score"} for row in rows)
    ids = {p.id for p in read_papers(synthetic_run.papers)}
    assert {row["paper"] for row in rows} <= ids
    assert all(isinstance(row["score"], float) for row in rows)
    # the papersift scores, per reader, for the candidates the methods ranked
    seen = synthetic_run.recorder.seen["papersift"]
    assert [row["user"] for row in rows] == [u for u, c, _, _ in seen for _ in c]
    assert len({(row["user"], row["paper"]) for row in rows}) == len(rows)


def test_evaluate_is_deterministic(synthetic_run: Run) -> None:
    again = evaluate(synthetic_run.papers, synthetic_run.ratings, EMBEDDER, seed=0)
    assert again.methods == synthetic_run.report.methods


# ------------------------------------------------------------------------------ synthetic


def test_generate_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    one = generate(tmp_path / "one", papers=150, users=4, seed=3)
    two = generate(tmp_path / "two", papers=150, users=4, seed=3)
    other = generate(tmp_path / "other", papers=150, users=4, seed=4)
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert one[1].read_bytes() != other[1].read_bytes()


def test_generated_lines_are_valid(synthetic_run: Run) -> None:
    papers = [json.loads(line) for line in synthetic_run.papers.read_text().splitlines()]
    ratings = [json.loads(line) for line in synthetic_run.ratings.read_text().splitlines()]
    assert len(papers) == 400
    ids = {p["id"] for p in papers}
    assert len(ids) == 400
    for p in papers:
        assert p["title"] and p["abstract"] and p["authors"]
        datetime.fromisoformat(p["date"])
        assert isinstance(p["upvotes"], int) and p["upvotes"] >= 0
    assert {r["label"] for r in ratings} == {1, -1}
    assert {r["paper"] for r in ratings} <= ids
    for r in ratings:
        datetime.fromisoformat(r["time"])
    assert len({r["user"] for r in ratings}) == 8
    # no paper rated twice by a reader; the evaluation reads every line
    assert len({(r["user"], r["paper"]) for r in ratings}) == len(ratings)
    assert synthetic_run.report.ratings == len(ratings)


def test_every_reader_likes_and_dislikes(synthetic_run: Run) -> None:
    labels: dict[str, set[int]] = defaultdict(set)
    for line in synthetic_run.ratings.read_text().splitlines():
        r = json.loads(line)
        labels[r["user"]].add(r["label"])
    assert all(seen == {1, -1} for seen in labels.values())


def main_topic(paper: dict[str, Any]) -> int:
    """The synthetic topic whose words a paper uses most."""
    words = re.findall(r"[a-z0-9]+", f"{paper['title']} {paper['abstract']}".lower())
    vocab = [set(t.split()) for t in TOPICS]
    counts = [sum(w in v for w in words) for v in vocab]
    return int(np.argmax(counts))


def test_interests_drift(synthetic_run: Run) -> None:
    """Some reader likes a topic in their first half of ratings and dislikes it later."""
    topic = {
        p["id"]: main_topic(p)
        for p in map(json.loads, synthetic_run.papers.read_text().splitlines())
    }
    by_user: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in map(json.loads, synthetic_run.ratings.read_text().splitlines()):
        by_user[r["user"]].append(r)
    drifted = []
    for user, rows in by_user.items():
        rows.sort(key=lambda r: r["time"])
        half = len(rows) // 2
        early: dict[int, list[int]] = defaultdict(list)
        late: dict[int, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            (early if i < half else late)[topic[r["paper"]]].append(r["label"])
        for t, before in early.items():
            after = late.get(t, [])
            if len(before) >= 3 and len(after) >= 3:
                liked_before = before.count(1) / len(before)
                liked_after = after.count(1) / len(after)
                if liked_before >= 0.75 and liked_after <= 0.4:
                    drifted.append((user, t))
    assert drifted


# ------------------------------------------------------------------------------ untimed ratings


def untimed(rows: list[dict[str, Any]], drop: bool = False) -> list[dict[str, Any]]:
    """The same ratings without times: ``"time": null``, or no ``time`` at all."""
    out = []
    for row in rows:
        row = dict(row)
        if drop:
            del row["time"]
        else:
            row["time"] = None
        out.append(row)
    return out


@pytest.mark.parametrize("drop", [False, True])
def test_ratings_without_times_are_read(papers_file: Path, tmp_path: Path, drop: bool) -> None:
    rows = [*untimed(hand_ratings(), drop), {"user": "ada", "paper": "p00", "label": -1}]
    path = write_jsonl(tmp_path / "ratings.jsonl", rows)
    ratings, unknown = read_ratings(path, index_of(papers_file))
    assert unknown == 0 and all(r.time is None for r in ratings)
    ada = [r for r in ratings if r.user == "ada"]
    assert len(ada) == 7  # p00 rated twice: counted once
    # without times, the later line counts: ada's last word on p00 is 👎
    assert [r.label for r in ada if r.paper == 0] == [-1]


def test_untimed_ratings_are_split_at_random_per_reader(papers_file: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "ratings.jsonl", untimed(hand_ratings()))
    ratings, _ = read_ratings(path, index_of(papers_file))
    ada = [r for r in ratings if r.user == "ada"]  # 7 ratings
    now = datetime(2024, 5, 1)

    def held(seed: int, fraction: float = 0.3) -> set[int]:
        train, test, at = split_user(ada, None, fraction, np.random.default_rng(seed), now)
        assert at == now and len(train) + len(test) == 7
        assert not {r.paper for r in train} & {r.paper for r in test}
        return {r.paper for r in test}

    assert len(held(1)) == 2  # round(0.3 * 7)
    assert held(1) == held(1)
    assert len({frozenset(held(seed)) for seed in range(8)}) > 1  # not always the latest
    assert len(held(1, 0.01)) == 1 and len(held(1, 0.99)) == 6  # one on each side


def test_a_date_split_needs_times(papers_file: Path, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "ratings.jsonl", untimed(hand_ratings()))
    ratings, _ = read_ratings(path, index_of(papers_file))
    with pytest.raises(UsageError, match="time"):
        build_cases(
            ratings, 30, test_after="2024-03-01", test_fraction=0.2, easy_negatives=5, seed=0
        )


def test_one_rating_without_time_makes_the_whole_split_random(
    papers_file: Path, tmp_path: Path
) -> None:
    rows = hand_ratings()
    rows[-1] = {**rows[-1], "time": None}  # only cy's last rating lacks a time
    path = write_jsonl(tmp_path / "ratings.jsonl", rows)
    ratings, _ = read_ratings(path, index_of(papers_file))

    def held_of_ada(seed: int) -> frozenset[int] | None:
        cases, _ = build_cases(
            ratings, 30, test_after=None, test_fraction=0.3, easy_negatives=0, seed=seed
        )
        assert cases and not any(c.timed for c in cases)
        case = next((c for c in cases if c.user == "ada"), None)  # None: no like held out
        return None if case is None else frozenset(int(i) for i in case.candidates)

    # ada's ratings all have times, yet her held-out part changes with the seed
    assert len({held_of_ada(seed) for seed in range(12)} - {None}) > 1


def test_gzip_files_are_read_directly(tmp_path: Path) -> None:
    papers = tmp_path / "papers.jsonl.gz"
    papers.write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in paper_rows())))
    ratings = tmp_path / "r.jsonl"  # gzip whatever the name
    ratings.write_bytes(gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in hand_ratings())))
    index = {p.id: i for i, p in enumerate(read_papers(papers))}
    assert len(index) == 30
    assert len(read_ratings(ratings, index)[0]) == 13  # 14 lines, one paper rated twice
    broken = tmp_path / "broken.jsonl.gz"
    lines = "".join(f'{{"id": "p{i}", "title": "Title {i}"}}\n' for i in range(500))
    broken.write_bytes(gzip.compress(lines.encode())[:300])  # cut short
    with pytest.raises(ParseError, match="cannot read"):
        read_papers(broken)
    bad_line = tmp_path / "bad.jsonl.gz"
    bad_line.write_bytes(gzip.compress(b'{"id": "p1", "title": "T"}\nnot json\n'))
    with pytest.raises(ParseError, match="not JSON") as error:
        read_papers(bad_line)
    assert error.value.line == 2


def test_a_fifth_of_the_readers_is_held_out_always_the_same() -> None:
    names = [f"reader{i}" for i in range(2000)]
    held = [held_out_reader(n) for n in names]
    assert 0.17 < sum(held) / len(names) < 0.23
    assert held == [held_out_reader(n) for n in names]


def test_report_parts_split_the_readers(synthetic_run: Run) -> None:
    report = synthetic_run.report
    assert set(report.parts) == {"dev", "held-out"}
    for name, means in report.methods.items():
        dev, held = report.parts["dev"][name], report.parts["held-out"][name]
        assert len(dev.per_user) + len(held.per_user) == report.users
        assert sorted(dev.per_user + held.per_user) == sorted(means.per_user)
    assert "held-out readers" in report.table()


def test_learned_methods_contrast_with_a_sample_of_the_rest(
    papers_file: Path, ratings_file: Path
) -> None:
    ratings, _ = read_ratings(ratings_file, index_of(papers_file))
    cases, _ = build_cases(
        ratings, 30, test_after="2024-03-01", test_fraction=0.2, easy_negatives=5, seed=0
    )
    case = cases[0]
    assert len(case.negatives) == len(case.others) > 0  # fewer than LEARN_NEGATIVES: all
    assert set(case.negatives.tolist()) == set(case.others.tolist())
