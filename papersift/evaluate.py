"""Replay evaluation of recommendations: does a reader's past predict what they liked next?

Inputs, JSON lines, read one line at a time:

* ``papers.jsonl``: the library, one paper per line::

      {"id": "p00042", "title": "...", "abstract": "...",
       "authors": ["Ada Lovelace"], "date": "2024-03-01", "upvotes": 12}

  ``id`` (a string or a number) and ``title`` or ``abstract`` are required; ``authors``,
  ``date`` (ISO date or datetime) and ``upvotes`` are optional.
* ``ratings.jsonl``: what readers said about papers, one rating per line::

      {"user": "ada", "paper": "p00042", "label": 1, "time": "2024-03-05T10:12:00"}

  ``label`` is 1 (👍) or -1 (👎); ``time`` an ISO date or datetime (a time zone is
  converted to UTC). When a reader rated a paper twice, the later rating counts. Ratings
  of papers that are not in ``papers.jsonl`` are counted and reported, not fatal.

A line that is not what it should be is a ``ParseError`` naming the file and the line.

**Protocol.** Each reader's ratings are split in time: ``test_after`` (ratings later than
that date or datetime are held out; a bare date holds out from the next day on) or
``test_fraction`` (each reader's latest fraction is held out; 0.2 when neither is given).
Every method is trained on the reader's earlier ratings only and ranks the same candidates:
the held-out rated papers plus ``easy_negatives`` random library papers the reader never
rated. A held-out 👍 is relevant (gain 1); a held-out 👎 and the random papers are not.
Methods that learn from the rest of the library (papersift's background negatives, the
TF-IDF SVM's negatives) see every library paper except the candidates and the reader's
held-out papers. nDCG@10, MRR, AUC (relevant vs the rest, ties count half) and
precision@10 are averaged over readers with at least one liked paper on each side of the
split; ties in a method's scores are broken at random, the same way for every method.

Methods: ``papersift`` (what ``papersift feed`` ranks by at its default settings: the
reader model plus the recency prior, over a 7-day window ending at the split, and the
popularity prior; see ``papersift.rank.priors``), ``papersift-model`` (``ReaderModel``
alone), ``random``, ``recency`` (newest first),
``popularity`` (most upvotes), ``bm25-profile`` (BM25 of the liked papers' titles and
abstracts as one query), ``mean-cosine`` (cosine to the mean liked vector) and
``tfidf-svm`` (arxiv-sanity-lite: TF-IDF of 1-2 grams, sublinear tf, and a linear SVM,
C = 0.01, balanced classes, of the liked papers against all the others).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from statistics import fmean
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from sklearn.feature_extraction.text import (  # type: ignore[import-untyped, unused-ignore]
    CountVectorizer,
    TfidfVectorizer,
)
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped, unused-ignore]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped, unused-ignore]

from papersift.embed import Embedder, paper_text
from papersift.errors import UsageError
from papersift.evaluate_data import EPOCH, PaperRow, Rating, parse_time, read_papers, read_ratings
from papersift.index.lexical import STOPWORDS
from papersift.rank.lexical_reader import WordSpace
from papersift.rank.metrics import ndcg_at, precision_at, reciprocal_rank
from papersift.rank.personal import Example
from papersift.rank.priors import (
    DEFAULT_POPULARITY_WEIGHT,
    DEFAULT_RECENCY_WEIGHT,
    DEFAULT_WINDOW_DAYS,
    feed_relevance,
)
from papersift.rank.reader import fit_reader

#: read in papersift.evaluate_data, kept importable from here
__all__ = [
    "EPOCH",
    "PaperRow",
    "Rating",
    "parse_time",
    "read_papers",
    "read_ratings",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
DEFAULT_TEST_FRACTION = 0.2
#: Random unrated papers the learned methods (papersift, the SVM, the regression) train
#: against, as in the protocol of ../shared/eval (Scholar Inbox, arxiv-sanity-lite).
LEARN_NEGATIVES = 1000
REFERENCE = 200  # further unrated papers on which papersift standardises its model's parts
EMBED_BATCH = 64
BM25_K1, BM25_B = 1.2, 0.75
_WORDS = r"(?u)\b[^\W\d_][^\W_]+\b"


# ------------------------------------------------------------------------------ library


@dataclass
class Library:
    """The papers, embedded once, with what the baselines need."""

    papers: list[PaperRow]
    vectors: NDArray[np.float32]
    days: F64  # days since 1970, -inf when undated
    upvotes: F64
    counts: Any  # sparse word counts (BM25)
    idf: F64
    lengths: F64
    tfidf: Any  # sparse TF-IDF rows (the SVM baseline)
    words: Any = None  # sparse rows in papersift's own word space (``WordSpace``)

    @property
    def index(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.papers)}


def build_library(papers: list[PaperRow], embedder: Embedder) -> Library:
    texts = [paper_text(p.title, p.abstract) for p in papers]
    vectors = embedder.encode(texts, batch_size=EMBED_BATCH)
    days = np.array([(p.date - EPOCH) / timedelta(days=1) if p.date else -math.inf for p in papers])
    counts = CountVectorizer(token_pattern=_WORDS, stop_words=sorted(STOPWORDS)).fit_transform(
        texts
    )
    n = counts.shape[0]
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    lengths = np.asarray(counts.sum(axis=1), dtype=np.float64).ravel()
    return Library(
        papers,
        vectors,
        days,
        np.array([np.nan if p.upvotes is None else p.upvotes for p in papers], np.float64),
        counts.tocsr(),
        idf,
        lengths,
        _tfidf(texts),
        WordSpace.fit(texts).rows(texts),
    )


def _tfidf(texts: list[str]) -> Any:
    """arxiv-sanity-lite's TF-IDF settings (max_df left at 1.0: see the module notes)."""
    vectorizer = TfidfVectorizer(
        strip_accents="unicode",
        lowercase=True,
        stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        ngram_range=(1, 2),
        max_features=20000,
        sublinear_tf=True,
        min_df=5 if len(texts) >= 500 else 1,
    )
    return vectorizer.fit_transform(texts).tocsr()


