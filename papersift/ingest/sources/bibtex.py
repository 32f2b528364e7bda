"""BibTeX files: Zotero, Google Scholar and DBLP exports, and hand-written ``.bib`` files.

bibtexparser (2.x) parses a whole string, not a stream, so this reader reads the file whole;
BibTeX libraries are small (a few MB at most), which makes that acceptable. bibtexparser
splits the blocks and drops ``@comment``/``@preamble``; ``bibtex_values`` reads the values the
BibTeX way (``@string`` macros, ``#`` concatenation, month macros, ``crossref`` inheritance);
this module then turns each entry into a Record:

* title, abstract, venue (``journal``/``journaltitle``/``booktitle``) and names: LaTeX decoded to
  plain Unicode (``{BERT}`` -> ``BERT``, ``Schr\\"{o}dinger`` -> ``Schrödinger``); a bare ``%``
  or ``&`` is kept as text, math (``$x^2$``) is kept verbatim;
* authors: "Last, First and First Last and others" -> ["First Last", ...], truncated;
* date: the ``date`` field (biblatex), else ``year``/``month``/``day`` (month "mar", "3",
  "March" or a macro);
* doi: the ``doi`` field or a doi.org ``url``; arxiv_id: ``eprint`` when ``archivePrefix`` or
  ``eprinttype`` is arXiv, an arxiv.org ``url``, an arXiv DOI, or "arXiv:ID" in ``journal``,
  ``note``, ``number`` or ``howpublished`` (Google Scholar: "arXiv preprint arXiv:2401.01234");
* categories: ``primaryClass`` (or biblatex's ``eprintclass``; "cs, math" is two) and the
  ``keywords`` (split on "," or ";").

Blocks bibtexparser cannot parse, and second entries with a key already used, are Skipped with
their line; so are entries without a title.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import TextIO

from bibtexparser.entrypoint import parse_string
from bibtexparser.exceptions import ParsingException
from bibtexparser.middlewares import NormalizeFieldKeys
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, ImplicitComment, ParsingFailedBlock

from papersift.errors import ParseError
from papersift.ingest.formats import FormatSpec
from papersift.ingest.latex import latex_to_text
from papersift.ingest.names import given_names_first
from papersift.ingest.normalize import (
    clean_text,
    month_number,
    normalize_arxiv_id,
    normalize_doi,
    parse_date,
    split_names,
)
from papersift.ingest.sources.bibtex_values import ExpansionError, resolve_library
from papersift.models import ParseItem, Record, Skipped

# bibtexparser logs every broken block as a warning; we report them as Skipped instead.
# A NullHandler keeps Python's last-resort handler from printing them to stderr.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

_BLOCK_START = re.compile(r"^[ \t]*@[A-Za-z]\w*[ \t]*[{(]", re.MULTILINE)
_ARXIV_MENTION = re.compile(r"arxiv:\s*(\S+)", re.IGNORECASE)
_YEAR = re.compile(r"\b(\d{4})\b")
_FIRST_WORD = re.compile(r"[A-Za-z]+|\d+")
_MENTION_FIELDS = ("journal", "note", "number", "howpublished", "eprint")
_VENUE_FIELDS = ("journal", "journaltitle", "booktitle")
#: Values stay raw (enclosing braces and quotes kept) for ``bibtex_values`` to read.
_PARSE_STACK = [NormalizeFieldKeys()]


def _name(raw: str) -> str | None:
    """'M{\\"u}ller, Hans' -> 'Hans Müller'; 'von Neumann, Johann' -> 'Johann von Neumann'."""
    try:
        merged: str = parse_single_name_into_parts(raw, strict=False).merge_first_name_first
    except InvalidNameError:
        merged = raw
    name = latex_to_text(merged)
    return given_names_first(name) if name else None  # "Liu R." (no comma) -> "R. Liu"


def _authors(value: str | None) -> tuple[list[str], bool]:
    names: list[str] = []
    truncated = False
    for raw in split_multiple_persons_names(value or ""):
        if raw.strip().lower() == "others":
            truncated = True
        elif name := _name(raw):
            names.append(name)
    return names, truncated


def _date(fields: Mapping[str, str]) -> str | None:
    if found := parse_date(fields.get("date", "").split("/")[0]):
        return found
    year = _YEAR.search(fields.get("year", ""))
    if not year:
        return None
    first_word = _FIRST_WORD.match(fields.get("month", "").strip())  # "jan # {~1}": January
    month = month_number(first_word.group(0)) if first_word else None
    if month is None:
        return parse_date(year.group(1))
    day = fields.get("day", "").strip()
    day_date = parse_date(f"{year.group(1)}-{month:02d}-{day}") if day.isdigit() else None
    return day_date or parse_date(f"{year.group(1)}-{month:02d}")


def _doi(fields: Mapping[str, str]) -> str | None:
    if found := normalize_doi(fields.get("doi")):
        return found
    url = fields.get("url", "")
    return normalize_doi(url) if "doi.org/" in url.lower() else None


def _arxiv_id(fields: Mapping[str, str], doi: str | None) -> str | None:
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    if prefix == "arxiv" and (found := normalize_arxiv_id(fields.get("eprint"))):
        return found
    url = fields.get("url", "")
    if "arxiv.org/" in url.lower() and (found := normalize_arxiv_id(url)):
        return found
    if doi and doi.startswith("10.48550/"):
        return normalize_arxiv_id(doi)
    for key in _MENTION_FIELDS:
        if (m := _ARXIV_MENTION.search(fields.get(key, ""))) and (
            found := normalize_arxiv_id(m.group(1))
        ):
            return found
    return None


def _categories(fields: Mapping[str, str]) -> list[str]:
    keywords = latex_to_text(fields.get("keywords")) or ""
    found = split_names(keywords, ";" if ";" in keywords else ",")
    # Zotero (Better BibTeX) writes every class of a cross-listed paper: "cs, math, stat";
    # biblatex names the field eprintclass.
    classes = fields.get("primaryclass") or fields.get("eprintclass") or ""
    primary = split_names(classes.replace(",", " "), " ")
    return list(dict.fromkeys([*primary, *found]))


def _extra(entry: Entry, categories: list[str]) -> dict[str, object]:
    extra: dict[str, object] = {"bibtex_key": entry.key, "entry_type": entry.entry_type.lower()}
    fields = entry.fields_dict
    if categories and ("primaryclass" in fields or "eprintclass" in fields):
        extra["primary_class"] = categories[0]  # kept first when the paper is merged
    return extra


def _entry_item(entry: Entry) -> ParseItem:
    line = (entry.start_line or 0) + 1  # bibtexparser counts lines from 0
    locator = f"entry {entry.key} (line {line})"
    fields = {k: f.value for k, f in entry.fields_dict.items() if isinstance(f.value, str)}
    title = latex_to_text(fields.get("title"))
    if not title:
        return Skipped(locator, "no title", line)
    authors, truncated = _authors(fields.get("author"))
    doi = _doi(fields)
    venue = next((v for k in _VENUE_FIELDS if (v := latex_to_text(fields.get(k)))), None)
    categories = _categories(fields)
    return Record(
        title=title,
        abstract=latex_to_text(fields.get("abstract")),
        authors=authors,
        authors_truncated=truncated,
        date=_date(fields),
        arxiv_id=_arxiv_id(fields, doi),
        doi=doi,
        categories=categories,
        url=clean_text(fields.get("url")),
        venue=venue,
        locator=locator,
        extra=_extra(entry, categories),
    )


def _failed_item(block: ParsingFailedBlock) -> Skipped | None:
    line = (block.start_line or 0) + 1
    if isinstance(block, DuplicateBlockKeyBlock):
        if not isinstance(block.ignore_error_block, Entry):
            return None  # a second @string with the same name: not a paper
        first = (block.previous_block.start_line or 0) + 1
        reason = f"duplicate entry key {block.key!r} (first used on line {first})"
    else:
        error = block.error
        reason = clean_text(getattr(error, "abort_reason", None) or str(error)) or ""
    return Skipped(f"line {line}", reason or "not a valid BibTeX block", line)


def parse(stream: TextIO, filename: str) -> Iterator[ParseItem]:
    """Read the whole file (see the module docstring) and yield its entries in file order."""
    text = stream.read()
    try:
        library = parse_string(text, parse_stack=_PARSE_STACK)
    except ParsingException as exc:
        raise ParseError(filename, None, f"BibTeX parser failed: {exc}") from exc
    try:
        resolve_library(library)
    except ExpansionError as exc:
        raise ParseError(filename, None, str(exc)) from exc
    if text.strip() and all(isinstance(b, ImplicitComment) for b in library.blocks):
        raise ParseError(filename, 1, "no BibTeX entries found")
    for block in library.blocks:
        if isinstance(block, Entry):
            yield _entry_item(block)
        elif isinstance(block, ParsingFailedBlock) and (skipped := _failed_item(block)):
            yield skipped


def sniff(head: str, filename: str) -> bool:
    return _BLOCK_START.search(head) is not None


FORMAT = FormatSpec(
    name="bibtex",
    description="BibTeX (.bib) files: Zotero, Google Scholar, DBLP exports",
    parse=parse,
    sniff=sniff,
    extensions=(".bib", ".bibtex"),
)
