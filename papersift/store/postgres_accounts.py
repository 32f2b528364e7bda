"""Accounts of the web app (users, sessions, API tokens, saved searches), in PostgreSQL."""

from __future__ import annotations

from typing import Any

import psycopg

from papersift.models import SavedSearch, User

_USER = (
    "SELECT u.id, r.name, u.email, u.role, u.password_hash, u.feed_token, u.reader_id, "
    "u.created_at FROM users u JOIN readers r ON r.id = u.reader_id"
)


def _user(row: tuple[Any, ...] | None) -> User | None:
    return None if row is None else User(*row)


def _first(row: tuple[Any, ...] | None) -> Any:
    assert row is not None
    return row[0]


class PostgresAccounts:
    """Mixed into PostgresStore; ``self.conn`` is its connection."""

    conn: psycopg.Connection[Any]

    def add_user(
        self,
        reader_id: int,
        email: str | None,
        password_hash: str,
        role: str,
        feed_token: str,
        now: str,
    ) -> int:
        cursor = self.conn.execute(
            "INSERT INTO users (reader_id, email, password_hash, role, feed_token, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
            (reader_id, email, password_hash, role, feed_token, now),
        )
        return int(_first(cursor.fetchone()))

    def user_by_name(self, name: str) -> User | None:
        return _user(self.conn.execute(f"{_USER} WHERE r.name = %s", (name,)).fetchone())

    def user_by_id(self, user_id: int) -> User | None:
        return _user(self.conn.execute(f"{_USER} WHERE u.id = %s", (user_id,)).fetchone())

    def user_by_feed_token(self, token: str) -> User | None:
        return _user(self.conn.execute(f"{_USER} WHERE u.feed_token = %s", (token,)).fetchone())

    def users(self) -> list[User]:
        rows = self.conn.execute(f'{_USER} ORDER BY r.name COLLATE "C"').fetchall()
        return [u for u in map(_user, rows) if u is not None]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(
            "UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id)
        )

    # ------------------------------------------------------------------ sessions

    def add_session(self, token_hash: str, user_id: int, csrf: str, expires_at: str) -> None:
        self.conn.execute(
            "INSERT INTO sessions (token_hash, user_id, csrf, expires_at) VALUES (%s, %s, %s, %s)",
            (token_hash, user_id, csrf, expires_at),
        )

    def session(self, token_hash: str, now: str) -> tuple[User, str] | None:
        """The user of a live session and its CSRF token."""
        row = self.conn.execute(
            "SELECT user_id, csrf FROM sessions WHERE token_hash = %s AND expires_at > %s",
            (token_hash, now),
        ).fetchone()
        if row is None:
            return None
        user = self.user_by_id(int(row[0]))
        return None if user is None else (user, str(row[1]))

    def remove_session(self, token_hash: str) -> None:
        self.conn.execute("DELETE FROM sessions WHERE token_hash = %s", (token_hash,))

    def remove_expired_sessions(self, now: str) -> None:
        self.conn.execute("DELETE FROM sessions WHERE expires_at <= %s", (now,))

    # ------------------------------------------------------------------ API tokens

    def add_api_token(self, user_id: int, name: str, token_hash: str, now: str) -> int:
        cursor = self.conn.execute(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (user_id, name, token_hash, now),
        )
        return int(_first(cursor.fetchone()))

    def user_by_api_token(self, token_hash: str) -> User | None:
        row = self.conn.execute(
            "SELECT user_id FROM api_tokens WHERE token_hash = %s", (token_hash,)
        ).fetchone()
        return None if row is None else self.user_by_id(int(row[0]))

    def api_tokens(self, user_id: int) -> list[tuple[int, str, str]]:
        """(id, name, created_at) of a user's tokens."""
        rows = self.conn.execute(
            "SELECT id, name, created_at FROM api_tokens WHERE user_id = %s ORDER BY id", (user_id,)
        ).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def remove_api_token(self, user_id: int, token_id: int) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM api_tokens WHERE id = %s AND user_id = %s", (token_id, user_id)
        )
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ saved searches

    def add_saved_search(
        self, user_id: int, name: str, query: str, mode: str, feed_token: str, now: str
    ) -> int:
        cursor = self.conn.execute(
            "INSERT INTO saved_searches (user_id, name, query, mode, feed_token, created_at) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (user_id, name) DO UPDATE SET "
            "query = excluded.query, mode = excluded.mode RETURNING id",
            (user_id, name, query, mode, feed_token, now),
        )
        return int(_first(cursor.fetchone()))

    def saved_searches(self, user_id: int) -> list[SavedSearch]:
        rows = self.conn.execute(
            "SELECT id, user_id, name, query, mode, feed_token, created_at FROM saved_searches "
            'WHERE user_id = %s ORDER BY name COLLATE "C"',
            (user_id,),
        ).fetchall()
        return [SavedSearch(*r) for r in rows]

    def saved_search(self, search_id: int) -> SavedSearch | None:
        row = self.conn.execute(
            "SELECT id, user_id, name, query, mode, feed_token, created_at FROM saved_searches "
            "WHERE id = %s",
            (search_id,),
        ).fetchone()
        return None if row is None else SavedSearch(*row)

    def saved_search_by_feed_token(self, token: str) -> SavedSearch | None:
        row = self.conn.execute(
            "SELECT id, user_id, name, query, mode, feed_token, created_at FROM saved_searches "
            "WHERE feed_token = %s",
            (token,),
        ).fetchone()
        return None if row is None else SavedSearch(*row)

    def remove_saved_search(self, user_id: int, search_id: int) -> bool:
        cursor = self.conn.execute(
            "DELETE FROM saved_searches WHERE id = %s AND user_id = %s", (search_id, user_id)
        )
        return cursor.rowcount > 0

    # ------------------------------------------------------------------ settings

    def app_setting(self, key: str, default: str) -> str:
        """The stored value of ``key``; ``default`` is stored first when there is none."""
        self.conn.execute(
            "INSERT INTO app_settings (key, value) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            (key, default),
        )
        return str(
            _first(
                self.conn.execute(
                    "SELECT value FROM app_settings WHERE key = %s", (key,)
                ).fetchone()
            )
        )
