"""The embedded default backend: one SQLite file in WAL mode with foreign keys on."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from papersift.clock import now_iso
from papersift.errors import BusyError, StoreError
from papersift.models import Paper, PaperView, Record, Source, SourcedRecord, record_from_json
from papersift.store.base import BLOCK_LIMIT, NewPaper, NewRecord, Prefetched
from papersift.store.shared_accounts import SharedAccounts
from papersift.store.shared_conflicts import SharedConflicts
from papersift.store.shared_digests import SharedDigests
from papersift.store.shared_library import PAPER_COLUMNS as _PAPER_COLUMNS
from papersift.store.shared_library import SharedLibrary
from papersift.store.shared_map import SharedMap
from papersift.store.shared_sync import SharedSync
from papersift.store.sqlite_readers import SQLiteReaders
from papersift.store.sqlite_search import SQLiteSearch

CACHE_KIB = 65536  # 64 MiB of page cache: more made no difference on the 200k benchmark
_CHUNK = 900  # stay under SQLite's limit on bound variables per statement
#: How long a statement waits for another process's write transaction before giving up.
#: Short for the web app (a request answers 503 with Retry-After instead of hanging); the
#: CLI waits far longer (``open_store(..., busy_wait=WRITER_WAIT_S)``): a second `ingest`
#: queues behind the first instead of failing with "library is busy".
BUSY_WAIT_S = 10.0
WRITER_WAIT_S = 6 * 3600.0


def _paper_values(fields: Record) -> tuple[Any, ...]:
    return (
        fields.title,
        fields.abstract,
        int(fields.abstract_truncated),
        orjson.dumps(fields.authors).decode(),
        int(fields.authors_truncated),
        fields.n_authors,
        fields.date,
        fields.arxiv_id,
        fields.doi,
        fields.upvotes,
        orjson.dumps(fields.categories).decode(),
        orjson.dumps(fields.organizations).decode(),
        fields.url,
        fields.venue,
    )


_RECORD_COLUMNS = "paper_id, fingerprint, source, file, locator, format, ingested_at, data"


def _record_values(paper_id: int, new: NewRecord) -> tuple[Any, ...]:
    return (
        paper_id,
        new.fingerprint,
        new.source,
        new.file,
        new.record.locator,
        new.format,
        new.ingested_at,
        new.data,
    )


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("papersift.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _store_error(exc: sqlite3.Error, location: str) -> StoreError:
    text = str(exc)
    if "disk is full" in text or "disk I/O error" in text:
        return StoreError(f"cannot write the library at {location}: the disk is full")
    if "unable to open" in text:
        return StoreError(f"cannot open the library at {location}: {text}")
    if "not a database" in text:
        return StoreError(f"{location} is not a papersift library (not a SQLite database)")
    if "locked" in text or "busy" in text:
        return BusyError(
            f"the library at {location} is busy (another papersift is writing); try again"
        )
    return StoreError(f"database error in {location}: {text}")


class SQLiteStore(
    SQLiteSearch,
    SQLiteReaders,
    SharedAccounts,
    SharedConflicts,
    SharedDigests,
    SharedSync,
    SharedLibrary,
    SharedMap,
):
    def __init__(self, path: Path, busy_wait: float = BUSY_WAIT_S) -> None:
        self.location = str(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=busy_wait
            )
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_wait * 1000)}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            self._migrate()
        except sqlite3.Error as exc:
            raise _store_error(exc, self.location) from exc
        except OSError as exc:
            raise StoreError(f"cannot create the library at {self.location}: {exc}") from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    # ------------------------------------------------------------------ lifecycle

    def _migrate(self) -> None:
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = self.schema_version()
        known = _migrations()
        if known and current > known[-1][0]:
            raise StoreError(
                f"{self.location} has schema version {current}, newer than this papersift "
                f"knows ({known[-1][0]}): upgrade papersift"
            )
        applied = self._applied()
        for version, name, sql in known:
            if version not in applied:  # not only newer ones: numbers are taken out of order
                self._apply(version, name, sql)

    def _applied(self) -> set[int]:
        return {row[0] for row in self.conn.execute("SELECT version FROM schema_migrations")}

    def _apply(self, version: int, name: str, sql: str) -> None:
        """One migration in one transaction, unless another process applied it meanwhile
        (two commands opening a new library at once: the second failed with "table papers
        already exists"). Statements one by one: ``executescript`` would commit first."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if version not in self._applied():
                for statement in _statements(sql):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, now_iso())
                )
            self.conn.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise _store_error(exc, self.location) from exc
        try:
            yield
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise _store_error(exc, self.location) from exc
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self.conn.in_transaction:  # SQLite may have rolled back already (a full disk)
            self.conn.execute("ROLLBACK")

    def lock_papers(self) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` holds the only write lock already."""

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ ingest

    def _in_chunks(self, sql: str, values: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(values), _CHUNK):
            part = values[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            yield from self.conn.execute(sql.format(marks=marks), part)

    def lookup_many(
        self, fingerprints: Sequence[int], exact: Sequence[int], blocking: Sequence[int]
    ) -> Prefetched:
        sql = "SELECT fingerprint FROM records WHERE fingerprint IN ({marks})"
        known = {row[0] for row in self._in_chunks(sql, list(set(fingerprints)))}
        papers_by_key: dict[int, list[int]] = {}
        sql = "SELECT key, paper_id FROM match_keys WHERE key IN ({marks}) ORDER BY key, paper_id"
        for key, paper_id in self._in_chunks(sql, list({*exact, *blocking})):
            papers_by_key.setdefault(key, []).append(paper_id)
        return Prefetched(known, papers_by_key)

    def lookup(
        self, fingerprint: int, exact: Sequence[int], blocking: Sequence[int]
    ) -> tuple[bool, list[int]]:
        """In one round trip: is this record already stored, and which papers share keys?"""
        parts = ["SELECT -1 FROM records WHERE fingerprint = ?"]
        if exact:
            parts.append(
                f"SELECT paper_id FROM match_keys WHERE key IN ({','.join('?' * len(exact))})"
            )
        one = f"SELECT * FROM (SELECT paper_id FROM match_keys WHERE key = ? LIMIT {BLOCK_LIMIT})"
        parts.extend([one] * len(blocking))
        rows = self.conn.execute(" UNION ".join(parts), (fingerprint, *exact, *blocking))
        found = {row[0] for row in rows}
        known = -1 in found
        found.discard(-1)
        return known, sorted(found)

    def paper_views(self, paper_ids: Sequence[int]) -> dict[int, PaperView]:
        sql = (
            "SELECT id, title, abstract, arxiv_id, doi, authors, abstract_truncated "
            "FROM papers WHERE id IN ({marks})"
        )
        return {
            row[0]: PaperView(row[1], row[2], row[3], row[4], orjson.loads(row[5]), bool(row[6]))
            for row in self._in_chunks(sql, paper_ids)
        }

    def _next_paper_id(self) -> int:
        row = self.conn.execute(
            "SELECT max(coalesce((SELECT max(id) FROM papers), 0), "
            "coalesce((SELECT max(old_id) FROM paper_aliases), 0))"
        ).fetchone()
        return int(row[0]) + 1

    def insert_papers(self, papers: Sequence[NewPaper], now: str) -> list[int]:
        first = self._next_paper_id()
        ids = list(range(first, first + len(papers)))
        self.conn.executemany(
            f"INSERT INTO papers (id, {_PAPER_COLUMNS}, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [(pid, *_paper_values(p.fields), now, now) for pid, p in zip(ids, papers, strict=True)],
        )
        self.conn.executemany(
            f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            [_record_values(pid, p.record) for pid, p in zip(ids, papers, strict=True)],
        )
        self.conn.executemany(
            "INSERT OR IGNORE INTO match_keys (key, paper_id) VALUES (?, ?)",
            [(key, pid) for pid, p in zip(ids, papers, strict=True) for key in p.keys],
        )
        return ids

    def update_paper(self, paper_id: int, fields: Record, now: str) -> None:
        assignments = ", ".join(f"{c.strip()} = ?" for c in _PAPER_COLUMNS.split(","))
        self.conn.execute(
            f"UPDATE papers SET {assignments}, updated_at = ? WHERE id = ?",
            (*_paper_values(fields), now, paper_id),
        )

    def add_record(self, paper_id: int, new: NewRecord) -> int:
        cursor = self.conn.execute(
            f"INSERT INTO records ({_RECORD_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            _record_values(paper_id, new),
        )
        return int(cursor.lastrowid or 0)

    def add_keys(self, paper_id: int, keys: Sequence[int]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO match_keys (key, paper_id) VALUES (?, ?)",
            [(key, paper_id) for key in keys],
        )

    def records_of(self, paper_id: int) -> list[SourcedRecord]:
        rows = self.conn.execute(
            "SELECT data, format FROM records WHERE paper_id = ? ORDER BY id", (paper_id,)
        )
        return [SourcedRecord(record_from_json(data), fmt) for data, fmt in rows]

    def absorb(self, survivor: int, merged: int, keys: Sequence[int]) -> None:
        c = self.conn
        c.executemany(
            "DELETE FROM match_keys WHERE key = ? AND paper_id = ?", [(k, merged) for k in keys]
        )
        self.add_keys(survivor, keys)
        c.execute("UPDATE records SET paper_id = ? WHERE paper_id = ?", (survivor, merged))
        c.execute("UPDATE paper_aliases SET new_id = ? WHERE new_id = ?", (survivor, merged))
        c.execute("UPDATE merges SET paper_id = ? WHERE paper_id = ?", (survivor, merged))
        for table in ("reader_signals", "reader_shown"):  # a reader's word stays with the paper
            c.execute(
                f"UPDATE OR IGNORE {table} SET paper_id = ? WHERE paper_id = ?", (survivor, merged)
            )
        c.execute("DELETE FROM papers WHERE id = ?", (merged,))
        c.execute("INSERT OR REPLACE INTO paper_aliases VALUES (?, ?)", (merged, survivor))

    # ------------------------------------------------------------------ reading

    def _sources(self, paper_ids: Sequence[int]) -> dict[int, list[Source]]:
        sql = (
            "SELECT paper_id, id, source, file, locator, format, ingested_at FROM records "
            "WHERE paper_id IN ({marks}) ORDER BY id"
        )
        found: dict[int, list[Source]] = {pid: [] for pid in paper_ids}
        for row in self._in_chunks(sql, paper_ids):
            found[row[0]].append(Source(*row[1:]))
        return found

    def get_papers(self, paper_ids: Sequence[int]) -> dict[int, Paper]:
        sql = f"SELECT id, {_PAPER_COLUMNS} FROM papers WHERE id IN ({{marks}})"
        return {p.id: p for p in self._papers(list(self._in_chunks(sql, list(paper_ids))))}


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, whole (a trigger's body included)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        yield pending
