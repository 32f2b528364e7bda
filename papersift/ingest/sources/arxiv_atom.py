"""arXiv API responses (``export.arxiv.org/api/query``): an Atom feed, one ``<entry>`` a paper.

::

    <entry>
      <id>http://arxiv.org/abs/2401.01234v2</id>
      <published>2024-01-03T18:00:00Z</published>  <updated>...</updated>
      <title>...</title>  <summary>...</summary>
      <author><name>Ada Lovelace</name><arxiv:affiliation>...</arxiv:affiliation></author>
      <arxiv:doi>...</arxiv:doi>  <arxiv:journal_ref>...</arxiv:journal_ref>
      <link rel="alternate" href="http://arxiv.org/abs/2401.01234v2"/>
      <arxiv:primary_category term="cs.LG"/>  <category term="cs.LG"/> <category term="stat.ML"/>
    </entry>

A failed query comes back as a feed whose single entry has an id under
``http://arxiv.org/api/errors``; that raises ``ParseError`` with the error text.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TextIO

from papersift.errors import ParseError
from papersift.ingest.formats import FormatSpec
from papersift.ingest.normalize import clean_text, normalize_arxiv_id, normalize_doi, parse_date
from papersift.ingest.sources.oai_pmh import Element, source_line, stream_elements
from papersift.models import ParseItem, Record, Skipped

ATOM = "http://www.w3.org/2005/Atom"
ARXIV_ATOM = "http://arxiv.org/schemas/atom"

_NS = {"a": ATOM, "arxiv": ARXIV_ATOM}
_ENTRY = f"{{{ATOM}}}entry"
_API_ERROR = "arxiv.org/api/errors"


def _text(entry: Element, path: str) -> str | None:
    return clean_text(entry.findtext(path, None, _NS))


def _authors(entry: Element) -> tuple[list[str], list[str]]:
    """Author names in feed order, and their affiliations without repeats."""
    names: list[str] = []
    organizations: dict[str, None] = {}
    for author in entry.iterfind("a:author", _NS):
        if name := _text(author, "a:name"):
            names.append(name)
        for affiliation in author.iterfind("arxiv:affiliation", _NS):
            if org := clean_text(affiliation.text):
                organizations[org] = None
    return names, list(organizations)


def _categories(entry: Element) -> list[str]:
    """The primary category first, then the others in feed order."""
    terms: dict[str, None] = {}
    primary = entry.find("arxiv:primary_category", _NS)
    for element in [primary, *entry.iterfind("a:category", _NS)]:
        if element is not None and (term := clean_text(element.get("term"))):
            terms[term] = None
    return list(terms)


def _link(entry: Element, rel: str, title: str | None = None) -> str | None:
    for link in entry.iterfind("a:link", _NS):
        if link.get("rel") == rel and (title is None or link.get("title") == title):
            return clean_text(link.get("href"))
    return None


def _record(entry: Element, entry_id: str | None, title: str, locator: str) -> Record:
    authors, organizations = _authors(entry)
    record = Record(
        title=title,
        abstract=_text(entry, "a:summary"),
        authors=authors,
        date=parse_date(_text(entry, "a:published")),
        arxiv_id=normalize_arxiv_id(entry_id),
        doi=normalize_doi(_text(entry, "arxiv:doi") or _link(entry, "related", "doi")),
        categories=_categories(entry),
        organizations=organizations,
        url=_link(entry, "alternate") or entry_id,
        venue=_text(entry, "arxiv:journal_ref"),
        locator=locator,
    )
    if updated := parse_date(_text(entry, "a:updated")):
        record.extra["updated"] = updated
    if comment := _text(entry, "arxiv:comment"):
        record.extra["comments"] = comment
    return record


def _entry(entry: Element, number: int, filename: str) -> ParseItem:
    line = source_line(entry)
    entry_id = _text(entry, "a:id")
    if entry_id and _API_ERROR in entry_id:
        message = _text(entry, "a:summary") or entry_id
        raise ParseError(filename, line, f"arXiv API error: {message}")
    locator = f"entry {number} (line {line})"
    title = _text(entry, "a:title")
    if not title:
        return Skipped(locator, "entry without a title", line)
    return _record(entry, entry_id, title, locator)


def parse(stream: TextIO, filename: str) -> Iterator[ParseItem]:
    entries = stream_elements(stream, filename, (_ENTRY,))
    for number, entry in enumerate(entries, start=1):
        yield _entry(entry, number, filename)


def sniff(head: str, filename: str) -> bool:
    return ATOM in head and "arxiv" in head.lower()


FORMAT = FormatSpec(
    name="arxiv-atom",
    description="arXiv API query results (Atom XML from export.arxiv.org/api/query)",
    parse=parse,
    sniff=sniff,
    extensions=(".atom", ".xml"),
)
