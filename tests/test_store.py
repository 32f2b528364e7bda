"""The store: migrations, location, and readable errors (SQLite here; test_store_postgres.py
has PostgreSQL's)."""

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from papersift.config import Settings, default_db_path
from papersift.errors import StoreError
from papersift.ingest.pipeline import ingest_file
from papersift.store import Store, open_store


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
    # Numbers are reserved per change, so a later one may land before an earlier: no gaps
    # are assumed, each file of the folder is applied once.
    folder = Path(open_store.__code__.co_filename).parent / "migrations"
    numbers = sorted(int(path.name[:4]) for path in folder.glob("*.sql"))
    assert rows[0] == (1, "initial") and [r[0] for r in rows] == numbers
    assert numbers[-1] == version
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


@pytest.mark.parametrize("papers", [12, 300])  # small: all embedded ones; big: random ids
def test_background_sample_has_vectors(store: Store, papers: int, tmp_path: Path) -> None:
    ingest_file(store, write_csv(tmp_path / "papers.csv", papers))
    ids = sorted(p.id for p in store.iter_papers())
    embedded = ids[::3]
    with store.transaction():
        store.save_embeddings("m", [(i, "h", np.ones(4, np.float32)) for i in embedded])
    sample = store.random_embedded_ids(10, seed=1, model="m")
    assert len(sample) == min(10, len(embedded))
    assert set(sample.tolist()) <= set(embedded)
    assert sample.tolist() == store.random_embedded_ids(10, seed=1, model="m").tolist()
    assert not len(store.random_embedded_ids(10, seed=1, model="other"))


def test_vectors_are_read_back_in_pages(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import papersift.store.sqlite_search as sqlite_search

    monkeypatch.setattr(sqlite_search, "_VECTOR_PAGE", 7)  # 25 vectors: 4 pages
    ingest_file(store, write_csv(tmp_path / "papers.csv", 25))
    ids = sorted(p.id for p in store.iter_papers())
    vector = {i: np.arange(4, dtype=np.float32) + i for i in ids}
    for start in range(0, 25, 10):  # three transactions, so seqs come in steps
        with store.transaction():
            store.save_embeddings("m", [(i, "h", vector[i]) for i in ids[start : start + 10]])
    got_ids, matrix, last = store.embeddings_since("m", 0)
    assert got_ids.tolist() == ids and matrix.dtype == np.float32
    assert np.array_equal(matrix, np.stack([vector[i] for i in ids]))
    assert store.embeddings_since("m", last)[0].tolist() == []
    with store.transaction():
        store.save_embeddings("m", [(ids[3], "h2", vector[ids[3]] * 2)])
    newer, matrix, after = store.embeddings_since("m", last)
    assert newer.tolist() == [ids[3]] and after > last
    assert np.array_equal(matrix[0], vector[ids[3]] * 2)
    assert store.embeddings_since("other", 0)[0].tolist() == []


def write_csv(path: Path, n: int) -> Path:
    rows = "".join(f"Paper number {i} on topic {i * 7919 % 1000},2024-01-01\n" for i in range(n))
    path.write_text("title,date\n" + rows)
    return path
