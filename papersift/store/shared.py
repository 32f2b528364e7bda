"""What the SQL shared by both backends stands on: statements written once, with ``?``
placeholders, run through ``_execute``, which each backend adapts to its driver.

sqlite3 takes ``?`` as it is; psycopg wants ``%s`` (PostgresStore._execute rewrites them), so
a shared statement holds no ``?`` or ``%`` other than its placeholders. Both drivers return
rows as tuples and count changed rows in ``rowcount``. Where the dialects part ways in a
shared statement, a class attribute here says how (``_text_order``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    """What shared code reads from the cursor of sqlite3 or psycopg."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class SharedSQL:
    """Mixed (through the shared mixins) into both stores, which override ``_execute``."""

    #: Added after a text column in ORDER BY so that both backends sort by code point
    #: (SQLite's BINARY collation does; PostgreSQL's default follows the locale).
    _text_order = ""

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement written with ``?`` placeholders."""
        raise NotImplementedError

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the statement's first row (which it must have)."""
        row = self._execute(sql, params).fetchone()
        assert row is not None
        return row[0]
