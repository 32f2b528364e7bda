"""Spreadsheets of papers: CSV (Zotero's "Export Collection… → CSV", Google Scholar-like
lists, our own columns) and TSV.

The first line is the header. Each Record field is read from the first column whose header is
one of the names in ``COLUMN_ALIASES`` (compared ignoring case, spaces, underscores, hyphens and
other punctuation, so "Publication Year", "publication_year" and "publicationyear" are one
name); ``parse(..., columns={"title": "Paper Name"})`` names the header of a field instead.

====================  ===========================================================
field                 headers (first match wins)
====================  ===========================================================
title                 Title, Paper Title, Article Title, Document Title
abstract              Abstract, Abstract Note (Zotero), Summary, Description
authors               Authors, Author (Zotero), Author Names, Creators
date                  Date (Zotero), Publication Date, Published, Date Published, Issued
year                  Year, Publication Year (Zotero), Pub Year
arxiv_id              arXiv ID, arXiv, Archive ID (Zotero), Eprint
doi                   DOI
upvotes               Upvotes, Votes, Likes
url                   URL, Link, Article URL (Publish or Perish)
venue                 Venue, Publication Title (Zotero), Journal, Source, Publication,
                      Conference, Booktitle, Container Title (CSL-JSON)
categories            Categories, Category, Manual Tags (Zotero), Tags, Keywords
====================  ===========================================================

Author cells are split on ";" (Zotero: "Last, First; Last, First"), else on " and ", else on
","; "Last, First" names become "First Last" (a cell that is one "Last, First" name, or " and "
lists of them, are recognised when one side of the comma is a single word or the surname has
a particle such as "van"), and "et al." / "others" mark the list as cut short.

The delimiter is a tab for ``.tsv`` files or a header with a tab, else ";" or "," (whichever
the header has more of). Rows are streamed with the csv module; a quoted cell may span several
lines and the locator names the row's first line. A row with more or fewer cells than the
header, or with neither a title nor an abstract, is Skipped; a header with no known column
raises ``ParseError`` listing the accepted names, and so does one without a title column (with
the columns it has and the ``--columns title=NAME`` hint). An author written surname first
with initials ("Liu R.", "Smith JA": Embase, PubMed) becomes "R. Liu", "J. A. Smith".
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

from papersift.errors import ParseError
from papersift.ingest.formats import FormatSpec
from papersift.ingest.names import given_names_first
from papersift.ingest.normalize import (
    clean_text,
    normalize_arxiv_id,
    normalize_doi,
    parse_date,
    split_names,
)
from papersift.models import ParseItem, Record, Skipped

#: Record field -> accepted header names, in order of preference.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "title": ("Title", "Paper Title", "Article Title", "Document Title"),
    "abstract": ("Abstract", "Abstract Note", "Summary", "Description"),
    "authors": ("Authors", "Author", "Author Names", "Creators"),
    "date": ("Date", "Publication Date", "Published", "Date Published", "Issued"),
    "year": ("Year", "Publication Year", "Pub Year"),
    "arxiv_id": ("arXiv ID", "arXiv", "Archive ID", "Eprint"),
    "doi": ("DOI",),
    "upvotes": ("Upvotes", "Votes", "Likes"),
    "url": ("URL", "Link", "Article URL"),
    "venue": (
        "Venue",
        "Publication Title",
        "Journal",
        "Source",
        "Publication",
        "Conference",
        "Booktitle",
        "Container Title",
    ),
    "categories": ("Categories", "Category", "Manual Tags", "Tags", "Keywords"),
}

#: A cell value as the readers hand it over: text, or a list of texts (JSON arrays).
FieldValue = str | list[str]

_NOT_ALNUM = re.compile(r"[\W_]+")
_AND = re.compile(r",?\s+and\s+", re.IGNORECASE)
_ET_AL = re.compile(r"^(?:et\.?\s*al\.?|others|\.\.\.|…)$", re.IGNORECASE)
_PARTICLE = re.compile(r"^(?:van|von|der|den|de|del|della|di|da|du|la|le|dos|das|ten|ter)$")
_INT = re.compile(r"^\d+(?:\.0+)?$")


def header_key(name: str) -> str:
    """'Abstract Note' / 'abstract_note' / 'ABSTRACT-NOTE' -> 'abstractnote'."""
    return _NOT_ALNUM.sub("", name.lstrip("\ufeff")).lower()


_ALIAS_KEYS = {field: [header_key(a) for a in aliases] for field, aliases in COLUMN_ALIASES.items()}
_KNOWN_KEYS = frozenset(key for keys in _ALIAS_KEYS.values() for key in keys)


def accepted_headers() -> str:
    """The accepted header names, for error messages."""
    return "; ".join(f"{field}: {', '.join(names)}" for field, names in COLUMN_ALIASES.items())


def check_columns(columns: Mapping[str, str] | None, filename: str) -> None:
    """An override must name Record fields this module knows."""
    unknown = sorted(set(columns or {}) - set(COLUMN_ALIASES))
    if unknown:
        known = ", ".join(COLUMN_ALIASES)
        raise ParseError(filename, None, f"unknown field {unknown[0]!r} in columns; use {known}")


def match_columns(
    headers: Sequence[str], columns: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Record field -> the header (as spelled in ``headers``) it is read from.

    ``columns`` (field -> header) wins over ``COLUMN_ALIASES``; a header it claims is not
    also used for another field. Fields with no matching header are left out.
    """
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(header_key(header), header)
    chosen = {
        f: by_key[header_key(h)] for f, h in (columns or {}).items() if header_key(h) in by_key
    }
    claimed = set(chosen.values())
    for field, keys in _ALIAS_KEYS.items():
        if field in chosen:
            continue
        found = next((by_key[k] for k in keys if k in by_key and by_key[k] not in claimed), None)
        if found is not None:
            chosen[field] = found
            claimed.add(found)
    return chosen


