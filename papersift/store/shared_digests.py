"""E-mail digests (either backend): one delivery per reader and day, and who unsubscribed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from papersift.store.base import DigestDelivery
from papersift.store.shared import SharedSQL

_DELIVERY = (
    "SELECT reader_id, day, status, attempts, last_error, sent_at, paper_ids, updated_at "
    "FROM digest_deliveries"
)
_UPSERT = (
    "INSERT INTO digest_deliveries "
    "(reader_id, day, status, attempts, last_error, sent_at, paper_ids, updated_at) "
    "VALUES (?, ?, ?, 1, ?, ?, ?, ?) "
    "ON CONFLICT (reader_id, day) DO UPDATE SET status = excluded.status, "
    "attempts = digest_deliveries.attempts + 1, "
    "last_error = coalesce(excluded.last_error, digest_deliveries.last_error), "
    "sent_at = excluded.sent_at, paper_ids = excluded.paper_ids, "
    "updated_at = excluded.updated_at "
    "WHERE digest_deliveries.status != 'sent'"  # a sent digest stays sent
)


_CLAIM = (
    "INSERT INTO digest_claims (reader_id, day, claimed_at, owner) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (reader_id, day) DO UPDATE SET claimed_at = excluded.claimed_at, "
    "owner = excluded.owner WHERE digest_claims.claimed_at < ? OR digest_claims.owner = ?"
)


def _delivery(row: tuple[Any, ...]) -> DigestDelivery:
    return DigestDelivery(
        reader_id=row[0],
        day=row[1],
        status=row[2],
        attempts=row[3],
        last_error=row[4],
        sent_at=row[5],
        paper_ids=[int(i) for i in orjson.loads(row[6])],
        updated_at=row[7],
    )


class SharedDigests(SharedSQL):
    """Mixed into SQLiteStore and PostgresStore."""

    def digest_delivery(self, reader_id: int, day: str) -> DigestDelivery | None:
        row = self._execute(
            f"{_DELIVERY} WHERE reader_id = ? AND day = ?", (reader_id, day)
        ).fetchone()
        return None if row is None else _delivery(row)

    def digest_deliveries(self, reader_id: int) -> list[DigestDelivery]:
        """The reader's deliveries, the latest day first."""
        rows = self._execute(
            f"{_DELIVERY} WHERE reader_id = ? ORDER BY day DESC", (reader_id,)
        ).fetchall()
        return [_delivery(row) for row in rows]

    def record_digest_sent(
        self, reader_id: int, day: str, paper_ids: Sequence[int], now: str
    ) -> None:
        papers = orjson.dumps([int(i) for i in paper_ids]).decode()
        self._execute(_UPSERT, (reader_id, day, "sent", None, now, papers, now))

    def record_digest_failed(
        self, reader_id: int, day: str, paper_ids: Sequence[int], error: str, now: str
    ) -> None:
        papers = orjson.dumps([int(i) for i in paper_ids]).decode()
        self._execute(_UPSERT, (reader_id, day, "failed", error, None, papers, now))

    def claim_digest(
        self,
        reader_id: int,
        day: str,
        now: str,
        stale_before: str,
        owner: str = "",
        dead_owner: str | None = None,
    ) -> bool:
        """Claim the sending of a reader's digest of ``day`` for ``owner``: False when
        another run holds it (claimed at or after ``stale_before``, and not by
        ``dead_owner``, a run known to have died)."""
        dead = "(no run)" if dead_owner is None else dead_owner  # never an owner's name
        cursor = self._execute(_CLAIM, (reader_id, day, now, owner, stale_before, dead))
        return cursor.rowcount == 1

    def digest_claim_owner(self, reader_id: int, day: str) -> str | None:
        row = self._execute(
            "SELECT owner FROM digest_claims WHERE reader_id = ? AND day = ?", (reader_id, day)
        ).fetchone()
        return None if row is None else str(row[0])

    def release_digest(self, reader_id: int, day: str) -> None:
        self._execute("DELETE FROM digest_claims WHERE reader_id = ? AND day = ?", (reader_id, day))

    def record_digest_attempt(self, reader_id: int, day: str, message_id: str, now: str) -> None:
        self._execute(
            "INSERT INTO digest_attempts (reader_id, day, message_id, started_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (reader_id, day) DO UPDATE "
            "SET message_id = excluded.message_id, started_at = excluded.started_at",
            (reader_id, day, message_id, now),
        )

    def digest_attempt(self, reader_id: int, day: str) -> tuple[str, str] | None:
        row = self._execute(
            "SELECT message_id, started_at FROM digest_attempts WHERE reader_id = ? AND day = ?",
            (reader_id, day),
        ).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def clear_digest_attempt(self, reader_id: int, day: str) -> None:
        self._execute(
            "DELETE FROM digest_attempts WHERE reader_id = ? AND day = ?", (reader_id, day)
        )

    def unsubscribe_digest(self, reader_id: int, now: str) -> bool:
        """True when the reader was subscribed until now."""
        cursor = self._execute(
            "INSERT INTO digest_unsubscribed (reader_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (reader_id, now),
        )
        return cursor.rowcount == 1

    def resubscribe_digest(self, reader_id: int) -> bool:
        """True when the reader had unsubscribed."""
        cursor = self._execute("DELETE FROM digest_unsubscribed WHERE reader_id = ?", (reader_id,))
        return cursor.rowcount == 1

    def digest_unsubscribed(self) -> dict[int, str]:
        """Reader ids of those who unsubscribed, and when."""
        rows = self._execute("SELECT reader_id, at FROM digest_unsubscribed").fetchall()
        return {int(r[0]): str(r[1]) for r in rows}
