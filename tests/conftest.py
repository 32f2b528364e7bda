"""Shared fixtures: a fresh library per test, the seed folder when it exists."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.store import Store, open_store
from tests.support import SEEDS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "library.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = open_store(db_path)
    yield s
    s.close()


@pytest.fixture
def seeds() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed folder {SEEDS} is not present")
    return SEEDS
