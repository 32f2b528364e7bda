"""Generic JSON lists of papers: JSON Lines, a JSON array, or an object holding the array.

Three shapes are read:

* JSON Lines (one object per line), which is what ``papersift papers list --format json``
  prints; it is streamed line by line, a line that is not valid JSON is Skipped with its
  line number and blank lines are ignored. A ``.jsonl``/``.ndjson`` file, or a file whose first
  non-blank line is a whole JSON object, is read this way;
* a JSON array of objects (``[{...}, {...}]``), whose records are located by their line;
* an object with the list under "papers", "items", "records", "data" (Semantic Scholar) or
  "results" (OpenAlex).

An array or an object is one JSON document, which cannot be parsed in pieces: it is read
whole, and one that does not parse raises ``ParseError`` with the line of the error.

Keys are matched to Record fields like CSV headers: ``tabular.COLUMN_ALIASES``, ignoring case
and punctuation, or ``parse(..., columns={"title": "name"})``. Besides: "authors" may be a
string ("A. One, B. Two" or "One, A.; Two, B."), a list of strings, or a list of objects with
"name" (or CSL-JSON "given"/"family"); a CSL-JSON "issued" date ({"date-parts": [[2021, 3]]})
is read; "id" is the arXiv id when it looks like one (our export's "id" is the library's own
number, and is ignored); "sources" is ignored; our export's "authors_truncated",
"abstract_truncated", "n_authors" and "organizations" are kept. Objects with neither a title
nor an abstract, and values that are not objects, are Skipped. Semantic Scholar and OpenAlex
works are read with their nested ids, venues and authors (see ``scholarly_json``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TextIO

import orjson

from papersift.errors import ParseError
from papersift.ingest.formats import FormatSpec
from papersift.ingest.normalize import clean_text, json_lines
from papersift.ingest.sources.scholarly_json import scholarly_fields, unwrap_work
from papersift.ingest.sources.tabular import (
    FieldValue,
    check_columns,
    match_columns,
    record_from_fields,
)
from papersift.models import ParseItem, Record, Skipped

_CONTAINERS = ("papers", "items", "records", "data", "results")
_JSONL_EXTENSIONS = (".jsonl", ".ndjson")
_ARXIV_ID = re.compile(
    r"^(?:arxiv:)?(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?$", re.IGNORECASE
)
_WS = re.compile(r"[ \t\r\n]+")

#: One JSON object -> its values keyed by Record field.
ToFields = Callable[[Mapping[str, Any]], dict[str, FieldValue]]


def _name(value: Any) -> str | None:
    """'A. One', {"name": "A. One"}, {"given": "A.", "family": "One"} -> 'A. One'."""
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return None
    if isinstance(name := value.get("name") or value.get("literal"), str):
        return name
    parts = [value.get(k) for k in ("given", "family")]
    return clean_text(" ".join(p for p in parts if isinstance(p, str)))


def _date_parts(value: Mapping[str, Any]) -> str | None:
    """CSL-JSON {"date-parts": [[2021, 3, 15]]} -> '2021-03-15'."""
    parts = value.get("date-parts")
    first = parts[0] if isinstance(parts, list) and parts else None
    if not isinstance(first, list) or not all(isinstance(p, int | str) for p in first):
        return None
    numbers = [int(p) for p in first if str(p).isdigit()]
    return "-".join([f"{numbers[0]:04d}", *(f"{n:02d}" for n in numbers[1:3])]) if numbers else None


def _value(value: Any) -> FieldValue | None:
    """A JSON value as text (numbers too), or a list of texts; None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [n for item in value if (n := _name(item))]
    if isinstance(value, dict):
        return _date_parts(value) or _name(value)
    return None


def _mapper(columns: Mapping[str, str] | None) -> ToFields:
    """Field values of an object; the key matching is cached per set of keys."""
    cache: dict[tuple[str, ...], dict[str, str]] = {}

    def to_fields(obj: Mapping[str, Any]) -> dict[str, FieldValue]:
        keys = tuple(obj)
        if (mapping := cache.get(keys)) is None:
            mapping = cache[keys] = match_columns(keys, columns)
        values = {f: v for f, key in mapping.items() if (v := _value(obj[key])) is not None}
        for field, value in scholarly_fields(obj).items():
            if not values.get(field):  # Semantic Scholar's "venue" is often ""
                values[field] = value
        paper_id = obj.get("id")
        if "arxiv_id" not in values and isinstance(paper_id, str) and _ARXIV_ID.match(paper_id):
            values["arxiv_id"] = paper_id
        return values

    return to_fields


