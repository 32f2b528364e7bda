"""Readers and their feeds: profiles from own papers, likes, pasted abstracts and feedback;
a per-reader model; a short, varied, explained list of what is new.

Scoring (all weights are ``FeedSettings`` fields, documented in the README):

    score = model score (rescaled to [0, 1] over the candidates)
          + recency_weight    * (1 - age / window)          newer is better
          + popularity_weight * log(1 + upvotes) / log(1 + most upvotes among candidates)

then maximal marginal relevance with ``diversity`` (lambda; 1 = no diversification) picks
the ``limit`` papers shown.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from papersift.clock import now_iso
from papersift.embed import content_hash, paper_text
from papersift.errors import NotFoundError, UsageError
from papersift.index.lexical import STOPWORDS
from papersift.ingest.names import same_person
from papersift.ingest.pipeline import FileReport, ingest_file
from papersift.models import Hit, Paper, Reader, SearchFilters, Signal
from papersift.rank.authorship import SharedAuthor, is_by, shared_author
from papersift.rank.diversity import DEFAULT_DIVERSITY, mmr
from papersift.rank.lexical_reader import WordSpace
from papersift.rank.personal import DEFAULT_SETTINGS, EmptyProfileError, Example
from papersift.rank.priors import (
    DEFAULT_POPULARITY_WEIGHT,
    DEFAULT_RECENCY_WEIGHT,
    DEFAULT_WINDOW_DAYS,
    feed_relevance,
)
from papersift.rank.reader import FusedReader, fit_reader
from papersift.search import Searcher
from papersift.store import Store

#: How much each kind of signal counts in the reader's model.
SIGNAL_WEIGHTS = {"own": 1.0, "file": 1.0, "like": 1.0, "up": 1.5, "down": 1.5}
#: How an explanation names the reader's paper a candidate is close to.
KIND_PHRASES = {
    "own": "your paper “{}”",
    "file": "“{}” from your list",
    "like": "“{}”, which you liked",
    "up": "“{}”, which you liked",
}
BACKGROUND = DEFAULT_SETTINGS.background_samples  # library papers: weak negatives
WORD_BACKGROUND = 300  # of which the word model contrasts with (their texts are read)
WORD_LIKES = 200  # the word model reads the latest this many 👍 (and 👎): time, not quality
REFERENCE = 200  # more library papers, not trained on, that standardise the model's parts
#: Windows holding more papers than this are first shortlisted with the vector index: the
#: papers nearest to (up to SHORTLIST_QUERIES of) the reader's papers, SHORTLIST_PER_QUERY each.
SHORTLIST_AT = 20_000
SHORTLIST_QUERIES = 24
SHORTLIST_PER_QUERY = 500
#: New papers without a vector are embedded when a feed needs them, up to this many.
EMBED_ON_THE_FLY = 2000
MIN_PAGE_PAPERS = 3  # a page is a reader's when they are on this many of its papers (and half)
MMR_POOL = 20  # MMR chooses among the best MMR_POOL * limit candidates
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{3,}")
#: Words of academic prose that say nothing about a topic (never an explanation).
_FILLER = frozenset(
    """moreover however furthermore therefore thus hence upon give gives given show shows shown
    demonstrate demonstrates propose proposes proposed present presents paper papers work works
    study studies approach approaches method methods result results also well many much
    several various different common total terms first second third best better large small
    high low good often still even while whether across among within without simple novel""".split()
)


@dataclass(frozen=True)
class FeedSettings:
    days: int = DEFAULT_WINDOW_DAYS
    since: str | None = None
    until: str | None = None
    limit: int = 10
    recency_weight: float = DEFAULT_RECENCY_WEIGHT
    popularity_weight: float = DEFAULT_POPULARITY_WEIGHT
    diversity: float = DEFAULT_DIVERSITY


@dataclass
class ReaderReport:
    reader: Reader
    own: int = 0
    from_files: int = 0
    likes: int = 0
    files: list[FileReport] = field(default_factory=list)
    #: the author most given papers share, newly taken as the reader's name (or None)
    shared_author: SharedAuthor | None = None


def _days_between(earlier: str | None, later: date) -> float:
    if not earlier:
        return 0.0
    try:
        when = (
            date.fromisoformat(earlier[:10]) if len(earlier) >= 10 else date(int(earlier[:4]), 1, 1)
        )
    except ValueError:
        return 0.0
    return max(0.0, float((later - when).days))


def _age_days(day: str | None, today: date) -> float:
    """Days from a paper's date to today; inf when undated or unreadable (no recency)."""
    if not day:
        return float("inf")
    try:
        when = date.fromisoformat(day[:10]) if len(day) >= 10 else date(int(day[:4]), 1, 1)
    except ValueError:
        return float("inf")
    return float((today - when).days)


