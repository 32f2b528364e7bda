"""The ``Store`` protocol every backend (SQLite now, PostgreSQL later) implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from papersift.models import (
    Keys,
    Paper,
    PaperView,
    Reader,
    Record,
    SearchFilters,
    Signal,
    SourcedRecord,
)


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A parsed record about to be stored, with its provenance."""

    record: Record
    fingerprint: int
    #: The record as JSON, without its locator (kept in its own column).
    data: str
    source: str
    file: str
    format: str
    ingested_at: str


@dataclass(frozen=True, slots=True)
class NewPaper:
    """A paper seen for the first time: its fields, its one record, and its match keys."""

    fields: Record
    record: NewRecord
    keys: Sequence[int]


#: A blocking key shared by more papers than this proposes only this many of them: they are
#: candidates for a fuzzy check, and a huge block would make ingest quadratic.
BLOCK_LIMIT = 64


@dataclass(frozen=True, slots=True)
class Prefetched:
    """What the store knew, at one moment, of a batch of records' fingerprints and keys."""

    fingerprints: set[int]
    papers_by_key: dict[int, list[int]]

    def find(self, fingerprint: int, keys: Keys) -> tuple[bool, list[int]]:
        """Like ``Store.lookup`` for one record of the batch."""
        found: set[int] = set()
        for key in keys.exact:
            found.update(self.papers_by_key.get(key, ()))
        for key in keys.blocking:
            found.update(self.papers_by_key.get(key, ())[:BLOCK_LIMIT])
        return fingerprint in self.fingerprints, sorted(found)


@dataclass(frozen=True, slots=True)
class LibraryStats:
    papers: int
    records: int
    merged_papers: int
    with_abstract: int
    with_arxiv_id: int
    with_doi: int
    by_source: dict[str, int]
    by_format: dict[str, int]
    earliest: str | None
    latest: str | None
    schema_version: int
    location: str


class Store(Protocol):
    location: str

    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside happen together or not at all."""
        ...

    def close(self) -> None: ...

    def schema_version(self) -> int: ...

    # -- ingest
    def lookup_many(
        self, fingerprints: Sequence[int], exact: Sequence[int], blocking: Sequence[int]
    ) -> Prefetched:
        """``lookup`` for a whole batch of records at once."""
        ...

    def lookup(
        self, fingerprint: int, exact: Sequence[int], blocking: Sequence[int]
    ) -> tuple[bool, list[int]]:
        """Whether a record with this fingerprint is stored, and the papers sharing keys."""
        ...

    def paper_views(self, paper_ids: Sequence[int]) -> dict[int, PaperView]: ...

    def insert_papers(self, papers: Sequence[NewPaper], now: str) -> list[int]:
        """Add new papers with their records and keys in bulk; returns their ids.

        Ids are never reused, not even those of papers merged away (their aliases live on).
        """
        ...

    def update_paper(self, paper_id: int, fields: Record, now: str) -> None: ...

    def add_record(self, paper_id: int, new: NewRecord) -> int: ...

    def add_keys(self, paper_id: int, keys: Sequence[int]) -> None: ...

    def records_of(self, paper_id: int) -> list[SourcedRecord]: ...

    def absorb(self, survivor: int, merged: int, keys: Sequence[int]) -> None:
        """Move every record and the ``keys`` of ``merged`` to ``survivor``; alias the old id."""
        ...

    def log_merge(
        self, paper_id: int, record_id: int | None, merged_id: int | None, reason: str, now: str
    ) -> None: ...

    # -- reading
    def resolve_paper_id(self, ident: str) -> int | None:
        """A paper id from its number (or an old merged number), arXiv id or DOI."""
        ...

    def get_paper(self, paper_id: int) -> Paper | None: ...

    def get_papers(self, paper_ids: Sequence[int]) -> dict[int, Paper]: ...

    def iter_papers(self, limit: int | None = None, offset: int = 0) -> Iterator[Paper]: ...

    def merge_log(self, paper_id: int) -> list[tuple[str, int | None, int | None, str]]: ...

    def stats(self) -> LibraryStats: ...

    # -- search (full text, filters, embeddings)
    def sync_lexical(self) -> int: ...

    def lexical_pending(self) -> bool: ...

    def lexical_search(
        self, match: str, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[int, float]]: ...

    def matched_words(self, match: str, paper_ids: Sequence[int]) -> dict[int, list[str]]: ...

    def filtered_ids(self, filters: SearchFilters) -> NDArray[np.int64]: ...

    def match_counts(self, expressions: Sequence[str], cap: int) -> tuple[list[int], int]: ...

    def texts_to_embed(
        self, model: str, content_hash: Any, batch: int = 1000
    ) -> Iterator[list[tuple[int, str, str]]]: ...

    def save_embeddings(
        self, model: str, rows: Sequence[tuple[int, str, NDArray[np.float32]]]
    ) -> None: ...

    def embeddings_since(
        self, model: str, seq: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32], int]: ...

    def embedding_ids(self, model: str) -> NDArray[np.int64]: ...

    def embedding_of(self, paper_id: int, model: str) -> NDArray[np.float32] | None: ...

    def embedding_counts(self) -> dict[str, int]: ...

    # -- readers
    def add_reader(self, name: str, now: str) -> int: ...

    def reader_id(self, name: str) -> int | None: ...

    def remove_reader(self, reader_id: int) -> None: ...

    def readers(self) -> list[Reader]: ...

    def add_reader_authors(self, reader_id: int, names: Sequence[str]) -> None: ...

    def set_signals(self, reader_id: int, signals: Sequence[Signal]) -> int: ...

    def signals(self, reader_id: int) -> list[Signal]: ...

    def papers_of_records(self, fingerprints: Sequence[int]) -> list[int]: ...

    def mark_shown(self, reader_id: int, paper_ids: Sequence[int], now: str) -> None: ...

    def feed_candidates(
        self,
        reader_id: int,
        since: str,
        until: str | None,
        among: Sequence[int] | None = None,
    ) -> NDArray[np.int64]: ...

    def count_in_window(self, since: str, until: str | None, cap: int | None = None) -> int: ...

    def vectors_of(
        self, paper_ids: Sequence[int], model: str
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]: ...

    def random_embedded_ids(self, count: int, seed: int, model: str) -> NDArray[np.int64]: ...

    def missing_vectors(self, paper_ids: Sequence[int], model: str) -> list[int]: ...

    def dates_and_upvotes(
        self, paper_ids: Sequence[int]
    ) -> tuple[list[str | None], list[int | None]]: ...
