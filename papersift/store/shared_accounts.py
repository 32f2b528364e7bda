"""Accounts of the web app (users, sessions, API tokens, saved searches), in either backend."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from papersift.models import SavedSearch, User
from papersift.store.shared import SharedSQL

_USER = (
    "SELECT u.id, r.name, u.email, u.role, u.password_hash, u.feed_token, u.reader_id, "
    "u.created_at FROM users u JOIN readers r ON r.id = u.reader_id"
)


def _user(row: tuple[Any, ...] | None) -> User | None:
    return None if row is None else User(*row)


class SharedAccounts(SharedSQL):
    """Mixed into SQLiteStore and PostgresStore."""

    def add_user(
        self,
        reader_id: int,
        email: str | None,
        password_hash: str,
        role: str,
        feed_token: str,
        now: str,
    ) -> int:
        return int(
            self._one(
                "INSERT INTO users (reader_id, email, password_hash, role, feed_token, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (reader_id, email, password_hash, role, feed_token, now),
            )
        )

    def user_by_name(self, name: str) -> User | None:
        return _user(self._execute(f"{_USER} WHERE r.name = ?", (name,)).fetchone())

    def user_by_name_nocase(self, name: str) -> User | None:
        """The user of this name whatever its case (the exact spelling first, should an old
        library hold two)."""
        row = self._execute(
            f"{_USER} WHERE lower(r.name) = lower(?) ORDER BY r.name = ? DESC, u.id LIMIT 1",
            (name, name),
        ).fetchone()
        return _user(row)

    def reader_names_nocase(self, name: str) -> list[str]:
        """Readers whose name is ``name`` whatever its case."""
        rows = self._execute("SELECT name FROM readers WHERE lower(name) = lower(?)", (name,))
        return [str(r[0]) for r in rows.fetchall()]

    def user_by_id(self, user_id: int) -> User | None:
        return _user(self._execute(f"{_USER} WHERE u.id = ?", (user_id,)).fetchone())

    def user_by_feed_token(self, token: str) -> User | None:
        return _user(self._execute(f"{_USER} WHERE u.feed_token = ?", (token,)).fetchone())

    def users(self) -> list[User]:
        rows = self._execute(f"{_USER} ORDER BY r.name{self._text_order}").fetchall()
        return [u for u in map(_user, rows) if u is not None]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self._execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))

    # ------------------------------------------------------------------ sessions

    def add_session(self, token_hash: str, user_id: int, csrf: str, expires_at: str) -> None:
        self._execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, user_id, csrf, expires_at),
        )

    def session(self, token_hash: str, now: str) -> tuple[User, str] | None:
        """The user of a live session and its CSRF token."""
        row = self._execute(
            "SELECT user_id, csrf FROM sessions WHERE token_hash = ? AND expires_at > ?",
            (token_hash, now),
        ).fetchone()
        if row is None:
            return None
        user = self.user_by_id(int(row[0]))
        return None if user is None else (user, str(row[1]))

    def remove_session(self, token_hash: str) -> None:
        self._execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def remove_expired_sessions(self, now: str) -> None:
        self._execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))

    # ------------------------------------------------------------------ API tokens

    def add_api_token(
        self, user_id: int, name: str, token_hash: str, now: str, expires_at: str | None = None
    ) -> int:
        return int(
            self._one(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (user_id, name, token_hash, now, expires_at),
            )
        )

    def user_by_api_token(self, token_hash: str, now: str = "") -> User | None:
        """The user of a token that has not expired at ``now`` (ISO time)."""
        row = self._execute(
            "SELECT user_id FROM api_tokens WHERE token_hash = ? "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (token_hash, now),
        ).fetchone()
        return None if row is None else self.user_by_id(int(row[0]))

    def api_tokens(self, user_id: int) -> list[tuple[int, str, str]]:
        """(id, name, created_at) of a user's tokens."""
        rows = self._execute(
            "SELECT id, name, created_at FROM api_tokens WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def api_token_expiry(self, user_id: int) -> dict[int, str | None]:
        """When each of a user's tokens expires (None: never)."""
        rows = self._execute(
            "SELECT id, expires_at FROM api_tokens WHERE user_id = ?", (user_id,)
        ).fetchall()
        return {int(r[0]): (None if r[1] is None else str(r[1])) for r in rows}

    def remove_api_token(self, user_id: int, token_id: int) -> bool:
        cursor = self._execute(
            "DELETE FROM api_tokens WHERE id = ? AND user_id = ?", (token_id, user_id)
        )
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ saved searches

    def add_saved_search(
        self, user_id: int, name: str, query: str, mode: str, feed_token: str, now: str
    ) -> int:
        return int(
            self._one(
                "INSERT INTO saved_searches (user_id, name, query, mode, feed_token, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, name) DO UPDATE SET "
                "query = excluded.query, mode = excluded.mode RETURNING id",
                (user_id, name, query, mode, feed_token, now),
            )
        )

    def saved_searches(self, user_id: int) -> list[SavedSearch]:
        rows = self._execute(
            "SELECT id, user_id, name, query, mode, feed_token, created_at FROM saved_searches "
            f"WHERE user_id = ? ORDER BY name{self._text_order}",
            (user_id,),
        ).fetchall()
        return [SavedSearch(*r) for r in rows]

    def saved_search(self, search_id: int) -> SavedSearch | None:
        row = self._execute(
            "SELECT id, user_id, name, query, mode, feed_token, created_at FROM saved_searches "
            "WHERE id = ?",
            (search_id,),
        ).fetchone()
        return None if row is None else SavedSearch(*row)

    def saved_search_by_feed_token(self, token: str) -> SavedSearch | None:
        row = self._execute(
            "SELECT id, user_id, name, query, mode, feed_token, created_at FROM saved_searches "
            "WHERE feed_token = ?",
            (token,),
        ).fetchone()
        return None if row is None else SavedSearch(*row)

    def remove_saved_search(self, user_id: int, search_id: int) -> bool:
        cursor = self._execute(
            "DELETE FROM saved_searches WHERE id = ? AND user_id = ?", (search_id, user_id)
        )
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ settings

    def app_setting(self, key: str, default: str) -> str:
        """The stored value of ``key``; ``default`` is stored first when there is none."""
        self._execute(
            "INSERT INTO app_settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (key, default),
        )
        return str(self._one("SELECT value FROM app_settings WHERE key = ?", (key,)))

    # ------------------------------------------------------------------ visits

    def record_visit(self, user_id: int, day: str) -> str | None:
        """Note a visit to the feed on ``day`` (YYYY-MM-DD); the day of the visit before
        it (an earlier day: several visits in one day count as one), or None."""
        row = self._execute(
            "SELECT last_visit, previous_visit FROM users WHERE id = ?", (user_id,)
        ).fetchone()
        if row is None:
            return None
        last, previous = row
        if last == day:
            return str(previous) if previous else None
        self._execute(
            "UPDATE users SET previous_visit = last_visit, last_visit = ? WHERE id = ?",
            (day, user_id),
        )
        return str(last) if last else None

    # ------------------------------------------------------------------ login throttle

    #: A statement that makes concurrent throttle checks take turns inside a transaction:
    #: none on SQLite (``BEGIN IMMEDIATE`` already serializes writers).
    _serialize_logins = ""

    def lock_login_failures(self) -> None:
        if self._serialize_logins:
            self._execute(self._serialize_logins)

    def recent_login_failures(
        self, address: str, name: str, since: float, limits: tuple[int, int, int]
    ) -> tuple[list[float], list[float], list[float]]:
        """Times of the latest failures (newest first, at most the limit of each) since
        ``since``: of this address on this name, of this address, and on this name."""
        pair = self._execute(
            "SELECT at FROM login_failures WHERE address = ? AND name = ? AND at > ? "
            "ORDER BY at DESC LIMIT ?",
            (address, name, since, limits[0]),
        ).fetchall()
        by_address = self._execute(
            "SELECT at FROM login_failures WHERE address = ? AND at > ? ORDER BY at DESC LIMIT ?",
            (address, since, limits[1]),
        ).fetchall()
        by_name = self._execute(
            "SELECT at FROM login_failures WHERE name = ? AND at > ? ORDER BY at DESC LIMIT ?",
            (name, since, limits[2]),
        ).fetchall()
        return ([r[0] for r in pair], [r[0] for r in by_address], [r[0] for r in by_name])

    def add_login_failure(self, address: str, name: str, at: float) -> int:
        return int(
            self._one(
                "INSERT INTO login_failures (address, name, at) VALUES (?, ?, ?) RETURNING id",
                (address, name, at),
            )
        )

    def remove_login_failure(self, failure_id: int) -> None:
        self._execute("DELETE FROM login_failures WHERE id = ?", (failure_id,))

    def clear_login_failures(self, address: str, name: str, before: float) -> None:
        """Forget this address's failures on this name, and everyone's older than
        ``before``."""
        self._execute(
            "DELETE FROM login_failures WHERE (address = ? AND name = ?) OR at < ?",
            (address, name, before),
        )

    # ------------------------------------------------------------------ private papers

    def set_paper_owner(self, paper_ids: Sequence[int], reader_id: int) -> None:
        """Make papers private to a reader: only they see them, and no ingest ever merges
        into them (their match keys go)."""
        for pid in paper_ids:
            self._execute(
                "UPDATE papers SET owner_reader_id = ? WHERE id = ?", (reader_id, int(pid))
            )
            self._execute("DELETE FROM match_keys WHERE paper_id = ?", (int(pid),))

    def paper_owners(self, paper_ids: Sequence[int]) -> dict[int, int]:
        """The owning reader of each of these papers that is private."""
        found: dict[int, int] = {}
        ids = [int(i) for i in paper_ids]
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self._execute(
                f"SELECT id, owner_reader_id FROM papers WHERE id IN ({marks}) "
                "AND owner_reader_id IS NOT NULL",
                part,
            ).fetchall()
            found.update({int(r[0]): int(r[1]) for r in rows})
        return found

    def count_private_papers(self, except_reader: int | None) -> int:
        """How many papers are private to readers other than ``except_reader``."""
        return int(
            self._one(
                "SELECT count(*) FROM papers WHERE owner_reader_id IS NOT NULL "
                "AND owner_reader_id <> ?",
                (-1 if except_reader is None else except_reader,),
            )
        )
