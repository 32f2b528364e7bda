"""Settings, read once at the edge (CLI, web app) and passed in: never read deep inside."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

ENV_DB = "PAPERSIFT_DB"
ENV_MODEL = "PAPERSIFT_MODEL"
ENV_INDEX = "PAPERSIFT_INDEX"


def default_db_path() -> Path:
    return Path(user_data_dir("papersift", appauthor=False)) / "papersift.db"


@dataclass(frozen=True, slots=True)
class Settings:
    #: A SQLite file path (or, later, a postgresql:// URL).
    db: str
    #: Embedding model: "default" (the packaged all-MiniLM-L6-v2), "fake" (tests), or the
    #: directory of a local sentence-transformers model.
    model: str = "default"
    #: Vector index: "auto" (exact for small libraries, approximate for large), "exact", "ann".
    index_kind: str = "auto"

    @classmethod
    def load(
        cls,
        db: str | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        model: str | None = None,
        index_kind: str | None = None,
    ) -> Settings:
        """Command-line values win, then ``PAPERSIFT_*`` variables, then the defaults."""
        env = os.environ if environ is None else environ
        return cls(
            db=db or env.get(ENV_DB) or str(default_db_path()),
            model=model or env.get(ENV_MODEL) or "default",
            index_kind=index_kind or env.get(ENV_INDEX) or "auto",
        )
