"""``papersift embed``: vectors for every paper that lacks one, in parallel on an engine."""

from __future__ import annotations

import click
from rich.progress import Progress, TimeRemainingColumn

from papersift.cli_common import _searcher, err, out
from papersift.config import Settings
from papersift.engine import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_ENGINE,
    ENGINES,
    EmbedReport,
    ModelSpec,
    embed_pending,
    open_engine,
)
from papersift.search import Searcher


@click.command()
@click.option(
    "--engine",
    "engine_name",
    type=click.Choice(ENGINES),
    default=DEFAULT_ENGINE,
    show_default=True,
    help="dask or ray (a cluster), or local (this process, like `papersift index`).",
)
@click.option(
    "--address",
    metavar="ADDR",
    help="An existing cluster: a dask scheduler (tcp://host:8786) or a Ray head "
    "(host:6379, ray://host:10001, auto). Default: start a local one.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Papers per batch sent to a worker (and saved in one transaction).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local cluster: its worker processes (default: one per GPU, else per core). "
    "--address: at most this many batches at once (default: the cluster's workers).",
)
@click.option(
    "--device",
    type=click.Choice(["cpu", "cuda"]),
    help="Where workers run the model (default: CUDA when the worker has a GPU).",
)
@click.pass_context
def embed(
    ctx: click.Context,
    engine_name: str,
    address: str | None,
    batch_size: int,
    workers: int | None,
    device: str | None,
) -> None:
    """Embed new or changed papers in parallel batches (resumable), then update the index."""
    settings: Settings = ctx.find_root().obj
    searcher = _searcher(ctx)
    spec = ModelSpec(settings.model, device)
    engine = open_engine(engine_name, spec, address, workers)
    try:
        columns = (*Progress.get_default_columns()[:3], TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(f"embedding ({engine.name})", total=None)
            report = embed_pending(
                searcher.store,
                searcher.model_name,
                engine,
                batch_size,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    finally:
        engine.close()
    searcher.sync_lexical()
    out.print(_summary(report, searcher.model_name) + _index_summary(searcher))


def _summary(report: EmbedReport, model: str) -> str:
    workers = f"{report.workers} worker{'s' * (report.workers != 1)}"
    return (
        f"embedded {report.embedded} papers ({model}) in {report.seconds:.1f} s: "
        f"{report.papers_per_second:.1f} papers/s on {workers} ({report.engine})"
    )


def _index_summary(searcher: Searcher) -> str:
    """Brings the vector index up to date, as `papersift index` does."""
    if not searcher.store.embedding_counts().get(searcher.model_name):
        return "; no vectors yet"
    index = searcher.vectors()
    return f"; {len(index)} vectors in the {index.kind} index"
