"""A reader's list of abstracts: a name on the first line, then one "Abstract:" per paper.

An abstract may run over several lines; it ends where the next "Abstract:" starts. The
papers have no titles: deduplication matches them to titled papers by their abstract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from papersift.ingest.formats import FormatSpec
from papersift.ingest.normalize import clean_text
from papersift.models import ParseItem, Record, Skipped

_MARKER = re.compile(r"^\s*abstract\s*[:.\-–—]\s*", re.IGNORECASE)


def _record(start: int, parts: list[str], listed_by: str | None) -> ParseItem:
    text = clean_text(" ".join(parts))
    if not text:
        return Skipped(f"line {start}", "empty abstract", start)
    extra: dict[str, object] = {"listed_by": listed_by} if listed_by else {}
    return Record(abstract=text, locator=f"line {start}", extra=extra)


def parse(stream: TextIO, filename: str) -> Iterator[ParseItem]:
    listed_by: str | None = None
    start = 0
    parts: list[str] = []
    for number, raw in enumerate(stream, start=1):
        line = raw.strip()
        if not line:
            continue
        if m := _MARKER.match(line):
            if start:
                yield _record(start, parts, listed_by)
            start, parts = number, [line[m.end() :]]
        elif start:
            parts.append(line)
        elif listed_by is None:
            listed_by = line
        else:
            yield Skipped(f"line {number}", "text before the first 'Abstract:'", number)
    if start:
        yield _record(start, parts, listed_by)


def sniff(head: str, filename: str) -> bool:
    lines = [line for line in head.splitlines() if line.strip()][:50]
    marked = sum(1 for line in lines if _MARKER.match(line))
    return marked >= 1 and marked >= (len(lines) - 1) // 2


FORMAT = FormatSpec(
    name="abstracts",
    description="a list of 'Abstract:' paragraphs, optionally headed by the reader's name",
    parse=parse,
    sniff=sniff,
    extensions=(".txt",),
)
