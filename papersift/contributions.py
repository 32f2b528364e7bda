"""What a reader adds from the web profile (a paste, an upload, the API) is theirs alone.

Issue 13: a pasted, unpublished abstract became a library paper that every user could
search and open, with ``reader:NAME`` and a temporary server path in its sources. Now:

* a record that dedup finds in the shared library adds nothing to it: the reader's signal
  simply points at the paper there (others see nothing new, not even a source);
* any other record becomes a paper *owned* by the reader (``papers.owner_reader_id``):
  searchable, similar-able and in a feed for them only. It has no match keys, so no later
  ingest (the CLI, an admin's upload, another reader's paste) ever merges into it; its
  source is ``profile:<reader id>`` (never a name) and its file the upload's own name.

Admins (the admin page) and the CLI still add to the shared library with ``ingest_file``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from papersift.errors import ParseError, UnknownFormatError, UsageError
from papersift.ingest import dedup
from papersift.ingest.pipeline import SNIFF_BYTES, detect_format
from papersift.ingest.reading import Prepared, read_batches
from papersift.ingest.sources import readers
from papersift.models import Hit, Signal, Skipped, SourcedRecord
from papersift.store import Store
from papersift.store.base import NewPaper, NewRecord

_UNSAFE_NAME = re.compile(r"[^\w.\-]+")


@dataclass
class Contribution:
    """What adding a listing to a reader's profile did."""

    read: int = 0
    new: int = 0  # papers that are now the reader's own (private)
    found: int = 0  # already in the library: the reader's signal points there
    skipped: list[Skipped] = field(default_factory=list)
    paper_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{self.read} read", f"{self.found} found in the library"]
        parts.append(f"{self.new} added as your own (only you see them)")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (first: {self.skipped[0].reason})")
        return "; ".join(parts)


def upload_name(filename: str) -> str:
    """A harmless file name for an upload (``..``, ``.``, paths and odd characters go)."""
    name = _UNSAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name).strip("._")
    return name[:80] or "upload.txt"


def formats_accepted() -> str:
    return ", ".join(spec.name for spec in readers())


def add_private_papers(
    store: Store, reader_id: int, filename: str, payload: bytes, now: str | None = None
) -> Contribution:
    """Read ``payload`` (a paste or an upload named ``filename``) into the reader's profile,
    in one transaction; errors name the upload and line, never a path on the server."""
    name = upload_name(filename)
    stamp = now or datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(payload)
        try:
            spec = detect_format(path, payload[:SNIFF_BYTES])
            batches = read_batches(path, spec.parse, f"profile:{reader_id}")
            return _store_items(store, reader_id, name, spec.name, batches, stamp)
        except UnknownFormatError as exc:
            raise UsageError(
                f"papersift cannot tell the format of {name}: it reads {formats_accepted()}"
            ) from exc
        except ParseError as exc:
            where = f"{name}, line {exc.line}" if exc.line is not None else name
            raise UsageError(f"{where}: {exc.message}") from exc


def _store_items(
    store: Store,
    reader_id: int,
    name: str,
    format_name: str,
    batches: Iterable[tuple[Sequence[Prepared | Skipped], int]],
    now: str,
) -> Contribution:
    done = Contribution()
    with store.transaction():
        for items, _ in batches:
            for item in items:
                done.read += 1
                if isinstance(item, Skipped):
                    done.skipped.append(item)
                    continue
                pid = _paper_for(store, reader_id, item, name, format_name, now, done)
                if pid is not None and pid not in done.paper_ids:
                    done.paper_ids.append(pid)
        if done.read and not done.paper_ids:
            first = done.skipped[0] if done.skipped else None
            why = f": {first.locator}: {first.reason}" if first else ""
            raise UsageError(f"no entry of {name} could be read{why}")
        if not done.read:
            raise UsageError(f"{name} holds no entry papersift can read")
        signals = [Signal(pid, "file", 1, now) for pid in done.paper_ids]
        store.set_signals(reader_id, signals)
    return done


def _paper_for(
    store: Store,
    reader_id: int,
    item: Prepared,
    name: str,
    format_name: str,
    now: str,
    done: Contribution,
) -> int | None:
    """The paper this record is: one in the shared library (or the reader's), else a new
    private one."""
    known, candidates = store.lookup(item.fingerprint, item.exact, item.blocking)
    if known:  # the reader added this very record before
        found = store.papers_of_records([item.fingerprint])
        return found[0] if found and visible_ids(store, reader_id, found) else None
    shared = sorted(visible_ids(store, reader_id, candidates))
    views = store.paper_views(shared)
    view = dedup.view_of(item.record)
    matches = [pid for pid in shared if dedup.same_paper(view, views[pid]) is not None]
    if matches:
        done.found += 1
        return matches[0]
    fields = dedup.merge_records([SourcedRecord(item.record, format_name)])
    record = NewRecord(
        item.record, item.fingerprint, item.data, f"profile:{reader_id}", name, format_name, now
    )
    [pid] = store.insert_papers([NewPaper(fields, record, ())], now)
    store.set_paper_owner([pid], reader_id)
    done.new += 1
    return pid


# ---------------------------------------------------------------------- who sees what


def visible_ids(store: Store, reader_id: int | None, paper_ids: Sequence[int]) -> set[int]:
    """Those of ``paper_ids`` this reader may see: the shared library's and their own
    (``reader_id`` None: the shared library's only)."""
    owners = store.paper_owners(paper_ids)
    return {int(p) for p in paper_ids if owners.get(int(p), reader_id) == reader_id}


def visible_hits(store: Store, reader_id: int | None, hits: list[Hit]) -> list[Hit]:
    """The hits this reader may see, in their order."""
    allowed = visible_ids(store, reader_id, [h.paper.id for h in hits])
    return [h for h in hits if h.paper.id in allowed]
