"""``papersift sync``: harvest live sources (arXiv OAI-PMH, Hugging Face Daily Papers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from papersift.cli_common import _store, err, out
from papersift.errors import PapersiftError, UsageError
from papersift.sync import arxiv, hf
from papersift.sync.http import PoliteClient


@click.group()
def sync() -> None:
    """Harvest live sources into the library (resumable; safe to run from cron)."""


def _day(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise UsageError(f"{option} wants a day like 2024-05-01, not {value!r}") from None


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _categories(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _client_options(delay: float) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        options = [
            click.option("--endpoint", metavar="URL", help="Another server (a mirror, a test)."),
            click.option(
                "--delay",
                type=click.FloatRange(0, 3600),  # "inf" made time.sleep overflow
                default=delay,
                show_default=True,
                help="Seconds between requests.",
            ),
            click.option(
                "--retries",
                type=click.IntRange(0, 20),  # backing off 2**n s: 20 is days already
                default=5,
                show_default=True,
                help="Tries again after a network error or a server error, backing off.",
            ),
        ]
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@contextmanager
def _progress(what: str) -> Iterator[tuple[Progress, Callable[[int, int | None], None]]]:
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(what, total=None)
        yield bar, lambda done, total: bar.update(task, completed=done, total=total)


def _client(delay: float, retries: int, bar: Progress) -> PoliteClient:
    def on_wait(seconds: float, why: str) -> None:
        if why != "spacing requests":
            bar.console.print(f"waiting {seconds:.0f} s: {why}")

    return PoliteClient(delay=delay, retries=retries, on_wait=on_wait)


def _arxiv_summary(r: arxiv.HarvestReport, categories: list[str]) -> str:
    wanted = f" ({', '.join(categories)})" if categories else ""
    window = f"{r.window_from or 'the start'}..{r.window_until or ''}"
    other = f" ({r.left_out} in other categories)" if r.left_out else ""
    return (
        f"arxiv set {r.set_spec}{wanted}, {window}: {_count(r.pages, 'page')}, "
        f"{_count(r.records, 'record')}{other}, "
        f"{r.new} new papers, {r.merged} merged, {r.updated} updated, "
        f"{r.unchanged} already in the library, {r.skipped} skipped"
    )


@sync.command("arxiv")
@click.option("--set", "set_spec", required=True, metavar="SET", help="OAI set, such as cs.")
@click.option(
    "--categories",
    metavar="CAT,...",
    help="Keep records with one of these categories (cs.LG, or cs for all of cs.*).",
)
@click.option(
    "--from",
    "since",
    metavar="DAY",
    help=f"From this day (default: the high-water mark; {arxiv.FIRST_DAYS} days back at first).",
)
@click.option("--until", metavar="DAY", help="Up to this day (default: no end).")
@_client_options(delay=3.0)
@click.pass_context
def sync_arxiv(
    ctx: click.Context,
    set_spec: str,
    categories: str | None,
    since: str | None,
    until: str | None,
    endpoint: str | None,
    delay: float,
    retries: int,
) -> None:
    """Harvest an arXiv OAI-PMH set: what is new since the last run, or the window asked."""
    wanted = _categories(categories)
    store = _store(ctx)
    with _progress(f"arXiv {set_spec}") as (bar, update), _client(delay, retries, bar) as client:
        harvest = arxiv.ArxivHarvest(
            store,
            client,
            set_spec,
            categories=wanted,
            since=_day(since, "--from"),
            until=_day(until, "--until"),
            endpoint=endpoint or arxiv.DEFAULT_ENDPOINT,
            on_page=update,
        )
        try:
            report = harvest.run()
        except PapersiftError:
            r = harvest.report
            if r.pages:
                err.print(f"stopped; kept before that: {_arxiv_summary(r, wanted)}")
            raise
    if report.resumed:
        err.print("note: went on with the unfinished harvest of the last run")
    if report.abandoned:
        err.print("note: the unfinished harvest of another window was dropped")
    if report.restarts:
        err.print("note: the server had forgotten the resumption token; restarted the window")
    out.print(f"{_arxiv_summary(report, wanted)}; high-water mark {report.high_water or '-'}")


def _hf_summary(r: hf.DailyReport) -> str:
    days = f"{_count(len(r.fetched), 'day')} fetched"
    if r.fetched:
        days += f" ({r.fetched[0]}..{r.fetched[-1]})"
    if r.already_complete:
        days += f", {len(r.already_complete)} already complete"
    return (
        f"hf-daily: {days}; {_count(r.papers, 'paper')}, {r.new} new, {r.merged} merged, "
        f"{r.updated} updated, {r.unchanged} already in the library, {r.skipped} skipped"
    )


@sync.command("hf-daily")
@click.option("--date", "day", metavar="DAY", help="This day (fetched even if complete).")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),  # --days 1000000000 overflowed the date arithmetic
    help=f"And this many days before it (default {hf.DEFAULT_DAYS}, or 0 with --date).",
)
@_client_options(delay=1.0)
@click.pass_context
def sync_hf_daily(
    ctx: click.Context,
    day: str | None,
    days: int | None,
    endpoint: str | None,
    delay: float,
    retries: int,
) -> None:
    """Hugging Face Daily Papers: today (UTC) and the days before it that are not complete."""
    chosen = _day(day, "--date")
    store = _store(ctx)
    with _progress("HF daily papers") as (bar, update), _client(delay, retries, bar) as client:
        run = hf.HfDailySync(
            store,
            client,
            day=date.fromisoformat(chosen) if chosen else None,
            days=days,
            endpoint=endpoint or hf.DEFAULT_ENDPOINT,
            on_day=update,
        )
        try:
            report = run.run()
        except PapersiftError:
            if run.report.fetched:
                err.print(f"stopped; kept before that: {_hf_summary(run.report)}")
            raise
    out.print(_hf_summary(report))
