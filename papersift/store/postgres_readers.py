"""Readers, their interest signals and what their feeds showed, in PostgreSQL (what both
backends share is in shared_readers.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray

from papersift.models import Signal
from papersift.store.shared_readers import SharedReaders


class PostgresReaders(SharedReaders):
    """Mixed into PostgresStore; ``self.conn`` is its connection."""

    conn: psycopg.Connection[Any]
    embedding_ids: Callable[[str], NDArray[np.int64]]  # PostgresSearch's

    def _reader_authors(self) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for reader_id, name in self.conn.execute(
            "SELECT reader_id, name FROM reader_authors ORDER BY seq"
        ):
            found.setdefault(reader_id, []).append(name)
        return found

    def add_reader_authors(self, reader_id: int, names: Sequence[str]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO reader_authors (reader_id, name) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                [(reader_id, n) for n in names],
            )

    def set_signals(self, reader_id: int, signals: Sequence[Signal]) -> int:
        """Record signals (a later one of the same kind on the same paper replaces it);
        feedback on a paper replaces the opposite feedback. Returns how many are new."""
        before = self._signal_count(reader_id)
        feedback = [s.paper_id for s in signals if s.kind in ("up", "down")]
        if feedback:
            self.conn.execute(
                "DELETE FROM reader_signals WHERE reader_id = %s "
                "AND paper_id = ANY(%s::bigint[]) AND kind IN ('up', 'down')",
                (reader_id, feedback),
            )
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO reader_signals (reader_id, paper_id, kind, label, at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (reader_id, paper_id, kind) "
                "DO UPDATE SET label = excluded.label, at = excluded.at",
                [(reader_id, s.paper_id, s.kind, s.label, s.at) for s in signals],
            )
        return self._signal_count(reader_id) - before

    def papers_of_records(self, fingerprints: Sequence[int]) -> list[int]:
        """The papers that records with these fingerprints belong to (each paper once)."""
        order = {fp: i for i, fp in reversed(list(enumerate(fingerprints)))}
        rows = self.conn.execute(
            "SELECT fingerprint, paper_id FROM records WHERE fingerprint = ANY(%s::bigint[])",
            (list(order),),
        ).fetchall()
        found: dict[int, None] = {}
        for _, pid in sorted(rows, key=lambda r: order[r[0]]):
            found[int(pid)] = None
        return list(found)

    def mark_shown(self, reader_id: int, paper_ids: Sequence[int], now: str) -> None:
        self.conn.execute(
            "INSERT INTO reader_shown (reader_id, paper_id, at) "
            "SELECT %s, unnest(%s::bigint[]), %s ON CONFLICT DO NOTHING",
            (reader_id, [int(i) for i in paper_ids], now),
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
        new = (
            "NOT EXISTS (SELECT 1 FROM reader_shown s WHERE s.reader_id = %s "
            "AND s.paper_id = p.id) AND NOT EXISTS (SELECT 1 FROM reader_signals s "
            "WHERE s.reader_id = %s AND s.paper_id = p.id) "
            "AND (p.owner_reader_id IS NULL OR p.owner_reader_id = %s)"  # another's paste: never
        )
        only = "" if among is None else "AND p.id = ANY(%s::bigint[])"
        dated = f"SELECT p.id FROM papers p WHERE p.date >= %s AND p.date <= %s AND {new} {only}"
        undated = (
            "SELECT p.id FROM papers p WHERE p.date IS NULL AND substr(p.created_at, 1, 10) "
            f">= %s AND substr(p.created_at, 1, 10) <= %s AND {new} {only}"
        )
        window: list[Any] = [since, (until or "9999") + "\uffff", *[reader_id] * 3]
        if among is not None:
            window.append([int(i) for i in among])
        found = self.conn.execute(f"{dated} UNION ALL {undated}", window * 2).fetchall()
        return np.sort(np.fromiter((r[0] for r in found), dtype=np.int64))

    def count_in_window(self, since: str, until: str | None, cap: int | None = None) -> int:
        """About how many papers a feed window holds (dated in it, plus every undated one);
        with ``cap``, counting stops there."""
        undated = int(
            self._one(
                "SELECT count(*) FROM (SELECT 1 FROM papers WHERE date IS NULL LIMIT ?) AS u",
                (cap,),
            )
        )
        limit = None if cap is None else max(0, cap - undated)
        dated = int(
            self._one(
                "SELECT count(*) FROM (SELECT 1 FROM papers WHERE date >= ? AND date <= ? "
                "LIMIT ?) AS d",
                (since, (until or "9999") + "\uffff", limit),
            )
        )
        return dated + undated

    def vectors_of(
        self, paper_ids: Sequence[int], model: str
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """The stored vectors of these papers (those that have one), in one matrix."""
        with self.conn.cursor(binary=True) as cur:
            rows = cur.execute(
                "SELECT e.paper_id, e.vector FROM unnest(%s::bigint[]) WITH ORDINALITY AS i(id, n) "
                "JOIN embeddings e ON e.paper_id = i.id AND e.model = %s ORDER BY i.n",
                ([int(i) for i in paper_ids], model),
            ).fetchall()
        if not rows:
            return np.empty(0, np.int64), np.empty((0, 0), np.float32)
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, np.vstack([r[1] for r in rows]).astype(np.float32)

    def dates_and_upvotes(
        self, paper_ids: Sequence[int]
    ) -> tuple[list[str | None], list[int | None]]:
        """Each paper's date (None when undated: its ingest day is not its date) and upvotes,
        in the order given (the feed's recency and popularity priors)."""
        found: dict[int, tuple[str | None, int | None]] = {}
        for pid, day, votes in self.conn.execute(
            "SELECT id, date, upvotes FROM papers WHERE id = ANY(%s::bigint[])",
            ([int(i) for i in paper_ids],),
        ):
            found[pid] = (day, votes)
        rows = [found.get(int(pid), (None, None)) for pid in paper_ids]
        return [r[0] for r in rows], [r[1] for r in rows]

    def missing_vectors(self, paper_ids: Sequence[int], model: str) -> list[int]:
        """The papers among these that have no vector for the model yet."""
        wanted = [int(i) for i in paper_ids]
        have = {
            r[0]
            for r in self.conn.execute(
                "SELECT paper_id FROM embeddings WHERE model = %s AND paper_id = ANY(%s::bigint[])",
                (model, wanted),
            )
        }
        return [pid for pid in wanted if pid not in have]

    def random_embedded_ids(self, count: int, seed: int, model: str) -> NDArray[np.int64]:
        """A reproducible sample of the papers that have a vector for ``model``."""
        size = int(self._one("SELECT coalesce(max(id), 0) FROM papers"))
        rng = np.random.default_rng(seed)
        if size > 4 * count:  # a big library: random ids, most of which have a vector
            picks = np.unique(rng.integers(1, size + 1, count * 2))
            rows = self.conn.execute(
                "SELECT paper_id FROM embeddings WHERE model = %s "
                "AND paper_id = ANY(%s::bigint[]) ORDER BY paper_id",
                (model, [int(p) for p in picks]),
            )
            found = np.fromiter((r[0] for r in rows), dtype=np.int64)
            if len(found) >= count:
                return np.sort(rng.choice(found, count, replace=False))
        everything = self.embedding_ids(model)
        if len(everything) <= count:
            return np.sort(everything)
        return np.sort(rng.choice(everything, count, replace=False))
