"""The ``papersift`` command: parse arguments, call the core, print. Nothing else."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import orjson
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table

from papersift.config import Settings
from papersift.errors import NotFoundError, PapersiftError, UsageError
from papersift.ingest.pipeline import FileReport, ProgressCallback, ingest_file
from papersift.ingest.sources import readers
from papersift.models import Paper
from papersift.store import Store, open_store

PROGRESS_MIN_BYTES = 4 * 1024 * 1024
NOTES = (".md", ".rst", ".db", ".db-wal", ".db-shm")  # skipped when a folder is ingested
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def _store(ctx: click.Context) -> Store:
    settings: Settings = ctx.obj
    store = open_store(settings.db)
    ctx.call_on_close(store.close)
    return store


@click.group()
@click.option(
    "--db",
    metavar="PATH",
    help="Library location (default: $PAPERSIFT_DB, else the user data dir).",
)
@click.version_option(package_name="papersift")
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """papersift: gather paper listings into one deduplicated library."""
    ctx.obj = Settings.load(db)


# ---------------------------------------------------------------------------- ingest


@contextmanager
def _progress_for(path: Path) -> Iterator[ProgressCallback | None]:
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
        click.echo(_paper_json(paper))
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


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Counts of papers, records, merges and sources in the library."""
    s = _store(ctx).stats()
    if fmt == "json":
        click.echo(orjson.dumps(dataclasses.asdict(s)).decode())
        return
    out.print(f"library       {s.location} (schema v{s.schema_version})")
    out.print(f"papers        {s.papers} unique, from {s.records} records")
    out.print(f"merged        {s.merged_papers} papers seen in more than one record")
    out.print(f"abstracts     {s.with_abstract}   arXiv ids {s.with_arxiv_id}   DOIs {s.with_doi}")
    out.print(f"dates         {s.earliest or '-'} .. {s.latest or '-'}")
    for name, count in sorted(s.by_source.items()):
        out.print(f"source        {name}: {count} records")


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