def is_known_header(name: str) -> bool:
    return header_key(name) in _KNOWN_KEYS


def flip_name(name: str) -> str:
    """'Müller, Hans' -> 'Hans Müller'; 'Beeblebrox, IV, Zaphod' -> 'Zaphod Beeblebrox IV'."""
    parts = [p for part in name.split(",") if (p := clean_text(part))]
    if len(parts) == 2:
        return f"{parts[1]} {parts[0]}"
    if len(parts) == 3:
        return f"{parts[2]} {parts[0]} {parts[1]}"
    return " ".join(parts)


def _is_last_first(name: str) -> bool:
    """'Müller, Hans', 'van der Berg, Jan Peter' but not 'Hans Müller, Ana García'."""
    if name.count(",") != 1:
        return False
    last, first = (part.split() for part in name.split(","))
    if not last or not first:
        return False
    return len(last) == 1 or len(first) == 1 or any(_PARTICLE.match(w) for w in last)


def _split_author_cell(text: str) -> tuple[list[str], bool]:
    """The pieces of an author cell, and whether each is a 'Last, First' name."""
    if ";" in text:
        return split_names(text, ";"), True
    if _AND.search(text):
        parts = split_names(_AND.sub(";", text), ";")
        if all(_is_last_first(p) or "," not in p for p in parts):
            return parts, True
        return [n for p in parts for n in split_names(p)], False
    if _is_last_first(text):  # a single "Last, First"
        return [text], True
    return split_names(text), False


def split_authors(cell: str | None) -> tuple[list[str], bool]:
    """'Müller, Hans; García, Ana' or 'Hans Müller, Ana García, et al.' -> (names, truncated)."""
    text = clean_text(cell)
    if not text:
        return [], False
    parts, last_first = _split_author_cell(text)
    names: list[str] = []
    truncated = False
    for part in parts:
        if _ET_AL.match(part):
            truncated = True
        elif name := (flip_name(part) if last_first and "," in part else given_names_first(part)):
            names.append(name)
    return names, truncated


def _text(value: FieldValue | None) -> str | None:
    if isinstance(value, list):
        return clean_text("; ".join(value))
    return clean_text(value)


def _authors(value: FieldValue | None) -> tuple[list[str], bool]:
    if not isinstance(value, list):
        return split_authors(value)
    names = [given_names_first(n) for v in value if (n := clean_text(v))]
    kept = [n for n in names if not _ET_AL.match(n)]
    return kept, len(kept) < len(names)


def _categories(value: FieldValue | None) -> list[str]:
    if isinstance(value, list):
        return [c for v in value if (c := clean_text(v))]
    text = clean_text(value) or ""
    sep = ";" if ";" in text else "," if "," in text else None
    return split_names(text, sep) if sep else text.split()


def _int(value: FieldValue | None) -> int | None:
    text = (_text(value) or "").replace(",", "")
    return int(float(text)) if _INT.match(text) else None


def _date(values: Mapping[str, FieldValue]) -> str | None:
    return parse_date(_text(values.get("date"))) or parse_date(_text(values.get("year")))


def _arxiv_id(values: Mapping[str, FieldValue], url: str | None, doi: str | None) -> str | None:
    if found := normalize_arxiv_id(_text(values.get("arxiv_id"))):
        return found
    if url and "arxiv.org/" in url.lower() and (found := normalize_arxiv_id(url)):
        return found
    return normalize_arxiv_id(doi) if doi and doi.startswith("10.48550/") else None


