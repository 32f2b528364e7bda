"""Personal and lab publication pages copied as text.

Each paper is a block of lines::

    CLFeb 9, 2023Code                      category code glued to a date, optional "Code" badge
    Some TitleFirst Author, Second Author et al. · org1, org2
    The abstract, on one line (may be absent).

The title is glued to the author list; :func:`split_title_authors` finds the join by looking
for the earliest point after which the rest of the line reads as a list of person names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TextIO

from papersift.ingest.formats import FormatSpec
from papersift.ingest.names import looks_like_person_name
from papersift.ingest.normalize import clean_text, parse_date
from papersift.models import ParseItem, Record, Skipped

HEADER = re.compile(
    r"^(?P<cat>[A-Z]{2,5})(?P<date>[A-Z][a-z]{2,8}\.? \d{1,2}, \d{4})(?P<code>Code)?\s*$"
)
_ET_AL = re.compile(r"\s*,?\s*et al\.?\s*$")
#: The two-letter codes these pages show, as arXiv categories; other codes are kept as they are.
ARXIV_CATEGORIES = {
    "AI": "cs.AI", "CL": "cs.CL", "CV": "cs.CV", "CR": "cs.CR", "DC": "cs.DC", "HC": "cs.HC",
    "IR": "cs.IR", "LG": "cs.LG", "MA": "cs.MA", "NE": "cs.NE", "RO": "cs.RO", "SD": "cs.SD",
    "ML": "stat.ML", "ME": "stat.ME", "AP": "stat.AP", "CO": "stat.CO", "ST": "math.ST",
    "OC": "math.OC", "IT": "cs.IT", "SY": "eess.SY", "AS": "eess.AS", "IV": "eess.IV",
}  # fmt: skip


def split_title_authors(line: str) -> tuple[str, list[str], bool, list[str]] | None:
    """'TitleAda Lovelace, Alan Turing et al. · org' -> (title, authors, truncated, orgs).

    Returns None when no split point leaves a list of person names behind it.
    """
    orgs: list[str] = []
    if " · " in line:
        line, _, org_text = line.rpartition(" · ")
        orgs = [o for part in org_text.split(",") if (o := part.strip())]
    truncated = bool(_ET_AL.search(line))
    line = _ET_AL.sub("", line).rstrip()
    for i in range(1, len(line)):
        if not line[i].isupper() or line[i - 1].isspace():
            continue
        title, rest = line[:i].strip(), line[i:]
        authors = [a.strip() for a in rest.split(",")]
        if title and all(looks_like_person_name(a) for a in authors):
            return title, authors, truncated, orgs
    return None


def _paper(header: re.Match[str], head_line: int, body: list[tuple[int, str]]) -> ParseItem:
    if not body:
        return Skipped(f"line {head_line}", "entry has no title line", head_line)
    title_line_no, title_line = body[0]
    split = split_title_authors(title_line)
    if split is None:
        reason = "cannot tell the title from the author list"
        return Skipped(f"line {title_line_no}", reason, title_line_no)
    title, authors, truncated, orgs = split
    abstract = clean_text(" ".join(text for _, text in body[1:]))
    extra: dict[str, object] = {"category_code": header["cat"]}
    if header["code"]:
        extra["has_code"] = True
    return Record(
        title=clean_text(title),
        abstract=abstract,
        authors=authors,
        authors_truncated=truncated,
        date=parse_date(header["date"]),
        categories=[ARXIV_CATEGORIES.get(header["cat"], header["cat"])],
        organizations=orgs,
        locator=f"line {head_line}",
        extra=extra,
    )


def parse(stream: TextIO, filename: str) -> Iterator[ParseItem]:
    header: re.Match[str] | None = None
    head_line = 0
    body: list[tuple[int, str]] = []
    for number, raw in enumerate(stream, start=1):
        line = raw.strip()
        if not line:
            continue
        if m := HEADER.match(line):
            if header is not None:
                yield _paper(header, head_line, body)
            header, head_line, body = m, number, []
        elif header is None:
            yield Skipped(f"line {number}", "text before the first paper header", number)
        else:
            body.append((number, line))
    if header is not None:
        yield _paper(header, head_line, body)


def sniff(head: str, filename: str) -> bool:
    lines = [line.strip() for line in head.splitlines() if line.strip()][:40]
    return bool(lines) and HEADER.match(lines[0]) is not None


FORMAT = FormatSpec(
    name="pubpage",
    description="publication page text: category+date line, title glued to authors, abstract",
    parse=parse,
    sniff=sniff,
    extensions=(".txt",),
)