# ------------------------------------------------------------------------------ cases


@dataclass(frozen=True)
class UserCase:
    """One reader's training ratings and the candidates their methods rank."""

    user: str
    train: I64  # library indices
    labels: I64
    ages: F64  # days before the split
    candidates: I64  # shuffled
    gains: F64  # 1 for a held-out 👍, else 0
    others: I64  # library papers neither rated by the reader nor candidates
    now_days: float = 0.0  # the moment the model is trained at, in days since 1970
    #: LEARN_NEGATIVES random ``others``: what the learned methods contrast the likes with
    negatives: I64 = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    timed: bool = True  # False: the ratings have no times (random split, no recency)


def _cutoff(test_after: str) -> datetime:
    """The last moment still in training (a bare date: the end of that day)."""
    try:
        moment = parse_time(test_after)
    except ValueError as exc:
        raise UsageError(f"test_after must be an ISO date or datetime: {exc}") from exc
    if len(test_after.strip()) == 10:
        return moment + timedelta(days=1, microseconds=-1)
    return moment


def split_user(
    ratings: Sequence[Rating],
    test_after: str | None,
    test_fraction: float,
    rng: np.random.Generator | None = None,
    untimed_now: datetime = EPOCH,
    timed: bool | None = None,
) -> tuple[list[Rating], list[Rating], datetime]:
    """(training ratings, held-out ratings, the moment the model is trained at).

    In time when every rating has a time; otherwise a random ``test_fraction`` of the
    reader's ratings, drawn with ``rng``, is held out and the model is trained at
    ``untimed_now``. ``timed`` forces the choice (``build_cases`` decides it once for the
    whole file, so a file with some times missing is split at random throughout)."""
    if timed is None:
        timed = all(r.time is not None for r in ratings)
    if test_after is not None:
        if not timed:
            raise UsageError("test_after needs a time on every rating; use test_fraction")
        cut = _cutoff(test_after)
        train = [r for r in ratings if _time(r) <= cut]
        return train, [r for r in ratings if _time(r) > cut], cut
    n_test = min(len(ratings) - 1, max(1, round(test_fraction * len(ratings))))
    if not timed:
        order = (rng or np.random.default_rng(0)).permutation(len(ratings))
        held = set(order[:n_test].tolist())
        train = [r for i, r in enumerate(ratings) if i not in held]
        return train, [r for i, r in enumerate(ratings) if i in held], untimed_now
    train, test = list(ratings[: len(ratings) - n_test]), list(ratings[len(ratings) - n_test :])
    return train, test, _time(train[-1] if train else ratings[0])


