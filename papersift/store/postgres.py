"""The server backend: PostgreSQL (16 or later) with pgvector, through psycopg 3.

The schema mirrors SQLite's (``migrations_pg/`` has the same numbers and meaning as
``migrations/``), full text is a weighted ``tsvector`` (title A, authors B, abstract C) with a
GIN index, and vectors live in a pgvector column searched by an HNSW index per model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from typing import Any

import orjson
import psycopg
from psycopg import pq

from papersift.clock import now_iso
from papersift.errors import StoreError
from papersift.models import Paper, PaperView, Record, Source, SourcedRecord, record_from_json
from papersift.store.base import BLOCK_LIMIT, NewPaper, NewRecord, Prefetched
from papersift.store.postgres_readers import PostgresReaders
from papersift.store.postgres_search import (
    PostgresSearch,
    raise_query_memory,
    register_vector_type,
)
from papersift.store.shared_accounts import SharedAccounts
from papersift.store.shared_conflicts import SharedConflicts
from papersift.store.shared_digests import SharedDigests
from papersift.store.shared_library import PAPER_COLUMNS as _PAPER_COLUMNS
from papersift.store.shared_library import SharedLibrary
from papersift.store.shared_map import SharedMap
from papersift.store.shared_sync import SharedSync
from papersift.store.sqlite import _RECORD_COLUMNS, _paper_values, _record_values

#: Any number: held (for the transaction) by whoever assigns new paper ids or migrates.
_ID_LOCK = 7_253_001
_MIGRATE_LOCK = 7_253_002


def is_postgres_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def _masked(url: str) -> str:
    """The URL without its password (it is shown in messages and ``stats``)."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("papersift.store") / "migrations_pg"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _store_error(exc: psycopg.Error, location: str) -> StoreError:
    text = str(exc).strip()
    if isinstance(exc, psycopg.errors.DiskFull):
        return StoreError(f"cannot write the library at {location}: the disk is full")
    if isinstance(exc, psycopg.OperationalError) and "connection" in text:
        return StoreError(f"cannot open the library at {location}: {text}")
    return StoreError(f"database error in {location}: {text}")


