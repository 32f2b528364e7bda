"""Accounts of the web app (users, sessions, API tokens, saved searches), in either backend."""

from __future__ import annotations

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

    def add_api_token(self, user_id: int, name: str, token_hash: str, now: str) -> int:
        return int(
            self._one(
                "INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (user_id, name, token_hash, now),
            )
        )

    def user_by_api_token(self, token_hash: str) -> User | None:
        row = self._execute(
            "SELECT user_id FROM api_tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return None if row is None else self.user_by_id(int(row[0]))

    def api_tokens(self, user_id: int) -> list[tuple[int, str, str]]:
        """(id, name, created_at) of a user's tokens."""
        rows = self._execute(
            "SELECT id, name, created_at FROM api_tokens WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

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
