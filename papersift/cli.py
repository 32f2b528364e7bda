"""The ``papersift`` command: parse arguments, call the core, print. Nothing else."""

from __future__ import annotations

import dataclasses
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import orjson
from rich.table import Table

from papersift.cli_common import _recommender, _searcher, _store, err, out
from papersift.cli_lazy import LazyGroup
from papersift.config import Settings
from papersift.errors import NotFoundError, PapersiftError, UsageError
from papersift.ingest.normalize import parse_date
from papersift.models import Hit, Paper, SearchFilters
from papersift.search_modes import MODE_NAMES, MODES

if TYPE_CHECKING:  # the commands that use them import them (tests/test_cli_imports.py)
    from papersift.ingest.pipeline import FileReport, ProgressCallback

PROGRESS_MIN_BYTES = 4 * 1024 * 1024
NOTES = (".md", ".rst", ".db", ".db-wal", ".db-shm")  # skipped when a folder is ingested


@click.group(cls=LazyGroup)
@click.option(
    "--model",
    metavar="SPEC",
    help="Embedding model: default (packaged all-MiniLM-L6-v2), fake, or a model directory "
    "(default: $PAPERSIFT_MODEL, else default).",
)
@click.option(
    "--index-kind",
    type=click.Choice(["auto", "exact", "ann"]),
    help="Vector index (default: $PAPERSIFT_INDEX, else auto: exact when small).",
)
@click.option(
    "--db",
    metavar="PATH",
    help="Library location (default: $PAPERSIFT_DB, else the user data dir).",
)
@click.version_option(package_name="papersift")
@click.pass_context
def cli(ctx: click.Context, model: str | None, index_kind: str | None, db: str | None) -> None:
    """papersift: gather paper listings into one deduplicated library, and search it."""
    ctx.obj = Settings.load(db, model=model, index_kind=index_kind)


# ---------------------------------------------------------------------------- ingest


@contextmanager
def _progress_for(path: Path) -> Iterator[ProgressCallback | None]:
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    if path.is_file() and path.stat().st_size >= PROGRESS_MIN_BYTES:
        columns = (
            *Progress.get_default_columns()[:2],
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(path.name, total=path.stat().st_size)
            yield lambda done, total: bar.update(task, completed=done, total=total)
    else:
        yield None


def _print_report(report: FileReport, verbose: bool) -> None:
    reasons = ", ".join(f"{n} by {r}" for r, n in sorted(report.merge_reasons.items()))
    out.print(
        f"{report.path} [{report.format}, source {report.source!r}]: {report.read} read, "
        f"{report.new} new, {report.merged} merged"
        + (f" ({reasons})" if reasons else "")
        + f", {report.unchanged} already in the library, {len(report.skipped)} skipped"
    )
    shown = report.skipped if verbose else report.skipped[:10]
    for item in shown:
        out.print(f"  skipped {item.locator}: {item.reason}")
    if len(report.skipped) > len(shown):
        out.print(f"  ... and {len(report.skipped) - len(shown)} more (--verbose lists all)")
    if report.conflicts:
        out.print(
            f"  identifier conflicts: {report.conflicts} (a DOI or arXiv id shared with a paper "
            "whose title and authors disagree completely: kept apart; `papersift stats` lists them)"
        )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "format_name",
    metavar="F",
    help="Reader to use instead of detecting it (see `papersift formats`).",
)
@click.option(
    "--source", metavar="NAME", help="Source name kept with every record (default: the file name)."
)
@click.option(
    "--columns",
    metavar="FIELD=NAME,...",
    help="CSV/JSON: read FIELD from column NAME (e.g. title=Paper,abstract=Summary).",
)
@click.option("--strict", is_flag=True, help="Fail the whole file on the first bad entry.")
@click.option("--verbose", "-v", is_flag=True, help="List every skipped entry.")
@click.pass_context
def ingest(
    ctx: click.Context,
    paths: tuple[Path, ...],
    format_name: str | None,
    source: str | None,
    columns: str | None,
    strict: bool,
    verbose: bool,
) -> None:
    """Read listing files into the library (each file in one transaction)."""
    from papersift.ingest.pipeline import ingest_file

    mapping = _parse_columns(columns)
    store = _store(ctx)
    failures = 0
    files = _expand(paths)
    for path in files:
        try:
            with _progress_for(path) as progress:
                report = ingest_file(
                    store,
                    path,
                    format_name=format_name,
                    source=source,
                    strict=strict,
                    columns=mapping,
                    progress=progress,
                )
        except PapersiftError as exc:
            if len(files) == 1:
                raise
            err.print(f"papersift: error: {exc} (nothing from this file was kept)")
            failures += 1
            continue
        _print_report(report, verbose)
    if failures:
        raise click.exceptions.Exit(2)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; a folder gives its files (sorted, recursively), less notes and dotfiles."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for found in sorted(path.rglob("*")):
            name = found.name
            if found.is_file() and not name.startswith(".") and not name.lower().endswith(NOTES):
                files.append(found)
    return files


