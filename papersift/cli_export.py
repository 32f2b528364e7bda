"""``papersift export``: papers out of the library as BibTeX or as an Atom feed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import click

from papersift.cli_common import _recommender, _searcher, err
from papersift.errors import UsageError
from papersift.export import atom_feed, to_bibtex
from papersift.ingest.normalize import parse_date
from papersift.models import Hit, Paper
from papersift.rank.priors import DEFAULT_WINDOW_DAYS
from papersift.recommend import FeedSettings
from papersift.search_modes import MODE_NAMES

DEFAULT_LIMIT = 10
DEFAULT_BASE_URL = "http://localhost:8000"


@click.group()
def export() -> None:
    """Papers out of the library: BibTeX for a reference manager, Atom for a feed reader."""


def _window_options(command: Callable[..., None]) -> Callable[..., None]:
    """--days, --since, --limit: which part of a feed (or how much of a search) to export."""
    options = [
        click.option(
            "--days",
            type=click.IntRange(min=1),
            help=f"Feed window: the last N days (default {DEFAULT_WINDOW_DAYS}).",
        ),
        click.option("--since", metavar="DATE", help="Feed window start (instead of --days)."),
        click.option(
            "--limit",
            type=click.IntRange(min=1),
            help=f"At most K papers (default {DEFAULT_LIMIT}; --liked: all of them).",
        ),
        click.option(
            "--out",
            "out_path",
            type=click.Path(path_type=Path),
            metavar="FILE",
            help="Write to FILE instead of standard output.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@export.command("bibtex")
@click.option("--feed", "feed_reader", metavar="READER", help="The papers of READER's feed.")
@click.option("--search", "query", metavar="QUERY", help="The results of a search.")
@click.option(
    "--liked", "liked_reader", metavar="READER", help="READER's own, listed and liked papers."
)
@click.option(
    "--mode",
    type=click.Choice(MODE_NAMES, case_sensitive=False),
    help="keywords, meaning or both (default both; or lexical, semantic, hybrid).",
)
@_window_options
@click.pass_context
def export_bibtex(
    ctx: click.Context,
    feed_reader: str | None,
    query: str | None,
    liked_reader: str | None,
    mode: str | None,
    days: int | None,
    since: str | None,
    limit: int | None,
    out_path: Path | None,
) -> None:
    """BibTeX entries of a feed, a search or a reader's liked papers (one of them)."""
    chosen = [s for s in (feed_reader, query, liked_reader) if s is not None]
    if len(chosen) != 1:
        raise UsageError(
            "export bibtex wants exactly one of --feed READER, --search QUERY, --liked READER"
        )
    if mode is not None and query is None:
        raise UsageError("--mode goes with --search")
    if (days is not None or since is not None) and feed_reader is None:
        raise UsageError("--days and --since go with --feed")
    papers: Sequence[Paper]
    if feed_reader is not None:
        hits = _feed_hits(ctx, feed_reader, days, since, limit)
        papers = [h.paper for h in hits]
    elif query is not None:
        papers = [h.paper for h in _search_hits(ctx, query, mode or "hybrid", limit)]
    else:
        papers = _liked_papers(ctx, liked_reader or "", limit)
    _emit(to_bibtex(papers).encode(), out_path, f"{len(papers)} BibTeX entries")


@export.command("atom")
@click.option("--feed", "feed_reader", metavar="READER", help="The reader whose feed to export.")
@click.option(
    "--base-url",
    default=DEFAULT_BASE_URL,
    show_default=True,
    metavar="URL",
    help="Where the web app is served (links to papers without an arXiv id or URL).",
)
@_window_options
@click.pass_context
def export_atom(
    ctx: click.Context,
    feed_reader: str | None,
    base_url: str,
    days: int | None,
    since: str | None,
    limit: int | None,
    out_path: Path | None,
) -> None:
    """An Atom feed of a reader's feed, with why each paper is in it."""
    if feed_reader is None:
        raise UsageError("export atom wants --feed READER")
    if not base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url wants an http(s) URL, not {base_url!r}")
    hits = _feed_hits(ctx, feed_reader, days, since, limit, allow_empty=True)
    if not hits:  # an empty feed is still a valid feed: readers keep polling it
        err.print(f"note: no new papers for {feed_reader} in this window; the feed is empty")
    base = base_url.rstrip("/")
    document = atom_feed(
        f"papersift: new papers for {feed_reader}",
        f"{base}/feeds/{quote(feed_reader, safe='')}.atom",
        f"{base}/feed",
        hits,
        feed_id=f"urn:papersift:feed:{quote(feed_reader, safe='')}",
        updated=None if hits else datetime.now(UTC),
    )
    _emit(document, out_path, f"an Atom feed of {len(hits)} papers")


def _feed_hits(
    ctx: click.Context,
    reader: str,
    days: int | None,
    since: str | None,
    limit: int | None,
    allow_empty: bool = False,
) -> list[Hit]:
    if days is not None and since is not None:
        raise UsageError("--days or --since, not both")
    if since is not None and parse_date(since) is None:
        raise UsageError(f"--since wants a date like 2024-05-01, not {since!r}")
    settings = FeedSettings(
        days=days or DEFAULT_WINDOW_DAYS, since=parse_date(since), limit=limit or DEFAULT_LIMIT
    )
    hits = _recommender(ctx).feed(reader, settings)  # a preview: nothing is marked shown
    if not hits and not allow_empty:
        raise UsageError(
            f"nothing to export: no new papers for {reader!r} in this window (try --days N)"
        )
    return hits


def _search_hits(ctx: click.Context, query: str, mode: str, limit: int | None) -> list[Hit]:
    searcher = _searcher(ctx)
    hits = searcher.search(query, mode=mode, limit=limit or DEFAULT_LIMIT)
    for note in searcher.notes:
        err.print(f"note: {note}")
    if not hits:
        raise UsageError(f"nothing to export: no results for {query!r}")
    return hits


def _liked_papers(ctx: click.Context, name: str, limit: int | None) -> list[Paper]:
    """The reader's papers whose latest signal is positive (own, listed, liked, thumbs-up)."""
    rec = _recommender(ctx)
    reader = rec.reader(name)
    latest: dict[int, int] = {}
    for signal in sorted(rec.store.signals(reader.id), key=lambda s: s.at):
        latest[signal.paper_id] = signal.label  # in the order first seen, the latest verdict
    liked = [pid for pid, label in latest.items() if label > 0][:limit]
    if not liked:
        raise UsageError(f"nothing to export: reader {name!r} has no liked papers yet")
    papers = rec.store.get_papers(liked)
    return [papers[pid] for pid in liked if pid in papers]


def _emit(data: bytes, out_path: Path | None, what: str) -> None:
    """To standard output, or to ``out_path`` (written whole: a failure leaves no half file)."""
    if out_path is None:
        click.echo(data.decode("utf-8"), nl=False)
        return
    partial = out_path.with_name(f".{out_path.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(out_path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise UsageError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
    err.print(f"wrote {what} to {out_path}")
