"""Backups of a library, consistent while the server and other commands write to it.

* SQLite: SQLite's online backup API copies every page in one step, inside one read
  transaction, so the copy is one moment of the library even while the web app records votes
  or an ingest commits (WAL mode lets both go on meanwhile). The copy is written beside its
  target, checked (``PRAGMA quick_check``) and renamed into place: a backup cut short leaves
  no half file under the name. The copy is a library itself (``--db FILE`` opens it).
* PostgreSQL: ``pg_dump --format=custom`` (one snapshot) from the bundled server's binaries,
  restored by ``pg_restore --single-transaction``: a restore that fails changes nothing.

A restore never replaces a library that holds papers unless told to (``force``); a backup
never replaces an existing file unless told to.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from papersift.errors import StoreError, UsageError
from papersift.store import open_store
from papersift.store.pgcluster import find_binaries
from papersift.store.postgres import _masked, is_postgres_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True)
class BackupReport:
    """What a backup or a restore copied."""

    file: str
    kind: str  # "sqlite" or "postgres"
    papers: int
    schema: int
    size: int  # bytes of the backup file


def _papers_and_schema(location: str) -> tuple[int, int]:
    store = open_store(location)
    try:
        return store.stats().papers, store.schema_version()
    finally:
        store.close()


def _refuse_existing(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise UsageError(f"{target} exists already; pass --force to replace it")
    if target.is_dir():
        raise UsageError(f"{target} is a folder; give the backup's file name")


def backup_library(location: str, target: Path, *, force: bool = False) -> BackupReport:
    """Copy the library at ``location`` into the file ``target``."""
    _refuse_existing(target, force)
    if is_postgres_url(location):
        _pg_dump(location, target)
        kind = "postgres"
    else:
        _sqlite_backup(Path(location), target)
        kind = "sqlite"
    papers, schema = _papers_and_schema(location)  # the schema and about the papers copied
    return BackupReport(str(target), kind, papers, schema, target.stat().st_size)


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial-{os.getpid()}")


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise StoreError(f"no library at {source}")
    partial = _partial(target)
    try:
        src = sqlite3.connect(source, timeout=60)
        dst = sqlite3.connect(partial)
        try:
            _require_library(src, str(source))
            src.backup(dst)  # all pages in one step: one consistent moment
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            _check(dst, str(target))
        finally:
            dst.close()
            src.close()
        _fsync(partial)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot back up {source} to {target}: {exc}") from exc
    except OSError as exc:
        raise StoreError(f"cannot write the backup {target}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def _require_library(conn: sqlite3.Connection, name: str) -> int:
    """The schema version of a papersift library; StoreError for anything else."""
    try:
        row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{name} is not a papersift library ({exc})") from exc
    return int(row[0] or 0)


def _check(conn: sqlite3.Connection, name: str) -> None:
    result = conn.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise StoreError(f"{name} is damaged: {result}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _kind_of(source: Path) -> str:
    if not source.is_file():
        raise UsageError(f"no backup file {source}")
    with source.open("rb") as f:
        head = f.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgres"
    raise UsageError(f"{source} is not a papersift backup (neither SQLite nor pg_dump's format)")


def restore_library(source: Path, location: str, *, force: bool = False) -> BackupReport:
    """Make the library at ``location`` a copy of the backup ``source``."""
    kind = _kind_of(source)
    wanted = "postgres" if is_postgres_url(location) else "sqlite"
    if kind != wanted:
        raise UsageError(
            f"{source} is a {kind} backup and the library at {_masked(location)} is {wanted}: "
            f"restore it into a {kind} library (--db)"
        )
    if kind == "sqlite":
        _refuse_replacing(location, force, Path(location).is_file())
        _sqlite_restore(source, Path(location))
    else:
        _refuse_replacing(location, force, True)
        _pg_restore(source, location)
    papers, schema = _papers_and_schema(location)  # opening migrates an older backup
    return BackupReport(str(source), kind, papers, schema, source.stat().st_size)


def _refuse_replacing(location: str, force: bool, exists: bool) -> None:
    if force or not exists:
        return
    papers, _ = _papers_and_schema(location)
    if papers:
        raise UsageError(
            f"the library at {_masked(location)} holds {papers} papers: restoring replaces "
            "them; back it up first (papersift backup FILE), then pass --force"
        )


def _sqlite_restore(source: Path, target: Path) -> None:
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            _require_library(src, str(source))
            _check(src, str(source))
            target.parent.mkdir(parents=True, exist_ok=True)
            dst = sqlite3.connect(target, timeout=60)
            try:
                src.backup(dst)  # page by page into the live file, under its lock
                dst.execute("PRAGMA journal_mode = WAL")
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot restore {source} into {target}: {exc}") from exc


def _run(args: list[str], what: str, location: str) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise StoreError(f"cannot run {args[0]}: {exc.strerror or exc}") from exc
    if done.returncode != 0:
        detail = " ".join(done.stderr.strip().splitlines()[-3:])
        raise StoreError(f"{what} of {_masked(location)} failed: {_masked(detail)}")


def _pg_dump(url: str, target: Path) -> None:
    partial = _partial(target)
    try:
        args = [str(find_binaries() / "pg_dump"), "--format=custom", "--no-owner"]
        _run([*args, f"--file={partial}", f"--dbname={url}"], "pg_dump", url)
        _fsync(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _pg_restore(source: Path, url: str) -> None:
    args = [str(find_binaries() / "pg_restore"), "--clean", "--if-exists", "--no-owner"]
    args += ["--single-transaction", "--exit-on-error", f"--dbname={url}", str(source)]
    _run(args, "pg_restore", url)