@dataclass(frozen=True)
class _Scored:
    """The candidates' dates and upvotes, to add the feed's priors to a model's scores."""

    dates: list[str | None]
    upvotes: list[int | None]
    since: str
    today: date
    settings: FeedSettings

    def of(self, rows: NDArray[np.int64]) -> _Scored:
        dates, votes = [self.dates[i] for i in rows], [self.upvotes[i] for i in rows]
        return _Scored(dates, votes, self.since, self.today, self.settings)

    def relevance(
        self, raw: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], dict[str, NDArray[np.float64]]]:
        return feed_relevance(
            raw,
            np.array([_age_days(d, self.today) for d in self.dates]),
            np.array([np.nan if v is None else v for v in self.upvotes], dtype=np.float64),
            window_days=_days_between(self.since, self.today),
            recency_weight=self.settings.recency_weight,
            popularity_weight=self.settings.popularity_weight,
        )


@dataclass
class Recommender:
    store: Store
    searcher: Searcher

    # ------------------------------------------------------------------ readers

    def reader(self, name: str) -> Reader:
        for reader in self.store.readers():
            if reader.name == name:
                return reader
        raise NotFoundError(f"no reader named {name!r}; add one with `papersift reader add {name}`")

    def add_reader(
        self,
        name: str,
        authors: Sequence[str] = (),
        papers: Sequence[Path] = (),
        likes: Sequence[str] = (),
    ) -> ReaderReport:
        """Create (or extend) a reader; re-running it adds nothing twice."""
        if not name.strip():
            raise UsageError("a reader needs a name")
        like_ids = [self._paper_id(ident) for ident in likes]
        now = now_iso()
        with self.store.transaction():
            reader_id = self.store.add_reader(name, now)
            self.store.add_reader_authors(reader_id, list(authors))
        report = ReaderReport(self.reader(name))
        given: list[int] = []
        for path in papers:
            file_report = ingest_file(self.store, path, source=f"reader:{name}")
            report.files.append(file_report)
            ids = self.store.papers_of_records(file_report.fingerprints)
            given += [int(i) for i in ids]
            with self.store.transaction():
                report.from_files += self.store.set_signals(
                    reader_id, [Signal(pid, "file", 1, now) for pid in ids]
                )
        report.shared_author = self._take_shared_author(reader_id, given)
        own = self.authored_by(self.reader(name).authors)
        with self.store.transaction():
            report.own = self.store.set_signals(reader_id, [Signal(p, "own", 1, now) for p in own])
            report.likes = self.store.set_signals(
                reader_id, [Signal(p, "like", 1, now) for p in like_ids]
            )
        report.reader = self.reader(name)
        return report

    def _take_shared_author(self, reader_id: int, paper_ids: list[int]) -> SharedAuthor | None:
        """When one person is on most of the given papers, take that name as the reader's
        (unless the reader already has it): see ``papersift.rank.authorship``."""
        papers = self.store.get_papers(sorted(set(paper_ids)))
        found = shared_author([p.authors for p in papers.values()])
        reader = self.store.readers()
        names = next((r.authors for r in reader if r.id == reader_id), [])
        if found is None or is_by([found.name], names):
            return None
        with self.store.transaction():
            self.store.add_reader_authors(reader_id, [found.name])
        return found

    def remove_author(self, name: str, author: str) -> int:
        """Stop taking ``author`` as the reader's name: the name goes, and so do the "own"
        signals of papers none of the reader's other names is on. How many went."""
        reader = self.reader(name)
        if author not in reader.authors:
            known = ", ".join(reader.authors) or "none"
            raise NotFoundError(f"reader {name!r} has no author name {author!r} (has: {known})")
        rest = [a for a in reader.authors if a != author]
        own = [s.paper_id for s in self.store.signals(reader.id) if s.kind == "own"]
        papers = self.store.get_papers(own)
        gone = [pid for pid in own if not is_by(papers[pid].authors, rest)]
        with self.store.transaction():
            self.store.remove_reader_author(reader.id, author)
            for pid in gone:
                self.store.remove_signal(reader.id, pid, "own")
        return len(gone)

    def authored_by(self, names: Sequence[str]) -> list[int]:
        """Papers in the library with an author who is one of ``names``, and those hidden
        in an "et al." on a page that is theirs (see ``_hidden_in_et_al``)."""
        self.searcher.sync_lexical()
        found: set[int] = set()
        for name in names:
            words = re.findall(r"\w+", name)
            if not words:
                continue
            candidates = self.store.filtered_ids(SearchFilters(author=words[-1]))
            papers = self.store.get_papers([int(i) for i in candidates])
            for pid, paper in papers.items():
                if any(same_person(name, author) for author in paper.authors):
                    found.add(pid)
        return sorted(found | self._hidden_in_et_al(found))

    def _hidden_in_et_al(self, found: set[int]) -> set[int]:
        """Papers whose author list is cut short ("et al.") on a page (an ingest source)
        that is the reader's: one where at least half the papers, and MIN_PAGE_PAPERS,
        name them. A publication page lists only the first authors, so without this a
        reader's own papers came back first in their feed (seed 002: 7 of its 21 papers)."""
        if not found:
            return set()
        papers = self.store.get_papers(sorted(found))
        mine = Counter(src for p in papers.values() for src in {x.source for x in p.sources})
        extra: set[int] = set()
        for source, count in mine.items():
            if count < MIN_PAGE_PAPERS:
                continue
            page = self.store.get_papers(
                [int(i) for i in self.store.filtered_ids(SearchFilters(source=source))]
            )
            if count * 2 >= len(page):
                extra |= {pid for pid, p in page.items() if pid not in found and _cut_short(p)}
        return extra

    def remove_reader(self, name: str) -> None:
        reader = self.reader(name)
        with self.store.transaction():
            self.store.remove_reader(reader.id)

    def feedback(self, name: str, ident: str, verdict: str) -> Paper:
        if verdict not in ("up", "down"):
            raise UsageError(f"feedback is up or down, not {verdict!r}")
        reader = self.reader(name)
        paper_id = self._paper_id(ident)
        with self.store.transaction():
            self.store.set_signals(
                reader.id, [Signal(paper_id, verdict, 1 if verdict == "up" else -1, now_iso())]
            )
        paper = self.store.get_paper(paper_id)
        assert paper is not None
        return paper

    def _paper_id(self, ident: str) -> int:
        paper_id = self.store.resolve_paper_id(ident)
        if paper_id is None:
            raise NotFoundError(f"no paper {ident!r} in the library")
        return paper_id

    # ------------------------------------------------------------------ feed

    def model_for(
        self, reader: Reader, today: date, signals: list[Signal] | None = None
    ) -> tuple[FusedReader, list[Signal], NDArray[np.int64]]:
        """The reader's model, the signals it learnt from, and their papers (vector order)."""
        if signals is None:
            signals = self._liked_something(reader)
        self._embed_missing([s.paper_id for s in signals])
        model_name = self.searcher.model_name
        ids, vectors = self.store.vectors_of([s.paper_id for s in signals], model_name)
        row = {int(pid): i for i, pid in enumerate(ids)}
        papers = self.store.get_papers([int(i) for i in ids])
        examples, used, used_ids = [], [], []
        for s in signals:
            if s.paper_id not in row:
                continue
            age_from = papers[s.paper_id].date if s.kind == "own" else s.at
            examples.append(
                Example(
                    vectors[row[s.paper_id]],
                    s.label,
                    _days_between(age_from, today),
                    SIGNAL_WEIGHTS[s.kind],
                )
            )
            used.append(s)
            used_ids.append(s.paper_id)
        texts = [paper_text(papers[pid].title, papers[pid].abstract) for pid in used_ids]
        model = self._fit(reader, examples, texts, set(ids.tolist()))
        return model, used, np.asarray(used_ids, dtype=np.int64)

    def _fit(
        self, reader: Reader, examples: list[Example], texts: list[str], mine: set[int]
    ) -> FusedReader:
        """The fused model: weak negatives are papers with a vector (a feed embeds its
        candidates first), not the reader's own signals (a reader's pasted abstracts are
        library papers too); REFERENCE more standardise the model's parts."""
        model_name = self.searcher.model_name
        wanted = BACKGROUND + REFERENCE + len(mine)
        sample = [
            int(i)
            for i in self.store.random_embedded_ids(wanted, reader.id, model_name)
            if int(i) not in mine
        ]
        bg_ids, background = self.store.vectors_of(sample[:BACKGROUND], model_name)
        ref_ids, reference = self.store.vectors_of(sample[BACKGROUND:wanted], model_name)
        word_ids = [int(i) for i in bg_ids[:WORD_BACKGROUND]]
        others = self.store.get_papers(word_ids + [int(i) for i in ref_ids])
        word_texts = [paper_text(others[i].title, others[i].abstract) for i in word_ids]
        ref_texts = [paper_text(others[int(i)].title, others[int(i)].abstract) for i in ref_ids]
        labels = [e.label for e in examples]
        liked = [t for t, y in zip(texts, labels, strict=True) if y > 0][-WORD_LIKES:]
        disliked = [t for t, y in zip(texts, labels, strict=True) if y < 0][-WORD_LIKES:]
        space = WordSpace.fit(liked + disliked + word_texts)
        return fit_reader(
            np.empty(0, np.float32),
            examples=examples,
            background=background if len(background) else None,
            positive_rows=space.rows(liked),
            negative_rows=space.rows(disliked),
            background_rows=space.rows(word_texts),
            reference=reference if len(reference) else None,
            reference_rows=space.rows(ref_texts) if len(reference) else None,
            space=space,
        )

    def _liked_something(self, reader: Reader) -> list[Signal]:
        """The reader's signals; ``EmptyProfileError`` when none of them is a like."""
        signals = self.store.signals(reader.id)
        if not any(s.label > 0 for s in signals):
            only_down = " (only thumbs-down so far)" if signals else ""
            raise EmptyProfileError(
                f"reader {reader.name!r} has no papers or likes yet{only_down}: add some with "
                f"`papersift reader add {reader.name} --author NAME | --papers FILE | --like ID`"
            )
        return signals

    def feed(self, name: str, settings: FeedSettings, mark_shown: bool = False) -> list[Hit]:
        reader = self.reader(name)
        signals = self._liked_something(reader)  # before any work
        today = (
            date.fromisoformat(settings.until[:10])
            if settings.until and len(settings.until) >= 10
            else datetime.now(UTC).date()
        )
        back = min(settings.days, (today - date.min).days)  # --days 1000000000: all time
        since = settings.since or (today - timedelta(days=back)).isoformat()
        among = None
        if self.store.count_in_window(since, settings.until, cap=SHORTLIST_AT + 1) > SHORTLIST_AT:
            among = self._shortlist(signals)
        candidates = self.store.feed_candidates(reader.id, since, settings.until, among)
        self._embed_missing([int(i) for i in candidates[:EMBED_ON_THE_FLY]])
        model, signals, signal_ids = self.model_for(reader, today, signals)
        ids, vectors = self.store.vectors_of([int(i) for i in candidates], self.searcher.model_name)
        if len(ids) == 0:
            return []
        dates, votes = self.store.dates_and_upvotes([int(i) for i in ids])
        scored = _Scored(dates, votes, since, today, settings)
        relevance, _ = scored.relevance(model.score(vectors))
        # the best by the embedding parts; words are read and scored for these only
        top = np.argsort(-relevance)[: MMR_POOL * settings.limit]
        papers = self.store.get_papers([int(ids[i]) for i in top])
        top = np.array([i for i in top if not is_by(papers[int(ids[i])].authors, reader.authors)])
        if not len(top):
            return []
        texts = [paper_text(papers[int(ids[i])].title, papers[int(ids[i])].abstract) for i in top]
        raw = model.score(vectors[top], model.word_rows(texts))
        relevance, parts = scored.of(top).relevance(raw)
        ids, vectors = ids[top], vectors[top]
        picked = mmr(relevance, vectors, settings.limit, settings.diversity)
        hits = self._explain(
            model, signals, signal_ids, ids, vectors, papers, relevance, parts, picked
        )
        if mark_shown:
            with self.store.transaction():
                self.store.mark_shown(reader.id, [h.paper.id for h in hits], now_iso())
        return hits

    def _embed_missing(self, paper_ids: Sequence[int]) -> None:
        """Embed, now, papers that have no vector yet (a few: `papersift index` does many)."""
        unique = list(dict.fromkeys(paper_ids))  # a paper can be both own and liked
        missing = self.store.missing_vectors(unique, self.searcher.model_name)
        if not missing:
            return
        papers = self.store.get_papers(missing)
        texts = [paper_text(papers[pid].title, papers[pid].abstract) for pid in missing]
        vectors = self.searcher.embedder.encode(texts)
        rows = [
            (pid, content_hash(t), vectors[i])
            for i, (pid, t) in enumerate(zip(missing, texts, strict=True))
        ]
        with self.store.transaction():
            self.store.save_embeddings(self.searcher.model_name, rows)

    def _shortlist(self, signals: list[Signal]) -> list[int]:
        """Papers near the reader's most recent liked papers, from the vector index."""
        liked = [s.paper_id for s in signals if s.label > 0]
        recent = liked[-SHORTLIST_QUERIES:]  # signals come oldest first
        _, queries = self.store.vectors_of(recent, self.searcher.model_name)
        index = self.searcher.vectors()
        found: set[int] = set()
        for query in queries:
            found.update(pid for pid, _ in index.search(query, SHORTLIST_PER_QUERY))
        return sorted(found)

    def _explain(
        self,
        model: FusedReader,
        signals: list[Signal],
        signal_ids: NDArray[np.int64],
        ids: NDArray[np.int64],
        vectors: NDArray[np.float32],
        papers: dict[int, Paper],
        relevance: NDArray[np.float64],
        parts: dict[str, NDArray[np.float64]],
        picked: list[int],
    ) -> list[Hit]:
        positives = [
            (s, int(pid)) for s, pid in zip(signals, signal_ids, strict=True) if s.label > 0
        ]
        nearest, similarity = model.nearest_positive(vectors[picked])
        liked = self.store.get_papers([pid for _, pid in positives])
        rarity = _rarity(list(papers.values()))
        hits = []
        for j, i in enumerate(picked):
            paper = papers[int(ids[i])]
            hit = Hit(paper, float(relevance[i]), similarity=float(similarity[j]))
            signal, source_id = positives[int(nearest[j])]
            source = liked[source_id]
            phrase = KIND_PHRASES.get(signal.kind, "“{}”").format(_short(source))
            hit.reasons.append(f"close to {phrase} ({similarity[j]:.2f})")
            if shared := _shared_terms(paper, source, rarity):
                hit.matched_terms = shared
                hit.reasons.append("shares " + ", ".join(shared))
            hit.reasons.extend(_prior_reasons(paper, parts, i, picked))
            hits.append(hit)
        return hits


