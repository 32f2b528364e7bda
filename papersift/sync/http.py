"""A polite HTTP client for live sources: spaced requests, bounded retries, one clear error.

* **Spacing.** A request starts at least ``delay`` seconds after the previous one ended
  (arXiv asks for 3 s between OAI-PMH requests).
* **Retries.** A network error (refused, reset, timed out, cut short), a 5xx answer or a 429
  is tried again, at most ``retries`` times, after ``backoff * 2**n`` seconds (n = 0, 1, ...),
  or after the seconds a 503/429 asks for in ``Retry-After`` (seconds or an HTTP date).
  A ``Retry-After`` longer than ``max_wait`` is not waited for: the harvest stops and says
  when to come back. Any other 4xx is not retried.
* **One error.** When the retries are spent the client raises ``HarvestError`` naming the
  URL, the last failure and the number of attempts.

Time is injected (``sleep``, ``clock``) so tests check the waits without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib.metadata import PackageNotFoundError, version

import httpx

from papersift.errors import HarvestError

#: Called before each wait: (seconds, why).
WaitCallback = Callable[[float, str], None]


def _user_agent() -> str:
    try:
        ours = version("papersift")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        ours = "dev"
    return f"papersift/{ours} (self-hosted paper recommender; OAI-PMH harvester)"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A successful answer: its final URL (after redirects), body and text."""

    url: str
    content: bytes
    text: str


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header: ``"120"`` or an HTTP date; None if absent or
    unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class PoliteClient:
    """GET with spacing and retries; one instance per harvest (it remembers the last request)."""

    def __init__(
        self,
        *,
        delay: float = 3.0,
        retries: int = 5,
        backoff: float = 2.0,
        max_wait: float = 600.0,
        timeout: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_wait: WaitCallback | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.delay = delay
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.on_wait = on_wait
        self.requests = 0  # requests sent, retries included
        self._last_done: float | None = None
        self._http = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, 30.0)),
            follow_redirects=True,
            headers={"User-Agent": _user_agent()},
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, params: Mapping[str, str] | None = None) -> Fetched:
        """The answer to a GET, retried as the module says; ``HarvestError`` when it fails."""
        shown = str(httpx.URL(url, params=params)) if params else url
        failure, asked = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                wait = asked if asked is not None else self.backoff * 2 ** (attempt - 1)
                self._wait(wait, f"{failure}; attempt {attempt + 1} of {self.retries + 1}")
            self._space()
            try:
                response = self._http.get(url, params=params)
            except httpx.TransportError as exc:
                failure, asked = _describe(exc), None
                continue
            finally:
                self._last_done = self.clock()
            if response.is_success:
                return Fetched(str(response.url), response.content, response.text)
            failure = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            if not _retryable(response.status_code):
                raise HarvestError(f"{shown}: {failure}")
            asked = retry_after(response.headers.get("Retry-After"))
            if asked is not None and asked > self.max_wait:
                raise HarvestError(
                    f"{shown}: {failure}, and the server asks to wait {asked:.0f} s; "
                    "run again later (the harvest resumes where it stopped)"
                )
        raise HarvestError(
            f"{shown}: {failure} ({self.retries + 1} attempts); "
            "run again later: the harvest resumes where it stopped"
        )

    def _space(self) -> None:
        """Wait until ``delay`` seconds have passed since the previous request ended."""
        if self._last_done is not None:
            remaining = self.delay - (self.clock() - self._last_done)
            if remaining > 0:
                self._wait(remaining, "spacing requests")
        self.requests += 1

    def _wait(self, seconds: float, why: str) -> None:
        if seconds <= 0:
            return
        if self.on_wait:
            self.on_wait(seconds, why)
        self.sleep(seconds)


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _describe(exc: httpx.TransportError) -> str:
    kind = {
        httpx.ConnectError: "cannot connect",
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "no answer in time",
        httpx.RemoteProtocolError: "the connection broke off",
    }.get(type(exc), type(exc).__name__)
    detail = str(exc)
    return f"{kind} ({detail})" if detail else kind
