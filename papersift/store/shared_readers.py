"""Readers and their interest signals, in either backend (the rest is in sqlite_readers.py
and postgres_readers.py)."""

from __future__ import annotations

from papersift.models import Reader, Signal
from papersift.store.shared import SharedSQL


class SharedReaders(SharedSQL):
    """Mixed into SQLiteReaders and PostgresReaders."""

    def add_reader(self, name: str, now: str) -> int:
        return int(
            self._one(
                "INSERT INTO readers (name, created_at) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id",
                (name, now),
            )
        )

    def reader_id(self, name: str) -> int | None:
        row = self._execute("SELECT id FROM readers WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def remove_reader(self, reader_id: int) -> None:
        self._execute("DELETE FROM readers WHERE id = ?", (reader_id,))

    def readers(self) -> list[Reader]:
        rows = self._execute(
            "SELECT r.id, r.name, r.created_at, "
            "(SELECT count(*) FROM reader_signals s WHERE s.reader_id = r.id AND s.label > 0), "
            "(SELECT count(*) FROM reader_signals s WHERE s.reader_id = r.id AND s.label < 0), "
            "(SELECT count(*) FROM reader_shown s WHERE s.reader_id = r.id) "
            f"FROM readers r ORDER BY r.name{self._text_order}"
        ).fetchall()
        authors = self._reader_authors()
        return [
            Reader(r[0], r[1], r[2], authors.get(r[0], []), int(r[3]), int(r[4]), int(r[5]))
            for r in rows
        ]

    def _reader_authors(self) -> dict[int, list[str]]:
        raise NotImplementedError

    def reader_version(self, reader_id: int) -> tuple[int, str, int, int]:
        """Changes whenever the reader's signals or shown papers change (a 👍 turned 👎
        within the same second too: the label-weighted sum of paper ids moves)."""
        row = self._execute(
            "SELECT count(*), coalesce(max(at), ''), coalesce(sum(label * paper_id), 0), "
            "(SELECT count(*) FROM reader_shown WHERE reader_id = ?) "
            "FROM reader_signals WHERE reader_id = ?",
            (reader_id, reader_id),
        ).fetchone()
        assert row is not None
        return int(row[0]), str(row[1]), int(row[2]), int(row[3])

    def remove_signals(self, reader_id: int, paper_id: int) -> int:
        """Forget what a reader said about a paper (own, listed, liked, rated): how many."""
        cursor = self._execute(
            "DELETE FROM reader_signals WHERE reader_id = ? AND paper_id = ?",
            (reader_id, paper_id),
        )
        return cursor.rowcount

    def remove_signal(self, reader_id: int, paper_id: int, kind: str) -> int:
        """Forget one kind of signal on a paper (an "own" one, when a name is removed)."""
        cursor = self._execute(
            "DELETE FROM reader_signals WHERE reader_id = ? AND paper_id = ? AND kind = ?",
            (reader_id, paper_id, kind),
        )
        return cursor.rowcount

    def remove_reader_author(self, reader_id: int, name: str) -> None:
        self._execute(
            "DELETE FROM reader_authors WHERE reader_id = ? AND name = ?", (reader_id, name)
        )

    def _signal_count(self, reader_id: int) -> int:
        return int(
            self._one("SELECT count(*) FROM reader_signals WHERE reader_id = ?", (reader_id,))
        )

    def signals(self, reader_id: int) -> list[Signal]:
        rows = self._execute(
            "SELECT paper_id, kind, label, at FROM reader_signals WHERE reader_id = ? "
            "ORDER BY at, paper_id",
            (reader_id,),
        )
        return [Signal(r[0], r[1], r[2], r[3]) for r in rows]