def _cut_short(paper: Paper) -> bool:
    """Whether the paper's author list is known to be incomplete ("et al.")."""
    return paper.authors_truncated or (paper.n_authors or 0) > len(paper.authors)


def _short(paper: Paper) -> str:
    text = paper.title or (paper.abstract or "")[:60] + "…"
    return text if len(text) <= 70 else text[:69] + "…"


def _terms(paper: Paper) -> dict[str, str]:
    text = f"{paper.title or ''} {paper.abstract or ''}"
    words = (w for w in _WORD.findall(text) if w.lower() not in STOPWORDS)
    return {w.lower(): w for w in words if w.lower() not in _FILLER}


def _rarity(papers: Sequence[Paper]) -> dict[str, float]:
    """How rare each word is among these papers (inverse document frequency)."""
    counts: dict[str, int] = {}
    for paper in papers:
        for word in _terms(paper):
            counts[word] = counts.get(word, 0) + 1
    n = max(1, len(papers))
    return {w: float(np.log((1 + n) / (1 + c))) for w, c in counts.items()}


def _shared_terms(paper: Paper, other: Paper, rarity: dict[str, float], most: int = 4) -> list[str]:
    """Words the two papers share, the most specific (rarest among candidates) first."""
    mine, theirs = _terms(paper), _terms(other)
    top = max(rarity.values(), default=1.0)
    shared = sorted(set(mine) & set(theirs), key=lambda w: (-rarity.get(w, top), w))
    return [mine[w] for w in shared[:most] if rarity.get(w, top) > 0.5]


