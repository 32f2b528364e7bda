"""OAI-PMH ``ListRecords`` / ``GetRecord`` responses, as arXiv's OAI endpoint serves them.

Three metadata formats are understood: ``arXiv`` (structured authors with affiliations),
``arXivRaw`` (one author string, dated versions) and ``oai_dc`` (Dublin Core). A harvest can
be gigabytes, so the XML is parsed incrementally: the text is fed to lxml in chunks and each
record is dropped from the tree once it has been turned into a ``Record``.

An OAI ``<error>`` stops the parse with a ``ParseError``, except ``noRecordsMatch`` (an empty
result). ``<resumptionToken>`` is not followed here; ``resumption_token`` reads it for a
harvester.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO, cast

from lxml import etree

from papersift.errors import ParseError
from papersift.ingest.formats import FormatSpec
from papersift.ingest.latex import person_name
from papersift.ingest.normalize import clean_text, normalize_arxiv_id, normalize_doi, parse_date
from papersift.ingest.sources.arxiv_snapshot import split_author_list
from papersift.models import ParseItem, Record, Skipped

OAI = "http://www.openarchives.org/OAI/2.0/"
ARXIV = "http://arxiv.org/OAI/arXiv/"
ARXIV_RAW = "http://arxiv.org/OAI/arXivRaw/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"

_CHUNK = 1 << 16
_LXML_POSITION = re.compile(r",\s*line \d+, column \d+$")
_RECORD, _ERROR, _TOKEN = f"{{{OAI}}}record", f"{{{OAI}}}error", f"{{{OAI}}}resumptionToken"
_ARXIV_OAI_ID = "oai:arxiv.org:"
_DC_NS = {"dc": DC}

Element = etree._Element


# --- streaming -----------------------------------------------------------------------------


def stream_elements(stream: TextIO, filename: str, tags: Sequence[str]) -> Iterator[Element]:
    """Yield each element whose tag is in ``tags`` once it is complete.

    The stream is read ``_CHUNK`` characters at a time. When the caller asks for the next
    element, the previous one is cleared and its earlier siblings removed, so the tree never
    holds more than one of them. XML that is not well-formed raises
    ``ParseError(filename, line, message)`` after the elements that precede the fault.

    An element is complete only when its end tag was read. A file cut short fails in
    ``close()``, and lxml 6 (libxml2 2.14) then reports "end" events for the elements that
    were still open, closed by its recovery: those are the damaged record, so the events
    queued by a failing ``close()`` are dropped (lxml 5 queued none). Events queued by a
    failing ``feed()`` are the complete elements before the fault and are kept.
    """
    parser = etree.XMLPullParser(
        events=("end",), tag=list(tags), resolve_entities=False, no_network=True
    )
    error: etree.XMLSyntaxError | None = None
    try:
        while chunk := stream.read(_CHUNK):
            parser.feed(chunk)  # str, so lxml ignores the declared encoding: already decoded
            yield from _drain(parser)
    except etree.XMLSyntaxError as err:
        error = err
        yield from _drain(parser)
    else:
        try:
            parser.close()
        except etree.XMLSyntaxError as err:
            error = err  # what close() queued was closed by recovery, not by an end tag
        else:
            yield from _drain(parser)
    if error is not None:
        message = _LXML_POSITION.sub("", error.msg or str(error))
        raise ParseError(filename, error.lineno or None, f"not well-formed XML: {message}")


def _drain(parser: etree.XMLPullParser) -> Iterator[Element]:
    for _event, element in parser.read_events():
        if not isinstance(element, etree._Element):
            continue
        yield element
        element.clear()
        parent = element.getparent()
        while parent is not None and element.getprevious() is not None:
            del parent[0]


def source_line(element: Element) -> int | None:
    """The line the element starts on (lxml-stubs leave ``sourceline`` untyped)."""
    return cast("int | None", element.sourceline)


# --- metadata formats ----------------------------------------------------------------------


def _children(element: Element) -> dict[str, str | None]:
    """Local name -> cleaned text of the first child element of each name."""
    fields: dict[str, str | None] = {}
    for child in element:
        if isinstance(child.tag, str):
            fields.setdefault(etree.QName(child).localname, clean_text(child.text))
    return fields


def _dedup(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _common(fields: dict[str, str | None]) -> Record:
    """The fields arXiv and arXivRaw spell the same way."""
    record = Record(
        title=fields.get("title"),
        abstract=fields.get("abstract"),
        arxiv_id=normalize_arxiv_id(fields.get("id")),
        doi=normalize_doi(fields.get("doi")),
        categories=_dedup((fields.get("categories") or "").split()),
        venue=fields.get("journal-ref"),
    )
    for key, name in (("comments", "comments"), ("report-no", "report_no")):
        if value := fields.get(key):
            record.extra[name] = value
    return record


def _arxiv_author(author: Element) -> tuple[str | None, list[str]]:
    ns = {"a": ARXIV}
    parts = (author.findtext(f"a:{p}", "", ns) for p in ("forenames", "keyname", "suffix"))
    name = person_name(" ".join(parts))
    affiliations = [a for el in author.iterfind("a:affiliation", ns) if (a := clean_text(el.text))]
    return name, affiliations


def _from_arxiv(meta: Element) -> Record:
    fields = _children(meta)
    record = _common(fields)
    record.date = parse_date(fields.get("created"))
    organizations: list[str] = []
    for author in meta.iterfind("a:authors/a:author", {"a": ARXIV}):
        name, affiliations = _arxiv_author(author)
        if name:
            record.authors.append(name)
        organizations.extend(affiliations)
    record.organizations = _dedup(organizations)
    if updated := parse_date(fields.get("updated")):
        record.extra["updated"] = updated
    return record


def _from_arxiv_raw(meta: Element) -> Record:
    fields = _children(meta)
    record = _common(fields)
    record.authors, record.authors_truncated = split_author_list(fields.get("authors"))
    versions = list(meta.iterfind("r:version", {"r": ARXIV_RAW}))
    first = next((v for v in versions if v.get("version") == "v1"), None)
    if first is None and versions:
        first = versions[0]
    if first is not None:
        record.date = parse_date(first.findtext("r:date", None, {"r": ARXIV_RAW}))
    if submitter := fields.get("submitter"):
        record.extra["submitter"] = submitter
    return record


def _dc_texts(meta: Element, name: str) -> list[str]:
    return [t for el in meta.iterfind(f"dc:{name}", _DC_NS) if (t := clean_text(el.text))]


def _dc_creator(text: str) -> str:
    """'Smith, John' -> 'John Smith'; 'Smith, John, Jr.' -> 'John Smith Jr.'."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) < 2:
        return text
    return clean_text(" ".join([parts[1], parts[0], *parts[2:]])) or text


