"""Hugging Face Daily Papers pages copied as text.

After some page furniture ("Get trending papers in your email inbox!", the page date), each
paper is a title line, usually an abstract line (which can be cut short or missing), and an
optional meta block::

      • 4 authors          (or an organisation line such as "deepmind Deepmind")
    ·
    Sep 24, 2023 12        (date, the year is left out for the current year; then upvotes)

A date without a year is kept as text in ``extra["date_text"]``: guessing the year would
invent data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from papersift.ingest.formats import FormatSpec
from papersift.ingest.normalize import clean_text, parse_date
from papersift.models import ParseItem, Record, Skipped

_FURNITURE = frozenset(
    {
        "new",
        "get trending papers in your email inbox!",
        "subscribe",
        "daily papers",
        "byak and the research community",
    }
)
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DATE = re.compile(rf"^(?P<md>{_MONTH} \d{{1,2}})(?:, (?P<year>\d{{4}}))?(?: (?P<votes>\d+))?$")
_AUTHORS = re.compile(r"^[•·*\-]?\s*(?P<n>\d+) authors?$")
_DOT = "·"
_SENTENCE = re.compile(r"[.!?][)\"']?\s+[A-Z(]")


@dataclass
class _Entry:
    line: int
    title: str
    abstract: str | None = None
    meta: list[str] = field(default_factory=list)


def _is_abstract(text: str) -> bool:
    """A paragraph, not a title: long, or several sentences, or a sentence cut short."""
    if len(text) >= 250 or text.endswith(("…", "...")):
        return True
    return len(text) >= 100 and (text.endswith(".") or _SENTENCE.search(text) is not None)


def _apply_meta(record: Record, meta: list[str]) -> None:
    for item in meta:
        if m := _AUTHORS.match(item):
            record.n_authors = int(m["n"])
        elif m := _DATE.match(item):
            if m["votes"]:
                record.upvotes = int(m["votes"])
            if m["year"]:
                record.date = parse_date(f"{m['md']}, {m['year']}")
            else:
                record.extra["date_text"] = m["md"]
        elif item != _DOT:
            slug, _, name = item.partition(" ")
            same = name and name.replace(" ", "").lower() == slug.lower()
            record.organizations.append(name if same else item)


def _record(entry: _Entry, page_date: str | None) -> ParseItem:
    if len(entry.title) > 400:
        return Skipped(f"line {entry.line}", "a paragraph where a title was expected", entry.line)
    abstract = entry.abstract
    truncated = bool(abstract and abstract.endswith(("…", "...")))
    if abstract and truncated:
        abstract = abstract.rstrip("….").rstrip()
    record = Record(
        title=entry.title,
        abstract=abstract,
        abstract_truncated=truncated,
        locator=f"line {entry.line}",
        extra={"page_date": page_date} if page_date else {},
    )
    _apply_meta(record, entry.meta)
    return record


def _meaningful_lines(stream: TextIO) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(stream, start=1):
        line = clean_text(raw)
        if line and line.lower() not in _FURNITURE:
            yield number, line


def parse(stream: TextIO, filename: str) -> Iterator[ParseItem]:
    # A page is small (a day of papers), so it is read whole: an organisation line is only
    # known to be metadata by the "·" line that follows it.
    lines = list(_meaningful_lines(stream))
    page_date: str | None = None
    entry: _Entry | None = None
    in_meta = False
    for i, (number, line) in enumerate(lines):
        next_is_dot = i + 1 < len(lines) and lines[i + 1][1] == _DOT
        if entry is None and page_date is None and _DATE.match(line):
            page_date = line
        elif entry is not None and (in_meta or next_is_dot or _AUTHORS.match(line)):
            entry.meta.append(line)
            in_meta = not _DATE.match(line)
        elif entry is not None and entry.abstract is None and not entry.meta and _is_abstract(line):
            entry.abstract = line
        else:
            if entry is not None:
                yield _record(entry, page_date)
            entry, in_meta = _Entry(number, line), False
    if entry is not None:
        yield _record(entry, page_date)


def sniff(head: str, filename: str) -> bool:
    lowered = head.lower()
    return "byak and the research community" in lowered or (
        "daily papers" in lowered and "trending papers" in lowered
    )


FORMAT = FormatSpec(
    name="hf-daily",
    description="Hugging Face Daily Papers page text: titles, abstracts, authors, upvotes",
    parse=parse,
    sniff=sniff,
    extensions=(".txt",),
)
