"""Ingesting one file: detect its format, parse it, deduplicate each record into the store.

Each file is one transaction: if anything fails (a malformed file, ``--strict`` and a bad
entry, a full disk, Ctrl-C) the library is left exactly as it was.
"""

from __future__ import annotations

import functools
import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, TextIO

from papersift.errors import ParseError, UnknownFormatError, UsageError
from papersift.ingest import dedup
from papersift.ingest.formats import FormatSpec
from papersift.ingest.normalize import normalize_arxiv_id
from papersift.ingest.sources import reader_named, readers
from papersift.models import Record, Skipped, record_to_json
from papersift.store.base import NewPaper, NewRecord, Store

SNIFF_BYTES = 64 * 1024
ProgressCallback = Callable[[int, int], None]  # (bytes read, total bytes)


@dataclass
class FileReport:
    """What ingesting one file did."""

    path: str
    format: str
    source: str
    read: int = 0
    new: int = 0
    merged: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    merge_reasons: Counter[str] = field(default_factory=Counter)


def _head_text(path: Path, head: bytes) -> str:
    if not head.strip():
        raise ParseError(str(path), None, "the file is empty")
    if b"\x00" in head[:8192]:
        raise ParseError(str(path), None, "this is a binary file, not a text listing")
    return head.decode("utf-8-sig", errors="replace")


def detect_format(path: Path, head: bytes, name: str | None = None) -> FormatSpec:
    """The reader named by ``--format``, else the first whose sniff accepts the file."""
    text = _head_text(path, head)
    if name:
        return reader_named(name)
    for spec in readers():
        if spec.sniff(text, path.name):
            return spec
    names = ", ".join(spec.name for spec in readers())
    raise UnknownFormatError(
        f"{path}: cannot tell the format of this file; pass --format (one of: {names})"
    )


def _first_bad_utf8_line(path: Path) -> int:
    """Line number of the first byte sequence that is not UTF-8 (called only on failure)."""
    line = 1
    with path.open("rb") as f:
        for raw in f:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return line
            line += 1
    return line


@contextmanager
def open_text(path: Path) -> Iterator[tuple[TextIO, BinaryIO]]:
    """The file as UTF-8 text (and its byte stream, for progress); bad bytes name the line."""
    try:
        binary = path.open("rb")
    except OSError as exc:
        raise ParseError(str(path), None, f"cannot read: {exc.strerror}") from exc
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline=None)
    try:
        yield text, binary
    except UnicodeDecodeError as exc:
        line = _first_bad_utf8_line(path)
        raise ParseError(str(path), line, "not UTF-8 text; convert the file to UTF-8") from exc
    finally:
        text.close()


def canonical(record: Record) -> Record:
    """Fold an arXiv DOI into the arXiv id, so the two spellings of an id agree."""
    if record.doi and record.doi.startswith("10.48550/arxiv."):
        record.arxiv_id = record.arxiv_id or normalize_arxiv_id(record.doi)
        record.doi = None
    return record


def new_record(record: Record, report: FileReport, now: str) -> NewRecord:
    """The record with its provenance and fingerprint: same source and same content is the
    same record, wherever it sits in the file, so re-reading a file adds nothing."""
    locator, record.locator = record.locator, ""
    data = record_to_json(record)
    record.locator = locator
    fingerprint = dedup.digest(f"{report.source}\x00{data}")
    return NewRecord(record, fingerprint, data, report.source, report.path, report.format, now)


class Ingester:
    """Adds parsed records of one file to a store, deduplicating as it goes.

    New papers are written in batches (``BATCH`` at a time): a record whose keys meet a
    paper still in the batch flushes it first, so dedup always sees every earlier record.
    """

    BATCH = 1000

    def __init__(self, store: Store, report: FileReport, now: str) -> None:
        self.store = store
        self.report = report
        self.now = now
        self.pending: list[NewPaper] = []
        self.pending_keys: set[int] = set()
        self.pending_fingerprints: set[int] = set()

    def add(self, record: Record) -> None:
        new = new_record(canonical(record), self.report, self.now)
        keys = dedup.match_keys(record)
        if new.fingerprint in self.pending_fingerprints:
            self.report.unchanged += 1
            return
        if not self.pending_keys.isdisjoint(keys.all()):
            self.flush()
        known, candidates = self.store.lookup(new.fingerprint, keys.exact, keys.blocking)
        if known:
            self.report.unchanged += 1
            return
        matches = self._matches(record, candidates)
        if matches:
            self._merge_into(matches, new, keys)
            return
        fields = dedup.merge_records([dedup.SourcedRecord(record, self.report.format)])
        self.pending.append(NewPaper(fields, new, keys.all()))
        self.pending_keys.update(keys.all())
        self.pending_fingerprints.add(new.fingerprint)
        self.report.new += 1
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.insert_papers(self.pending, self.now)
        self.pending.clear()
        self.pending_keys.clear()
        self.pending_fingerprints.clear()

    def _matches(self, record: Record, candidates: list[int]) -> dict[int, str]:
        if not candidates:
            return {}
        view = dedup.view_of(record)
        views = self.store.paper_views(candidates)
        return {
            pid: reason
            for pid in candidates
            if (reason := dedup.same_paper(view, views[pid])) is not None
        }

    def _merge_into(self, matches: dict[int, str], new: NewRecord, keys: dedup.Keys) -> None:
        survivor, *others = sorted(matches)
        for other in others:
            self.store.absorb(survivor, other)
            self.store.log_merge(survivor, None, other, matches[other], self.now)
        record_id = self.store.add_record(survivor, new)
        self.store.add_keys(survivor, keys.all())
        self.store.log_merge(survivor, record_id, None, matches[survivor], self.now)
        fields = dedup.merge_records(self.store.records_of(survivor))
        self.store.update_paper(survivor, fields, self.now)
        self.report.merged += 1
        self.report.merge_reasons[matches[survivor]] += 1


def ingest_file(
    store: Store,
    path: Path,
    *,
    format_name: str | None = None,
    source: str | None = None,
    strict: bool = False,
    columns: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
) -> FileReport:
    """Read one file into the library in one transaction and say what happened."""
    if not path.is_file():
        raise ParseError(str(path), None, "no such file" if not path.exists() else "not a file")
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    spec = detect_format(path, head, format_name)
    parse = spec.parse
    if columns:
        if not spec.accepts_columns:
            raise UsageError(f"{path}: --columns applies to csv and json files, not {spec.name}")
        parse = functools.partial(spec.parse, columns=columns)  # type: ignore[call-arg]
    now = datetime.now(UTC).isoformat(timespec="seconds")
    report = FileReport(str(path.resolve()), spec.name, source or path.stem)
    total = path.stat().st_size
    ingester = Ingester(store, report, now)
    with store.transaction(), open_text(path) as (text, binary):
        for item in parse(text, str(path)):
            report.read += 1
            if isinstance(item, Skipped):
                if strict:
                    raise ParseError(str(path), item.line, f"{item.locator}: {item.reason}")
                report.skipped.append(item)
            elif not (item.title or item.abstract):
                report.skipped.append(Skipped(item.locator, "no title and no abstract"))
            else:
                ingester.add(item)
            if progress and report.read % 1000 == 0:
                progress(binary.tell(), total)
        ingester.flush()
    if progress:
        progress(total, total)
    return report