def record_from_fields(
    values: Mapping[str, FieldValue], locator: str, line: int | None
) -> ParseItem:
    """A Record from field -> value (keys as in ``COLUMN_ALIASES``), or Skipped when it has
    neither a title nor an abstract."""
    title, abstract = _text(values.get("title")), _text(values.get("abstract"))
    if not title and not abstract:
        return Skipped(locator, "no title and no abstract", line)
    authors, truncated = _authors(values.get("authors"))
    url, doi = _text(values.get("url")), normalize_doi(_text(values.get("doi")))
    return Record(
        title=title,
        abstract=abstract,
        authors=authors,
        authors_truncated=truncated,
        date=_date(values),
        arxiv_id=_arxiv_id(values, url, doi),
        doi=doi,
        upvotes=_int(values.get("upvotes")),
        categories=_categories(values.get("categories")),
        url=url,
        venue=_text(values.get("venue")),
        locator=locator,
    )


def _delimiter(header: str, filename: str) -> str:
    if filename.lower().endswith(".tsv") or "\t" in header:
        return "\t"
    return ";" if header.count(";") > header.count(",") else ","


def _header(
    row: list[str], filename: str, line: int, columns: Mapping[str, str] | None
) -> dict[str, int]:
    """Record field -> cell index; ParseError when no column is known."""
    headers = [h.lstrip("\ufeff").strip() for h in row]
    present = {header_key(h) for h in headers}
    for field, name in (columns or {}).items():
        if header_key(name) not in present:
            raise ParseError(filename, line, f"no column {name!r} (for {field}) in the header")
    mapping = match_columns(headers, columns)
    if not mapping:
        message = f"no known column in the header; accepted headers are {accepted_headers()}"
        raise ParseError(filename, line, message)
    if "title" not in mapping:
        raise ParseError(filename, line, _no_title_message(headers))
    return {field: headers.index(header) for field, header in mapping.items()}


def _no_title_message(headers: Sequence[str]) -> str:
    """Refusing is better than a library of untitled papers (a real export: 160 of them)."""
    have = ", ".join(repr(h) for h in headers if h) or "none"
    aliases = ", ".join(COLUMN_ALIASES["title"])
    return (
        f"no title column (looked for {aliases}); the columns are {have}; "
        "say which holds the title with --columns title=NAME"
    )


def parse(
    stream: TextIO, filename: str, columns: Mapping[str, str] | None = None
) -> Iterator[ParseItem]:
    """Stream the rows of a CSV/TSV file; ``columns`` maps Record fields to header names."""
    check_columns(columns, filename)
    blank = 0  # blank lines before the header
    for first in stream:
        if first.strip():
            break
        blank += 1
    else:
        return
    reader = csv.reader(itertools.chain([first], stream), delimiter=_delimiter(first, filename))
    rows = _checked_rows(reader, filename, blank)
    header = next(rows)
    index = _header(header, filename, blank + 1, columns)
    start = blank + reader.line_num + 1
    for row in rows:
        if any(cell.strip() for cell in row):
            yield _row_item(row, len(header), index, start)
        start = blank + reader.line_num + 1


def _checked_rows(reader: Any, filename: str, blank: int) -> Iterator[list[str]]:
    """The reader's rows; a row csv cannot read (a cell over its 128 KiB limit, most often
    a quote left open that swallowed the rest of the file) is a ParseError at its line."""
    start = blank + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ParseError(filename, start, f"{exc} (is a quote left open?)") from exc
        yield row
        start = blank + reader.line_num + 1


def _row_item(row: list[str], width: int, index: Mapping[str, int], line: int) -> ParseItem:
    if len(row) != width:
        return Skipped(f"line {line}", f"{len(row)} cells, the header has {width}", line)
    return record_from_fields({f: row[i] for f, i in index.items()}, f"line {line}", line)


def sniff(head: str, filename: str) -> bool:
    if filename.lower().endswith((".csv", ".tsv")):
        return True
    first = next((line for line in head.splitlines() if line.strip()), "")
    delimiter = max("\t,;", key=first.count)
    if first.count(delimiter) < 2:
        return False
    return any(is_known_header(cell.strip().strip('"')) for cell in first.split(delimiter))


FORMAT = FormatSpec(
    name="csv",
    description="CSV or TSV with a header row (Zotero CSV export, spreadsheets of papers)",
    parse=parse,
    sniff=sniff,
    extensions=(".csv", ".tsv"),
    accepts_columns=True,
)
