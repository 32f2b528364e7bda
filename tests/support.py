"""Paths and helpers shared by the tests."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import pytest

from papersift.models import ParseItem

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed_file(seeds: Path, prefix: str) -> Path:
    matches = sorted(seeds.glob(f"{prefix}_*"))
    if not matches:
        pytest.skip(f"no seed file {prefix}_* in {seeds}")
    return matches[0]


def parse_path(parse: Callable[[TextIO, str], Iterator[ParseItem]], path: Path) -> list[ParseItem]:
    """Everything a reader yields for a file."""
    with path.open(encoding="utf-8") as f:
        return list(parse(f, str(path)))


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_library(db: Path) -> None:
    """Ingest examples/ into a new library at ``db`` and index it with the fake embedder."""
    from papersift.embed import FakeEmbedder
    from papersift.ingest.pipeline import ingest_file
    from papersift.search import Searcher
    from papersift.store import open_store

    store = open_store(db)
    for path in sorted(EXAMPLES.iterdir()):
        if path.suffix != ".md":
            ingest_file(store, path)
    Searcher(store, lambda: FakeEmbedder(256), "fake-256").index()
    store.close()