def _parse_columns(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    mapping = {}
    for part in text.split(","):
        field, sep, column = part.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise UsageError(f"--columns wants FIELD=NAME pairs separated by commas, not {part!r}")
        mapping[field.strip()] = column.strip()
    return mapping


@cli.command()
def formats() -> None:
    """List the listing formats papersift reads, in detection order."""
    from papersift.ingest.sources import readers

    for spec in readers():
        out.print(f"{spec.name:15} {spec.description}")


# ---------------------------------------------------------------------------- papers


@cli.group()
def papers() -> None:
    """Browse the library."""


def _paper_json(paper: Paper) -> str:
    return orjson.dumps(paper.to_dict()).decode()


@papers.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many papers.")
@click.pass_context
def papers_list(ctx: click.Context, fmt: str, limit: int | None) -> None:
    """List papers (json: one object per line)."""
    store = _store(ctx)
    if fmt == "json":
        for paper in store.iter_papers(limit=limit):
            click.echo(_paper_json(paper))
        return
    table = Table("id", "date", "title", "authors", "sources", box=None, pad_edge=False)
    for paper in store.iter_papers(limit=limit):
        table.add_row(
            str(paper.id),
            paper.date or "",
            _clip(paper.title or "(untitled) " + (paper.abstract or ""), 80),
            _clip(_authors_text(paper), 40),
            str(len(paper.sources)),
        )
    out.print(table)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _authors_text(paper: Paper) -> str:
    text = ", ".join(paper.authors)
    if paper.n_authors and paper.n_authors > len(paper.authors):
        text += " et al." if paper.authors else f"{paper.n_authors} authors"
    return text


@papers.command("show")
@click.argument("ident")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def papers_show(ctx: click.Context, ident: str, fmt: str) -> None:
    """Show every field and source of a paper (by id, arXiv id or DOI)."""
    store = _store(ctx)
    paper_id = store.resolve_paper_id(ident)
    paper = store.get_paper(paper_id) if paper_id is not None else None
    if paper is None:
        raise NotFoundError(f"no paper {ident!r} in the library at {store.location}")
    if fmt == "json":
        conflicts = [dataclasses.asdict(c) for c in store.conflicts(paper.id)]
        click.echo(orjson.dumps({**paper.to_dict(), "conflicts": conflicts}).decode())
        return
    fields = [
        ("id", str(paper.id)),
        ("title", paper.title or "(untitled)"),
        ("authors", _authors_text(paper)),
        ("date", paper.date or ""),
        ("arXiv", paper.arxiv_id or ""),
        ("DOI", paper.doi or ""),
        ("upvotes", "" if paper.upvotes is None else str(paper.upvotes)),
        ("categories", ", ".join(paper.categories)),
        ("organisations", ", ".join(paper.organizations)),
        ("venue", paper.venue or ""),
        ("url", paper.url or ""),
    ]
    for name, value in fields:
        if value:
            out.print(f"{name:>13}  {value}")
    if paper.abstract:
        note = " (cut short at the source)" if paper.abstract_truncated else ""
        out.print(f"\n     abstract{note}\n{paper.abstract}\n")
    out.print(f"      sources  ({len(paper.sources)})")
    for s in paper.sources:
        out.print(f"  {s.source} [{s.format}] {s.file} {s.locator}, ingested {s.ingested_at}")
    for reason, record_id, merged_id, at in store.merge_log(paper.id):
        what = f"record {record_id}" if record_id else f"paper {merged_id}"
        out.print(f"  merged {what} by {reason} at {at}")
    for c in store.conflicts(paper.id):
        other = c.other_id if c.paper_id == paper.id else c.paper_id
        out.print(f"  conflict: shares {c.identifier} with paper {other}, kept apart")


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Counts of papers, records, merges and sources in the library."""
    store = _store(ctx)
    s, conflicts = store.stats(), store.conflicts()
    if fmt == "json":
        data = {**dataclasses.asdict(s), "conflicts": [dataclasses.asdict(c) for c in conflicts]}
        click.echo(orjson.dumps(data).decode())
        return
    out.print(f"library       {s.location} (schema v{s.schema_version})")
    out.print(f"papers        {s.papers} unique, from {s.records} records")
    out.print(f"merged        {s.merged_papers} papers seen in more than one record")
    out.print(f"conflicts     {len(conflicts)} identifiers shared by papers kept apart")
    for c in conflicts:
        out.print(f"  {c.identifier}: papers {c.paper_id} and {c.other_id}")
    out.print(f"abstracts     {s.with_abstract}   arXiv ids {s.with_arxiv_id}   DOIs {s.with_doi}")
    out.print(f"dates         {s.earliest or '-'} .. {s.latest or '-'}")
    for name, count in sorted(s.by_source.items()):
        out.print(f"source        {name}: {count} records")


# ---------------------------------------------------------------------------- search


@cli.command()
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.pass_context
def index(ctx: click.Context, batch_size: int) -> None:
    """Update the full-text index and embed new or changed papers (resumable)."""
    from rich.progress import Progress, TimeRemainingColumn

    searcher = _searcher(ctx, bulk=True)
    columns = (*Progress.get_default_columns()[:3], TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("embedding", total=None)
        report = searcher.index(
            batch_size, lambda done, total: bar.update(task, completed=done, total=total)
        )
    out.print(
        f"full text: {report.lexical} papers updated; vectors ({report.model}): "
        f"{report.embedded} embedded, {report.vectors} in the {report.index_kind} index"
    )


def _filters(
    since: str | None, until: str | None, source: str | None, author: str | None, has_abstract: bool
) -> SearchFilters:
    for name, value in (("--since", since), ("--until", until)):
        if value and parse_date(value) is None:
            raise UsageError(f"{name} wants a date like 2024-05-01, not {value!r}")
    return SearchFilters(parse_date(since), parse_date(until), source, author, has_abstract)


def _filter_options(command: Callable[..., None]) -> Callable[..., None]:
    """Adds the filter options, handed to the command as one ``filters`` argument."""

    @functools.wraps(command)
    def with_filters(
        *args: Any,
        since: str | None,
        until: str | None,
        source: str | None,
        author: str | None,
        has_abstract: bool,
        **kwargs: Any,
    ) -> None:
        command(*args, filters=_filters(since, until, source, author, has_abstract), **kwargs)

    options = [
        click.option("--since", metavar="DATE", help="Only papers from this date on."),
        click.option("--until", metavar="DATE", help="Only papers up to this date."),
        click.option("--source", metavar="NAME", help="Only papers from this source."),
        click.option("--author", metavar="NAME", help="Only papers with this author."),
        click.option("--has-abstract", is_flag=True, help="Only papers with an abstract."),
        click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True),
        click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table"),
    ]
    decorated: Callable[..., None] = with_filters
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def _print_hits(hits: list[Hit], fmt: str, notes: list[str]) -> None:
    for note in notes:
        err.print(f"note: {note}")
    if fmt == "json":
        for hit in hits:
            click.echo(orjson.dumps(hit.to_dict()).decode())
        return
    if not hits:
        out.print("no results")
        return
    table = Table("#", "id", "score", "date", "title", "why", box=None, pad_edge=False)
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            str(hit.paper.id),
            f"{hit.score:.3f}",
            hit.paper.date or "",
            _clip(hit.paper.title or "(untitled) " + (hit.paper.abstract or ""), 70),
            "; ".join(hit.reasons),
        )
    out.print(table)


@cli.command()
@click.argument("query")
@click.option(
    "--mode",
    type=click.Choice(MODE_NAMES, case_sensitive=False),
    default="both",
    show_default=True,
    help="keywords, meaning or both (lexical, semantic, hybrid: the same).",
)
@_filter_options
@click.pass_context
def search(
    ctx: click.Context, query: str, mode: str, filters: SearchFilters, limit: int, fmt: str
) -> None:
    """Search by keywords and meaning. Syntax: "a phrase", prefix*, author:Name,
    title:word, -word (leave out)."""
    searcher = _searcher(ctx)
    hits = searcher.search(query, mode=mode, filters=filters, limit=limit)
    _print_hits(hits, fmt, searcher.notes)


@cli.command()
@click.argument("ident", required=False)
@click.option("--text", metavar="TEXT", help="Pasted text (an abstract) instead of a paper.")
@_filter_options
@click.pass_context
def similar(
    ctx: click.Context,
    ident: str | None,
    text: str | None,
    filters: SearchFilters,
    limit: int,
    fmt: str,
) -> None:
    """Papers closest in meaning to a paper of the library, or to pasted text."""
    searcher = _searcher(ctx)
    hits = searcher.similar(ident, text, limit=limit, filters=filters)
    _print_hits(hits, fmt, searcher.notes)


@cli.command("evaluate-search")
@click.option(
    "--queries",
    "queries_path",
    type=click.Path(path_type=Path),
    required=True,
    help="Judged queries, JSON lines: {query, relevant: {paper key: grade}}.",
)
@click.option("--modes", default="lexical,semantic,hybrid", show_default=True)
@click.pass_context
def evaluate_search_command(ctx: click.Context, queries_path: Path, modes: str) -> None:
    """MRR, nDCG@10 and recall@10 of each search mode on judged queries."""
    from papersift.evaluate_search import evaluate, judged_queries, load_judgments

    chosen = [m.strip() for m in modes.split(",") if m.strip()]
    for mode in chosen:
        if mode not in MODES:
            raise UsageError(f"unknown mode {mode!r}; use {', '.join(MODES)}")
    if not queries_path.is_file():
        raise UsageError(f"{queries_path}: no such file")
    searcher = _searcher(ctx)
    judged, missing = judged_queries(searcher.store, load_judgments(queries_path))
    if missing:
        err.print(f"note: {len(missing)} judged papers are not in the library, e.g. {missing[:3]}")
    if not judged:
        raise UsageError("none of the judged papers is in this library")
    out.print(f"{len(judged)} judged queries, model {searcher.model_name}")
    out.print(f"{'mode':10} {'MRR':>7} {'nDCG@10':>8} {'R@10':>7}")
    for s in evaluate(searcher, judged, chosen):  # type: ignore[arg-type]
        out.print(f"{s.mode:10} {s.mrr:7.3f} {s.ndcg10:8.3f} {s.recall10:7.3f}")


# ---------------------------------------------------------------------------- readers


@cli.group(cls=LazyGroup)
def reader() -> None:
    """Readers: whose interests a feed follows."""


@reader.command("add")
@click.argument("name")
@click.option(
    "--author", "authors", multiple=True, metavar="NAME", help="A name they publish under."
)
@click.option(
    "--papers",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="A file of their papers or abstracts (any ingest format).",
)
@click.option("--like", "likes", multiple=True, metavar="ID", help="A paper they liked.")
@click.pass_context
def reader_add(
    ctx: click.Context,
    name: str,
    authors: tuple[str, ...],
    papers: tuple[Path, ...],
    likes: tuple[str, ...],
) -> None:
    """Create a reader, or add to their profile (safe to repeat)."""
    report = _recommender(ctx).add_reader(name, authors, papers, likes)
    for file_report in report.files:
        _print_report(file_report, verbose=False)
    r = report.reader
    if (shared := report.shared_author) is not None:
        out.print(
            f"the papers you gave share one author, {shared.name} (on {shared.papers} of "
            f"{shared.of}): taken as {r.name}'s name, so their papers count as {r.name}'s own "
            f"and are never recommended (undo: papersift reader remove-author {r.name} "
            f'"{shared.name}")'
        )
    out.print(
        f"reader {r.name}: {report.own} own papers found by author name, "
        f"{report.from_files} from files, {report.likes} likes added; "
        f"{r.positives} positive and {r.negatives} negative signals in all"
    )


@reader.command("list")
@click.pass_context
def reader_list(ctx: click.Context) -> None:
    """Every reader with the size of their profile."""
    readers = _store(ctx).readers()
    if not readers:
        out.print('no readers yet: papersift reader add NAME --author "Full Name"')
    for r in readers:
        out.print(
            f"{r.name:20} {r.positives:5} positive {r.negatives:4} negative "
            f"{r.shown:5} shown  {', '.join(r.authors)}"
        )


@reader.command("show")
@click.argument("name")
@click.pass_context
def reader_show(ctx: click.Context, name: str) -> None:
    """A reader's authors and every paper in their profile."""
    rec = _recommender(ctx)
    r = rec.reader(name)
    out.print(
        f"reader {r.name} (since {r.created_at[:10]}), publishes as: {', '.join(r.authors) or '-'}"
    )
    signals = rec.store.signals(r.id)
    papers = rec.store.get_papers([s.paper_id for s in signals])
    for s in signals:
        p = papers[s.paper_id]
        mark = "+" if s.label > 0 else "-"
        out.print(
            f"  {mark} {s.kind:5} {p.id:>6}  "
            + _clip(p.title or "(untitled) " + (p.abstract or ""), 90)
        )


@reader.command("remove-author")
@click.argument("name")
@click.argument("author")
@click.pass_context
def reader_remove_author(ctx: click.Context, name: str, author: str) -> None:
    """Stop taking AUTHOR as reader NAME's name (their papers stop being NAME's own)."""
    gone = _recommender(ctx).remove_author(name, author)
    out.print(f"reader {name}: {author} removed, {gone} papers no longer counted as own")


@reader.command("remove")
@click.argument("name")
@click.pass_context
def reader_remove(ctx: click.Context, name: str) -> None:
    """Delete a reader and their profile (the papers stay in the library)."""
    _recommender(ctx).remove_reader(name)
    out.print(f"reader {name} removed")


assert isinstance(reader, LazyGroup)
reader.add_lazy("rate", "papersift.cli_rate:rate")


@cli.command()
@click.argument("name")
@click.argument("ident")
@click.argument("verdict", type=click.Choice(["up", "down"]))
@click.pass_context
def feedback(ctx: click.Context, name: str, ident: str, verdict: str) -> None:
    """Tell papersift a reader liked (up) or did not like (down) a paper."""
    paper = _recommender(ctx).feedback(name, ident, verdict)
    out.print(f"{name}: {'👍' if verdict == 'up' else '👎'} {paper.id} {paper.title or ''}")


@cli.command()
@click.argument("name")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Window: the last N days.",
)
@click.option("--since", metavar="DATE", help="Window start (instead of --days).")
@click.option("--until", metavar="DATE", help="Window end (default: today).")
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "html"]), default="table")
@click.option(
    "--diversity",
    type=click.FloatRange(0, 1),
    default=0.8,
    show_default=True,
    help="MMR lambda: 1 = rank by score alone.",
)
@click.option("--recency-weight", type=float, default=0.1, show_default=True)
@click.option("--popularity-weight", type=float, default=0.1, show_default=True)
@click.option(
    "--mark-shown", is_flag=True, help="Record these papers as shown (never shown again)."
)
@click.pass_context
def feed(
    ctx: click.Context,
    name: str,
    days: int,
    since: str | None,
    until: str | None,
    limit: int,
    fmt: str,
    diversity: float,
    recency_weight: float,
    popularity_weight: float,
    mark_shown: bool,
) -> None:
    """A reader's feed: new papers ranked for them, varied and explained (a preview unless
    --mark-shown)."""
    from papersift.recommend import FeedSettings, render_feed_html

    filters = _filters(since, until, None, None, False)
    settings = FeedSettings(
        days, filters.since, filters.until, limit, recency_weight, popularity_weight, diversity
    )
    hits = _recommender(ctx).feed(name, settings, mark_shown=mark_shown)
    if fmt == "html":
        click.echo(render_feed_html(name, hits))
        return
    _print_hits(hits, fmt, [] if hits else ["no new papers in this window"])


