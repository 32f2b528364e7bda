"""The one clock: the time now, in UTC. Tests that need another time patch
``papersift.clock.now``; every timestamp papersift writes comes from here."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def now_iso() -> str:
    """The current time as stored in the library: ISO 8601 to the second, UTC."""
    return now().isoformat(timespec="seconds")
