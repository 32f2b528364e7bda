"""The window of a reader's feed on the web and in its Atom feed, chosen here once: the
default is "since your last visit" (papersift.feed_window), and an empty window says
what the library covers and links to its latest papers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from papersift.errors import UsageError
from papersift.feed_window import Window, default_window, fixed_window, parse_day
from papersift.models import User
from papersift.recommend import FeedSettings
from papersift.store import Store

MAX_DAYS = 3650


def today() -> date:
    return datetime.now(UTC).date()


def choose(
    store: Store, user: User | None, days: int | None, until: str, limit: int, *, visit: bool
) -> Window:
    """The window asked for (``days`` ending on ``until``), else the default one; ``visit``
    notes this request as the reader's visit (the first of each day moves "last visit")."""
    end = parse_day(until)
    if until and end is None:
        raise UsageError(f"until wants a day like 2025-05-01, not {until!r}")
    now = today()
    if days is not None or end is not None:
        return fixed_window(max(1, min(days or 7, MAX_DAYS)), end or now)
    last = None
    if visit and user is not None:
        with store.transaction():
            last = parse_day(store.record_visit(user.id, now.isoformat()))

    def count(a: date, b: date) -> int:
        return store.count_in_window(a.isoformat(), b.isoformat(), cap=limit)

    window = default_window(now, last, count, enough=limit)
    if count(window.since, window.until) >= limit:
        return window
    # a library that stopped growing a while ago (a demo, an archive): its latest papers
    stats = store.stats()
    newest = latest(store, stats.latest, limit)
    if newest is None:
        return window
    why = (
        f"nothing newer: the library covers {stats.earliest} to {stats.latest}, "
        "so these are its latest papers"
    )
    return replace(newest, why=why)


def settings(window: Window, limit: int) -> FeedSettings:
    return FeedSettings(
        days=window.days,
        since=window.since.isoformat(),
        until=window.until.isoformat(),
        limit=max(1, min(limit, 100)),
    )


@dataclass(frozen=True)
class Links:
    """Where the feed page's window buttons go."""

    previous_day: str
    next_day: str | None
    previous_week: str
    next_week: str | None
    more: str
    latest: str | None = None


def _url(window: Window, limit: int) -> str:
    query = {"days": window.days, "until": window.until.isoformat(), "limit": limit}
    return "/feed?" + urlencode(query)


def latest(store: Store, latest_day: str | None, limit: int) -> Window | None:
    """The shortest window that ends on the library's newest day and holds ``limit``
    papers (a week at least), for an empty window's "show the latest papers"."""
    newest = _latest_day(latest_day)
    if newest is None:
        return None
    return default_window(
        newest,
        None,
        lambda a, b: store.count_in_window(a.isoformat(), b.isoformat(), cap=limit),
        enough=limit,
    )


def links(window: Window, limit: int, newest: Window | None = None) -> Links:
    now = today()

    def later(days: int) -> str | None:
        moved = window.shifted(days)
        return _url(moved, limit) if moved.until <= now else None

    return Links(
        _url(window.shifted(-1), limit),
        later(1),
        _url(window.shifted(-7), limit),
        later(7),
        _url(window, min(limit + 10, 100)),
        _url(newest, limit) if newest else None,
    )


def _latest_day(value: str | None) -> date | None:
    """The last day a stored date (YYYY, YYYY-MM or YYYY-MM-DD) may mean."""
    if not value:
        return None
    if len(value) == 4 and value.isdigit():
        value += "-12-31"
    elif len(value) == 7:
        value += "-28"
    return parse_day(value)
