"""``papersift map``: the 2-D map of the library (laid out, regions named) for the web."""

from __future__ import annotations

import click
from rich.table import Table

from papersift.cli_common import _store, err, out
from papersift.config import Settings
from papersift.embed import embedder_name


@click.group(name="map")
def map_group() -> None:
    """The map of the library: build it (nightly), update it (after `index`), show it."""


def _model(ctx: click.Context) -> str:
    settings: Settings = ctx.find_root().obj
    return embedder_name(settings.model)


@map_group.command()
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Cores for the layout (t-SNE).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the layout.")
@click.pass_context
def build(ctx: click.Context, threads: int, seed: int) -> None:
    """Lay out every paper's vector again and name the regions (minutes at 100k papers)."""
    from papersift.map.build import build_map

    report = build_map(
        _store(ctx), _model(ctx), seed=seed, threads=threads, progress=lambda m: err.print(m)
    )
    out.print(
        f"map of {report.points} papers ({report.method}), {report.clusters} regions, "
        f"in {report.seconds:.1f} s"
    )


@map_group.command()
@click.pass_context
def update(ctx: click.Context) -> None:
    """Place the papers embedded since the last build at their nearest neighbours."""
    from papersift.map.build import update_map

    report = update_map(_store(ctx), _model(ctx), progress=lambda m: err.print(m))
    if report.method == "placed":
        out.print(f"placed {report.placed} new papers on the map of {report.points}")
    elif report.method == "none":
        out.print(f"the map of {report.points} papers is up to date")
    else:
        out.print(f"no map yet: built one of {report.points} papers ({report.method})")


@map_group.command()
@click.pass_context
def show(ctx: click.Context) -> None:
    """The regions of the map, largest first, with their words."""
    store = _store(ctx)
    state = store.map_state()
    if state is None:
        out.print("no map yet: run `papersift map build`")
        return
    table = Table("region", "papers", "words", box=None)
    for cluster in store.map_clusters():
        table.add_row(str(cluster.id + 1), str(cluster.size), cluster.label)
    out.print(table)
    out.print(
        f"{store.map_size()} papers laid out ({state.method}, {state.model}), "
        f"built {state.built_at}, updated {state.updated_at}"
    )
