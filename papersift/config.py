"""Settings, read once at the edge (CLI, web app) and passed in: never read deep inside."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

ENV_DB = "PAPERSIFT_DB"


def default_db_path() -> Path:
    return Path(user_data_dir("papersift", appauthor=False)) / "papersift.db"


@dataclass(frozen=True, slots=True)
class Settings:
    #: A SQLite file path (or, later, a postgresql:// URL).
    db: str

    @classmethod
    def load(cls, db: str | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """``--db`` wins, then ``PAPERSIFT_DB``, then the user data directory."""
        env = os.environ if environ is None else environ
        return cls(db=db or env.get(ENV_DB) or str(default_db_path()))
