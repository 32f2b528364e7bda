"""How long the shell waits for a papersift command, beside ``python -c pass``.

Each command runs as a fresh process (as from a shell) on the example library (37 papers,
``examples/``) indexed with the packaged all-MiniLM-L6-v2 (built once under
/tmp/papersift-bench-cli). Printed per command: median wall time and median CPU time
(user + system of the child) over --repeat runs; CPU time is the steadier figure on a
shared machine. "start-up" is importing the CLI module alone; "meaning search, torch
encoder" is the same search with the query embedded by sentence-transformers, as every
search did before the numpy encoder (papersift/bert_numpy.py).

    python benchmarks/bench_cli.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = Path("/tmp/papersift-bench-cli/library.db")
SCRIPT = Path(sys.executable).parent / "papersift"  # the console script, as a shell runs it
PAPERSIFT = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "papersift.cli"]
TORCH_SEARCH = (
    "import sys; import papersift.embed as e; e.load_query_embedder = e.load_embedder; "
    "from papersift.cli import main; sys.exit(main(sys.argv[1:]))"
)
QUERY = "protein structure prediction"


def commands() -> list[tuple[str, list[str]]]:
    db = ["--db", str(LIBRARY)]
    return [
        ("python -c pass", [sys.executable, "-c", "pass"]),
        ("start-up (import papersift.cli)", [sys.executable, "-c", "import papersift.cli"]),
        ("papersift --help", [*PAPERSIFT, "--help"]),
        ("papersift stats", [*PAPERSIFT, *db, "stats"]),
        ("papersift papers list", [*PAPERSIFT, *db, "papers", "list"]),
        ("papersift papers show 1", [*PAPERSIFT, *db, "papers", "show", "1"]),
        ("search, keywords", [*PAPERSIFT, *db, "search", QUERY, "--mode", "keywords"]),
        ("search, meaning", [*PAPERSIFT, *db, "search", QUERY, "--mode", "meaning"]),
        ("search, both (default)", [*PAPERSIFT, *db, "search", QUERY]),
        (
            "search, meaning, torch encoder",
            [sys.executable, "-c", TORCH_SEARCH, *db, "search", QUERY, "--mode", "meaning"],
        ),
    ]


def build_library() -> None:
    if LIBRARY.exists():
        return
    LIBRARY.parent.mkdir(parents=True, exist_ok=True)
    db = ["--db", str(LIBRARY)]
    subprocess.run([*PAPERSIFT, *db, "ingest", str(ROOT / "examples")], check=True)
    subprocess.run([*PAPERSIFT, *db, "index"], check=True)


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    build_library()
    load = os.getloadavg()[0]
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load:.1f}; median of {args.repeat} runs"
    )
    print(f"{'command':34} {'wall s':>7} {'CPU s':>7}")
    for name, argv in commands():
        timed(argv)  # warm the page cache
        runs = [timed(argv) for _ in range(args.repeat)]
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"{name:34} {wall:7.2f} {cpu:7.2f}")


if __name__ == "__main__":
    main()
