"""Distributed embedding (`papersift embed`): a local dask cluster against the local path."""

import json
import random
import socket
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from papersift import engine as engine_module
from papersift.cli import main
from papersift.embed import Embedder, FakeEmbedder
from papersift.engine import (
    DaskEngine,
    EngineError,
    LocalEngine,
    ModelSpec,
    RayEngine,
    embed_pending,
)
from papersift.ingest.pipeline import ingest_file
from papersift.store import Store, open_store

distributed = pytest.importorskip("distributed")

MODEL = "fake-256"
N_PAPERS = 120
BATCH = 16
WORDS = (
    "sparse dense attention graph kernel protein retrieval ranking token gradient "
    "diffusion policy reward molecule lattice quantum spectral convex bandit prior "
    "encoder decoder pruning distillation contrastive federated privacy causal robust"
).split()
Capture = pytest.CaptureFixture[str]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One local dask cluster of two worker processes for the whole module."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="512MiB",
        dashboard_address=None,
        silence_logs=40,
    )
    yield cluster.scheduler_address
    cluster.close()


def write_papers(path: Path, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            title = f"Paper {seed}-{i}: " + " ".join(rng.choices(WORDS, k=6))
            abstract = " ".join(rng.choices(WORDS, k=rng.randint(10, 40))) + "."
            f.write(json.dumps({"title": title, "abstract": abstract}) + "\n")
    return path


@pytest.fixture
def papers_file(tmp_path: Path) -> Path:
    return write_papers(tmp_path / "papers.jsonl", N_PAPERS, seed=1)


def library(path: Path, papers: Path) -> Store:
    store = open_store(path)
    report = ingest_file(store, papers)
    assert report.new == N_PAPERS
    return store


def vectors_of(store: Store) -> dict[int, np.ndarray]:
    ids = [int(i) for i in store.embedding_ids(MODEL)]
    assert len(ids) == len(set(ids)), "one vector per paper and model"
    return {pid: v for pid in ids if (v := store.embedding_of(pid, MODEL)) is not None}


def local_vectors(tmp_path: Path, papers: Path) -> dict[int, np.ndarray]:
    store = library(tmp_path / "local.db", papers)
    report = embed_pending(store, MODEL, LocalEngine(FakeEmbedder), BATCH)
    assert report.embedded == N_PAPERS and report.workers == 1
    vectors = vectors_of(store)
    store.close()
    return vectors


def assert_same(got: dict[int, np.ndarray], want: dict[int, np.ndarray]) -> None:
    assert sorted(got) == sorted(want)
    for pid, vector in want.items():
        np.testing.assert_array_equal(got[pid], vector)


# ---------------------------------------------------------------------------- the driver


def test_dask_vectors_equal_the_local_path(
    scheduler: str, tmp_path: Path, papers_file: Path
) -> None:
    store = library(tmp_path / "dask.db", papers_file)
    engine = DaskEngine(ModelSpec("fake"), address=scheduler)
    try:
        report = embed_pending(store, MODEL, engine, BATCH)
    finally:
        engine.close()
    assert (report.engine, report.workers) == ("dask", 2)
    assert report.embedded == N_PAPERS and report.batches == -(-N_PAPERS // BATCH)
    assert store.embedding_counts() == {MODEL: N_PAPERS}
    assert_same(vectors_of(store), local_vectors(tmp_path, papers_file))


@pytest.mark.slow
def test_ray_vectors_equal_the_local_path(tmp_path: Path, papers_file: Path) -> None:
    pytest.importorskip("ray")  # the other engine: an extra (`pip install 'papersift[ray]'`)
    store = library(tmp_path / "ray.db", papers_file)
    engine = RayEngine(ModelSpec("fake"), workers=2)
    try:
        report = embed_pending(store, MODEL, engine, BATCH)
    finally:
        engine.close()
    assert (report.engine, report.workers, report.embedded) == ("ray", 2, N_PAPERS)
    assert_same(vectors_of(store), local_vectors(tmp_path, papers_file))


class Explodes(FakeEmbedder):
    def encode(self, texts: Sequence[str], **kwargs: Any) -> np.ndarray:
        if any("explode" in t for t in texts):
            raise RuntimeError("the GPU caught fire")
        return super().encode(texts, **kwargs)


@dataclass(frozen=True)
class ExplodingSpec:
    """Loads, on the worker, a fake embedder that fails on any text saying "explode"."""

    def load(self) -> Embedder:
        return Explodes()


def test_worker_failure_keeps_finished_batches_and_a_rerun_does_the_rest(
    scheduler: str, tmp_path: Path, papers_file: Path
) -> None:
    lines = papers_file.read_text().splitlines()
    bad = json.loads(lines[70])  # paper 71: in the fifth batch of 16
    bad["abstract"] += " explode"
    lines[70] = json.dumps(bad)
    papers_file.write_text("\n".join(lines) + "\n")
    store = library(tmp_path / "dask.db", papers_file)

    engine = DaskEngine(ExplodingSpec(), address=scheduler)
    try:
        with pytest.raises(EngineError, match="RuntimeError: the GPU caught fire"):
            embed_pending(store, MODEL, engine, BATCH, in_flight=1)  # one at a time: in order
    finally:
        engine.close()
    assert store.embedding_counts() == {MODEL: 4 * BATCH}  # the four batches before it

    engine = DaskEngine(ModelSpec("fake"), address=scheduler)
    try:
        report = embed_pending(store, MODEL, engine, BATCH)
    finally:
        engine.close()
    assert report.embedded == N_PAPERS - 4 * BATCH  # finished batches are not redone
    assert store.embedding_counts() == {MODEL: N_PAPERS}
    assert vectors_of(store)[71] is not None


def test_interrupted_driver_resumes_without_redoing_batches(
    scheduler: str, tmp_path: Path, papers_file: Path
) -> None:
    store = library(tmp_path / "dask.db", papers_file)
    saved: list[int] = []

    def interrupt_after_two(done: int, total: int) -> None:
        assert total == N_PAPERS
        saved.append(done)
        if len(saved) == 2:
            raise KeyboardInterrupt  # Ctrl-C (or a crash) right after the second save

    engine = DaskEngine(ModelSpec("fake"), address=scheduler)
    try:
        with pytest.raises(KeyboardInterrupt):
            embed_pending(store, MODEL, engine, BATCH, on_progress=interrupt_after_two)
    finally:
        engine.close()
    assert store.embedding_counts() == {MODEL: 2 * BATCH}

    engine = DaskEngine(ModelSpec("fake"), address=scheduler)
    try:
        report = embed_pending(store, MODEL, engine, BATCH)
    finally:
        engine.close()
    assert report.embedded == N_PAPERS - 2 * BATCH
    assert_same(vectors_of(store), local_vectors(tmp_path, papers_file))


def test_only_new_and_changed_papers_are_embedded_again(
    scheduler: str, tmp_path: Path, papers_file: Path
) -> None:
    store = library(tmp_path / "dask.db", papers_file)
    engine = DaskEngine(ModelSpec("fake"), address=scheduler)
    try:
        assert embed_pending(store, MODEL, engine, BATCH).embedded == N_PAPERS
        assert embed_pending(store, MODEL, engine, BATCH).embedded == 0
        ingest_file(store, write_papers(tmp_path / "more.jsonl", 3, seed=2))
        with store.transaction():  # a paper whose abstract changed
            store.conn.execute("UPDATE papers SET abstract = 'rewritten' WHERE id = 5")
        before = store.embedding_of(7, MODEL)
        assert embed_pending(store, MODEL, engine, BATCH).embedded == 4
    finally:
        engine.close()
    assert store.embedding_counts() == {MODEL: N_PAPERS + 3}
    np.testing.assert_array_equal(store.embedding_of(7, MODEL), before)
    np.testing.assert_array_equal(
        store.embedding_of(5, MODEL),
        FakeEmbedder().encode([store.get_paper(5).title + ". rewritten"])[0],
    )


# ---------------------------------------------------------------------------- the CLI


def run(capsys: Capture, db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--model", "fake", "embed", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_embeds_on_the_cluster_and_updates_the_index(
    scheduler: str, tmp_path: Path, papers_file: Path, capsys: Capture
) -> None:
    db = tmp_path / "cli.db"
    library(db, papers_file).close()
    code, out, _ = run(capsys, db, "--engine", "dask", "--address", scheduler, "--batch-size", "10")
    assert code == 0, out
    assert f"embedded {N_PAPERS} papers (fake-256)" in out
    assert "papers/s on 2 workers (dask)" in out
    assert f"{N_PAPERS} vectors in the exact index" in out
    code, out, _ = run(capsys, db, "--engine", "dask", "--address", scheduler)
    assert code == 0 and "embedded 0 papers" in out
    code, out, _ = run(capsys, db, "--engine", "local")
    assert code == 0 and "embedded 0 papers" in out and "1 worker (local)" in out
    assert main(["--db", str(db), "--model", "fake", "search", "sparse attention"]) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("engine", ["dask", "ray"])
def test_cli_bad_address_is_one_readable_line(
    engine: str,
    tmp_path: Path,
    papers_file: Path,
    capsys: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if engine == "ray":
        pytest.importorskip("ray")
    monkeypatch.setattr(engine_module, "CONNECT_TIMEOUT", 1.0)
    db = tmp_path / "cli.db"
    library(db, papers_file).close()
    address = f"127.0.0.1:{free_port()}"  # nothing listens there
    code, _, err = run(capsys, db, "--engine", engine, "--address", address)
    assert code == EngineError.exit_code
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    what = "dask scheduler" if engine == "dask" else "Ray cluster"
    assert err.startswith(f"papersift: error: cannot reach a {what} at '{address}'")
    code, _, err = run(capsys, db, "--engine", "local", "--address", address)
    assert code == 2 and "--address is for the dask and ray engines" in err


def test_cli_engine_not_installed_names_the_package(
    tmp_path: Path, papers_file: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "cli.db"
    library(db, papers_file).close()
    for module, package in (("ray", "'ray'"), ("distributed", "'dask[distributed]'")):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
        code, _, err = run(capsys, db, "--engine", "ray" if module == "ray" else "dask")
        assert code == EngineError.exit_code
        assert f"needs the {package} package, which is not installed" in err
        assert "pip install" in err and "Traceback" not in err
    assert open_store(db).embedding_counts() == {}
