"""E-mail digests in PostgreSQL: one delivery per reader and day, and who unsubscribed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
import psycopg

from papersift.store.base import DigestDelivery

_DELIVERY = (
    "SELECT reader_id, day, status, attempts, last_error, sent_at, paper_ids, updated_at "
    "FROM digest_deliveries"
)
_UPSERT = (
    "INSERT INTO digest_deliveries "
    "(reader_id, day, status, attempts, last_error, sent_at, paper_ids, updated_at) "
    "VALUES (%s, %s, %s, 1, %s, %s, %s, %s) "
    "ON CONFLICT (reader_id, day) DO UPDATE SET status = excluded.status, "
    "attempts = digest_deliveries.attempts + 1, "
    "last_error = coalesce(excluded.last_error, digest_deliveries.last_error), "
    "sent_at = excluded.sent_at, paper_ids = excluded.paper_ids, "
    "updated_at = excluded.updated_at "
    "WHERE digest_deliveries.status != 'sent'"  # a sent digest stays sent
)


_CLAIM = (
    "INSERT INTO digest_claims (reader_id, day, claimed_at) VALUES (%s, %s, %s) "
    "ON CONFLICT (reader_id, day) DO UPDATE SET claimed_at = excluded.claimed_at "
    "WHERE digest_claims.claimed_at < %s"
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


class PostgresDigests:
    """Mixed into PostgresStore; ``self.conn`` is its connection."""

    conn: psycopg.Connection[Any]

    def digest_delivery(self, reader_id: int, day: str) -> DigestDelivery | None:
        row = self.conn.execute(
            f"{_DELIVERY} WHERE reader_id = %s AND day = %s", (reader_id, day)
        ).fetchone()
        return None if row is None else _delivery(row)

    def digest_deliveries(self, reader_id: int) -> list[DigestDelivery]:
        """The reader's deliveries, the latest day first."""
        rows = self.conn.execute(
            f"{_DELIVERY} WHERE reader_id = %s ORDER BY day DESC", (reader_id,)
        ).fetchall()
        return [_delivery(row) for row in rows]

    def record_digest_sent(
        self, reader_id: int, day: str, paper_ids: Sequence[int], now: str
    ) -> None:
        papers = orjson.dumps([int(i) for i in paper_ids]).decode()
        self.conn.execute(_UPSERT, (reader_id, day, "sent", None, now, papers, now))

    def record_digest_failed(
        self, reader_id: int, day: str, paper_ids: Sequence[int], error: str, now: str
    ) -> None:
        papers = orjson.dumps([int(i) for i in paper_ids]).decode()
        self.conn.execute(_UPSERT, (reader_id, day, "failed", error, None, papers, now))

    def claim_digest(self, reader_id: int, day: str, now: str, stale_before: str) -> bool:
        """Claim the sending of a reader's digest of ``day``: False when another run holds
        it (claimed at or after ``stale_before``)."""
        cursor = self.conn.execute(_CLAIM, (reader_id, day, now, stale_before))
        return cursor.rowcount == 1

    def release_digest(self, reader_id: int, day: str) -> None:
        self.conn.execute(
            "DELETE FROM digest_claims WHERE reader_id = %s AND day = %s", (reader_id, day)
        )

    def unsubscribe_digest(self, reader_id: int, now: str) -> bool:
        """True when the reader was subscribed until now."""
        cursor = self.conn.execute(
            "INSERT INTO digest_unsubscribed (reader_id, at) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (reader_id, now),
        )
        return cursor.rowcount == 1

    def resubscribe_digest(self, reader_id: int) -> bool:
        """True when the reader had unsubscribed."""
        cursor = self.conn.execute(
            "DELETE FROM digest_unsubscribed WHERE reader_id = %s", (reader_id,)
        )
        return cursor.rowcount == 1

    def digest_unsubscribed(self) -> dict[int, str]:
        """Reader ids of those who unsubscribed, and when."""
        rows = self.conn.execute("SELECT reader_id, at FROM digest_unsubscribed").fetchall()
        return {int(r[0]): str(r[1]) for r in rows}
