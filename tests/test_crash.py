"""``kill -9`` at random moments of ``ingest``, ``index``, ``embed``, ``sync`` and ``digest
send``: the library passes ``PRAGMA integrity_check``, holds whole units only (a file, a
batch, a page, a digest), a re-run completes with the right counts, and no process of the
command outlives it (the parser process of a file over 16 MB included).

Kills are real (SIGKILL to a subprocess) at moments drawn from a seeded generator; the
count is kept small (CI has 2 cores): 2 per command, 3 for ingest.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from aiosmtpd.controller import Controller

from papersift.accounts import Accounts
from papersift.ingest.pipeline import PARALLEL_MIN_BYTES
from papersift.store import open_store
from tests.support import EXAMPLES, example_library
from tests.test_digest import Inbox
from tests.test_sync import OaiAnswers, Replay

RNG = random.Random(16)
WORDS = [
    f"{a}{b}"
    for a in ("neur", "graph", "spars", "token", "retriev", "causal")
    for b in ("al", "ing", "ity", "ous", "ion", "ive", "ed", "er", "ist", "ism", "ant", "ure")
]


def _big_file(path: Path, size: int) -> Path:
    """JSON Lines of distinct papers, ``size`` bytes or a little more."""
    rng = random.Random(7)
    with path.open("w", encoding="utf-8") as f:
        i = 0
        while f.tell() < size:
            words = " ".join(rng.choice(WORDS) for _ in range(60))
            title = f"Paper {i}: " + " ".join(rng.choice(WORDS) for _ in range(8))
            f.write(
                json.dumps(
                    {
                        "title": title,
                        "abstract": words,
                        "authors": [f"A. Author{i}"],
                        "date": "2024-03-01",
                    }
                )
                + "\n"
            )
            i += 1
    return path


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Big enough for the parser process (16 MB and more)."""
    folder = tmp_path_factory.mktemp("big")
    return _big_file(folder / "big.jsonl", PARALLEL_MIN_BYTES + 256 * 1024)


