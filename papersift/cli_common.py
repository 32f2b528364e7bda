"""What every command module shares: the consoles and the library of the invocation."""

from __future__ import annotations

import sys

import click
from rich.console import Console

from papersift.config import Settings
from papersift.store import Store, open_store

# Piped output gets wide tables instead of rich's default 80 columns.
out = Console(
    highlight=False, soft_wrap=True, markup=False, width=None if sys.stdout.isatty() else 160
)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def _store(ctx: click.Context) -> Store:
    """The library of this invocation (``--db``), closed when the command ends."""
    settings: Settings = ctx.find_root().obj
    store = open_store(settings.db)
    ctx.call_on_close(store.close)
    return store
