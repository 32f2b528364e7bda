"""``papersift backup`` and ``restore``: a round trip while another writer commits, on both
backends; a backup is one moment of the library; nothing is replaced without --force."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.backup import backup_library, restore_library
from papersift.cli import main
from papersift.errors import StoreError, UsageError
from papersift.ingest.pipeline import ingest_file
from papersift.models import Signal
from papersift.store import Store, open_store
from tests.conftest import new_pg_database
from tests.support import EXAMPLES

NOW = "2026-01-01T00:00:00+00:00"


def _fill(store: Store) -> None:
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)


def _content(location: str) -> tuple[object, ...]:
    """What a library holds, to compare two of them."""
    store = open_store(location)
    try:
        papers = list(store.iter_papers())
        readers = sorted((r.name, len(store.signals(r.id))) for r in store.readers())
        stats = store.stats()
        return (stats.papers, stats.records, readers, sorted((p.id, p.title) for p in papers))
    finally:
        store.close()


class Writer(threading.Thread):
    """Commits pairs (a reader and its vote) in one transaction each, until stopped: a
    consistent copy has every reader with exactly one vote."""

    def __init__(self, location: str) -> None:
        super().__init__(daemon=True)
        self.location = location
        self.stop = threading.Event()
        self.written = 0

    def run(self) -> None:
        store = open_store(self.location)
        try:
            while not self.stop.is_set():
                with store.transaction():
                    reader = store.add_reader(f"writer{self.written}", NOW)
                    store.set_signals(reader, [Signal(1 + self.written % 5, "up", 1, NOW)])
                self.written += 1
        finally:
            store.close()


@pytest.fixture
def writing(library_location: str) -> Iterator[Writer]:
    store = open_store(library_location)
    _fill(store)
    store.close()
    writer = Writer(library_location)
    writer.start()
    while writer.written < 3:
        writer.stop.wait(0.01)
    yield writer
    writer.stop.set()
    writer.join()


def _other_library(request: pytest.FixtureRequest, location: str, tmp_path: Path) -> str:
    if location.startswith("postgresql://"):
        cluster = request.getfixturevalue("pg_cluster")
        return new_pg_database(cluster)[1]
    return str(tmp_path / "restored.db")


def test_round_trip_while_another_writer_commits(
    request: pytest.FixtureRequest, library_location: str, writing: Writer, tmp_path: Path
) -> None:
    file = tmp_path / "library.backup"
    report = backup_library(library_location, file)
    during = writing.written
    assert report.papers > 0 and file.stat().st_size == report.size
    writing.stop.set()
    writing.join()
    assert writing.written > during or during > 3  # the writer went on around the backup
    target = _other_library(request, library_location, tmp_path)
    restored = restore_library(file, target)
    papers, records, readers, _titles = _content(target)
    assert (papers, restored.schema) == (report.papers, report.schema)
    assert readers and all(votes == 1 for _, votes in readers)  # whole transactions only
    assert 3 <= len(readers) <= writing.written
    original = _content(library_location)
    assert original[:2] == (papers, records)


def test_a_sqlite_backup_is_a_checked_library_file(db_path: Path, tmp_path: Path) -> None:
    store = open_store(db_path)
    _fill(store)
    store.close()
    file = tmp_path / "copy.db"
    backup_library(str(db_path), file)
    with sqlite3.connect(file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    assert _content(str(file)) == _content(str(db_path))
    assert not list(tmp_path.glob(".copy.db.partial*"))


def test_nothing_is_replaced_without_force(db_path: Path, tmp_path: Path) -> None:
    store = open_store(db_path)
    _fill(store)
    store.close()
    file = tmp_path / "b.db"
    backup_library(str(db_path), file)
    with pytest.raises(UsageError, match="exists already; pass --force"):
        backup_library(str(db_path), file)
    with pytest.raises(UsageError, match="holds 37 papers: restoring replaces"):
        restore_library(file, str(db_path))
    other = tmp_path / "other.db"
    store = open_store(other)
    ingest_file(store, EXAMPLES / "papers.jsonl")
    store.close()
    restore_library(file, str(other), force=True)
    assert _content(str(other)) == _content(str(db_path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"title,abstract\n", "not a papersift backup"),
        (b"PGDMP\x01\x10", "is a postgres backup and the library"),
    ],
)
def test_restore_names_what_is_wrong_with_the_file(
    db_path: Path, tmp_path: Path, content: bytes, message: str
) -> None:
    file = tmp_path / "x.backup"
    file.write_bytes(content)
    with pytest.raises(UsageError, match=message):
        restore_library(file, str(db_path))
    with pytest.raises(UsageError, match="no backup file"):
        restore_library(tmp_path / "missing", str(db_path))


def test_a_sqlite_file_that_is_no_library_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a papersift library"):
        restore_library(other, str(tmp_path / "lib.db"))
    with pytest.raises(StoreError, match="not a papersift library"):
        backup_library(str(other), tmp_path / "b.db")


def test_cli_backup_and_restore(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_store(db_path)
    _fill(store)
    store.close()
    file = tmp_path / "nightly.db"
    assert main(["--db", str(db_path), "backup", str(file)]) == 0
    assert "backed up 37 papers" in capsys.readouterr().out
    assert main(["--db", str(db_path), "restore", str(file)]) == 2
    assert "--force" in capsys.readouterr().err
    target = tmp_path / "new.db"
    assert main(["--db", str(target), "restore", str(file)]) == 0
    assert "restored 37 papers" in capsys.readouterr().out
