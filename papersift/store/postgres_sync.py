"""Live-source state in PostgreSQL: one row per source and scope (see 0006_sync.sql)."""

from __future__ import annotations

from typing import Any

import psycopg

from papersift.store.base import NewRecord, SyncState

_COLUMNS = (
    "source, scope, high_water, token, cursor, window_from, window_until, latest, complete, "
    "updated_at"
)


_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.replace(" ", "").split(",")[2:])


class PostgresSync:
    """Mixed into PostgresStore; ``self.conn`` is its connection."""

    conn: psycopg.Connection[Any]

    def sync_state(self, source: str, scope: str) -> SyncState | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM sync_state WHERE source = %s AND scope = %s", (source, scope)
        ).fetchone()
        if row is None:
            return None
        return SyncState(
            source=row[0],
            scope=row[1],
            high_water=row[2],
            token=row[3],
            cursor=row[4],
            window_from=row[5],
            window_until=row[6],
            latest=row[7],
            complete=bool(row[8]),
            updated_at=row[9],
        )

    def save_sync_state(self, state: SyncState) -> None:
        self.conn.execute(
            f"INSERT INTO sync_state ({_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
            f"ON CONFLICT (source, scope) DO UPDATE SET {_UPDATES}",
            (
                state.source,
                state.scope,
                state.high_water,
                state.token,
                state.cursor,
                state.window_from,
                state.window_until,
                state.latest,
                int(state.complete),
                state.updated_at,
            ),
        )

    def replace_record(self, record_id: int, new: NewRecord) -> None:
        self.conn.execute(
            "UPDATE records SET fingerprint = %s, locator = %s, format = %s, ingested_at = %s, "
            "data = %s WHERE id = %s",
            (new.fingerprint, new.record.locator, new.format, new.ingested_at, new.data, record_id),
        )
