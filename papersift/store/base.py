"""The ``Store`` protocol every backend (SQLite now, PostgreSQL later) implements."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from papersift.models import (
    IdConflict,
    Keys,
    Paper,
    PaperView,
    Reader,
    Record,
    SavedSearch,
    SearchFilters,
    Signal,
    SourcedRecord,
    User,
)
from papersift.store.shared_map import MapBox, MapCluster, MapPoint, MapState


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

    def lock_papers(self) -> None:
        """Inside a transaction: wait until no other transaction is adding papers, and keep
        others from doing so until this one ends, so that dedup sees every paper."""
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

    def add_conflict(self, paper_id: int, fingerprint: int, identifier: str, now: str) -> None:
        """The record ``fingerprint`` shares ``identifier`` with ``paper_id`` but is not it."""
        ...

    def conflicts(self, paper_id: int | None = None) -> list[IdConflict]:
        """Identifier conflicts of the library, or of one paper (see shared_conflicts)."""
        ...

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

    def remove_reader_author(self, reader_id: int, name: str) -> None: ...

    def remove_signal(self, reader_id: int, paper_id: int, kind: str) -> int: ...

    def set_signals(self, reader_id: int, signals: Sequence[Signal]) -> int: ...

    def signals(self, reader_id: int) -> list[Signal]: ...

    def remove_signals(self, reader_id: int, paper_id: int) -> int: ...

    def reader_version(self, reader_id: int) -> tuple[int, str, int, int]: ...

    def library_version(self) -> tuple[int, int, int]: ...

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

    # -- accounts (the web app)
    def add_user(
        self,
        reader_id: int,
        email: str | None,
        password_hash: str,
        role: str,
        feed_token: str,
        now: str,
    ) -> int: ...

    def user_by_name(self, name: str) -> User | None: ...

    def user_by_id(self, user_id: int) -> User | None: ...

    def user_by_feed_token(self, token: str) -> User | None: ...

    def users(self) -> list[User]: ...

    def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    def add_session(self, token_hash: str, user_id: int, csrf: str, expires_at: str) -> None: ...

    def session(self, token_hash: str, now: str) -> tuple[User, str] | None: ...

    def remove_session(self, token_hash: str) -> None: ...

    def remove_expired_sessions(self, now: str) -> None: ...

    def add_api_token(
        self, user_id: int, name: str, token_hash: str, now: str, expires_at: str | None = None
    ) -> int: ...

    def user_by_api_token(self, token_hash: str, now: str = "") -> User | None: ...

    def api_tokens(self, user_id: int) -> list[tuple[int, str, str]]: ...

    def api_token_expiry(self, user_id: int) -> dict[int, str | None]: ...

    def remove_api_token(self, user_id: int, token_id: int) -> bool: ...

    def user_by_name_nocase(self, name: str) -> User | None: ...

    def reader_names_nocase(self, name: str) -> list[str]: ...

    # -- login throttle and private papers (the web app, issue 13)
    def lock_login_failures(self) -> None: ...

    def recent_login_failures(
        self, address: str, name: str, since: float, limits: tuple[int, int, int]
    ) -> tuple[list[float], list[float], list[float]]: ...

    def add_login_failure(self, address: str, name: str, at: float) -> int: ...

    def remove_login_failure(self, failure_id: int) -> None: ...

    def clear_login_failures(self, address: str, name: str, before: float) -> None: ...

    def set_paper_owner(self, paper_ids: Sequence[int], reader_id: int) -> None: ...

    def paper_owners(self, paper_ids: Sequence[int]) -> dict[int, int]: ...

    def count_private_papers(self, except_reader: int | None) -> int: ...

    def add_saved_search(
        self, user_id: int, name: str, query: str, mode: str, feed_token: str, now: str
    ) -> int: ...

    def saved_searches(self, user_id: int) -> list[SavedSearch]: ...

    def saved_search(self, search_id: int) -> SavedSearch | None: ...

    def saved_search_by_feed_token(self, token: str) -> SavedSearch | None: ...

    def remove_saved_search(self, user_id: int, search_id: int) -> bool: ...

    def app_setting(self, key: str, default: str) -> str: ...

    def record_visit(self, user_id: int, day: str) -> str | None: ...

    # -- e-mail digests
    def digest_delivery(self, reader_id: int, day: str) -> DigestDelivery | None: ...

    def digest_deliveries(self, reader_id: int) -> list[DigestDelivery]: ...

    def record_digest_sent(
        self, reader_id: int, day: str, paper_ids: Sequence[int], now: str
    ) -> None: ...

    def claim_digest(
        self,
        reader_id: int,
        day: str,
        now: str,
        stale_before: str,
        owner: str = "",
        dead_owner: str | None = None,
    ) -> bool:
        """Claim the sending of a reader's digest of ``day`` (in a transaction): False
        while another run holds the claim, taken at or after ``stale_before`` by another
        owner than ``dead_owner`` (a run known to have died)."""
        ...

    def digest_claim_owner(self, reader_id: int, day: str) -> str | None: ...

    def release_digest(self, reader_id: int, day: str) -> None: ...

    def record_digest_attempt(self, reader_id: int, day: str, message_id: str, now: str) -> None:
        """Record (before DATA) that the digest is being handed to the SMTP server."""
        ...

    def digest_attempt(self, reader_id: int, day: str) -> tuple[str, str] | None:
        """(Message-ID, started at) of an attempt whose outcome was never learnt."""
        ...

    def clear_digest_attempt(self, reader_id: int, day: str) -> None: ...

    def record_digest_failed(
        self, reader_id: int, day: str, paper_ids: Sequence[int], error: str, now: str
    ) -> None:
        """Counts a failed attempt; a digest already sent that day stays sent."""
        ...

    def unsubscribe_digest(self, reader_id: int, now: str) -> bool: ...

    def resubscribe_digest(self, reader_id: int) -> bool: ...

    def digest_unsubscribed(self) -> dict[int, str]: ...

    # -- live sources (papersift sync): where each harvest has got to
    def sync_state(self, source: str, scope: str) -> SyncState | None:
        """The saved state of one source and scope (an OAI set, a day), if any."""
        ...

    def save_sync_state(self, state: SyncState) -> None:
        """Insert or replace the state of ``state.source`` and ``state.scope``."""
        ...

    def replace_record(self, record_id: int, new: NewRecord) -> None:
        """Put a newer version of a record in place of the stored one (same paper, same
        source, file and locator): a live source's record that changed upstream."""
        ...

    # -- the map of the library (papersift map; see store/shared_map.py)
    def replace_map(
        self, points: Sequence[MapPoint], clusters: Sequence[MapCluster], state: MapState
    ) -> None: ...

    def add_map_points(
        self, points: Sequence[MapPoint], clusters: Sequence[MapCluster], seq: int, now: str
    ) -> None: ...

    def map_state(self) -> MapState | None: ...

    def map_clusters(self) -> list[MapCluster]: ...

    def map_points(self, box: MapBox | None = None, limit: int | None = None) -> list[MapPoint]: ...

    def map_points_of(self, paper_ids: Sequence[int]) -> dict[int, MapPoint]: ...

    def paper_titles(self, paper_ids: Sequence[int]) -> dict[int, str | None]: ...

    def map_size(self) -> int: ...


@dataclass(frozen=True, slots=True)
class DigestDelivery:
    """The digest of one reader and day: ``sent`` (accepted by the SMTP server) or
    ``failed`` (tried ``attempts`` times, the next run tries again)."""

    reader_id: int
    day: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: str | None
    paper_ids: list[int]
    updated_at: str


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where a live source has got to (see migrations/0006_sync.sql).

    ``high_water``: the latest datestamp of the last finished harvest. ``token``, ``cursor``,
    ``window_from``, ``window_until`` and ``latest`` (the latest datestamp ingested so far):
    a harvest that has not finished. ``complete``: a day that need not be fetched again.
    """

    source: str
    scope: str
    high_water: str | None = None
    token: str | None = None
    cursor: int | None = None
    window_from: str | None = None
    window_until: str | None = None
    latest: str | None = None
    complete: bool = False
    updated_at: str = ""
