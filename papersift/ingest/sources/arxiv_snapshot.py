"""The Kaggle arXiv metadata snapshot (``arxiv-metadata-oai-snapshot.json``): JSON lines.

Each line is one paper::

    {"id": "0704.0001", "authors": "C. Bal\\'azs, E. L. Berger", "title": "...",
     "journal-ref": "...", "doi": "...", "categories": "hep-ph", "abstract": "...",
     "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
     "update_date": "2008-11-13", "authors_parsed": [["Balázs", "C.", ""], ...]}

This is the ingest hot path (the dump has millions of lines): the file is read line by line,
each line decoded with orjson, and only cheap work is done per field. LaTeX in names is kept
as the dump has it; deduplication deals with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from datetime import date
from typing import Any, TextIO

import orjson

from papersift.ingest.formats import FormatSpec
from papersift.ingest.latex import person_name
from papersift.ingest.normalize import (
    clean_text,
    json_lines,
    month_number,
    normalize_arxiv_id,
    normalize_doi,
    parse_date,
    split_names,
)
from papersift.models import ParseItem, Record, Skipped

_PAREN = re.compile(r"\([^()]*\)")
_AND = re.compile(r",?\s+and\s+|\s*&\s*")
_ET_AL = re.compile(r"\bet\.?\s*al\b\.?", re.IGNORECASE)
# "Mon, 2 Apr 2007 19:18:42 GMT": the spelling of every version date in the dump.
_RFC2822 = re.compile(r"^[A-Za-z]{3}, (\d{1,2}) ([A-Za-z]{3}) (\d{4})\b")
_SNIFF_KEYS = ("authors_parsed", "versions", "update_date")
_EXTRA = (("comments", "comments"), ("update_date", "updated"), ("report-no", "report_no"))


def split_author_list(text: str | None) -> tuple[list[str], bool]:
    """'A. Smith, B. Jones and C. Lee et al.' -> (['A. Smith', 'B. Jones', 'C. Lee'], True).

    Parenthesised affiliations ('A. Smith (MIT)', '((1) MIT, (2) CERN)') are dropped, so
    their commas do not split names. The flag is True when the list ends in "et al.".
    """
    if not text:
        return [], False
    while (stripped := _PAREN.sub(" ", text)) != text:
        text = stripped
    truncated = False
    names: list[str] = []
    for name in split_names(_AND.sub(",", text)):
        if _ET_AL.search(name):
            truncated = True
            name = clean_text(_ET_AL.sub(" ", name)) or ""
        if decoded := person_name(name):
            names.append(decoded)
    return names, truncated


def _parsed_authors(parsed: list[Any]) -> tuple[list[str], list[str]]:
    """[[keyname, forenames, suffix, affiliation...], ...] -> (names, organizations)."""
    names: list[str] = []
    organizations: dict[str, None] = {}
    for item in parsed:
        if not isinstance(item, list):
            continue
        fields = [p if isinstance(p, str) else "" for p in item[:3]] + ["", "", ""]
        key, fore, suffix = fields[:3]
        if name := person_name(f"{fore} {key} {suffix}"):
            names.append(name)
        for affiliation in item[3:]:
            if isinstance(affiliation, str) and (org := clean_text(affiliation)):
                organizations[org] = None
    return names, list(organizations)


def _first_version_date(versions: Any) -> str | None:
    if not isinstance(versions, list):
        return None
    dated = [v for v in versions if isinstance(v, dict)]
    first = next((v for v in dated if v.get("version") == "v1"), dated[0] if dated else None)
    created = first.get("created") if first else None
    if not isinstance(created, str):
        return None
    if m := _RFC2822.match(created):  # fast path: strptime would dominate the parse time
        month = month_number(m.group(2))
        with suppress(ValueError):
            return date(int(m.group(3)), month or 0, int(m.group(1))).isoformat()
    return parse_date(created)


def _str(value: Any) -> str | None:
    return clean_text(value) if isinstance(value, str) else None


def _record(data: dict[str, Any], number: int) -> ParseItem:
    locator = f"line {number}"
    paper_id, title = _str(data.get("id")), _str(data.get("title"))
    if not paper_id:
        return Skipped(locator, "no id", number)
    if not title:
        return Skipped(locator, "no title", number)
    parsed = data.get("authors_parsed")
    organizations: list[str] = []
    truncated = False
    if isinstance(parsed, list) and parsed:
        authors, organizations = _parsed_authors(parsed)
    else:
        authors, truncated = split_author_list(_str(data.get("authors")))
    arxiv_id = normalize_arxiv_id(paper_id)
    record = Record(
        title=title,
        abstract=_str(data.get("abstract")),
        authors=authors,
        authors_truncated=truncated,
        date=_first_version_date(data.get("versions")),
        arxiv_id=arxiv_id,
        doi=normalize_doi(_str(data.get("doi"))),
        categories=(_str(data.get("categories")) or "").split(),
        organizations=organizations,
        url=f"https://arxiv.org/abs/{arxiv_id or paper_id}",
        venue=_str(data.get("journal-ref")),
        locator=locator,
    )
    _add_extra(record, data)
    return record


def _add_extra(record: Record, data: dict[str, Any]) -> None:
    for key, name in _EXTRA:
        if value := _str(data.get(key)):
            record.extra[name] = value


def parse(stream: TextIO, filename: str) -> Iterator[ParseItem]:
    for item in json_lines(enumerate(stream, start=1)):
        if isinstance(item, Skipped):
            yield item
            continue
        number, data = item
        if not isinstance(data, dict):
            yield Skipped(f"line {number}", "not a JSON object", number)
            continue
        yield _record(data, number)


def sniff(head: str, filename: str) -> bool:
    first = next((line for line in head.splitlines() if line.strip()), None)
    if first is None:
        return False
    try:
        data = orjson.loads(first)
    except orjson.JSONDecodeError:
        return False
    return isinstance(data, dict) and "id" in data and any(k in data for k in _SNIFF_KEYS)


FORMAT = FormatSpec(
    name="arxiv-snapshot",
    description="Kaggle arXiv metadata snapshot (arxiv-metadata-oai-snapshot.json, JSON lines)",
    parse=parse,
    sniff=sniff,
    extensions=(".json", ".jsonl"),
)
