"""Turning a file into prepared records: parsed, fingerprinted and keyed, ready to dedup.

Preparing is pure work (no database), so for a big file it runs in a second process while
this one deduplicates and writes: on the arXiv snapshot that uses both cores of a laptop.
Both ways yield the same batches in the same order.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import multiprocessing
import os
import queue
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from papersift.errors import PapersiftError, ParseError
from papersift.ingest import dedup
from papersift.ingest.normalize import normalize_arxiv_id
from papersift.models import Keys, ParseItem, Record, Skipped, record_from_json, record_to_json

BATCH = 500
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
Parse = Callable[[TextIO, str], Iterator[ParseItem]]


class Prepared:
    """A record with what dedup and storage need: content fingerprint, JSON, match keys.

    It crosses from the worker process as plain strings and numbers (a pickled dataclass
    costs several times more); the Record is rebuilt from its JSON only where it is used.
    """

    __slots__ = ("_record", "blocking", "data", "exact", "fingerprint", "locator")

    def __init__(
        self,
        fingerprint: int,
        data: str,
        locator: str,
        exact: tuple[int, ...],
        blocking: tuple[int, ...],
        record: Record | None = None,
    ) -> None:
        self.fingerprint = fingerprint
        self.data = data
        self.locator = locator
        self.exact = exact
        self.blocking = blocking
        self._record = record

    def __reduce__(
        self,
    ) -> tuple[type[Prepared], tuple[int, str, str, tuple[int, ...], tuple[int, ...]]]:
        return (Prepared, (self.fingerprint, self.data, self.locator, self.exact, self.blocking))

    @property
    def record(self) -> Record:
        if self._record is None:
            self._record = record_from_json(self.data)
            self._record.locator = self.locator
        return self._record

    @property
    def keys(self) -> Keys:
        return Keys(self.exact, self.blocking)


Item = Prepared | Skipped
Batch = tuple[list[Item], int]  # items, and how many bytes of the file were read so far


def canonical(record: Record) -> Record:
    """Fold an arXiv DOI into the arXiv id, so the two spellings of an id agree; a search
    engine's snippet abstract ("… x … y …") is marked as cut short, so a full one wins."""
    if record.doi and record.doi.startswith("10.48550/arxiv."):
        record.arxiv_id = record.arxiv_id or normalize_arxiv_id(record.doi)
        record.doi = None
    if record.abstract and not record.abstract_truncated and dedup.is_snippet(record.abstract):
        record.abstract_truncated = True
    return record


def prepare(item: ParseItem, source: str) -> Item:
    """Same source and same content give the same fingerprint, wherever the entry sits in
    the file, so re-reading a file adds nothing. The locator is kept out of the JSON."""
    if isinstance(item, Skipped):
        return item
    if not (item.title or item.abstract):
        return Skipped(item.locator, "no title and no abstract")
    record = canonical(item)
    locator, record.locator = record.locator, ""
    data = record_to_json(record)
    record.locator = locator
    fingerprint = dedup.digest(f"{source}\x00{data}")
    keys = dedup.match_keys(record)
    return Prepared(fingerprint, data, locator, keys.exact, keys.blocking, record)


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


_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def text_encoding(head: bytes) -> str:
    """The codec of a file that starts with ``head``: UTF-16 or UTF-32 when it opens with
    their byte-order mark (Windows tools save BibTeX and CSV so), else UTF-8 with or without
    its own mark. A UTF-16 BibTeX file used to be refused as binary for its zero bytes."""
    return next((codec for bom, codec in _BOMS if head.startswith(bom)), "utf-8-sig")


@contextmanager
def open_text(path: Path) -> Iterator[tuple[TextIO, BinaryIO]]:
    """The file as text (and its byte stream, for progress), in the encoding its byte-order
    mark names, else UTF-8; bad bytes name the line."""
    try:
        binary = path.open("rb")
    except OSError as exc:
        raise ParseError(str(path), None, f"cannot read: {exc.strerror}") from exc
    encoding = text_encoding(binary.read(4))
    binary.seek(0)
    text = io.TextIOWrapper(binary, encoding=encoding, errors="strict", newline=None)
    try:
        yield text, binary
    except UnicodeDecodeError as exc:
        if encoding != "utf-8-sig":
            raise ParseError(str(path), None, f"not valid {encoding.upper()} text") from exc
        line = _first_bad_utf8_line(path)
        raise ParseError(str(path), line, "not UTF-8 text; convert the file to UTF-8") from exc
    finally:
        text.close()


def read_batches(path: Path, parse: Parse, source: str) -> Iterator[Batch]:
    """Prepared items of a file, in batches, in this process."""
    with open_text(path) as (text, binary):
        items: list[Item] = []
        for item in parse(text, str(path)):
            items.append(prepare(item, source))
            if len(items) >= BATCH:
                yield items, binary.tell()
                items = []
        yield items, binary.tell()


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when its parent dies (a ``kill -9`` of the CLI left
    the parser of a 200k-record file running for minutes); elsewhere the parent's
    ``finally`` and the queue's timeout stop it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _produce(
    path: Path, parse: Parse, source: str, out: multiprocessing.Queue[object], parent: int
) -> None:
    """Worker process: put every batch, then None; or the exception that stopped it."""
    _die_with_parent(parent)
    try:
        for batch in read_batches(path, parse, source):
            out.put(batch)
        out.put(None)
    except BaseException as exc:
        out.put(exc)


def read_batches_in_worker(path: Path, parse: Parse, source: str) -> Iterator[Batch]:
    """Like :func:`read_batches`, but parsing and preparing run in a second process.

    At most a few batches wait in the queue, so memory stays flat however big the file;
    if the consumer stops early (an error, Ctrl-C) the worker is stopped too.
    """
    # fork where there is one: it starts at once and does not re-run the caller's __main__
    # (spawn does, which surprises scripts without a main guard). The child only parses and
    # talks through the queue, so locks held by other threads of this process do not matter.
    fork = "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    channel: multiprocessing.Queue[object] = context.Queue(maxsize=8)
    worker = context.Process(
        target=_produce, args=(path, parse, source, channel, os.getpid()), daemon=True
    )
    worker.start()
    try:
        while True:
            try:
                message = channel.get(timeout=1.0)
            except queue.Empty:
                if not worker.is_alive():
                    raise PapersiftError(
                        f"{path}: the reader process stopped unexpectedly"
                    ) from None
                continue
            if message is None:
                return
            if isinstance(message, BaseException):
                raise message
            yield message  # type: ignore[misc]
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        channel.close()
