"""Typed data that flows between the layers: parsed records and merged papers."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass(slots=True)
class Record:
    """One entry as a reader found it in one file, before deduplication.

    Parsers fill what the format has and leave the rest empty. Strings are already
    whitespace-collapsed; ``date`` is ISO (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``);
    ``arxiv_id`` is version-less (``2401.01234`` or ``hep-th/9901001``); ``doi`` is lower-case
    without a resolver prefix.
    """

    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    #: True when the list is known to be cut short ("et al.").
    authors_truncated: bool = False
    #: How many authors the paper has, when the source says so (HF: "4 authors").
    n_authors: int | None = None
    date: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    upvotes: int | None = None
    categories: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    url: str | None = None
    venue: str | None = None
    #: True when the source shows only the start of the abstract.
    abstract_truncated: bool = False
    #: Where in the file: "line 12", "entry smith2020 (line 40)", "record 3 (line 88)".
    locator: str = ""
    #: Anything else worth keeping (raw date text, code link, BibTeX entry type, ...).
    extra: dict[str, Any] = field(default_factory=dict)


def record_to_json(record: Record) -> str:
    return orjson.dumps(record).decode()  # orjson serializes dataclasses natively (and fast)


def record_from_json(text: str | bytes) -> Record:
    data = orjson.loads(text)
    return Record(**{k: v for k, v in data.items() if k in _RECORD_FIELDS})


_RECORD_FIELDS = frozenset(f.name for f in dataclasses.fields(Record))


@dataclass(frozen=True, slots=True)
class Keys:
    """Hashed keys of a record: ``exact`` identify, ``blocking`` only propose candidates."""

    exact: tuple[int, ...]
    blocking: tuple[int, ...]

    def all(self) -> tuple[int, ...]:
        return self.exact + self.blocking


@dataclass(slots=True)
class PaperView:
    """What verification needs to know of a paper already in the library."""

    title: str | None
    abstract: str | None
    arxiv_id: str | None = None
    doi: str | None = None
    authors: list[str] = field(default_factory=list)
    abstract_truncated: bool = False


@dataclass(frozen=True, slots=True)
class SourcedRecord:
    """A record with the reader it came from (the merge prefers richer formats)."""

    record: Record
    format: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """An entry a parser could not turn into a record; counted and reported, never silent.

    ``expected``: the source itself says the entry is gone (an OAI-PMH deleted record). That
    is normal content, not a fault: ``--strict`` does not fail on it."""

    locator: str
    reason: str
    line: int | None = None
    expected: bool = False


ParseItem = Record | Skipped


@dataclass(frozen=True, slots=True)
class Source:
    """Provenance of one record of a paper."""

    record_id: int
    source: str
    file: str
    locator: str
    format: str
    ingested_at: str


@dataclass(slots=True)
class Paper:
    """A deduplicated paper: the best value of each field over all of its records."""

    id: int
    title: str | None
    abstract: str | None
    authors: list[str]
    date: str | None
    arxiv_id: str | None = None
    doi: str | None = None
    upvotes: int | None = None
    n_authors: int | None = None
    authors_truncated: bool = False
    categories: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    url: str | None = None
    venue: str | None = None
    abstract_truncated: bool = False
    sources: list[Source] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "abstract": self.abstract,
            "authors": self.authors,
            "n_authors": self.n_authors,
            "authors_truncated": self.authors_truncated,
            "date": self.date,
            "arxiv_id": self.arxiv_id,
            "doi": self.doi,
            "upvotes": self.upvotes,
            "categories": self.categories,
            "organizations": self.organizations,
            "url": self.url,
            "venue": self.venue,
            "abstract_truncated": self.abstract_truncated,
            "sources": [
                {
                    "source": s.source,
                    "file": s.file,
                    "locator": s.locator,
                    "format": s.format,
                    "ingested_at": s.ingested_at,
                }
                for s in self.sources
            ],
        }


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions a search applies to both its lexical and its semantic side."""

    since: str | None = None  # ISO date, inclusive
    until: str | None = None  # ISO date (or YYYY-MM, YYYY), inclusive
    source: str | None = None  # a source name given at ingest
    author: str | None = None  # words of an author's name, accents and case ignored
    has_abstract: bool = False
    #: FTS5 parts (``"w1 w2"``) that must all be in the title (``title:`` in a query).
    title_parts: tuple[str, ...] = ()
    #: FTS5 parts of which no paper may hold any (``-word`` in a query).
    exclude_parts: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        wanted = (self.since, self.until, self.source, self.author, self.has_abstract)
        return any(wanted) or bool(self.title_parts or self.exclude_parts)

    def text_conditions(self) -> list[tuple[str, bool]]:
        """(FTS5 expression, whether a paper must match it) for ``title:`` and ``-word``."""
        found: list[tuple[str, bool]] = []
        if self.title_parts:
            found.append(("title : (" + " AND ".join(self.title_parts) + ")", True))
        if self.exclude_parts:
            found.append((" OR ".join(self.exclude_parts), False))
        return found

    def author_match(self) -> str:
        """The FTS5 expression for papers whose author list has every word of ``author``."""
        words = re.findall(r"\w+", self.author or "")
        return "authors : (" + " ".join(f'"{w}"' for w in words) + ")" if words else ""


@dataclass(slots=True)
class Hit:
    """One search or feed result: the paper, its score, and why it is here."""

    paper: Paper
    score: float
    reasons: list[str] = field(default_factory=list)
    matched_terms: list[str] = field(default_factory=list)
    similarity: float | None = None
    lexical_rank: int | None = None
    semantic_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "paper": self.paper.to_dict(),
            "score": self.score,
            "reasons": self.reasons,
            "matched_terms": self.matched_terms,
            "similarity": self.similarity,
            "lexical_rank": self.lexical_rank,
            "semantic_rank": self.semantic_rank,
        }


@dataclass(frozen=True, slots=True)
class Signal:
    """One thing a reader told us about a paper (see the reader_signals table)."""

    paper_id: int
    kind: str  # own | file | like | up | down
    label: int  # +1 or -1
    at: str


@dataclass(frozen=True, slots=True)
class Reader:
    id: int
    name: str
    created_at: str
    authors: list[str]
    positives: int = 0
    negatives: int = 0
    shown: int = 0


@dataclass(frozen=True, slots=True)
class User:
    """An account of the web app; ``name`` is its reader's name."""

    id: int
    name: str
    email: str | None
    role: str  # "admin" or "reader"
    password_hash: str
    feed_token: str
    reader_id: int
    created_at: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class IdConflict:
    """Two papers that share an identifier although their titles and authors disagree."""

    identifier: str  # "DOI 10.1/x" or "arXiv 2401.01234"
    paper_id: int  # the paper that had it first
    other_id: int  # the paper kept apart from it
    detected_at: str


@dataclass(frozen=True, slots=True)
class SavedSearch:
    id: int
    user_id: int
    name: str
    query: str
    mode: str
    feed_token: str
    created_at: str