def _time(r: Rating) -> datetime:
    if r.time is None:
        raise UsageError("a rating without a time in a time-based split")
    return r.time


def make_case(
    user: str,
    train: Sequence[Rating],
    test: Sequence[Rating],
    now: datetime,
    n_papers: int,
    easy_negatives: int,
    rng: np.random.Generator,
    timed: bool = True,
) -> UserCase:
    rated = np.zeros(n_papers, dtype=bool)
    rated[[r.paper for r in (*train, *test)]] = True
    pool = np.flatnonzero(~rated)
    easy = rng.choice(pool, size=min(easy_negatives, len(pool)), replace=False)
    held = np.array([r.paper for r in test], dtype=np.int64)
    gains = np.concatenate([[1.0 if r.label == 1 else 0.0 for r in test], np.zeros(len(easy))])
    order = rng.permutation(len(gains))
    candidates = np.concatenate([held, easy]).astype(np.int64)[order]
    taken = rated.copy()
    taken[candidates] = True
    others = np.flatnonzero(~taken).astype(np.int64)
    negatives = rng.choice(others, size=min(LEARN_NEGATIVES, len(others)), replace=False)
    return UserCase(
        user,
        np.array([r.paper for r in train], dtype=np.int64),
        np.array([r.label for r in train], dtype=np.int64),
        np.array([(now - (r.time or now)) / timedelta(days=1) for r in train], np.float64),
        candidates,
        gains[order],
        others,
        (now - EPOCH) / timedelta(days=1),
        np.sort(negatives).astype(np.int64),
        timed,
    )


# ------------------------------------------------------------------------------ methods

Scorer = Callable[[Library, UserCase, np.random.Generator], F64]


