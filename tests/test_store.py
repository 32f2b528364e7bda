"""The SQLite store: migrations, location, and readable errors."""

import sqlite3
from pathlib import Path

import pytest

from papersift.config import Settings, default_db_path
from papersift.errors import StoreError
from papersift.store import open_store


def test_migrations_are_recorded_and_applied_once(db_path: Path) -> None:
    store = open_store(db_path)
    version = store.schema_version()
    assert version >= 1
    store.close()
    store = open_store(db_path)
    assert store.schema_version() == version
    rows = (
        sqlite3.connect(db_path).execute("SELECT version, name FROM schema_migrations").fetchall()
    )
    assert rows[0] == (1, "initial") and len(rows) == version
    store.close()


def test_wal_and_foreign_keys(db_path: Path) -> None:
    store = open_store(db_path)
    conn = store.conn  # type: ignore[attr-defined]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    store.close()


def test_newer_schema_is_refused(db_path: Path) -> None:
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'now')")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this papersift"):
        open_store(db_path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not sqlite " * 100)
    with pytest.raises(StoreError, match="not a papersift library"):
        open_store(path)


def test_unwritable_location(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the library"):
        open_store(blocker / "sub" / "library.db")


def test_settings_precedence() -> None:
    assert Settings.load("a.db", {"PAPERSIFT_DB": "b.db"}).db == "a.db"
    assert Settings.load(None, {"PAPERSIFT_DB": "b.db"}).db == "b.db"
    assert Settings.load(None, {}).db == str(default_db_path())
    assert default_db_path().name == "papersift.db"
