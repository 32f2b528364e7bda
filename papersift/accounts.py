"""Accounts of the web app: users (each one a reader), passwords, sessions, API tokens.

Passwords are hashed with argon2 (argon2-cffi's defaults). Session cookies and API tokens
are random 256-bit secrets of which only a SHA-256 hash is stored, so a copy of the
database does not let anyone in. Every user is a reader of the same name: the web app's
feed, profile and feedback are that reader's.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from papersift import clock
from papersift.errors import NotFoundError, PapersiftError, UsageError
from papersift.models import User
from papersift.store import Store

ROLES = ("admin", "reader")
SESSION_DAYS = 14
MIN_PASSWORD = 8
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}")
_hasher = PasswordHasher()


class AuthError(PapersiftError):
    """Wrong name or password, or an unknown or expired session or token."""

    exit_code = 4


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Session:
    token: str  # goes in the cookie, never stored
    csrf: str
    user: User


class Accounts:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------------ users

    def add_user(
        self,
        name: str,
        password: str,
        *,
        email: str | None = None,
        role: str = "reader",
        link_reader: bool = False,
    ) -> User:
        """A new user and its reader. A reader of that name made before (``papersift reader
        add``) gets the account only with ``link_reader`` (the CLI, an admin): sign-up never
        inherits someone's reader. Names are unique whatever their case."""
        if not _NAME.fullmatch(name):
            raise UsageError(
                f"user name {name!r}: use 1 to 40 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if role not in ROLES:
            raise UsageError(f"role is admin or reader, not {role!r}")
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
        if email is not None and "@" not in email:
            raise UsageError(f"{email!r} is not an e-mail address")
        now = _iso(clock.now())
        with self.store.transaction():  # the checks and the insert in one (serialized) step
            self._check_name_is_free(name, link_reader)
            reader_id = self.store.add_reader(name, now)
            self.store.add_user(
                reader_id, email, _hasher.hash(password), role, secrets.token_urlsafe(24), now
            )
        user = self.store.user_by_name(name)
        assert user is not None
        return user

    def _check_name_is_free(self, name: str, link_reader: bool) -> None:
        if self.store.user_by_name_nocase(name) is not None:
            raise UsageError(f"the user name {name!r} is taken: choose another")
        readers = self.store.reader_names_nocase(name)
        if readers and not (link_reader and readers == [name]):
            raise UsageError(f"the user name {name!r} is taken: choose another")

    def user(self, name: str) -> User:
        user = self.store.user_by_name(name)
        if user is None:
            raise NotFoundError(f"no user named {name!r}")
        return user

    def remove_user(self, name: str) -> None:
        """Removes the user and its reader (profile, feedback, sessions, tokens, searches)."""
        user = self.user(name)
        with self.store.transaction():
            self.store.remove_reader(user.reader_id)

    def set_password(self, name: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
        user = self.user(name)
        with self.store.transaction():
            self.store.set_password_hash(user.id, _hasher.hash(password))

    def check_password(self, name: str, password: str) -> User:
        """The user, when the password is theirs; ``AuthError`` otherwise (the same error
        for an unknown name, so names cannot be probed)."""
        user = self.store.user_by_name_nocase(name)
        try:
            if user is None:
                _hasher.hash(password)  # the same work as a real check
                raise AuthError("wrong user name or password")
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError) as exc:
            raise AuthError("wrong user name or password") from exc
        return user

    # ------------------------------------------------------------------ sessions

    def log_in(self, name: str, password: str) -> Session:
        user = self.check_password(name, password)
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.store.transaction():
            self.store.remove_expired_sessions(_iso(clock.now()))
            self.store.add_session(
                token_hash(token), user.id, csrf, _iso(clock.now() + timedelta(days=SESSION_DAYS))
            )
        return Session(token, csrf, user)

    def session(self, token: str) -> Session | None:
        found = self.store.session(token_hash(token), _iso(clock.now()))
        return None if found is None else Session(token, found[1], found[0])

    def log_out(self, token: str) -> None:
        with self.store.transaction():
            self.store.remove_session(token_hash(token))

    # ------------------------------------------------------------------ API tokens

    def new_api_token(self, user: User, name: str, days: int | None = None) -> str:
        """A new token (shown once: only its hash is kept), valid for ``days`` days or
        until revoked."""
        if not name.strip():
            raise UsageError("give the token a name")
        if len(name.strip()) > 100:
            raise UsageError("a token name has at most 100 characters")
        if days is not None and not 1 <= days <= 3650:
            raise UsageError("a token lasts 1 to 3650 days (or until revoked)")
        expires = None if days is None else _iso(clock.now() + timedelta(days=days))
        token = "ps_" + secrets.token_urlsafe(32)
        with self.store.transaction():
            if name.strip() in {n for _, n, _ in self.store.api_tokens(user.id)}:
                raise UsageError(f"you already have a token named {name.strip()!r}")
            self.store.add_api_token(
                user.id, name.strip(), token_hash(token), _iso(clock.now()), expires
            )
        return token

    def user_of_api_token(self, token: str) -> User | None:
        return self.store.user_by_api_token(token_hash(token), _iso(clock.now()))


def app_secret(store: Store) -> str:
    """This installation's secret (made on first use, kept in the library): it signs the
    links of e-mail digests. ``$PAPERSIFT_SECRET`` overrides it."""
    if value := os.environ.get("PAPERSIFT_SECRET"):
        return value
    with store.transaction():
        return store.app_setting("secret", secrets.token_urlsafe(32))
