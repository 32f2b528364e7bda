"""Readers, their interest signals and what their feeds showed, in SQLite (what both
backends share is in shared_readers.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from papersift.models import Signal
from papersift.store.shared_readers import SharedReaders


class SQLiteReaders(SharedReaders):
    """Mixed into SQLiteStore; ``self.conn`` is its connection."""

    conn: sqlite3.Connection
    embedding_ids: Callable[[str], NDArray[np.int64]]  # SQLiteSearch's

    def _reader_authors(self) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for reader_id, name in self.conn.execute(
            "SELECT reader_id, name FROM reader_authors ORDER BY rowid"
        ):
            found.setdefault(reader_id, []).append(name)
        return found

    def add_reader_authors(self, reader_id: int, names: Sequence[str]) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO reader_authors (reader_id, name) VALUES (?, ?)",
            [(reader_id, n) for n in names],
        )

    def set_signals(self, reader_id: int, signals: Sequence[Signal]) -> int:
        """Record signals (a later one of the same kind on the same paper replaces it);
        feedback on a paper replaces the opposite feedback. Returns how many are new."""
        before = self._signal_count(reader_id)
        for s in signals:
            if s.kind in ("up", "down"):
                self.conn.execute(
                    "DELETE FROM reader_signals WHERE reader_id = ? AND paper_id = ? "
                    "AND kind IN ('up', 'down')",
                    (reader_id, s.paper_id),
                )
        self.conn.executemany(
            "INSERT OR REPLACE INTO reader_signals (reader_id, paper_id, kind, label, at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(reader_id, s.paper_id, s.kind, s.label, s.at) for s in signals],
        )
        return self._signal_count(reader_id) - before

    def papers_of_records(self, fingerprints: Sequence[int]) -> list[int]:
        """The papers that records with these fingerprints belong to (each paper once)."""
        found: dict[int, None] = {}
        for start in range(0, len(fingerprints), 900):
            part = list(fingerprints[start : start + 900])
            marks = ",".join("?" * len(part))
            order = {fp: i for i, fp in enumerate(part)}
            rows = self.conn.execute(
                f"SELECT fingerprint, paper_id FROM records WHERE fingerprint IN ({marks})", part
            ).fetchall()
            for _, pid in sorted(rows, key=lambda r: order[r[0]]):
                found[int(pid)] = None
        return list(found)

    def mark_shown(self, reader_id: int, paper_ids: Sequence[int], now: str) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO reader_shown (reader_id, paper_id, at) VALUES (?, ?, ?)",
            [(reader_id, pid, now) for pid in paper_ids],
        )

    def feed_candidates(
        self,
        reader_id: int,
        since: str,
        until: str | None,
        among: Sequence[int] | None = None,
    ) -> NDArray[np.int64]:
        """Papers dated (or, undated, ingested) in the window that the reader has not been
        shown, has not rated and did not write; only ``among`` these ids when given."""
        # two halves, so that the dated one walks the date index instead of every paper
        new = (
            "p.id NOT IN (SELECT paper_id FROM reader_shown WHERE reader_id = ?) "
            "AND p.id NOT IN (SELECT paper_id FROM reader_signals WHERE reader_id = ?) "
            "AND (p.owner_reader_id IS NULL OR p.owner_reader_id = ?)"  # another's paste: never
        )
        dated = f"SELECT p.id FROM papers p WHERE p.date >= ? AND p.date <= ? AND {new}"
        undated = (
            "SELECT p.id FROM papers p WHERE p.date IS NULL AND substr(p.created_at, 1, 10) "
            f">= ? AND substr(p.created_at, 1, 10) <= ? AND {new}"
        )
        window: list[object] = [since, (until or "9999") + "\uffff", *[reader_id] * 3]
        if among is None:
            found = self.conn.execute(f"{dated} UNION ALL {undated}", window * 2).fetchall()
        else:
            found = []
            for start in range(0, len(among), 450):
                part = [int(i) for i in among[start : start + 450]]
                only = f"AND p.id IN ({','.join('?' * len(part))})"
                found += self.conn.execute(
                    f"{dated} {only} UNION ALL {undated} {only}", [*window, *part] * 2
                ).fetchall()
        return np.sort(np.fromiter((r[0] for r in found), dtype=np.int64))

    def count_in_window(self, since: str, until: str | None, cap: int | None = None) -> int:
        """About how many papers a feed window holds (dated in it, plus every undated one);
        with ``cap``, counting stops there (a big window answers as fast as a small one)."""
        limit = -1 if cap is None else cap
        undated = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM papers WHERE date IS NULL LIMIT ?)", (limit,)
        ).fetchone()[0]
        if cap is not None:
            limit = max(0, cap - undated)
        dated = self.conn.execute(
            "SELECT count(*) FROM (SELECT 1 FROM papers WHERE date >= ? AND date <= ? LIMIT ?)",
            (since, (until or "9999") + "\uffff", limit),
        ).fetchone()[0]
        return int(dated) + int(undated)

    def vectors_of(
        self, paper_ids: Sequence[int], model: str
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The stored vectors of these papers (those that have one), in one matrix."""
        found_ids: list[int] = []
        blobs: list[bytes] = []
        for start in range(0, len(paper_ids), 900):
            part = list(paper_ids[start : start + 900])
            marks = ",".join("?" * len(part))
            for pid, blob in self.conn.execute(
                "SELECT paper_id, vector FROM embeddings "
                f"WHERE model = ? AND paper_id IN ({marks})",
                (model, *part),
            ):
                found_ids.append(pid)
                blobs.append(blob)
        if not blobs:
            return np.empty(0, np.int64), np.empty((0, 0), np.float32)
        matrix = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1)
        return np.asarray(found_ids, dtype=np.int64), matrix.astype(np.float32)

    def dates_and_upvotes(
        self, paper_ids: Sequence[int]
    ) -> tuple[list[str | None], list[int | None]]:
        """Each paper's date (None when undated: its ingest day is not its date) and upvotes,
        in the order given (the feed's recency and popularity priors)."""
        found: dict[int, tuple[str | None, int | None]] = {}
        for start in range(0, len(paper_ids), 900):
            part = [int(i) for i in paper_ids[start : start + 900]]
            marks = ",".join("?" * len(part))
            for pid, day, votes in self.conn.execute(
                f"SELECT id, date, upvotes FROM papers WHERE id IN ({marks})",
                part,
            ):
                found[pid] = (day, votes)
        rows = [found.get(int(pid), (None, None)) for pid in paper_ids]
        return [r[0] for r in rows], [r[1] for r in rows]

    def missing_vectors(self, paper_ids: Sequence[int], model: str) -> list[int]:
        """The papers among these that have no vector for the model yet."""
        missing: list[int] = []
        for start in range(0, len(paper_ids), 900):
            part = [int(i) for i in paper_ids[start : start + 900]]
            marks = ",".join("?" * len(part))
            have = {
                r[0]
                for r in self.conn.execute(
                    f"SELECT paper_id FROM embeddings WHERE model = ? AND paper_id IN ({marks})",
                    (model, *part),
                )
            }
            missing += [pid for pid in part if pid not in have]
        return missing

    def random_embedded_ids(self, count: int, seed: int, model: str) -> NDArray[np.int64]:
        """A reproducible sample of the papers that have a vector for ``model`` (weak
        negatives for a reader's model): all of them when there are few."""
        size = self.conn.execute("SELECT coalesce(max(id), 0) FROM papers").fetchone()[0]
        rng = np.random.default_rng(seed)
        if size > 4 * count:  # a big library: random ids, most of which have a vector
            picks = np.unique(rng.integers(1, size + 1, count * 2))
            marks = ",".join("?" * len(picks))
            rows = self.conn.execute(
                f"SELECT paper_id FROM embeddings WHERE model = ? AND paper_id IN ({marks})",
                (model, *(int(p) for p in picks)),
            )
            found = np.fromiter((r[0] for r in rows), dtype=np.int64)
            if len(found) >= count:
                return np.sort(rng.choice(found, count, replace=False))
        everything = self.embedding_ids(model)
        if len(everything) <= count:
            return np.sort(everything)
        return np.sort(rng.choice(everything, count, replace=False))
