"""Which days a feed shows, and how to say so: "since your last visit" by default (at least
a day), widened only when that holds too few papers; previous/next day and week.

Pure: the store is asked through ``count`` (papers dated in a window), so the choice is
tested without a library. The web feed, its Atom and the digests use the same windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

#: A first visit (or a feed reader, which has no visits) starts from the last week.
FIRST_WINDOW_DAYS = 7
#: The widest window the default reaches while looking for enough papers (a year).
MAX_DEFAULT_DAYS = 365


@dataclass(frozen=True)
class Window:
    """The days ``since`` to ``until`` (both included), and why these."""

    since: date
    until: date
    why: str

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def shifted(self, days: int) -> Window:
        """The window of the same length ``days`` later (earlier when negative)."""
        step = timedelta(days=days)
        return replace(self, since=self.since + step, until=self.until + step, why="")

    def label(self) -> str:
        if self.days == 1:
            return self.until.isoformat()
        return f"{self.since.isoformat()} to {self.until.isoformat()} ({self.days} days)"


def fixed_window(days: int, until: date) -> Window:
    """The ``days`` days that end on ``until``."""
    days = max(1, days)
    return Window(until - timedelta(days=days - 1), until, "")


def default_window(
    today: date,
    last_visit: date | None,
    count: Callable[[date, date], int],
    enough: int,
) -> Window:
    """Since the last visit (at least a day); a first visit, the last week. When that holds
    fewer than ``enough`` papers, the window is doubled until it does (or reaches a year),
    and says so."""
    if last_visit is not None and last_visit < today:
        since = min(last_visit, today - timedelta(days=1))
        why = f"since your last visit ({last_visit.isoformat()})"
    else:
        since = today - timedelta(days=FIRST_WINDOW_DAYS - 1)
        why = f"the last {FIRST_WINDOW_DAYS} days"
    days = (today - since).days + 1
    found = count(since, today)
    if found >= enough:
        return Window(since, today, why)
    while days < MAX_DEFAULT_DAYS and found < enough:
        days = min(MAX_DEFAULT_DAYS, days * 2)
        found = count(today - timedelta(days=days - 1), today)
    if days == (today - since).days + 1:
        return Window(since, today, why)
    widened = f"{why} held fewer than {enough} papers: widened to the last {days} days"
    return Window(today - timedelta(days=days - 1), today, widened)


def parse_day(value: str | None) -> date | None:
    """A YYYY-MM-DD day, or None when absent or not a day."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
