"""One day of Hugging Face Daily Papers from its JSON API (``/api/daily_papers?date=``).

The answer is a JSON list, one object per paper of the day::

    {"paper": {"id": "2509.04664",                    # the arXiv id
               "title": "...", "summary": "...",       # the arXiv title and abstract
               "authors": [{"_id": "...", "name": "Adam Tauman Kalai", "hidden": false}],
               "publishedAt": "2025-09-04T21:26:31.000Z",
               "submittedOnDailyAt": "2025-09-08T02:44:20.973Z",
               "upvotes": 26, "organization": {"name": "openai", "fullname": "OpenAI"}, ...},
     "publishedAt": "...", "title": "...", "summary": "...", "numComments": 7, ...}

Each becomes a Record: the arXiv id, title, full abstract, every author, the arXiv date,
the upvotes and the organisation. Its locator (``2509.04664 on 2025-09-08``) is the same
every time the day is read, so a later reading with more upvotes replaces the record of the
earlier one. An entry without an arXiv id or a title is Skipped; an answer that is not a
JSON list raises ``ParseError`` naming the URL (and the line, for JSON that does not parse).
"""

from __future__ import annotations

from typing import Any

import orjson

from papersift.errors import ParseError
from papersift.ingest.normalize import clean_text, normalize_arxiv_id, parse_date
from papersift.models import ParseItem, Record, Skipped

FORMAT_NAME = "hf-api"
PAPER_PAGE = "https://huggingface.co/papers/"


def _field(entry: dict[str, Any], paper: dict[str, Any], key: str) -> Any:
    """The paper's value, else the entry's (the API repeats some fields on both)."""
    value = paper.get(key)
    return entry.get(key) if value is None else value


def _text(value: Any) -> str | None:
    return clean_text(value) if isinstance(value, str) else None


def _authors(paper: dict[str, Any]) -> list[str]:
    authors = paper.get("authors")
    if not isinstance(authors, list):
        return []
    names = (_text(a.get("name")) if isinstance(a, dict) else _text(a) for a in authors)
    return [name for name in names if name]


def _organization(entry: dict[str, Any], paper: dict[str, Any]) -> list[str]:
    org = _field(entry, paper, "organization")
    if isinstance(org, dict):
        name = _text(org.get("fullname")) or _text(org.get("name"))
        return [name] if name else []
    return []


def _upvotes(entry: dict[str, Any], paper: dict[str, Any]) -> int | None:
    value = _field(entry, paper, "upvotes")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _record(entry: Any, number: int, day: str) -> ParseItem:
    where = f"entry {number} of {day}"
    if not isinstance(entry, dict) or not isinstance(entry.get("paper"), dict):
        return Skipped(where, "not a paper object")
    paper: dict[str, Any] = entry["paper"]
    arxiv_id = normalize_arxiv_id(_text(paper.get("id")))
    if not arxiv_id:
        return Skipped(where, f"no arXiv id ({paper.get('id')!r})")
    title = _text(_field(entry, paper, "title"))
    if not title:
        return Skipped(where, "no title")
    return Record(
        title=title,
        abstract=_text(_field(entry, paper, "summary")),
        authors=_authors(paper),
        date=parse_date(_text(paper.get("publishedAt"))),
        arxiv_id=arxiv_id,
        upvotes=_upvotes(entry, paper),
        organizations=_organization(entry, paper),
        url=PAPER_PAGE + arxiv_id,
        locator=f"{arxiv_id} on {day}",
        extra={"hf_day": day},
    )


def parse_day(text: str | bytes, url: str, day: str) -> list[ParseItem]:
    """The papers of one day's API answer; ``url`` names it in errors."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(url, exc.lineno, f"not JSON: {exc.msg}") from exc
    if isinstance(data, dict) and "error" in data:
        raise ParseError(url, None, f"the API answered with an error: {data['error']}")
    if not isinstance(data, list):
        raise ParseError(url, None, f"expected a JSON list of papers, not {type(data).__name__}")
    return [_record(entry, number, day) for number, entry in enumerate(data, start=1)]
