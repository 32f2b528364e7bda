"""Embedding the papers that lack a vector, in parallel batches on an engine.

The driver (this process) is the only one that touches the library. It reads the texts that
need a vector (``Store.texts_to_embed``: missing, or computed from another text) in batches,
ships each batch's ids and texts to a worker, gets a float32 array back, and saves every
finished batch in its own transaction. A finished batch is therefore never embedded again: a
run that crashes, is killed or interrupted resumes with the batches it had not saved. At most
``in_flight`` batches are out at a time (two per worker by default), so memory stays flat
whatever the size of the library.

Engines: ``local`` (this process, as ``papersift index`` does), ``dask`` (a dask.distributed
cluster; the default, chosen with ``benchmarks/bench_engine.py``) and ``ray``. Each worker
loads the model once and runs it on CUDA when it has a GPU, unless the spec names a device.
dask and ray are imported only when asked for.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import time
from collections.abc import Callable, Generator, Iterable
from contextlib import closing
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from papersift.embed import Embedder, embedder_name, load_embedder, text_and_hash
from papersift.errors import PapersiftError, UsageError
from papersift.store import Store

#: Engines by name; the first is the default of ``papersift embed``.
ENGINES = ("dask", "ray", "local")
DEFAULT_ENGINE = ENGINES[0]
#: What to install for an engine (named in the error when it is missing).
ENGINE_PACKAGES = {"dask": "dask[distributed]", "ray": "ray"}
#: Papers in a batch shipped to a worker (and saved in one transaction).
DEFAULT_BATCH_SIZE = 256
#: Seconds to wait for a cluster at ``--address`` before giving up.
CONNECT_TIMEOUT = 10.0
_DASK_MESSAGE_LOG = "distributed.admin.low-level-log-length"

#: One batch: (paper id, content hash, text) of each paper in it.
Batch = list[tuple[int, str, str]]
Vectors = NDArray[np.float32]
#: What an engine hands back: each batch with its vectors, in the order they finish.
Results = Generator[tuple[Batch, Vectors], None, None]


class EngineError(PapersiftError):
    """An engine could not be used: not installed, cluster unreachable, a worker lost."""

    exit_code = 7


# --------------------------------------------------------------------------- the worker side


class EmbedderSpec(Protocol):
    """What a worker needs to load the embedder itself: picklable, hashable, comparable."""

    def load(self) -> Embedder: ...


@dataclass(frozen=True)
class ModelSpec:
    """A model as ``--model`` names it, and where to run it (``None``: CUDA when available)."""

    model: str = "default"
    device: str | None = None

    def load(self) -> Embedder:
        return load_embedder(self.model, device=self.device)

    @property
    def name(self) -> str:
        """The model name stored with the vectors, known without loading anything."""
        return embedder_name(self.model)


_LOADED: dict[EmbedderSpec, Embedder] = {}


def worker_embedder(spec: EmbedderSpec) -> Embedder:
    """The embedder of ``spec`` in this process, loaded on first use and kept."""
    embedder = _LOADED.get(spec)
    if embedder is None:
        embedder = _LOADED[spec] = spec.load()
    return embedder


def encode_batch_size(embedder: Embedder) -> int:
    """Texts per forward pass: more on a GPU, where a pass costs little more for more texts."""
    device = str(getattr(embedder, "device", "cpu"))
    return 128 if device.startswith("cuda") else 32


def embed_texts(spec: EmbedderSpec, ids: list[int], texts: list[str]) -> tuple[list[int], Vectors]:
    """Runs on a worker: the vectors of one batch, with the worker's own copy of the model."""
    embedder = worker_embedder(spec)
    return ids, embedder.encode(texts, batch_size=encode_batch_size(embedder))


# --------------------------------------------------------------------------- engines


class Engine(Protocol):
    """Runs ``embed_texts`` over batches, a bounded number at a time, in any order."""

    name: str
    #: How many batches it embeds at once.
    workers: int

    def map_batches(self, batches: Iterable[Batch], in_flight: int) -> Results:
        """Each batch with its vectors, as they finish; at most ``in_flight`` outstanding."""
        ...

    def close(self) -> None: ...


class LocalEngine:
    """This process, one batch after the other (what ``papersift index`` uses)."""

    name = "local"
    workers = 1

    def __init__(
        self, get_embedder: Callable[[], Embedder], encode_batch_size: int | None = None
    ) -> None:
        self._get_embedder = get_embedder
        self._encode_batch_size = encode_batch_size

    def map_batches(self, batches: Iterable[Batch], in_flight: int) -> Results:
        for batch in batches:
            embedder = self._get_embedder()
            size = self._encode_batch_size or encode_batch_size(embedder)
            yield batch, embedder.encode([text for _, _, text in batch], batch_size=size)

    def close(self) -> None:
        pass


def _split(batch: Batch) -> tuple[list[int], list[str]]:
    return [pid for pid, _, _ in batch], [text for _, _, text in batch]


