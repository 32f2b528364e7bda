"""Storage: the only code that talks SQL. ``open_store`` picks the backend from a location."""

from __future__ import annotations

from pathlib import Path

from papersift.errors import StoreError
from papersift.store.base import Store


def open_store(location: str | Path, busy_wait: float | None = None) -> Store:
    """Open (creating and migrating if needed) the library at a path or database URL.

    ``busy_wait``: seconds a SQLite statement waits for another process's write (default
    ``sqlite.BUSY_WAIT_S``, short, for web requests; the CLI passes ``WRITER_WAIT_S``).
    PostgreSQL writers wait for each other's locks without a limit."""
    text = str(location)
    if text.startswith(("postgresql://", "postgres://")):
        try:
            from papersift.store.postgres import PostgresStore
        except ImportError as exc:  # psycopg is a dependency, but may be missing
            raise StoreError(f"the PostgreSQL backend needs psycopg: {exc}") from exc
        return PostgresStore(text)
    from papersift.store.sqlite import BUSY_WAIT_S, SQLiteStore

    path = Path(text).expanduser()
    return SQLiteStore(path, BUSY_WAIT_S if busy_wait is None else busy_wait)


__all__ = ["Store", "open_store"]