def _add_export_fields(record: Record, obj: Mapping[str, Any]) -> None:
    """The fields of our own export that have no CSV column."""
    record.authors_truncated = record.authors_truncated or obj.get("authors_truncated") is True
    record.abstract_truncated = obj.get("abstract_truncated") is True
    n_authors = obj.get("n_authors")
    if isinstance(n_authors, int) and not isinstance(n_authors, bool):
        record.n_authors = n_authors
    organizations = obj.get("organizations")
    if isinstance(organizations, list):
        record.organizations = [o for item in organizations if (o := clean_text(_name(item)))]


def _item(value: Any, locator: str, line: int | None, to_fields: ToFields) -> ParseItem:
    if not isinstance(value, dict):
        return Skipped(locator, "not a JSON object", line)
    value = unwrap_work(value)
    item = record_from_fields(to_fields(value), locator, line)
    if isinstance(item, Record):
        _add_export_fields(item, value)
    return item


def _container(value: Any) -> list[Any] | None:
    """The list of an object like {"papers": [...]} (that is not itself a paper)."""
    if not isinstance(value, dict) or "title" in value or "abstract" in value:
        return None
    return next((v for k in _CONTAINERS if isinstance(v := value.get(k), list)), None)


def _json_lines(lines: Iterable[tuple[int, str]], to_fields: ToFields) -> Iterator[ParseItem]:
    for item in json_lines(lines):
        if isinstance(item, Skipped):
            yield item
            continue
        number, value = item
        if (inner := _container(value)) is None:
            yield _item(value, f"line {number}", number, to_fields)
            continue
        for i, obj in enumerate(inner, start=1):
            yield _item(obj, f"line {number}, record {i}", number, to_fields)


def _skip_ws(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _array_elements(text: str, filename: str) -> Iterator[tuple[Any, int]]:
    """The elements of a top-level JSON array with the line each starts on."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, text.index("[") + 1)
    line, counted = 1, 0
    while not text.startswith("]", pos):
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise ParseError(filename, exc.lineno, f"not valid JSON: {exc.msg}") from exc
        except RecursionError as exc:  # the stdlib decoder recurses per level (5,000 deep)
            where = _line_at(text, pos)
            raise ParseError(filename, where, "not valid JSON: nested too deeply") from exc
        line, counted = line + text.count("\n", counted, pos), pos
        yield value, line
        pos = _skip_ws(text, end)
        if text.startswith(",", pos):
            pos = _skip_ws(text, pos + 1)
            if text.startswith("]", pos):
                raise ParseError(filename, _line_at(text, pos), "not valid JSON: trailing comma")
        elif not text.startswith("]", pos):
            raise ParseError(filename, _line_at(text, pos), "not valid JSON: expected ',' or ']'")
    if (rest := _skip_ws(text, pos + 1)) < len(text):
        raise ParseError(filename, _line_at(text, rest), "not valid JSON: text after the array")


def _document(text: str, filename: str, to_fields: ToFields) -> Iterator[ParseItem]:
    if text.lstrip().startswith("["):
        for i, (value, line) in enumerate(_array_elements(text, filename), start=1):
            yield _item(value, f"record {i} (line {line})", line, to_fields)
        return
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(filename, _line_at(text, exc.pos), f"not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ParseError(filename, 1, "expected a JSON array of objects, or an object")
    inner = _container(value)
    if inner is None:
        yield _item(value, "record 1", None, to_fields)
        return
    for i, obj in enumerate(inner, start=1):
        yield _item(obj, f"record {i}", None, to_fields)


def _is_object(line: str) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def parse(
    stream: TextIO, filename: str, columns: Mapping[str, str] | None = None
) -> Iterator[ParseItem]:
    """JSON Lines (streamed) or one JSON document (read whole); see the module docstring."""
    check_columns(columns, filename)
    to_fields = _mapper(columns)
    lines = enumerate(stream, start=1)
    head: list[str] = []  # the blank lines before the first line, for a document's positions
    first: tuple[int, str] | None = None
    for number, line in lines:
        if line.strip():
            first = (number, line)
            break
        head.append(line)
    if first is None:
        return
    if filename.lower().endswith(_JSONL_EXTENSIONS) or _is_object(first[1]):
        yield from _json_lines(itertools.chain([first], lines), to_fields)
    else:
        yield from _document("".join([*head, first[1]]) + stream.read(), filename, to_fields)


def sniff(head: str, filename: str) -> bool:
    return head.lstrip()[:1] in ("{", "[")


FORMAT = FormatSpec(
    name="json",
    description="JSON array of paper objects, or JSON Lines (our own `papers list` export)",
    parse=parse,
    sniff=sniff,
    extensions=(".json", ".jsonl", ".ndjson"),
    accepts_columns=True,
)