def _checked(batch: Batch, ids: list[int], vectors: Vectors) -> Vectors:
    if ids != [pid for pid, _, _ in batch] or len(vectors) != len(batch):
        raise EngineError("a worker returned vectors for other papers than it was sent")
    return vectors


def _worker_failure(engine: str, exc: BaseException) -> PapersiftError:
    """A worker's exception as the driver raises it: our own errors keep their message."""
    cause = getattr(exc, "cause", None)  # ray wraps the worker's exception
    if isinstance(cause, PapersiftError):
        return cause
    if isinstance(exc, PapersiftError):
        return exc
    lines = str(exc).strip().splitlines()
    reason = lines[-1] if lines else type(exc).__name__
    return EngineError(f"a batch failed on a {engine} worker: {type(exc).__name__}: {reason}")


def import_engine(name: str) -> ModuleType:
    """The engine's module (``distributed`` for dask), or a message naming what to install."""
    module = {"dask": "distributed", "ray": "ray"}[name]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EngineError(
            f"the {name} engine needs the {ENGINE_PACKAGES[name]!r} package, which is not "
            f"installed: `pip install '{ENGINE_PACKAGES[name]}'` (or use --engine local)"
        ) from exc


class DaskEngine:
    """A dask.distributed cluster: the one at ``address``, else a local one of processes."""

    name = "dask"

    def __init__(
        self,
        spec: EmbedderSpec,
        address: str | None = None,
        workers: int | None = None,
        memory_limit: str = "auto",
    ) -> None:
        distributed = import_engine("dask")
        self._spec = spec
        self._cluster: Any = None
        self._client: Any = None
        # dask keeps the last 1000 messages of every connection for debugging, and each of
        # ours carries a batch's texts: hundreds of MB, at any library size. Keep none.
        with importlib.import_module("dask").config.set({_DASK_MESSAGE_LOG: 0}):
            where = address or self._start_local_cluster(distributed, spec, workers, memory_limit)
            try:
                self._client = distributed.Client(
                    where, timeout=f"{CONNECT_TIMEOUT}s", set_as_default=False
                )
            except (OSError, ValueError, TimeoutError) as exc:
                self.close()
                raise EngineError(
                    f"cannot reach a dask scheduler at {where!r}: {exc}; start one with "
                    "`dask scheduler` and `dask worker ADDRESS`, or leave out --address"
                ) from exc
        self._as_completed = distributed.as_completed
        threads = sum(self._client.nthreads().values())
        self.workers = min(workers, threads) if workers and address else threads
        if self.workers < 1:
            self.close()
            raise EngineError(f"the dask cluster at {where!r} has no workers")

    def _start_local_cluster(
        self, distributed: ModuleType, spec: EmbedderSpec, workers: int | None, memory: str
    ) -> str:
        gpus = 0 if workers else local_gpus(spec)
        options: dict[str, Any] = {"silence_logs": logging.ERROR}
        if gpus > 1:  # one worker per GPU, each seeing only its own
            self._cluster = distributed.SpecCluster(
                scheduler={"cls": distributed.Scheduler, "options": {"dashboard_address": ":0"}},
                workers={
                    f"gpu-{i}": {
                        "cls": distributed.Nanny,
                        "options": {
                            "nthreads": 1,
                            "dashboard": False,
                            "env": {"CUDA_VISIBLE_DEVICES": str(i)},
                            **options,
                        },
                    }
                    for i in range(gpus)
                },
                **options,
            )
        else:
            self._cluster = distributed.LocalCluster(
                n_workers=workers or gpus or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                memory_limit=memory,
                dashboard_address=None,
                **options,
            )
        return str(self._cluster.scheduler_address)

    def map_batches(self, batches: Iterable[Batch], in_flight: int) -> Results:
        todo = iter(batches)
        pending: dict[str, tuple[Any, Batch]] = {}
        done = self._as_completed(loop=self._client.loop)

        def submit_next() -> None:
            batch = next(todo, None)
            if batch is not None:
                future = self._client.submit(embed_texts, self._spec, *_split(batch), pure=False)
                pending[future.key] = (future, batch)
                done.add(future)

        try:
            for _ in range(in_flight):
                submit_next()
            for future in done:
                _, batch = pending.pop(future.key)
                try:
                    ids, vectors = future.result()
                except Exception as exc:
                    raise _worker_failure(self.name, exc) from exc
                future.release()
                submit_next()  # before the caller saves, so the workers never wait
                yield batch, _checked(batch, ids, vectors)
        finally:
            if pending:
                self._client.cancel([future for future, _ in pending.values()])

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            cluster.close()