def cli(location: str, *args: str) -> psutil.Popen:
    return psutil.Popen(
        [sys.executable, "-m", "papersift.cli", "--db", location, "--model", "fake", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(location: str, *args: str) -> None:
    proc = cli(location, *args)
    _, errors = proc.communicate(timeout=600)
    assert proc.returncode == 0, errors


def kill_at(proc: psutil.Popen, low: float, high: float) -> list[psutil.Process]:
    """SIGKILL the command at a random moment in [low, high] s; its processes at that time."""
    deadline = time.monotonic() + RNG.uniform(low, high)
    family: list[psutil.Process] = []
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            family = proc.children(recursive=True) or family
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    if proc.poll() is None:  # else it finished first: its state is the complete one
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return family


def assert_none_survive(family: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, f"outlived their command: {[p.cmdline() for p in alive]}"


def integrity(location: str) -> None:
    if location.startswith("postgresql://"):
        return  # PostgreSQL aborts the killed client's transaction itself
    with sqlite3.connect(location) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def counts(location: str) -> tuple[int, int]:
    store = open_store(location)
    try:
        stats = store.stats()
        return stats.papers, stats.records
    finally:
        store.close()


def test_killed_ingest_keeps_whole_files_and_its_parser_dies(
    library_location: str, big: Path, tmp_path: Path
) -> None:
    small = EXAMPLES / "papers.jsonl"
    reference = str(tmp_path / "reference.db")
    finish(reference, "ingest", str(small))
    after_small = counts(reference)
    finish(reference, "ingest", str(big))
    after_both = counts(reference)
    kills = 2 if library_location.startswith("postgresql://") else 3
    saw_parser = False
    for _ in range(kills):
        proc = cli(library_location, "ingest", str(small), str(big))
        family = kill_at(proc, 2.0, 7.0)
        saw_parser = saw_parser or bool(family)
        assert_none_survive(family)
        integrity(library_location)
        assert counts(library_location) in {(0, 0), after_small, after_both}
    assert saw_parser, "no kill landed while the parser process ran: kill later"
    finish(library_location, "ingest", str(small), str(big))
    assert counts(library_location) == after_both


@pytest.fixture
def unindexed(tmp_path: Path, big: Path) -> str:
    location = str(tmp_path / "library.db")
    store = open_store(location)
    store.close()
    part = _big_file(tmp_path / "part.jsonl", 6_000_000)  # ~9,000 papers
    finish(location, "ingest", str(part))
    return location


def vectors(location: str) -> int:
    store = open_store(location)
    try:
        return sum(store.embedding_counts().values())
    finally:
        store.close()


@pytest.mark.parametrize(
    "command",
    [("index", "--batch-size", "64"), ("embed", "--engine", "local", "--batch-size", "64")],
)
def test_killed_index_and_embed_keep_whole_batches_and_resume(
    unindexed: str, command: tuple[str, ...]
) -> None:
    papers, _ = counts(unindexed)
    done = 0
    for _ in range(2):
        family = kill_at(cli(unindexed, *command), 1.0, 4.0)
        assert_none_survive(family)
        integrity(unindexed)
        now = vectors(unindexed)
        assert now >= done and (now % 64 == 0 or now == papers)  # whole batches only
        done = now
    finish(unindexed, *command)
    assert vectors(unindexed) == papers


# ------------------------------------------------------------------ sync: whole pages


class SlowOai(OaiAnswers):
    """The recorded three pages, each answered after a pause (so a kill lands mid-harvest)."""

    def __call__(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        time.sleep(0.8)
        return super().__call__(query)


def test_killed_sync_keeps_whole_pages_and_resumes(tmp_path: Path) -> None:
    server = Replay(SlowOai())
    sync = ("sync", "arxiv", "--set", "cs", "--categories", "cs.LG,stat.ML")
    sync += ("--endpoint", server.url, "--delay", "0", "--retries", "0")
    try:
        reference = str(tmp_path / "reference.db")
        location = str(tmp_path / "library.db")
        finish(reference, *sync)
        final = counts(reference)
        for _ in range(2):
            kill_at(cli(location, *sync), 1.0, 3.5)
            integrity(location)
            papers, _ = counts(location)
            assert 0 <= papers <= final[0]
        finish(location, *sync)
        assert counts(location) == final
    finally:
        server.close()


# ------------------------------------------------------------------ digest send


class SlowInbox(Inbox):
    """Keeps each message, then takes its time to say so."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        status = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(0.6)
        return status


READERS = ("ada", "bo", "cy", "di", "ed", "flo")


@pytest.fixture
def digest_library(tmp_path: Path) -> str:
    location = str(tmp_path / "library.db")
    example_library(Path(location))
    store = open_store(location)
    accounts = Accounts(store)
    for name in READERS:
        accounts.add_user(name, "password1", email=f"{name}@example.org")
    store.close()
    for i, name in enumerate(READERS):
        finish(location, "feedback", name, str(1 + i), "up")
        finish(location, "feedback", name, str(20 + i), "down")
    return location


def test_killed_digest_run_mails_nobody_twice_and_the_rerun_completes(
    digest_library: str,
) -> None:
    inbox = SlowInbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    send = ("digest", "send", "--all", "--day", "2025-12-31", "--days", "800")
    send += ("--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--smtp-security", "none")
    send += ("--from", "digest@example.org")
    try:
        for _ in range(2):
            kill_at(cli(digest_library, *send), 2.0, 4.0)
            integrity(digest_library)
        proc = cli(digest_library, *send)
        _, errors = proc.communicate(timeout=300)
        assert proc.returncode == 0, errors
    finally:
        controller.stop()
    mailed = [str(m["To"]) for m in inbox.messages]
    assert len(mailed) == len(set(mailed))  # nobody twice
    store = open_store(digest_library)
    try:
        for name in READERS:
            reader = store.reader_id(name)
            assert reader is not None
            delivery = store.digest_delivery(reader, "2025-12-31")
            unsure = store.digest_attempt(reader, "2025-12-31")
            if f"{name}@example.org" in mailed:
                assert (delivery and delivery.status == "sent") or unsure
            else:  # killed between recording the attempt and the end of DATA
                assert unsure is not None and not (delivery and delivery.status == "sent")
    finally:
        store.close()
