"""Two writers at once: a second CLI writer waits for the first instead of failing, and a
web vote during another writer's transaction is stored once the writer commits, or (past
the request's wait) answered 503 with Retry-After and nothing half-written."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papersift.accounts import Accounts
from papersift.config import Settings
from papersift.embed import FakeEmbedder
from papersift.store import open_store
from papersift.web.app import create_app
from tests.support import EXAMPLES, example_library

PASSWORD = "correct horse battery"


def cli(db: Path | str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "papersift.cli", "--db", str(db), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def held_lock(db_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction on the library (what a long ingest holds)."""
    open_store(db_path).close()
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def test_a_second_ingest_waits_for_the_writer_and_then_succeeds(
    db_path: Path, held_lock: sqlite3.Connection
) -> None:
    waiting = cli(db_path, "ingest", str(EXAMPLES / "papers.jsonl"))
    time.sleep(12)  # longer than the web's wait: the CLI's "library is busy" came after 10 s
    assert waiting.poll() is None, waiting.communicate()
    held_lock.execute("COMMIT")
    _, errors = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, errors
    assert "busy" not in errors
    store = open_store(db_path)
    assert store.stats().papers > 0
    store.close()


def test_two_ingests_at_once_both_complete_with_every_paper(
    library_location: str, db_path: Path
) -> None:
    files = sorted(p for p in EXAMPLES.iterdir() if p.suffix != ".md")
    alone = open_store(db_path.with_name("alone.db"))
    from papersift.ingest.pipeline import ingest_file

    for path in files:
        ingest_file(alone, path)
    expected = alone.stats().papers
    alone.close()
    half = len(files) // 2
    first = cli(library_location, "ingest", *map(str, files[:half]))
    second = cli(library_location, "ingest", *map(str, files[half:]))
    for proc in (first, second):
        _, errors = proc.communicate(timeout=120)
        assert proc.returncode == 0, errors
    store = open_store(library_location)
    assert store.stats().papers == expected
    store.close()
    if not library_location.startswith("postgresql://"):
        with sqlite3.connect(library_location) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.fixture
def voter(db_path: Path) -> Iterator[tuple[TestClient, str, Settings]]:
    example_library(db_path)
    store = open_store(db_path)
    Accounts(store).add_user("ada", PASSWORD, email="ada@example.org")
    store.close()
    settings = Settings(db=str(db_path), model="fake-256")
    app = create_app(settings, embedder_factory=lambda: FakeEmbedder(256))
    with TestClient(app) as client:
        r = client.post("/login", data={"name": "ada", "password": PASSWORD})
        assert r.status_code == 200
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/profile").text)
        assert found
        yield client, found.group(1), settings


def _votes(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM reader_signals").fetchone()[0])


def _vote(client: TestClient, csrf: str, paper_id: int) -> int:
    headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
    return client.post(f"/feedback/{paper_id}/up", headers=headers).status_code


def test_a_vote_during_a_short_write_waits_and_is_stored(
    voter: tuple[TestClient, str, Settings], db_path: Path
) -> None:
    client, csrf, _ = voter
    before = _votes(db_path)
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    release = threading.Timer(2.0, lambda: conn.execute("COMMIT"))
    release.start()
    try:
        assert _vote(client, csrf, 1) == 200
    finally:
        release.join()
        conn.close()
    assert _votes(db_path) == before + 1


def test_a_vote_that_cannot_be_stored_answers_503_with_retry_after(
    voter: tuple[TestClient, str, Settings], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, csrf, _ = voter
    monkeypatch.setattr("papersift.store.sqlite.BUSY_WAIT_S", 0.5)
    before = _votes(db_path)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        headers = {"HX-Request": "true", "X-CSRF-Token": csrf}
        r = client.post("/feedback/1/up", headers=headers)
        assert r.status_code == 503, r.text[:300]
        assert int(r.headers["Retry-After"]) > 0
        assert "busy" in r.text
    finally:
        conn.execute("COMMIT")
        conn.close()
    assert _votes(db_path) == before
    assert _vote(client, csrf, 1) == 200  # the retry the client was told to make
    assert _votes(db_path) == before + 1


def test_commands_opening_a_new_library_at_once_all_migrate_it(db_path: Path) -> None:
    """Each applies a migration only if no other did meanwhile ("table papers already
    exists" failed the second of two ingests into a new library)."""
    procs = [cli(db_path, "stats") for _ in range(4)]
    for proc in procs:
        _, errors = proc.communicate(timeout=120)
        assert proc.returncode == 0, errors
    store = open_store(db_path)
    versions = store.conn.execute("SELECT version FROM schema_migrations").fetchall()  # type: ignore[attr-defined]
    assert len(versions) == len(set(versions)) and store.schema_version() == max(versions)[0]
    store.close()


def test_a_migration_numbered_below_the_latest_is_still_applied(library_location: str) -> None:
    """Numbers are reserved per engineer and land out of order: a library that has 12 and
    13 but not 11 gets 11 when it is opened."""
    store = open_store(library_location)
    with store.transaction():
        store._execute("DROP TABLE digest_attempts")  # type: ignore[attr-defined]
        store._execute("ALTER TABLE digest_claims DROP COLUMN owner")  # type: ignore[attr-defined]
        store._execute("DELETE FROM schema_migrations WHERE version = 11")  # type: ignore[attr-defined]
    store.close()
    store = open_store(library_location)
    assert store.digest_attempt(1, "2026-01-01") is None  # the table is back
    assert store.digest_claim_owner(1, "2026-01-01") is None
    store.close()
