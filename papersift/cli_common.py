"""What every command module shares: the consoles and the library of the invocation.

Imports that cost are made by the commands that need them, not here: `papersift --help`,
`stats` and a keyword search never import torch or scikit-learn (tests/test_cli_imports.py).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click
from rich.console import Console

from papersift.config import Settings
from papersift.store import Store, open_store
from papersift.store.sqlite import WRITER_WAIT_S

if TYPE_CHECKING:
    from papersift.recommend import Recommender
    from papersift.search import Searcher

# Piped output gets wide tables instead of rich's default 80 columns.
out = Console(
    highlight=False, soft_wrap=True, markup=False, width=None if sys.stdout.isatty() else 160
)
err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


def _store(ctx: click.Context) -> Store:
    """The library of this invocation (``--db``), closed when the command ends."""
    settings: Settings = ctx.find_root().obj
    store = open_store(settings.db, busy_wait=WRITER_WAIT_S)  # queue behind another writer
    ctx.call_on_close(store.close)
    return store


def _searcher(ctx: click.Context, *, bulk: bool = False) -> Searcher:
    """Search over the invocation's library with its model (loaded only when needed): for
    queries and a few papers, the numpy encoder (no torch); ``bulk`` for indexing."""
    from papersift.embed import embedder_name, load_embedder, load_query_embedder
    from papersift.search import Searcher

    settings: Settings = ctx.find_root().obj
    load = load_embedder if bulk else load_query_embedder
    return Searcher(
        _store(ctx),
        lambda: load(settings.model),
        embedder_name(settings.model),
        settings.index_kind,
    )


def _recommender(ctx: click.Context) -> Recommender:
    from papersift.recommend import Recommender

    searcher = _searcher(ctx)
    return Recommender(searcher.store, searcher)
