"""Storage: the only code that talks SQL. ``open_store`` picks the backend from a location."""

from __future__ import annotations

from pathlib import Path

from papersift.errors import StoreError
from papersift.store.base import Store


def open_store(location: str | Path) -> Store:
    """Open (creating and migrating if needed) the library at a path or database URL."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from papersift.store.postgres import PostgresStore
        except ImportError as exc:  # psycopg is a dependency, but may be missing
            raise StoreError(f"the PostgreSQL backend needs psycopg: {exc}") from exc
        return PostgresStore(text)
    from papersift.store.sqlite import SQLiteStore

    return SQLiteStore(Path(text).expanduser())


__all__ = ["Store", "open_store"]