# ---------------------------------------------------------------------------- evaluation


@cli.command("evaluate")
@click.option(
    "--papers", "papers_path", type=click.Path(path_type=Path), required=True, help="papers.jsonl"
)
@click.option(
    "--ratings",
    "ratings_path",
    type=click.Path(path_type=Path),
    required=True,
    help="ratings.jsonl",
)
@click.option("--test-after", metavar="DATE", help="Ratings after this date are held out.")
@click.option(
    "--test-fraction",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="Hold out each reader's latest fraction.",
)
@click.option("--easy-negatives", type=click.IntRange(min=0), default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--scores-out",
    type=click.Path(path_type=Path),
    help="JSONL of papersift's score for every candidate.",
)
@click.pass_context
def evaluate_command(
    ctx: click.Context,
    papers_path: Path,
    ratings_path: Path,
    test_after: str | None,
    test_fraction: float | None,
    easy_negatives: int,
    seed: int,
    scores_out: Path | None,
) -> None:
    """Replay evaluation of papersift's reader model against baselines."""
    from rich.progress import Progress

    from papersift.embed import load_embedder
    from papersift.evaluate import evaluate

    for path in (papers_path, ratings_path):
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    settings: Settings = ctx.obj
    with Progress(*Progress.get_default_columns()[:3], console=err, transient=True) as bar:
        task = bar.add_task("readers", total=None)
        report = evaluate(
            papers_path,
            ratings_path,
            load_embedder(settings.model),
            test_after=test_after,
            test_fraction=test_fraction,
            easy_negatives=easy_negatives,
            seed=seed,
            scores_out=scores_out,
            on_user=lambda done, total: bar.update(task, completed=done, total=total),
        )
    out.print(report.table())


