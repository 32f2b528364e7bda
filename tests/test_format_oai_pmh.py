"""OAI-PMH responses: arXiv, arXivRaw and oai_dc metadata, errors, streaming."""

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from papersift.errors import ParseError
from papersift.ingest.sources import oai_pmh
from papersift.models import ParseItem, Record, Skipped
from tests.support import FIXTURES, parse_path

ARXIV = FIXTURES / "oai_arxiv.xml"
ARXIV_RAW = FIXTURES / "oai_arxivraw.xml"
DC = FIXTURES / "oai_dc.xml"
ERROR = FIXTURES / "oai_error.xml"
NO_RECORDS = FIXTURES / "oai_norecords.xml"
TRUNCATED = FIXTURES / "oai_truncated.xml"


def record_lines(path: Path) -> list[int]:
    """The line of each <record> start tag."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, start=1) if line.startswith("<record>")]


def parse_file(path: Path) -> list[ParseItem]:
    return parse_path(oai_pmh.parse, path)


def test_arxiv_metadata_fields() -> None:
    first = parse_file(ARXIV)[0]
    assert isinstance(first, Record)
    assert first.title == "Tidal Scheduling of Batch Jobs on Seaweed Clusters"
    assert first.abstract == (
        "We schedule batch jobs by the tide tables of a fictional seaweed farm. "
        "The resulting cluster idles 40% less."
    )
    assert first.authors == [
        "Adaeze M. Okonkwo-Baptiste",
        "Pieter van der Molen Jr.",
        "The Kelp Collaboration",
    ]
    assert first.organizations == ["Lagoon Institute of Computing", "Delta University"]
    assert first.date == "2024-03-07"
    assert first.arxiv_id == "2403.04567"
    assert first.doi == "10.5555/tide.42"
    assert first.categories == ["cs.DC", "cs.PF"]
    assert first.venue == "Proc. Fict. Sys. Conf. 2024"
    assert first.url == "https://arxiv.org/abs/2403.04567"
    assert first.locator == f"record 1 (line {record_lines(ARXIV)[0]})"
    assert first.extra["comments"] == "9 pages; v2 fixes a typo"
    assert first.extra["updated"] == "2024-03-08"
    assert first.extra["oai_identifier"] == "oai:arXiv.org:2403.04567"
    assert first.extra["datestamp"] == "2024-03-09"


def test_deleted_untitled_and_empty_records_are_skipped() -> None:
    items = parse_file(ARXIV)
    lines = record_lines(ARXIV)
    assert len(items) == 5
    deleted = Skipped(f"record 2 (line {lines[1]})", "deleted record", lines[1], expected=True)
    assert items[1] == deleted  # normal content: counted, but --strict does not fail on it
    assert items[3] == Skipped(f"record 4 (line {lines[3]})", "record without a title", lines[3])
    assert items[4] == Skipped(f"record 5 (line {lines[4]})", "record without metadata", lines[4])


def test_arxiv_id_from_the_oai_header() -> None:
    third = parse_file(ARXIV)[2]
    assert isinstance(third, Record)
    assert third.arxiv_id == "math/0612345"
    assert third.authors == ["Greta Hollowell"]
    assert third.date == "2006-12-12"
    assert third.doi is None


def test_arxiv_raw_metadata() -> None:
    (record,) = parse_file(ARXIV_RAW)
    assert isinstance(record, Record)
    assert record.title == "Counting Comets with a Kitchen Colander"
    assert record.authors == ["R. Quill", "T. N. Ashdown", "M. Bell-Okafor", "S. Yamada-Lind"]
    assert record.date == "2023-12-15"  # the first version, not the latest
    assert record.arxiv_id == "2312.09876"
    assert record.doi == "10.5555/colander.7"
    assert record.categories == ["astro-ph.EP", "astro-ph.IM"]
    assert record.venue == "Fict. Astron. Lett. 12 (2024) 44"
    assert (
        record.abstract
        == "A colander held at arm's length counts comets to within a factor of two."
    )
    assert record.extra["submitter"] == "Rosalind Quill"


def test_dublin_core_metadata() -> None:
    first, second = parse_file(DC)
    assert isinstance(first, Record) and isinstance(second, Record)
    assert first.title == "Why Houseplants Lean: A Census of 10,000 Windowsills"
    assert first.authors == ["Clara Fernsby", "Tomas Mbeki-Lund", "Ivor Greenhalgh III"]
    assert first.abstract is not None and first.abstract.startswith("We photographed ten")
    assert first.abstract.endswith("93% of the time.")
    assert first.extra["comments"] == "21 pages, 8 figures"
    assert first.date == "2023-10-30"  # the earliest dc:date
    assert first.arxiv_id == "2310.11111"
    assert first.url == "http://arxiv.org/abs/2310.11111"
    assert first.doi == "10.5555/lean.2023"
    assert first.categories == [
        "Quantitative Biology - Populations and Evolution",
        "Physics - Biological Physics",
    ]
    assert second.doi == "10.5555/moss.1"
    assert second.arxiv_id == "2310.22222"  # from the header identifier
    assert second.authors == ["Anika Patel"]


def test_oai_error_raises_with_code() -> None:
    with pytest.raises(ParseError) as caught:
        parse_file(ERROR)
    assert "badResumptionToken" in caught.value.message
    assert "invalid or expired" in caught.value.message
    assert caught.value.line == 5


def test_no_records_match_yields_nothing() -> None:
    assert parse_file(NO_RECORDS) == []


def test_truncated_file_raises_with_the_line_after_complete_records() -> None:
    items: list[ParseItem] = []
    with pytest.raises(ParseError) as caught, TRUNCATED.open(encoding="utf-8") as f:
        items.extend(oai_pmh.parse(f, str(TRUNCATED)))
    assert [type(i) for i in items] == [Record]
    last_line = len(TRUNCATED.read_text(encoding="utf-8").splitlines())
    assert caught.value.path == str(TRUNCATED)
    assert caught.value.line is not None and caught.value.line >= last_line
    assert str(caught.value).startswith(f"{TRUNCATED}:{caught.value.line}: not well-formed XML")


def test_mismatched_tag_names_its_line() -> None:
    xml = (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n<ListRecords>\n'
        "<record><header><identifier>x</identifier></header></record>\n"
        "<record><header></record>\n</ListRecords></OAI-PMH>\n"
    )
    with pytest.raises(ParseError) as caught:
        list(oai_pmh.parse(io.StringIO(xml), "bad.xml"))
    assert caught.value.line == 4


def test_declared_encoding_of_an_already_decoded_stream(tmp_path: Path) -> None:
    text = ARXIV_RAW.read_text(encoding="utf-8").replace("UTF-8", "ISO-8859-1")
    text = text.replace("Rosalind Quill</submitter>", "Rosalind Quíll</submitter>")
    path = tmp_path / "latin1.xml"
    path.write_bytes(text.encode("iso-8859-1"))
    with path.open(encoding="iso-8859-1") as f:
        (record,) = oai_pmh.parse(f, str(path))
    assert isinstance(record, Record)
    assert record.extra["submitter"] == "Rosalind Quíll"


def test_resumption_token() -> None:
    assert oai_pmh.resumption_token(ARXIV.read_text(encoding="utf-8")) == "6960524|1001"
    assert oai_pmh.resumption_token(DC.read_text(encoding="utf-8")) is None
    last_page = (
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
        '<resumptionToken completeListSize="3" cursor="2"/></ListRecords></OAI-PMH>'
    )
    assert oai_pmh.resumption_token(last_page) is None


class SizedReadsOnly(io.StringIO):
    """A generated OAI response that can only be read in bounded chunks."""

    def __init__(self, n_records: int) -> None:
        super().__init__()
        self._parts = self._generate(n_records)
        self._buffer = ""
        self.largest_request = 0

    @staticmethod
    def _generate(n: int) -> Iterator[str]:
        yield '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n<ListRecords>\n'
        for i in range(n):
            yield (
                f"<record><header><identifier>oai:arXiv.org:2401.{i:05d}</identifier></header>"
                '<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">'
                f"<id>2401.{i:05d}</id><title>Paper {i}</title></arXiv></metadata></record>\n"
            )
        yield "</ListRecords>\n</OAI-PMH>\n"

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            raise AssertionError("the parser asked for the whole stream")
        self.largest_request = max(self.largest_request, size)
        while len(self._buffer) < size:
            part = next(self._parts, None)
            if part is None:
                break
            self._buffer += part
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def test_streams_in_bounded_chunks() -> None:
    stream = SizedReadsOnly(20_000)
    count = 0
    last: ParseItem | None = None
    for item in oai_pmh.parse(stream, "generated.xml"):
        count, last = count + 1, item
    assert count == 20_000
    assert isinstance(last, Record)
    assert last.arxiv_id == "2401.19999"
    assert last.locator == "record 20000 (line 20002)"
    assert stream.largest_request <= 1 << 20


def test_sniff() -> None:
    for path in (ARXIV, ARXIV_RAW, DC, ERROR, NO_RECORDS, TRUNCATED):
        assert oai_pmh.sniff(path.read_text(encoding="utf-8"), path.name)
    for name in ("arxiv_api.atom", "arxiv_api_error.atom", "arxiv_snapshot.jsonl"):
        assert not oai_pmh.sniff((FIXTURES / name).read_text(encoding="utf-8"), name)


def test_format_spec() -> None:
    assert oai_pmh.FORMAT.name == "oai-pmh"
    assert oai_pmh.FORMAT.extensions == (".xml",)
