"""Reading the replay evaluation's two JSON-lines files (plain or gzipped): papers and
ratings, checked line by line (a bad line is a ``ParseError`` naming the file and the line).
The formats are described in ``papersift.evaluate``."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from io import BufferedReader
from pathlib import Path
from typing import Any

import orjson

from papersift.errors import ParseError

EPOCH = datetime(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class PaperRow:
    id: str
    title: str
    abstract: str
    date: datetime | None
    upvotes: int | None  # None: the file gives none (no popularity prior for it)


@dataclass(frozen=True, slots=True)
class Rating:
    user: str
    paper: int  # index into the library
    label: int
    time: datetime | None  # None: the rating file has no time for it
    line: int = 0  # in the ratings file: orders untimed ratings


def _open(path: Path) -> gzip.GzipFile | BufferedReader:
    """The file's bytes, decompressed when it is gzip (by its magic number, not its name)."""
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(path, "rb")
    return path.open("rb")


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of every non-blank line; a line that is no object fails."""
    try:
        with _open(path) as f:
            for number, raw in enumerate(f, start=1):
                if not raw.strip():
                    continue
                try:
                    item = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    raise ParseError(str(path), number, f"not JSON: {exc}") from exc
                if not isinstance(item, dict):
                    raise ParseError(str(path), number, "expected a JSON object")
                yield number, item
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        reason = getattr(exc, "strerror", None) or exc
        raise ParseError(str(path), None, f"cannot read: {reason}") from exc


def parse_time(value: object) -> datetime:
    """An ISO date or datetime as a naive UTC datetime (a date is its midnight)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected an ISO date or datetime, got {value!r}")
    text = value.strip()
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), time())
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _text_field(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f'"{key}" must be a string')
    return value


def _paper(item: dict[str, Any]) -> PaperRow:
    pid = item.get("id")
    if not isinstance(pid, str | int) or isinstance(pid, bool) or str(pid) == "":
        raise ValueError('"id" must be a non-empty string or a number')
    title, abstract = _text_field(item, "title"), _text_field(item, "abstract")
    if not (title.strip() or abstract.strip()):
        raise ValueError("a paper needs a title or an abstract")
    when = parse_time(item["date"]) if item.get("date") else None
    upvotes = item.get("upvotes")
    if upvotes is not None and (not isinstance(upvotes, int | float) or isinstance(upvotes, bool)):
        raise ValueError('"upvotes" must be a number')
    return PaperRow(str(pid), title, abstract, when, None if upvotes is None else int(upvotes))


def read_papers(path: Path) -> list[PaperRow]:
    """The papers of a papers.jsonl file, in file order; ids must be unique."""
    papers: list[PaperRow] = []
    seen: set[str] = set()
    for number, item in _lines(path):
        try:
            paper = _paper(item)
        except (ValueError, KeyError, TypeError) as exc:
            raise ParseError(str(path), number, f"not a paper: {exc}") from exc
        if paper.id in seen:
            raise ParseError(str(path), number, f"paper id {paper.id!r} appears twice")
        seen.add(paper.id)
        papers.append(paper)
    if not papers:
        raise ParseError(str(path), None, "no papers in the file")
    return papers


def _rating(item: dict[str, Any]) -> tuple[str, str, int, datetime | None]:
    user, paper, label = item.get("user"), item.get("paper"), item.get("label")
    if not isinstance(user, str | int) or isinstance(user, bool) or str(user) == "":
        raise ValueError('"user" must be a non-empty string or a number')
    if not isinstance(paper, str | int) or isinstance(paper, bool):
        raise ValueError('"paper" must be a string or a number')
    if label not in (1, -1) or isinstance(label, bool):
        raise ValueError(f'"label" must be 1 or -1, got {label!r}')
    when = item.get("time")
    return str(user), str(paper), int(label), None if when is None else parse_time(when)


def _later(old: Rating, new: Rating) -> bool:
    """Whether ``new`` replaces ``old``: it is later in time, or in the file when either
    has no time."""
    if old.time is None or new.time is None:
        return True  # read in file order: the new one is further down
    return old.time <= new.time


def read_ratings(path: Path, index: Mapping[str, int]) -> tuple[list[Rating], int]:
    """Ratings of known papers (the later one when a paper is rated twice) and how many
    ratings named an unknown paper; sorted by reader, then time (untimed: file order)."""
    latest: dict[tuple[str, int], Rating] = {}
    unknown = 0
    for number, item in _lines(path):
        try:
            user, paper, label, when = _rating(item)
        except (ValueError, KeyError, TypeError) as exc:
            raise ParseError(str(path), number, f"not a rating: {exc}") from exc
        if paper not in index:
            unknown += 1
            continue
        rating = Rating(user, index[paper], label, when, number)
        old = latest.get((user, rating.paper))
        if old is None or _later(old, rating):
            latest[(user, rating.paper)] = rating
    return sorted(latest.values(), key=_rating_order), unknown


def _rating_order(r: Rating) -> tuple[str, datetime, int]:
    return r.user, r.time or EPOCH, r.line