@cli.command("synthetic")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--papers", "n_papers", type=click.IntRange(10, 10_000_000), default=3000, show_default=True
)
@click.option("--users", type=click.IntRange(1, 1_000_000), default=40, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def synthetic_command(out_dir: Path, n_papers: int, users: int, seed: int) -> None:
    """Write synthetic papers.jsonl and ratings.jsonl (readers with several drifting interests)."""
    from papersift.synthetic import generate

    papers, ratings = generate(out_dir, papers=n_papers, users=users, seed=seed)
    out.print(f"wrote {papers} and {ratings}")


# Commands in their own modules, imported only when they run (papersift/cli_lazy.py): their
# imports (httpx, jinja2, smtplib, ...) made `papersift --help` and `stats` slow. A new one:
# cli.add_lazy("name", "papersift.cli_x:function"), its --help line is the function's docstring.
assert isinstance(cli, LazyGroup)
cli.add_lazy("user", "papersift.cli_web:user")
cli.add_lazy("serve", "papersift.cli_web:serve")
cli.add_lazy("digest", "papersift.cli_digest:digest")
cli.add_lazy("export", "papersift.cli_export:export")
cli.add_lazy("embed", "papersift.cli_engine:embed")
cli.add_lazy("sync", "papersift.cli_sync:sync")
cli.add_lazy("db", "papersift.cli_db:db")
cli.add_lazy("map", "papersift.cli_map:map_group")

from papersift.cli_backup import backup, restore  # noqa: E402  (cheap: click only)

cli.add_command(backup)
cli.add_command(restore)


def main(argv: list[str] | None = None) -> int:
    """Entry point: user mistakes end in one readable line and a non-zero exit code."""
    try:
        result = cli.main(args=argv, prog_name="papersift", standalone_mode=False)
    except PapersiftError as exc:
        err.print(f"papersift: error: {exc}", markup=False)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Abort:
        err.print("papersift: aborted")
        return 130
    except KeyboardInterrupt:
        err.print("papersift: interrupted; the file being read was not kept")
        return 130
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