def _prior_reasons(
    paper: Paper, parts: dict[str, NDArray[np.float64]], i: int, picked: list[int]
) -> list[str]:
    """Which prior moved this paper: it would rank lower on the model's score alone."""
    model_rank = int((parts["model"] > parts["model"][i]).sum())
    if model_rank <= picked.index(i) + 1:
        return []
    boosts = {"recency": parts["recency"][i], "popularity": parts["popularity"][i]}
    prior = max(boosts, key=lambda k: boosts[k])
    if boosts[prior] <= 0:
        return []
    if prior == "popularity":
        what = f" ({paper.upvotes} upvotes)" if paper.upvotes is not None else ""
    else:
        what = f" (dated {paper.date})" if paper.date else ""
    return [f"moved up from #{model_rank + 1} by {prior}{what}"]


def render_feed_html(reader: str, hits: Sequence[Hit]) -> str:
    """A standalone HTML page of a feed (the e-mail digest and web app reuse the Hit)."""
    items = []
    for rank, hit in enumerate(hits, start=1):
        p = hit.paper
        link = p.url or (f"https://arxiv.org/abs/{p.arxiv_id}" if p.arxiv_id else "")
        title = escape(p.title or "(untitled)")
        heading = f'<a href="{escape(link)}">{title}</a>' if link else title
        authors = escape(", ".join(p.authors[:6]) + (" et al." if len(p.authors) > 6 else ""))
        why = "".join(f"<li>{escape(r)}</li>" for r in hit.reasons)
        items.append(
            f"<article><h2>{rank}. {heading}</h2><p class=meta>{authors} · {escape(p.date or '')}"
            f"</p><p>{escape((p.abstract or '')[:600])}</p><ul class=why>{why}</ul></article>"
        )
    body = "".join(items) or "<p>No new papers in this window.</p>"
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>papersift feed for {escape(reader)}</title>"
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:auto;padding:1rem}"
        "h2{font-size:1.1rem;margin-bottom:.2rem}.meta{color:#555;margin:0}"
        ".why{color:#2a5;font-size:.9rem}</style>"
        f"<h1>New for {escape(reader)}</h1>{body}</html>"
    )