class PostgresStore(
    PostgresSearch,
    PostgresReaders,
    SharedAccounts,
    SharedConflicts,
    SharedDigests,
    SharedSync,
    SharedLibrary,
    SharedMap,
):
    _text_order = ' COLLATE "C"'
    _serialize_logins = "LOCK TABLE login_failures IN SHARE ROW EXCLUSIVE MODE"

    def __init__(self, url: str) -> None:
        self.location = _masked(url)
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the library at {self.location}: {exc}") from exc
        try:
            self._migrate()
            self.vector_oid = register_vector_type(self.conn)
            raise_query_memory(self.conn)
        except psycopg.Error as exc:
            self.conn.close()
            raise _store_error(exc, self.location) from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        """Run a shared statement: its ``?`` placeholders become psycopg's ``%s``."""
        return self.conn.execute(sql.replace("?", "%s"), params)

    # ------------------------------------------------------------------ lifecycle

    def _migrate(self) -> None:
        known = _migrations()
        latest = known[-1][0] if known else 0
        if self._applied() == {version for version, _, _ in known}:
            return  # the common case: one query
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
            self.conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = self.schema_version()
            if current > latest:
                raise StoreError(
                    f"{self.location} has schema version {current}, newer than this papersift "
                    f"knows ({latest}): upgrade papersift"
                )
            applied = self._applied() or set()
            for version, name, sql in known:
                if version in applied:  # not only older ones: numbers are taken out of order
                    continue
                self.conn.execute(sql.encode())  # several statements: the simple protocol
                self.conn.execute(
                    "INSERT INTO schema_migrations VALUES (%s, %s, %s)", (version, name, now_iso())
                )

    def _applied(self) -> set[int] | None:
        """The migrations applied (None: not a library yet)."""
        row = self.conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return None
        return {int(r[0]) for r in self.conn.execute("SELECT version FROM schema_migrations")}

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0) if row else 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self.conn.info.transaction_status != pq.TransactionStatus.IDLE:
            raise StoreError(
                f"database error in {self.location}: "
                "cannot start a transaction within a transaction"
            )
        try:
            with self.conn.transaction():
                yield
        except psycopg.Error as exc:
            raise _store_error(exc, self.location) from exc

    def lock_papers(self) -> None:
        """Two ingests at once each deduplicated against its own snapshot and kept both
        copies of a paper (42 papers instead of 37 from the examples): the second now waits."""
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ID_LOCK,))

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ ingest

    def lookup_many(
        self, fingerprints: Sequence[int], exact: Sequence[int], blocking: Sequence[int]
    ) -> Prefetched:
        rows = self.conn.execute(
            "SELECT fingerprint FROM records WHERE fingerprint = ANY(%s::bigint[])",
            (list(set(fingerprints)),),
        )
        known = {row[0] for row in rows}
        papers_by_key: dict[int, list[int]] = {}
        rows = self.conn.execute(
            "SELECT key, paper_id FROM match_keys WHERE key = ANY(%s::bigint[]) "
            "ORDER BY key, paper_id",
            (list({*exact, *blocking}),),
        )
        for key, paper_id in rows:
            papers_by_key.setdefault(key, []).append(paper_id)
        return Prefetched(known, papers_by_key)

    def lookup(
        self, fingerprint: int, exact: Sequence[int], blocking: Sequence[int]
    ) -> tuple[bool, list[int]]:
        """In one round trip: is this record already stored, and which papers share keys?"""
        parts = ["SELECT -1 FROM records WHERE fingerprint = %s::bigint"]
        params: list[Any] = [fingerprint]
        if exact:
            parts.append("SELECT paper_id FROM match_keys WHERE key = ANY(%s::bigint[])")
            params.append(list(exact))
        one = f"(SELECT paper_id FROM match_keys WHERE key = %s::bigint LIMIT {BLOCK_LIMIT})"
        parts.extend([one] * len(blocking))
        params.extend(blocking)
        found = {row[0] for row in self.conn.execute(" UNION ".join(parts), params)}
        known = -1 in found
        found.discard(-1)
        return known, sorted(found)

    def paper_views(self, paper_ids: Sequence[int]) -> dict[int, PaperView]:
        rows = self.conn.execute(
            "SELECT id, title, abstract, arxiv_id, doi, authors, abstract_truncated "
            "FROM papers WHERE id = ANY(%s::bigint[])",
            (_ints(paper_ids),),
        )
        return {
            row[0]: PaperView(row[1], row[2], row[3], row[4], orjson.loads(row[5]), bool(row[6]))
            for row in rows
        }

    def _next_paper_id(self) -> int:
        """The next free id; the lock keeps two ingests from taking the same ids."""
        self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_ID_LOCK,))
        row = self.conn.execute(
            "SELECT greatest(coalesce((SELECT max(id) FROM papers), 0), "
            "coalesce((SELECT max(old_id) FROM paper_aliases), 0))"
        ).fetchone()
        return int(row[0]) + 1 if row else 1

    def insert_papers(self, papers: Sequence[NewPaper], now: str) -> list[int]:
        if not papers:
            return []
        first = self._next_paper_id()
        ids = list(range(first, first + len(papers)))
        pairs = list(zip(ids, papers, strict=True))
        with self.conn.cursor() as cur:
            with cur.copy(
                f"COPY papers (id, {_PAPER_COLUMNS}, created_at, updated_at) FROM STDIN"
            ) as copy:
                for pid, p in pairs:
                    copy.write_row((pid, *_paper_values(p.fields), now, now))
            with cur.copy(f"COPY records ({_RECORD_COLUMNS}) FROM STDIN") as copy:
                for pid, p in pairs:
                    copy.write_row(_record_values(pid, p.record))
            with cur.copy("COPY match_keys (key, paper_id) FROM STDIN") as copy:
                for key, pid in sorted({(k, pid) for pid, p in pairs for k in p.keys}):
                    copy.write_row((key, pid))
        return ids

    def update_paper(self, paper_id: int, fields: Record, now: str) -> None:
        assignments = ", ".join(f"{c.strip()} = %s" for c in _PAPER_COLUMNS.split(","))
        self.conn.execute(
            f"UPDATE papers SET {assignments}, updated_at = %s WHERE id = %s",
            (*_paper_values(fields), now, paper_id),
        )

    def add_record(self, paper_id: int, new: NewRecord) -> int:
        row = self.conn.execute(
            f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) "
            "RETURNING id",
            _record_values(paper_id, new),
        ).fetchone()
        return int(row[0]) if row else 0

    def add_keys(self, paper_id: int, keys: Sequence[int]) -> None:
        self.conn.execute(
            "INSERT INTO match_keys (key, paper_id) SELECT DISTINCT k, %s::bigint "
            "FROM unnest(%s::bigint[]) AS k ON CONFLICT DO NOTHING",
            (paper_id, list(keys)),
        )

    def records_of(self, paper_id: int) -> list[SourcedRecord]:
        rows = self.conn.execute(
            "SELECT data, format FROM records WHERE paper_id = %s ORDER BY id", (paper_id,)
        )
        return [SourcedRecord(record_from_json(data), fmt) for data, fmt in rows]

    def absorb(self, survivor: int, merged: int, keys: Sequence[int]) -> None:
        c = self.conn
        c.execute(
            "DELETE FROM match_keys WHERE paper_id = %s AND key = ANY(%s::bigint[])",
            (merged, list(keys)),
        )
        self.add_keys(survivor, keys)
        c.execute("UPDATE records SET paper_id = %s WHERE paper_id = %s", (survivor, merged))
        c.execute("UPDATE paper_aliases SET new_id = %s WHERE new_id = %s", (survivor, merged))
        c.execute("UPDATE merges SET paper_id = %s WHERE paper_id = %s", (survivor, merged))
        # a reader's word stays with the paper (what the survivor already has wins)
        c.execute(
            "DELETE FROM reader_signals m USING reader_signals s WHERE m.paper_id = %s "
            "AND s.paper_id = %s AND s.reader_id = m.reader_id AND s.kind = m.kind",
            (merged, survivor),
        )
        c.execute(
            "DELETE FROM reader_shown m USING reader_shown s WHERE m.paper_id = %s "
            "AND s.paper_id = %s AND s.reader_id = m.reader_id",
            (merged, survivor),
        )
        for table in ("reader_signals", "reader_shown"):
            c.execute(f"UPDATE {table} SET paper_id = %s WHERE paper_id = %s", (survivor, merged))
        c.execute("DELETE FROM papers WHERE id = %s", (merged,))
        c.execute(
            "INSERT INTO paper_aliases VALUES (%s, %s) "
            "ON CONFLICT (old_id) DO UPDATE SET new_id = excluded.new_id",
            (merged, survivor),
        )

    # ------------------------------------------------------------------ reading

    def _sources(self, paper_ids: Sequence[int]) -> dict[int, list[Source]]:
        found: dict[int, list[Source]] = {pid: [] for pid in paper_ids}
        rows = self.conn.execute(
            "SELECT paper_id, id, source, file, locator, format, ingested_at FROM records "
            "WHERE paper_id = ANY(%s::bigint[]) ORDER BY id",
            (_ints(paper_ids),),
        )
        for row in rows:
            found[row[0]].append(Source(*row[1:]))
        return found

    def get_papers(self, paper_ids: Sequence[int]) -> dict[int, Paper]:
        rows = self.conn.execute(
            f"SELECT id, {_PAPER_COLUMNS} FROM papers WHERE id = ANY(%s::bigint[])",
            (_ints(paper_ids),),
        ).fetchall()
        return {p.id: p for p in self._papers(rows)}


def _ints(values: Sequence[Any]) -> list[int]:
    return [int(v) for v in values]
