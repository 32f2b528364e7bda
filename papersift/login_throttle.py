"""Throttling failed logins, in the database: it holds across server workers and under
concurrent tries (issue 13: 20 concurrent wrong passwords all got through a limit of 5
kept in memory, and a rotating ``X-Forwarded-For`` got a fresh budget each time).

Each try first claims a slot: in one serialized transaction (SQLite's ``BEGIN IMMEDIATE``,
PostgreSQL's table lock) the recent failures are counted and, when the try may go ahead, a
failure is written *before* the password is checked; a right password removes it again.
So N tries at once cannot all pass a count of 0.

Three budgets per ``WINDOW`` (15 minutes):

* ``PER_PAIR`` (5) failures of one address on one name: that address waits for that name;
* ``PER_ADDRESS`` (30) failures of one address on any names: password spraying waits;
* ``PER_NAME`` (50) failures on one name from anywhere: from then on an address that has
  failed on that name waits, while an address that has not (the real user, elsewhere) still
  gets its tries: an attacker slows down without locking the owner out.

The address is the peer's; ``X-Forwarded-For`` counts only when the peer is a configured
trusted proxy (``client_address``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from papersift.store import Store

WINDOW = 900.0
PER_PAIR, PER_ADDRESS, PER_NAME = 5, 30, 50


@dataclass(frozen=True)
class Budgets:
    per_pair: int = PER_PAIR
    per_address: int = PER_ADDRESS
    per_name: int = PER_NAME
    window: float = WINDOW


def wait_for(
    budgets: Budgets, pair: list[float], address: list[float], name: list[float], now: float
) -> float:
    """Seconds this try must wait (0: go ahead), from the newest-first failure times of the
    pair, the address and the name within the window. Pure."""
    waits = []
    for times, limit, applies in (
        (pair, budgets.per_pair, True),
        (address, budgets.per_address, True),
        (name, budgets.per_name, bool(pair)),  # only addresses that failed on this name
    ):
        if applies and len(times) >= limit:
            waits.append(times[limit - 1] + budgets.window - now)
    return max([0.0, *waits])


def claim(
    store: Store, address: str, name: str, now: float, budgets: Budgets = Budgets()
) -> tuple[float, int | None]:
    """(seconds to wait, 0) or (0, the id of the failure written for this try)."""
    key = name.strip().lower()
    with store.transaction():
        store.lock_login_failures()
        limits = (budgets.per_pair, budgets.per_address, budgets.per_name)
        times = store.recent_login_failures(address, key, now - budgets.window, limits)
        wait = wait_for(budgets, *times, now)
        if wait > 0:
            return wait, None
        return 0.0, store.add_login_failure(address, key, now)


def succeeded(store: Store, address: str, name: str, claimed: int | None, now: float) -> None:
    """A right password: this address's failures on this name are forgotten (and everyone's
    older than the window)."""
    with store.transaction():
        if claimed is not None:
            store.remove_login_failure(claimed)
        store.clear_login_failures(address, name.strip().lower(), now - WINDOW)


def client_address(peer: str | None, forwarded_for: str | None, trusted: Collection[str]) -> str:
    """Who is trying: the peer, unless the peer is a trusted proxy; then the last address
    of ``X-Forwarded-For`` that is not a trusted proxy (earlier ones the client wrote)."""
    address = peer or "unknown"
    if address not in trusted or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        if hop not in trusted:
            return hop[:64]
    return address
