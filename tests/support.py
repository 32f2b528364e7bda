"""Paths and helpers shared by the tests."""

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


def seed_file(seeds: Path, prefix: str) -> Path:
    matches = sorted(seeds.glob(f"{prefix}_*"))
    if not matches:
        pytest.skip(f"no seed file {prefix}_* in {seeds}")
    return matches[0]
