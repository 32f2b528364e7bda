"""One page of an arXiv OAI-PMH harvest (``ListRecords``, ``metadataPrefix=arXiv``).

A harvester asks for a page, reads it whole with :func:`parse_page` and ingests it: a page
is about a thousand records (a few MB), and nothing of a page that does not parse may be
stored, so the page is parsed completely before any record is handed over. The records are
read by the ``oai-pmh`` file reader (``record_item``); this module adds what a harvester
needs from a page:

* the ``<resumptionToken>`` of the next page (empty or absent on the last page), with its
  ``cursor`` and ``completeListSize``;
* the latest header ``<datestamp>`` on the page, deleted records included (the harvest's
  high-water mark);
* a stable locator per record, its OAI identifier (``oai:arXiv.org:2403.04567``), so that a
  revised listing of a paper replaces the record of its earlier listing; the datestamp is
  left out of the record (it changes when arXiv re-stamps a record whose content did not).

An OAI ``<error>`` raises ``OaiProtocolError`` (its ``code`` tells ``badResumptionToken``
from the rest), except ``noRecordsMatch``: an empty window gives an empty last page. XML that
is not well-formed raises ``ParseError(url, line, ...)``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from papersift.errors import OaiProtocolError
from papersift.ingest.normalize import clean_text
from papersift.ingest.sources.oai_pmh import OAI, Element, record_item, source_line, stream_elements
from papersift.models import ParseItem, Record

_RECORD, _ERROR, _TOKEN = f"{{{OAI}}}record", f"{{{OAI}}}error", f"{{{OAI}}}resumptionToken"
_HEADER, _IDENTIFIER = f"{{{OAI}}}header", f"{{{OAI}}}identifier"
_DATESTAMP = f"{{{OAI}}}datestamp"
NO_RECORDS = "noRecordsMatch"


@dataclass(frozen=True, slots=True)
class OaiPage:
    """What one ListRecords response holds."""

    items: list[ParseItem]
    #: The token that asks for the next page; None on the last page.
    token: str | None = None
    #: How many records of the list came before this page, and how many the list has
    #: (both optional in OAI-PMH; arXiv sends them).
    cursor: int | None = None
    complete_size: int | None = None
    #: The latest header datestamp on the page (``YYYY-MM-DD``), deleted records included.
    latest: str | None = None


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None


def _raise_error(element: Element, url: str) -> None:
    code = element.get("code") or "unknown"
    if code != NO_RECORDS:
        message = clean_text(element.text) or "no message"
        raise OaiProtocolError(url, source_line(element), code, message)


def _datestamp(element: Element) -> str | None:
    header = element.find(_HEADER)
    stamp = clean_text(header.findtext(_DATESTAMP)) if header is not None else None
    return stamp[:10] if stamp else None


def _harvested(element: Element, number: int) -> ParseItem:
    item = record_item(element, number)
    if isinstance(item, Record):
        item.extra.pop("datestamp", None)
        identifier = item.extra.get("oai_identifier")
        if identifier:
            item.locator = str(identifier)
    return item


def parse_page(text: str, url: str) -> OaiPage:
    """Read one OAI-PMH ListRecords response; ``url`` names it in errors."""
    items: list[ParseItem] = []
    token: str | None = None
    cursor = size = None
    latest: str | None = None
    tags = (_RECORD, _ERROR, _TOKEN)
    for element in stream_elements(io.StringIO(text), url, tags):
        if element.tag == _ERROR:
            _raise_error(element, url)
        elif element.tag == _TOKEN:
            token = clean_text(element.text)
            cursor, size = _int(element.get("cursor")), _int(element.get("completeListSize"))
        else:
            stamp = _datestamp(element)
            if stamp and (latest is None or stamp > latest):
                latest = stamp
            items.append(_harvested(element, len(items) + 1))
    return OaiPage(items, token, cursor, size, latest)


def in_categories(record: Record, categories: Sequence[str]) -> bool:
    """Whether any of the record's categories is wanted: ``cs.LG`` names a category, ``cs``
    (no dot) every category of that archive."""
    for category in record.categories:
        archive = category.split(".", 1)[0]
        if category in categories or archive in categories:
            return True
    return False


def keep_categories(
    items: Iterable[ParseItem], categories: Sequence[str]
) -> tuple[list[ParseItem], int]:
    """The items to ingest, and how many records were left out for their categories.

    Skipped entries are kept (they are counted as skipped); with no categories, every item is.
    """
    kept: list[ParseItem] = []
    left_out = 0
    for item in items:
        if categories and isinstance(item, Record) and not in_categories(item, categories):
            left_out += 1
        else:
            kept.append(item)
    return kept, left_out