def _dc_identifiers(record: Record, identifiers: list[str]) -> None:
    for identifier in identifiers:
        lowered = identifier.lower()
        if lowered.startswith("doi:") or "doi.org/" in lowered:
            record.doi = record.doi or normalize_doi(identifier)
        elif "arxiv.org/abs/" in lowered and not record.arxiv_id:
            record.arxiv_id, record.url = normalize_arxiv_id(identifier), identifier


def _from_dc(meta: Element) -> Record:
    descriptions = _dc_texts(meta, "description")
    comments = [d for d in descriptions if d.lower().startswith("comment:")]
    dates = [d for text in _dc_texts(meta, "date") if (d := parse_date(text))]
    titles = _dc_texts(meta, "title")
    record = Record(
        title=titles[0] if titles else None,
        abstract=next((d for d in descriptions if d not in comments), None),
        authors=[_dc_creator(c) for c in _dc_texts(meta, "creator")],
        date=min(dates) if dates else None,
        categories=_dedup(_dc_texts(meta, "subject")),
    )
    _dc_identifiers(record, _dc_texts(meta, "identifier"))
    if comments:
        record.extra["comments"] = " ".join(c.split(":", 1)[1].strip() for c in comments)
    return record


_READERS: dict[str, Callable[[Element], Record]] = {
    f"{{{ARXIV}}}arXiv": _from_arxiv,
    f"{{{ARXIV_RAW}}}arXivRaw": _from_arxiv_raw,
    f"{{{OAI_DC}}}dc": _from_dc,
}


# --- records -------------------------------------------------------------------------------


def _metadata(record: Element) -> Element | None:
    metadata = record.find(f"{{{OAI}}}metadata")
    if metadata is None:
        return None
    return next((child for child in metadata if isinstance(child.tag, str)), None)


def _apply_header(record: Record, header: Element | None) -> None:
    if header is None:
        return
    identifier = clean_text(header.findtext(f"{{{OAI}}}identifier"))
    if identifier:
        record.extra["oai_identifier"] = identifier
        if not record.arxiv_id and identifier.lower().startswith(_ARXIV_OAI_ID):
            record.arxiv_id = normalize_arxiv_id(identifier[len(_ARXIV_OAI_ID) :])
    if datestamp := clean_text(header.findtext(f"{{{OAI}}}datestamp")):
        record.extra["datestamp"] = datestamp


def record_item(element: Element, number: int) -> ParseItem:
    """The Record (or Skipped) of one OAI ``<record>`` element, the ``number``-th of its list."""
    line = source_line(element)
    locator = f"record {number} (line {line})"
    header = element.find(f"{{{OAI}}}header")
    if header is not None and header.get("status") == "deleted":
        return Skipped(locator, "deleted record", line, expected=True)
    meta = _metadata(element)
    if meta is None:
        return Skipped(locator, "record without metadata", line)
    reader = _READERS.get(str(meta.tag))
    if reader is None:
        return Skipped(locator, f"unsupported metadata format {meta.tag}", line)
    record = reader(meta)
    if not record.title:
        return Skipped(locator, "record without a title", line)
    record.locator = locator
    _apply_header(record, header)
    if record.arxiv_id and not record.url:
        record.url = f"https://arxiv.org/abs/{record.arxiv_id}"
    return record


def _check_error(element: Element, filename: str) -> None:
    code = element.get("code") or "unknown"
    if code != "noRecordsMatch":
        message = clean_text(element.text) or "no message"
        raise ParseError(filename, source_line(element), f"OAI-PMH error {code}: {message}")


def parse(stream: TextIO, filename: str) -> Iterator[ParseItem]:
    number = 0
    for element in stream_elements(stream, filename, (_RECORD, _ERROR)):
        if element.tag == _ERROR:
            _check_error(element, filename)
            continue
        number += 1
        yield record_item(element, number)


def resumption_token(xml_text: str) -> str | None:
    """The ``<resumptionToken>`` of one OAI-PMH response; None when absent or empty (the
    last page of a list). Raises ``ParseError`` when the response is not well-formed."""
    for element in stream_elements(io.StringIO(xml_text), "<response>", (_TOKEN,)):
        return clean_text(element.text)
    return None


def sniff(head: str, filename: str) -> bool:
    return OAI in head


FORMAT = FormatSpec(
    name="oai-pmh",
    description="OAI-PMH ListRecords/GetRecord XML (arXiv, arXivRaw or oai_dc metadata)",
    parse=parse,
    sniff=sniff,
    extensions=(".xml",),
)
