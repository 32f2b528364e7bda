"""Live-source state (either backend): one row per source and scope (see 0006_sync.sql)."""

from __future__ import annotations

from papersift.store.base import NewRecord, SyncState
from papersift.store.shared import SharedSQL

_COLUMNS = (
    "source, scope, high_water, token, cursor, window_from, window_until, latest, complete, "
    "updated_at"
)
_UPDATES = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS.replace(" ", "").split(",")[2:])


class SharedSync(SharedSQL):
    """Mixed into SQLiteStore and PostgresStore."""

    def sync_state(self, source: str, scope: str) -> SyncState | None:
        row = self._execute(
            f"SELECT {_COLUMNS} FROM sync_state WHERE source = ? AND scope = ?", (source, scope)
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
        self._execute(
            f"INSERT INTO sync_state ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?) "
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
        self._execute(
            "UPDATE records SET fingerprint = ?, locator = ?, format = ?, ingested_at = ?, "
            "data = ? WHERE id = ?",
            (new.fingerprint, new.record.locator, new.format, new.ingested_at, new.data, record_id),
        )