class RayEngine:
    """A Ray cluster: the one at ``address`` (``host:port``, ``ray://...``), else a local one."""

    name = "ray"

    def __init__(
        self, spec: EmbedderSpec, address: str | None = None, workers: int | None = None
    ) -> None:
        ray = import_engine("ray")
        if address is not None and address != "auto":
            _check_reachable(address, "Ray cluster", "`ray start --head`")
        try:
            ray.init(
                address=address,
                num_cpus=None if address else workers or os.cpu_count(),
                num_gpus=None if address else local_gpus(spec),
                include_dashboard=False,
                logging_level=logging.ERROR,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise EngineError(f"cannot start or reach a Ray cluster at {address!r}: {exc}") from exc
        self._ray = ray
        resources = ray.cluster_resources()
        gpus = 0 if getattr(spec, "device", None) == "cpu" else int(resources.get("GPU", 0))
        slots = gpus or int(resources.get("CPU", 1))
        self.workers = min(workers, slots) if workers and address else slots
        options = {"num_gpus": 1, "num_cpus": 1} if gpus else {"num_cpus": 1}
        self._task = ray.remote(embed_texts).options(**options)
        self._spec_ref = ray.put(spec)

    def map_batches(self, batches: Iterable[Batch], in_flight: int) -> Results:
        ray = self._ray
        todo = iter(batches)
        pending: dict[Any, Batch] = {}

        def submit_next() -> None:
            batch = next(todo, None)
            if batch is not None:
                pending[self._task.remote(self._spec_ref, *_split(batch))] = batch

        try:
            for _ in range(in_flight):
                submit_next()
            while pending:
                [ref], _ = ray.wait(list(pending), num_returns=1)
                batch = pending.pop(ref)
                try:
                    ids, vectors = ray.get(ref)
                except Exception as exc:
                    raise _worker_failure(self.name, exc) from exc
                submit_next()
                yield batch, _checked(batch, ids, vectors)
        finally:
            for ref in pending:
                ray.cancel(ref)

    def close(self) -> None:
        self._ray.shutdown()


def _check_reachable(address: str, what: str, how: str) -> None:
    """Fail fast on an address nothing listens at (Ray itself retries for minutes)."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise EngineError(f"{what} address {address!r} is not HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        raise EngineError(
            f"cannot reach a {what} at {address!r}: {exc}; start one with {how}, "
            "or leave out --address"
        ) from exc


def local_gpus(spec: EmbedderSpec) -> int:
    """GPUs of this machine that a local cluster may put workers on (none for ``cpu``)."""
    if not isinstance(spec, ModelSpec) or spec.device == "cpu":
        return 0
    return 0 if spec.model.lower().startswith("fake") else _gpu_count()


def _gpu_count() -> int:
    try:
        import torch
    except ImportError:
        return 0
    return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0


def open_engine(
    name: str,
    spec: EmbedderSpec,
    address: str | None = None,
    workers: int | None = None,
) -> Engine:
    """The engine called ``name`` (one of ``ENGINES``), started or connected."""
    if name == "local":
        if address is not None:
            raise UsageError("--address is for the dask and ray engines, not local")
        return LocalEngine(lambda: worker_embedder(spec))
    if name == "dask":
        return DaskEngine(spec, address, workers)
    if name == "ray":
        return RayEngine(spec, address, workers)
    raise UsageError(f"unknown engine {name!r}; use one of {', '.join(ENGINES)}")


# --------------------------------------------------------------------------- the driver


@dataclass
class EmbedReport:
    engine: str
    workers: int
    embedded: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def papers_per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def count_pending(store: Store, model_name: str) -> int:
    """How many papers need a vector for the model (one streamed pass, flat memory)."""
    return sum(len(b) for b in store.texts_to_embed(model_name, text_and_hash, batch=10_000))


def embed_pending(
    store: Store,
    model_name: str,
    engine: Engine,
    batch_size: int = DEFAULT_BATCH_SIZE,
    in_flight: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EmbedReport:
    """Embed every paper whose vector for ``model_name`` is missing or stale.

    Each finished batch is saved in its own transaction as it arrives; ``on_progress(done,
    total)`` is called after each. ``in_flight`` (default: two per worker) bounds the batches
    sent and not yet saved.
    """
    if batch_size < 1:
        raise UsageError(f"batch size must be at least 1, got {batch_size}")
    report = EmbedReport(engine.name, engine.workers)
    total = count_pending(store, model_name) if on_progress else 0
    start = time.perf_counter()
    batches = store.texts_to_embed(model_name, text_and_hash, batch=batch_size)
    # closing: a failure here cancels the batches still out at once, not when collected
    with closing(engine.map_batches(batches, in_flight or 2 * engine.workers)) as results:
        for batch, vectors in results:
            rows = [(pid, digest, vectors[i]) for i, (pid, digest, _) in enumerate(batch)]
            with store.transaction():
                store.save_embeddings(model_name, rows)
            report.embedded += len(batch)
            report.batches += 1
            if on_progress:
                on_progress(report.embedded, max(total, report.embedded))
    report.seconds = time.perf_counter() - start
    return report
