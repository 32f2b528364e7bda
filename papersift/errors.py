"""Domain errors. Raised in the core, turned into exit codes or HTTP statuses at the edges."""

from __future__ import annotations


class PapersiftError(Exception):
    """Base class for every error a user can cause; the CLI prints its message, no traceback."""

    exit_code = 1


class ParseError(PapersiftError):
    """A file (or one entry of it) could not be read; names the file and the line."""

    exit_code = 2

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, int | None, str]]:
        # Crosses process boundaries (parsing runs in a worker for big files).
        return (ParseError, (self.path, self.line, self.message))


class UnknownFormatError(PapersiftError):
    """The format of a file could not be detected, or an unknown --format was given."""

    exit_code = 2


class UsageError(PapersiftError):
    """Options that do not fit together or do not fit the input."""

    exit_code = 2


class NotFoundError(PapersiftError):
    """An id (paper, reader, ...) that is not in the library."""

    exit_code = 3


class StoreError(PapersiftError):
    """The database could not be opened or written (bad path, full disk, newer schema)."""

    exit_code = 4


class BusyError(StoreError):
    """Another writer held the library for longer than this one would wait: nothing was
    written, and trying again later is safe (the web answers 503 with ``Retry-After``)."""

    http_status = 503
    retry_after = 5  # seconds

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OaiProtocolError(ParseError):
    """An OAI-PMH server answered with an ``<error>`` (``badResumptionToken``, ``badArgument``,
    ...); ``code`` is the OAI error code."""

    def __init__(self, path: str, line: int | None, code: str, message: str) -> None:
        self.code = code
        super().__init__(path, line, f"OAI-PMH error {code}: {message}")
        self.message = message

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, int | None, str]]:
        return (ParseError, (self.path, self.line, f"OAI-PMH error {self.code}: {self.message}"))


class HarvestError(PapersiftError):
    """A live source could not be reached, or kept failing after the retries; what was
    harvested before is kept and the next run resumes from there."""

    exit_code = 6
