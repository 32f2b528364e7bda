"""Ingesting one file: detect its format, parse it, deduplicate each record into the store.

Each file is one transaction: if anything fails (a malformed file, ``--strict`` and a bad
entry, a full disk, Ctrl-C) the library is left exactly as it was.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from papersift.errors import ParseError, UnknownFormatError, UsageError
from papersift.ingest import dedup
from papersift.ingest.formats import FormatSpec
from papersift.ingest.reading import (
    BATCH,
    Prepared,
    prepare,
    read_batches,
    read_batches_in_worker,
    text_encoding,
)
from papersift.ingest.sources import reader_named, readers
from papersift.models import Keys, ParseItem, Record, Skipped, SourcedRecord
from papersift.store.base import NewPaper, NewRecord, Prefetched, Store

SNIFF_BYTES = 64 * 1024
PARALLEL_MIN_BYTES = 16 * 1024 * 1024
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
    #: Records that replaced their own earlier version (live sources: same source, file and
    #: locator, new content, such as a new upvote count).
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    merge_reasons: Counter[str] = field(default_factory=Counter)
    #: Records kept apart from a paper whose identifier they share (see dedup.identifier_conflict).
    conflicts: int = 0
    #: The fingerprint of every record read, in file order (``Store.papers_of_records``
    #: turns them into the papers they belong to).
    fingerprints: list[int] = field(default_factory=list)


def _head_text(path: Path, head: bytes) -> str:
    if not head.strip():
        raise ParseError(str(path), None, "the file is empty")
    encoding = text_encoding(head)
    if encoding == "utf-8-sig" and b"\x00" in head[:8192]:
        raise ParseError(str(path), None, "this is a binary file, not a text listing")
    text = head.decode(encoding, errors="replace")
    # Sniffers match line starts; the parsers read with universal newlines (a JabRef test
    # file ends its lines with a bare CR, as classic Mac OS did).
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _recognised(text: str, path: Path) -> FormatSpec | None:
    return next((spec for spec in readers() if spec.sniff(text, path.name)), None)


def _check_named(spec: FormatSpec, text: str, path: Path) -> None:
    """``--format`` on a file that another reader recognises is a mistake, not an empty
    file: an Atom feed read as OAI-PMH gave "0 read" and exit 0. (A file no reader knows is
    left to the named parser: a spreadsheet with its own headers and --columns.)"""
    found = None if spec.sniff(text, path.name) else _recognised(text, path)
    if found is not None:
        raise UsageError(
            f"{path}: this is not {spec.name} but looks like {found.name}; "
            f"leave out --format to read it as {found.name}"
        )


def detect_format(path: Path, head: bytes, name: str | None = None) -> FormatSpec:
    """The reader named by ``--format`` (if the content does not say otherwise), else the
    first whose sniff accepts the file."""
    text = _head_text(path, head)
    if name:
        named = reader_named(name)
        _check_named(named, text, path)
        return named
    for spec in readers():
        if spec.sniff(text, path.name):
            return spec
    names = ", ".join(spec.name for spec in readers())
    raise UnknownFormatError(
        f"{path}: cannot tell the format of this file; pass --format (one of: {names})"
    )


class Ingester:
    """Adds prepared records of one file to a store, deduplicating as it goes.

    Work is batched both ways. Each batch of records is looked up in one query
    (``Store.lookup_many``) and new papers are written ``WRITE_BATCH`` at a time. A record
    whose keys meet anything written or queued since that query is looked up again on its
    own (after writing the queue), so dedup always sees every earlier record.

    With ``replace_same_origin`` a changed record whose paper already holds a record of the
    same source, file and locator replaces that record instead of joining it: a live source
    re-read (a day of Hugging Face papers with new upvotes, a revised arXiv listing) keeps
    one record per entry.
    """

    WRITE_BATCH = 1000

    def __init__(
        self, store: Store, report: FileReport, now: str, replace_same_origin: bool = False
    ) -> None:
        self.store = store
        self.report = report
        self.now = now
        self.replace_same_origin = replace_same_origin
        self.pending: list[NewPaper] = []
        self.pending_keys: set[int] = set()
        self.prefetched: Prefetched | None = None
        self.recent_keys: set[int] = set()  # written or queued since the prefetch
        self.recent_fingerprints: set[int] = set()
        self.locked = False  # store.lock_papers() taken (for the enclosing transaction)

    def add_batch(self, items: list[Prepared]) -> None:
        if not self.locked:  # before the first lookup: dedup must see a concurrent ingest
            self.store.lock_papers()
            self.locked = True
        self.prefetched = self.store.lookup_many(
            [i.fingerprint for i in items],
            [k for i in items for k in i.exact],
            [k for i in items for k in i.blocking],
        )
        # Queued papers are not in the store yet, so the prefetch cannot know them.
        self.recent_keys = set(self.pending_keys)
        self.recent_fingerprints = {p.record.fingerprint for p in self.pending}
        for item in items:
            self.add(item)

    def add(self, item: Prepared) -> None:
        keys = item.keys
        every_key = keys.all()
        if item.fingerprint in self.recent_fingerprints:
            self.report.unchanged += 1
            return
        if not self.pending_keys.isdisjoint(every_key):
            self.flush()
        if self.prefetched is None or not self.recent_keys.isdisjoint(every_key):
            known, candidates = self.store.lookup(item.fingerprint, keys.exact, keys.blocking)
        else:
            known, candidates = self.prefetched.find(item.fingerprint, keys)
        if known:
            self.report.unchanged += 1
            return
        r = self.report
        new = NewRecord(
            item.record, item.fingerprint, item.data, r.source, r.path, r.format, self.now
        )
        self.recent_keys.update(every_key)
        self.recent_fingerprints.add(item.fingerprint)
        matches = self._matches(item.record, item.fingerprint, candidates)
        if matches:
            self._merge_into(matches, new, keys)
            return
        fields = dedup.merge_records([SourcedRecord(item.record, r.format)])
        self.pending.append(NewPaper(fields, new, every_key))
        self.pending_keys.update(every_key)
        self.report.new += 1
        if len(self.pending) >= self.WRITE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.store.insert_papers(self.pending, self.now)
        self.pending.clear()
        self.pending_keys.clear()

    def _matches(self, record: Record, fingerprint: int, candidates: list[int]) -> dict[int, str]:
        """The candidates that are this record's paper, with why; a candidate that shares an
        identifier with it but is plainly another paper is stored as a conflict."""
        if not candidates:
            return {}
        view = dedup.view_of(record)
        views = self.store.paper_views(candidates)
        matches: dict[int, str] = {}
        for pid in candidates:
            if (reason := dedup.same_paper(view, views[pid])) is not None:
                matches[pid] = reason
            elif conflict := dedup.identifier_conflict(view, views[pid]):
                self.store.add_conflict(pid, fingerprint, conflict, self.now)
                self.report.conflicts += 1
        return matches

    def _merge_into(self, matches: dict[int, str], new: NewRecord, keys: Keys) -> None:
        survivor, *others = sorted(matches)
        if others:  # papers vanish: the batch's prefetched ids may name them
            self.prefetched = None
        for other in others:
            records = self.store.records_of(other)
            moved = {k for item in records for k in dedup.match_keys(item.record).all()}
            self.store.absorb(survivor, other, sorted(moved))
            self.store.log_merge(survivor, None, other, matches[other], self.now)
        self.store.add_keys(survivor, keys.all())
        if self.replace_same_origin and self._replace(survivor, new):
            self.report.updated += 1
        else:
            record_id = self.store.add_record(survivor, new)
            self.store.log_merge(survivor, record_id, None, matches[survivor], self.now)
            self.report.merged += 1
            self.report.merge_reasons[matches[survivor]] += 1
        fields = dedup.merge_records(self.store.records_of(survivor))
        self.store.update_paper(survivor, fields, self.now)

    def _replace(self, paper_id: int, new: NewRecord) -> bool:
        """Replace the paper's record of the same origin as ``new``, if it has one."""
        paper = self.store.get_paper(paper_id)
        origin = (new.source, new.file, new.record.locator)
        for source in paper.sources if paper else ():
            if (source.source, source.file, source.locator) == origin:
                self.store.replace_record(source.record_id, new)
                return True
        return False


