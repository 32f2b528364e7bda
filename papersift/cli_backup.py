"""``papersift backup FILE`` and ``papersift restore FILE``: the whole library in one file."""

from __future__ import annotations

from pathlib import Path

import click

from papersift.cli_common import out
from papersift.config import Settings


def _location(ctx: click.Context) -> str:
    settings: Settings = ctx.find_root().obj
    return str(settings.db)


@click.command("backup")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def backup(ctx: click.Context, file: Path, force: bool) -> None:
    """Copy the library into FILE, consistent while the server runs (SQLite: a library
    file itself; PostgreSQL: a pg_dump archive)."""
    from papersift.backup import backup_library

    report = backup_library(_location(ctx), file, force=force)
    out.print(
        f"backed up {report.papers} papers (schema {report.schema}, {report.kind}) "
        f"to {report.file}: {report.size / 1e6:.1f} MB"
    )


@click.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Replace a library that holds papers.")
@click.pass_context
def restore(ctx: click.Context, file: Path, force: bool) -> None:
    """Make the library (--db) a copy of the backup FILE; refuses to replace a library that
    holds papers unless --force."""
    from papersift.backup import restore_library

    report = restore_library(file, _location(ctx), force=force)
    out.print(f"restored {report.papers} papers (schema {report.schema}) from {report.file}")