def score_model(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    """The reader model alone (``papersift.rank.reader``), without the feed's priors: the
    case's random unrated papers as background, words in a word space of the library, and
    REFERENCE more unrated papers to standardise the parts on."""
    examples = [
        Example(lib.vectors[i], int(label), float(age))
        for i, label, age in zip(case.train, case.labels, case.ages, strict=True)
    ]
    rest = np.setdiff1d(case.others, case.negatives)
    ref = rng.choice(rest, size=min(REFERENCE, len(rest)), replace=False)
    liked, disliked = case.train[case.labels == 1], case.train[case.labels == -1]
    model = fit_reader(
        examples=examples,
        background=lib.vectors[case.negatives] if len(case.negatives) else None,
        positive_rows=lib.words[liked],
        negative_rows=lib.words[disliked],
        background_rows=lib.words[case.negatives],
        reference=lib.vectors[ref] if len(ref) else None,
        reference_rows=lib.words[ref],
        rng_seed=int(rng.integers(1 << 30)),
    )
    return model.score(lib.vectors[case.candidates], lib.words[case.candidates])


def score_papersift(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    """What ``papersift feed`` ranks by, at its default weights: the model plus the recency
    prior (a 7-day window ending at the split; none when the ratings have no times) and the
    popularity prior."""
    n = len(case.candidates)
    relevance, _ = feed_relevance(
        score_model(lib, case, rng),
        # undated: -inf days, so inf old; untimed ratings: no moment to be recent at
        case.now_days - lib.days[case.candidates] if case.timed else np.full(n, np.inf),
        lib.upvotes[case.candidates],
        window_days=DEFAULT_WINDOW_DAYS,
        recency_weight=DEFAULT_RECENCY_WEIGHT,
        popularity_weight=DEFAULT_POPULARITY_WEIGHT,
    )
    return relevance


def score_random(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    return rng.random(len(case.candidates))


def score_recency(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    return lib.days[case.candidates]


def score_popularity(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    return np.nan_to_num(lib.upvotes[case.candidates], nan=0.0)


def score_mean_cosine(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    mean = lib.vectors[case.train[case.labels == 1]].astype(np.float64).mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-12)
    scores: F64 = lib.vectors[case.candidates].astype(np.float64) @ mean
    return scores


def score_bm25(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    """BM25 of the candidates for one query: the liked papers' words (each word once)."""
    query = np.asarray(lib.counts[case.train[case.labels == 1]].sum(axis=0)).ravel() > 0
    docs = lib.counts[case.candidates].astype(np.float64)
    norm = BM25_K1 * (1 - BM25_B + BM25_B * lib.lengths[case.candidates] / lib.lengths.mean())
    tf = docs.data
    docs.data = tf * (BM25_K1 + 1) / (tf + np.repeat(norm, np.diff(docs.indptr)))
    scores: F64 = np.asarray(docs @ (lib.idf * query), dtype=np.float64).ravel()
    return scores


def _contrast(case: UserCase) -> tuple[I64, I64]:
    """Rows and 0/1 targets of a learned baseline: the reader's ratings (👍 = 1, 👎 = 0)
    and the case's random unrated papers (0)."""
    rows = np.concatenate([case.train, case.negatives])
    y = np.concatenate([case.labels == 1, np.zeros(len(case.negatives), dtype=bool)])
    return rows, y.astype(np.int64)


def score_tfidf_svm(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    """arxiv-sanity-lite: the liked papers against the random unrated ones."""
    rows, y = _contrast(case)
    svm = LinearSVC(class_weight="balanced", C=0.01, max_iter=10000, tol=1e-6)
    svm.fit(lib.tfidf[rows], y)
    scores: F64 = np.asarray(svm.decision_function(lib.tfidf[case.candidates]), np.float64)
    return scores


def score_tfidf_centroid(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    """Cosine of TF-IDF rows (unit length) to the mean TF-IDF row of the liked papers."""
    centre = np.asarray(lib.tfidf[case.train[case.labels == 1]].mean(axis=0)).ravel()
    scores: F64 = np.asarray(lib.tfidf[case.candidates] @ centre, np.float64).ravel()
    return scores


def score_minilm_logreg(lib: Library, case: UserCase, rng: np.random.Generator) -> F64:
    """Scholar Inbox's recipe: class-balanced logistic regression (C = 1) on the vectors."""
    rows, y = _contrast(case)
    clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    clf.fit(lib.vectors[rows].astype(np.float64), y)
    scores: F64 = clf.decision_function(lib.vectors[case.candidates].astype(np.float64))
    return scores


METHODS: dict[str, Scorer] = {
    "papersift": score_papersift,
    "papersift-model": score_model,
    "random": score_random,
    "recency": score_recency,
    "popularity": score_popularity,
    "bm25-profile": score_bm25,
    "mean-cosine": score_mean_cosine,
    "tfidf-svm": score_tfidf_svm,
    "tfidf-centroid": score_tfidf_centroid,
    "minilm-logreg": score_minilm_logreg,
}


# ------------------------------------------------------------------------------ metrics


@dataclass(frozen=True)
class MethodScores:
    """Means over the evaluated readers; ``per_user`` holds each reader's nDCG@10."""

    ndcg10: float
    mrr: float
    auc: float
    p10: float
    per_user: tuple[float, ...] = ()


def auc(scores: F64, gains: F64) -> float:
    """Probability that a relevant candidate outscores an irrelevant one (ties: half)."""
    pos, neg = scores[gains > 0], scores[gains <= 0]
    if not len(pos) or not len(neg):
        return 0.5
    above = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(above + 0.5 * ties)


def user_metrics(scores: F64, case: UserCase) -> tuple[float, float, float, float]:
    """(nDCG@10, reciprocal rank, AUC, precision@10); earlier candidates win ties."""
    order = np.argsort(-scores, kind="stable")
    ranked = [int(i) for i in order]
    relevance = {i: 1.0 for i in np.flatnonzero(case.gains > 0).tolist()}
    return (
        ndcg_at(ranked, relevance, 10),
        reciprocal_rank(ranked, relevance),
        auc(scores, case.gains),
        precision_at(ranked, relevance, 10),
    )


def summarise(rows: Sequence[tuple[float, float, float, float]]) -> MethodScores:
    if not rows:
        return MethodScores(0.0, 0.0, 0.5, 0.0)
    ndcg, mrr, area, p10 = (fmean(column) for column in zip(*rows, strict=True))
    return MethodScores(ndcg, mrr, area, p10, tuple(r[0] for r in rows))


# ------------------------------------------------------------------------------ report


@dataclass
class EvaluationReport:
    methods: dict[str, MethodScores]  # papersift first, then the baselines
    users: int  # readers evaluated
    skipped_users: int  # without a liked paper on each side of the split
    candidates: int  # ranked, over all evaluated readers
    papers: int = 0
    ratings: int = 0  # of known papers, after keeping the latest per reader and paper
    unknown_ratings: int = 0  # of papers not in the library
    split: str = ""
    embedder: str = ""
    held_out_positive: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    #: the same means over the development readers ("dev") and the held-out fifth
    parts: dict[str, dict[str, MethodScores]] = field(default_factory=dict)

    def table(self) -> str:
        lines = [
            f"{self.users} readers evaluated ({self.skipped_users} skipped), "
            f"{self.candidates} candidates, {self.held_out_positive} held-out likes; "
            f"{self.papers} papers, {self.ratings} ratings "
            f"({self.unknown_ratings} of unknown papers); {self.split}; {self.embedder}",
            "",
            f"{'method':<16} {'nDCG@10':>8} {'MRR':>7} {'AUC':>7} {'P@10':>7}",
        ]
        lines += _rows(self.methods)
        for part, means in self.parts.items():
            readers = len(next(iter(means.values())).per_user) if means else 0
            lines += ["", f"{part} readers ({readers}):", *_rows(means)]
        return "\n".join(lines)


def _rows(means: Mapping[str, MethodScores]) -> list[str]:
    return [
        f"{name:<16} {m.ndcg10:>8.3f} {m.mrr:>7.3f} {m.auc:>7.3f} {m.p10:>7.3f}"
        for name, m in means.items()
    ]


# ------------------------------------------------------------------------------ evaluate


def build_cases(
    ratings: Sequence[Rating],
    n_papers: int,
    *,
    test_after: str | None,
    test_fraction: float,
    easy_negatives: int,
    seed: int,
    untimed_now: datetime = EPOCH,
) -> tuple[list[UserCase], int]:
    """The cases of readers with a like on each side of the split; and how many were not.

    The split is in time when every rating has a time, else random per reader (seeded by
    ``seed`` and the reader's position, so a reader's split does not depend on the others);
    untimed, the models are trained at ``untimed_now`` (``evaluate``: the newest paper)."""
    by_user: dict[str, list[Rating]] = {}
    for r in ratings:
        by_user.setdefault(r.user, []).append(r)
    timed = all(r.time is not None for r in ratings)
    cases, skipped = [], 0
    for number, user in enumerate(sorted(by_user)):
        train, test, now = split_user(
            by_user[user],
            test_after,
            test_fraction,
            np.random.default_rng([seed, number, 1]),
            untimed_now,
            timed,
        )
        if not any(r.label == 1 for r in train) or not any(r.label == 1 for r in test):
            skipped += 1
            continue
        rng = np.random.default_rng([seed, number])
        cases.append(make_case(user, train, test, now, n_papers, easy_negatives, rng, timed))
    return cases, skipped


Rows = dict[str, list[tuple[float, float, float, float]]]


def held_out_reader(user: str) -> bool:
    """Whether a reader is in the held-out fifth: fixed by a hash of the reader's name, so
    the same readers are held out whatever the seed, the method or the other readers."""
    digest = hashlib.blake2b(user.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 5 == 0


def summarise_parts(cases: Sequence[UserCase], rows: Rows) -> dict[str, dict[str, MethodScores]]:
    """Means over the development readers ("dev", 4/5) and the held-out fifth."""
    held = [held_out_reader(c.user) for c in cases]
    return {
        part: {
            name: summarise([r for r, h in zip(values, held, strict=True) if h == want])
            for name, values in rows.items()
        }
        for part, want in (("dev", False), ("held-out", True))
    }


def run_methods(
    lib: Library,
    cases: Sequence[UserCase],
    methods: Mapping[str, Scorer],
    seed: int,
    on_user: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, MethodScores], list[F64]]:
    """Every method's means over the cases, and papersift's (the first method's) scores."""
    rows, first = run_method_rows(lib, cases, methods, seed, on_user)
    return {name: summarise(r) for name, r in rows.items()}, first


def run_method_rows(
    lib: Library,
    cases: Sequence[UserCase],
    methods: Mapping[str, Scorer],
    seed: int,
    on_user: Callable[[int, int], None] | None = None,
) -> tuple[Rows, list[F64]]:
    """Every method's metrics for each case, and the first method's scores."""
    rows: Rows = {name: [] for name in methods}
    first: list[F64] = []
    for number, case in enumerate(cases):
        for m, (name, scorer) in enumerate(methods.items()):
            scores = np.asarray(scorer(lib, case, np.random.default_rng([seed, number, m])))
            rows[name].append(user_metrics(scores, case))
            if m == 0:
                first.append(scores)
        if on_user is not None:
            on_user(number + 1, len(cases))
    return rows, first


def _check_options(
    test_after: str | None, test_fraction: float | None, easy_negatives: int
) -> float:
    if test_after is not None and test_fraction is not None:
        raise UsageError("give test_after or test_fraction, not both")
    fraction = DEFAULT_TEST_FRACTION if test_fraction is None else test_fraction
    if not 0 < fraction < 1:
        raise UsageError(f"test_fraction must be between 0 and 1, got {fraction}")
    if easy_negatives < 0:
        raise UsageError(f"easy_negatives must be 0 or more, got {easy_negatives}")
    if test_after is not None:
        _cutoff(test_after)
    return fraction


def write_scores(path: Path, lib: Library, cases: Sequence[UserCase], scores: list[F64]) -> None:
    with path.open("wb") as f:
        for case, values in zip(cases, scores, strict=True):
            for paper, score in zip(case.candidates.tolist(), values.tolist(), strict=True):
                row = {"user": case.user, "paper": lib.papers[paper].id, "score": score}
                f.write(orjson.dumps(row) + b"\n")


def evaluate(
    papers_path: Path,
    ratings_path: Path,
    embedder: Embedder,
    *,
    test_after: str | None = None,
    test_fraction: float | None = None,
    easy_negatives: int = 100,
    seed: int = 0,
    scores_out: Path | None = None,
    on_user: Callable[[int, int], None] | None = None,
    methods: Mapping[str, Scorer] = METHODS,
) -> EvaluationReport:
    """Replay ``ratings_path`` over ``papers_path``; see the module docstring."""
    fraction = _check_options(test_after, test_fraction, easy_negatives)
    papers = read_papers(Path(papers_path))
    lib = build_library(papers, embedder)
    ratings, unknown = read_ratings(Path(ratings_path), lib.index)
    cases, skipped = build_cases(
        ratings,
        len(papers),
        test_after=test_after,
        test_fraction=fraction,
        easy_negatives=easy_negatives,
        seed=seed,
        untimed_now=newest_date(papers),
    )
    rows, scores = run_method_rows(lib, cases, methods, seed, on_user)
    means = {name: summarise(r) for name, r in rows.items()}
    if scores_out is not None:
        write_scores(Path(scores_out), lib, cases, scores)
    split = _split_name(test_after, fraction, all(r.time is not None for r in ratings), seed)
    return EvaluationReport(
        means,
        len(cases),
        skipped,
        sum(len(c.candidates) for c in cases),
        len(papers),
        len(ratings),
        unknown,
        split,
        embedder.name,
        int(sum(c.gains.sum() for c in cases)),
        parts=summarise_parts(cases, rows),
    )


def _split_name(test_after: str | None, fraction: float, timed: bool, seed: int) -> str:
    if test_after:
        return f"held out after {test_after}"
    if timed:
        return f"latest {fraction:.0%} held out"
    return f"random {fraction:.0%} per reader held out (no times; seed {seed})"


def newest_date(papers: Sequence[PaperRow]) -> datetime:
    """The newest paper's date (the moment an untimed split trains at); 1970 if none."""
    return max((p.date for p in papers if p.date is not None), default=EPOCH)