def ingest_records(
    store: Store,
    items: Iterable[ParseItem],
    report: FileReport,
    *,
    replace_same_origin: bool = False,
    now: str | None = None,
) -> None:
    """Deduplicate parsed records into the store, counting into ``report`` (whose path,
    format and source go with every record). Opens no transaction: the caller holds one, so
    that it can write more (a harvest's resumption token) in the same commit."""
    stamp = now or datetime.now(UTC).isoformat(timespec="seconds")
    ingester = Ingester(store, report, stamp, replace_same_origin)
    batch: list[Prepared] = []
    for item in items:
        report.read += 1
        prepared = prepare(item, report.source)
        if isinstance(prepared, Skipped):
            report.skipped.append(prepared)
            continue
        report.fingerprints.append(prepared.fingerprint)
        batch.append(prepared)
        if len(batch) >= BATCH:
            ingester.add_batch(batch)
            batch = []
    if batch:
        ingester.add_batch(batch)
    ingester.flush()


def ingest_file(
    store: Store,
    path: Path,
    *,
    format_name: str | None = None,
    source: str | None = None,
    strict: bool = False,
    columns: Mapping[str, str] | None = None,
    progress: ProgressCallback | None = None,
    parallel: bool | None = None,
) -> FileReport:
    """Read one file into the library in one transaction and say what happened.

    ``parallel`` parses in a second process (default: for files of ``PARALLEL_MIN_BYTES``
    or more on a machine with more than one core).
    """
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
    if parallel is None:
        parallel = total >= PARALLEL_MIN_BYTES and (os.cpu_count() or 1) > 1
    read = read_batches_in_worker if parallel else read_batches
    ingester = Ingester(store, report, now)
    with store.transaction():
        for items, position in read(path, parse, report.source):
            report.read += len(items)
            for item in items:
                if isinstance(item, Skipped):
                    if strict and not item.expected:
                        raise ParseError(str(path), item.line, f"{item.locator}: {item.reason}")
                    report.skipped.append(item)
            prepared = [item for item in items if isinstance(item, Prepared)]
            report.fingerprints.extend(item.fingerprint for item in prepared)
            ingester.add_batch(prepared)
            if progress:
                progress(position, total)
        ingester.flush()
        if report.read == 0 and format_name and not spec.sniff(_head_text(path, head), path.name):
            message = f"no {spec.name} entries found: this does not look like {spec.name}"
            raise ParseError(str(path), None, message)
        faults = [s for s in report.skipped if not s.expected]
        if faults and report.read == len(faults):
            first = report.skipped[0]
            raise ParseError(
                str(path),
                first.line,
                f"no entry could be read ({len(report.skipped)} skipped); "
                f"the first: {first.locator}: {first.reason}",
            )
    return report
