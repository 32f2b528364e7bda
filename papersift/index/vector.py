"""Vector indexes over paper embeddings: exact (numpy) and approximate (usearch HNSW).

Vectors are float32 and L2-normalised on the way in (queries too), so cosine similarity is
the inner product and scores are in [-1, 1], higher is better. Ids are int64 paper ids
(non-negative: usearch keys are unsigned). Zero vectors are kept as zero (score 0).

* :class:`ExactIndex`: a numpy matrix, search is one matrix-vector product plus argpartition.
  Perfect recall; cost is linear in the number of vectors.
* :class:`UsearchIndex`: an HNSW graph (usearch), persisted to one file, updatable in place
  (add, upsert, remove) without a rebuild. It stores the vectors as f16 (scores are good to
  ~1e-3). Chosen over hnswlib, faiss-cpu (HNSW) and sqlite-vec by
  ``benchmarks/bench_vector.py``; see the README for the measured table.
* :class:`AutoIndex` (``open_index("auto", ...)``): exact while small, moved once to the
  approximate index when it grows past :data:`AUTO_EXACT_MAX`.

Filtered search (``candidates=``) is exact over the candidates when they are few; when they
are a large share of the index the ANN over-fetches and filters, falling back to exact over
the candidates if that does not yield enough hits.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

from papersift.hnsw import (
    ANN_EF_CONSTRUCTION,
    ANN_EF_SEARCH,
    ANN_M,
    ann_ef_search,
)
from papersift.index.filtered import ann_fetch_count, ann_walk_breadth

__all__ = [
    "ANN_DTYPE",
    "ANN_EF_CONSTRUCTION",
    "ANN_EF_SEARCH",
    "ANN_KIND",
    "ANN_M",
    "AUTO_EXACT_MAX",
    "AutoIndex",
    "ExactIndex",
    "UsearchIndex",
    "VectorIndex",
    "ann_ef_search",
    "detect_kind",
    "open_index",
]

Vectors = NDArray[np.float32]
Ids = NDArray[np.int64]
Hit = tuple[int, float]

ANN_KIND = "usearch"
# How usearch stores the vectors (and computes scores). f16 halves memory and file size
# against f32 (RSS 209 vs 356 MB, file 176 vs 323 MB at 200k) with the same recall, and
# builds (26 vs 45 s) and searches faster; bf16 is as small but a little less accurate and
# relies on AVX512-BF16 for its speed; i8 tops out at recall@10 ~0.92, under the target.
ANN_DTYPE = "f16"
_USEARCH_DTYPES = ("f32", "f16", "bf16", "i8")
# "auto" stays exact up to this many vectors. From the crossover section of
# benchmarks/bench_vector.py (2 cores, dim 384, k=10): exact p50 is 0.6 ms at 20,000
# vectors, 1.7 ms (p95 2.1) at 50,000, 5.1 ms at 100,000 and 11.3 ms at 200,000 (linear in
# N); the ANN stays at 0.15-0.26 ms but costs a graph build (3.2 s for 50,000 vectors), the
# graph's memory and a little recall. Up to 50,000 exact answers in ~2 ms with perfect
# recall, so the ANN does not pay for itself; from 100,000 on exact is 25x slower and grows.
AUTO_EXACT_MAX = 50_000

_NPZ_MAGIC = b"PK\x03\x04"


@runtime_checkable
class VectorIndex(Protocol):
    """What the search layer needs from a vector index."""

    @property
    def kind(self) -> str:
        """``"exact"`` or the ANN's name (``"usearch"``)."""
        ...

    @property
    def dim(self) -> int: ...

    def add(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        """Insert or replace (an id added again gets the new vector)."""
        ...

    def remove(self, ids: npt.ArrayLike) -> None:
        """Drop these ids; ids not in the index are ignored."""
        ...

    def search(
        self, query: npt.ArrayLike, k: int, candidates: npt.ArrayLike | None = None
    ) -> list[Hit]:
        """The k best (id, cosine similarity), best first; only among ``candidates`` if given."""
        ...

    def __len__(self) -> int: ...

    def ids(self) -> Ids:
        """Every id in the index (order unspecified)."""
        ...

    def save(self, path: Path) -> None:
        """Write the whole index to one file (atomically: a temporary file, then rename)."""
        ...

    @classmethod
    def load(cls, path: Path) -> Self: ...


# ---------------------------------------------------------------- helpers


def _as_ids(ids: npt.ArrayLike) -> Ids:
    arr = np.asarray(ids)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"ids must be integers, got {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _normalise(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    norms[norms == 0] = 1.0
    out: Vectors = (vectors / norms).astype(np.float32, copy=False)
    return out


def _as_matrix(vectors: npt.ArrayLike, dim: int, count: int) -> Vectors:
    mat = np.asarray(vectors, dtype=np.float32)
    if mat.ndim == 1 and count == 1:
        mat = mat.reshape(1, -1)
    if mat.ndim != 2 or mat.shape[1] != dim:
        raise ValueError(f"vectors must have shape (n, {dim}), got {mat.shape}")
    if mat.shape[0] != count:
        raise ValueError(f"{count} ids but {mat.shape[0]} vectors")
    if not np.isfinite(mat).all():
        raise ValueError("vectors contain NaN or infinity")
    return _normalise(mat)


def _as_query(query: npt.ArrayLike, dim: int) -> Vectors:
    q = np.asarray(query, dtype=np.float32).reshape(-1)
    if q.shape[0] != dim:
        raise ValueError(f"query must have {dim} dimensions, got {q.shape[0]}")
    if not np.isfinite(q).all():
        raise ValueError("query contains NaN or infinity")
    return _normalise(q)


def _last_wins(ids: Ids, vectors: Vectors) -> tuple[Ids, Vectors]:
    """Drop earlier duplicates within one batch, so the last vector given for an id wins."""
    uniq, first_in_reversed = np.unique(ids[::-1], return_index=True)
    if len(uniq) == len(ids):
        return ids, vectors
    keep = np.sort(len(ids) - 1 - first_in_reversed)
    return ids[keep], vectors[keep]


def _top_k(ids: Ids, sims: Vectors, k: int) -> list[Hit]:
    """The k highest sims, best first (ties: smaller id first)."""
    if k <= 0 or len(ids) == 0:
        return []
    if k < len(sims):
        part = np.argpartition(-sims, k - 1)[:k]
        ids, sims = ids[part], sims[part]
    order = np.lexsort((ids, -sims))
    return [(int(ids[i]), float(sims[i])) for i in order[:k]]


@contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path next to ``path``, renamed over it when the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------- exact


class ExactIndex:
    """Brute force over a numpy matrix that grows by doubling."""

    kind = "exact"

    def __init__(self, dim: int, capacity: int = 1024) -> None:
        if dim <= 0:
            raise ValueError("dim must be positive")
        self._dim = dim
        self._vecs: Vectors = np.empty((max(capacity, 1), dim), dtype=np.float32)
        self._ids: Ids = np.empty(max(capacity, 1), dtype=np.int64)
        self._n = 0
        self._row: dict[int, int] = {}

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def capacity(self) -> int:
        return len(self._ids)

    def __len__(self) -> int:
        return self._n

    def _reserve(self, needed: int) -> None:
        if needed <= self.capacity:
            return
        cap = self.capacity
        while cap < needed:
            cap *= 2
        vecs = np.empty((cap, self._dim), dtype=np.float32)
        vecs[: self._n] = self._vecs[: self._n]
        ids = np.empty(cap, dtype=np.int64)
        ids[: self._n] = self._ids[: self._n]
        self._vecs, self._ids = vecs, ids

    def add(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        id_arr = _as_ids(ids)
        if id_arr.size == 0:
            return
        mat = _as_matrix(vectors, self._dim, len(id_arr))
        id_arr, mat = _last_wins(id_arr, mat)
        rows = np.fromiter((self._row.get(i, -1) for i in id_arr.tolist()), np.int64, len(id_arr))
        old = rows >= 0
        if old.any():
            self._vecs[rows[old]] = mat[old]
            new = ~old
            id_arr, mat = id_arr[new], mat[new]
        count = len(id_arr)
        if count:
            self._reserve(self._n + count)
            start, end = self._n, self._n + count
            self._vecs[start:end] = mat
            self._ids[start:end] = id_arr
            self._row.update(zip(id_arr.tolist(), range(start, end), strict=True))
            self._n = end

    def remove(self, ids: npt.ArrayLike) -> None:
        for i in _as_ids(ids).tolist():
            row = self._row.pop(i, None)
            if row is None:
                continue
            last = self._n - 1
            if row != last:  # move the last row into the hole
                moved = int(self._ids[last])
                self._vecs[row] = self._vecs[last]
                self._ids[row] = moved
                self._row[moved] = row
            self._n = last

    def ids(self) -> Ids:
        return self._ids[: self._n].copy()

    def vectors(self) -> Vectors:
        """The stored (normalised) vectors, row i belonging to ``ids()[i]``; a copy."""
        return self._vecs[: self._n].copy()

    def get(self, ids: npt.ArrayLike) -> Vectors:
        """The stored vectors of these ids (KeyError for an unknown id)."""
        rows = [self._row[i] for i in _as_ids(ids).tolist()]
        return self._vecs[rows]

    def __contains__(self, id_: object) -> bool:
        return id_ in self._row

    def search(
        self, query: npt.ArrayLike, k: int, candidates: npt.ArrayLike | None = None
    ) -> list[Hit]:
        q = _as_query(query, self._dim)
        if self._n == 0 or k <= 0:
            return []
        if candidates is None:
            sims: Vectors = self._vecs[: self._n] @ q
            return _top_k(self._ids[: self._n], sims, k)
        cand = np.unique(_as_ids(candidates))
        ids = self._ids[: self._n]
        if cand.size * 8 >= self._n:  # many: score everything, keep the candidates
            inside = np.isin(ids, cand, assume_unique=True)
            return _top_k(ids[inside], (self._vecs[: self._n] @ q)[inside], k)
        rows = [r for c in cand.tolist() if (r := self._row.get(c)) is not None]
        if not rows:
            return []
        row_arr = np.array(rows, dtype=np.int64)
        return _top_k(ids[row_arr], self._vecs[row_arr] @ q, k)

    def save(self, path: Path) -> None:
        with _atomic_path(path) as tmp, tmp.open("wb") as f:
            np.savez(
                f,
                kind=np.array(self.kind),
                dim=np.array(self._dim),
                ids=self._ids[: self._n],
                vectors=self._vecs[: self._n],
            )

    @classmethod
    def load(cls, path: Path) -> Self:
        with np.load(path, allow_pickle=False) as z:
            if str(z["kind"]) != cls.kind:
                raise ValueError(f"{path} holds a {z['kind']} index, not {cls.kind}")
            dim = int(z["dim"])
            ids = z["ids"].astype(np.int64, copy=False)
            vecs = z["vectors"].astype(np.float32, copy=False)
        if vecs.shape != (len(ids), dim) or len(np.unique(ids)) != len(ids):
            raise ValueError(f"{path}: inconsistent exact index file")
        index = cls(dim)
        n = len(ids)
        if n:  # saved normalised: adopt the arrays as they are (full; the next add doubles)
            index._vecs = np.ascontiguousarray(vecs)
            index._ids = np.ascontiguousarray(ids)
            index._n = n
            index._row = dict(zip(ids.tolist(), range(n), strict=True))
        return index


# ---------------------------------------------------------------- usearch HNSW


class UsearchIndex:
    """usearch HNSW, inner-product metric, vectors stored as ``dtype`` (f16), one file on disk.

    usearch grows its capacity by itself; removed ids are dropped from results at once and
    their slots reused by later adds.
    """

    kind = ANN_KIND

    def __init__(
        self,
        dim: int,
        m: int = ANN_M,
        ef_construction: int = ANN_EF_CONSTRUCTION,
        ef_search: int | None = None,
        dtype: str = ANN_DTYPE,
        threads: int = 0,
    ) -> None:
        """``ef_search`` fixes the search breadth; by default it follows the index's size
        (``ann_ef_search``)."""
        from usearch.compiled import MetricKind, ScalarKind
        from usearch.index import Index

        if dim <= 0:
            raise ValueError("dim must be positive")
        if dtype not in _USEARCH_DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(_USEARCH_DTYPES)}, not {dtype!r}")
        self._dim = dim
        self.dtype = dtype
        self._threads = threads  # for add(); 0 = all cores
        self._fixed_ef = ef_search
        self._index = Index(
            ndim=dim,
            metric=MetricKind.IP,
            dtype=getattr(ScalarKind, dtype.upper()),
            connectivity=m,
            expansion_add=ef_construction,
            expansion_search=ef_search or ANN_EF_SEARCH,
        )

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def ef_search(self) -> int:
        return int(self._index.expansion_search)

    @ef_search.setter
    def ef_search(self, value: int) -> None:
        self._fixed_ef = value
        self._set_ef(value)

    def _set_ef(self, value: int) -> None:
        if int(self._index.expansion_search) != value:
            # usearch declares this setter apart from its getter: mypy sees it as read-only.
            self._index.expansion_search = value  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self._index)

    @staticmethod
    def _keys(ids: npt.ArrayLike) -> NDArray[np.uint64]:
        arr = _as_ids(ids)
        if arr.size and int(arr.min()) < 0:
            raise ValueError("ids must be non-negative")
        return arr.astype(np.uint64)

    def _present(self, keys: NDArray[np.uint64]) -> NDArray[np.uint64]:
        if keys.size == 0 or len(self._index) == 0:
            return keys[:0]
        mask: NDArray[np.bool_] = np.asarray(self._index.contains(keys), dtype=bool).reshape(-1)
        return keys[mask]

    def add(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        keys = self._keys(ids)
        if keys.size == 0:
            return
        mat = _as_matrix(vectors, self._dim, len(keys))
        id_arr, mat = _last_wins(keys.astype(np.int64), mat)
        keys = id_arr.astype(np.uint64)
        old = self._present(keys)
        if old.size:  # upsert: usearch refuses duplicate keys, so drop the old vectors first
            self._index.remove(old)
        self._index.add(keys, mat, threads=self._threads)

    def remove(self, ids: npt.ArrayLike) -> None:
        keys = self._present(np.unique(self._keys(ids)))
        if keys.size:
            self._index.remove(keys)

    def ids(self) -> Ids:
        if len(self._index) == 0:
            return np.empty(0, dtype=np.int64)
        keys: NDArray[np.uint64] = np.asarray(self._index.keys[:], dtype=np.uint64)
        return keys.astype(np.int64)

    def _stored(self, ids: Ids) -> tuple[Ids, Vectors]:
        """(the ids that are in the index, their stored vectors as float32)."""
        keys = ids.astype(np.uint64)
        if keys.size == 0 or len(self._index) == 0:
            return ids[:0], np.empty((0, self._dim), dtype=np.float32)
        got = self._index.get(keys)
        parts = got if isinstance(got, tuple) else (got,)
        found: list[int] = []
        rows: list[Vectors] = []
        for key, vec in zip(ids.tolist(), parts, strict=True):
            if vec is not None:
                found.append(key)
                rows.append(np.asarray(vec, dtype=np.float32).reshape(-1))
        if not rows:
            return ids[:0], np.empty((0, self._dim), dtype=np.float32)
        return np.array(found, dtype=np.int64), np.stack(rows)

    def get(self, ids: npt.ArrayLike) -> Vectors:
        """The stored vectors of these ids (KeyError for an unknown id)."""
        wanted = _as_ids(ids)
        found, vecs = self._stored(wanted)
        if len(found) != len(wanted):
            missing = sorted(set(wanted.tolist()) - set(found.tolist()))
            raise KeyError(missing[0] if missing else "duplicate ids")
        return vecs

    def _ann(self, q: Vectors, count: int) -> tuple[Ids, Vectors]:
        from usearch.index import Matches

        self._set_ef(self._fixed_ef or ann_walk_breadth(count, len(self._index)))
        found = self._index.search(q, count)
        assert isinstance(found, Matches)
        ids = np.asarray(found.keys, dtype=np.uint64).astype(np.int64)
        sims = (1.0 - np.asarray(found.distances, dtype=np.float32)).astype(np.float32)
        return ids, sims

    def search(
        self, query: npt.ArrayLike, k: int, candidates: npt.ArrayLike | None = None
    ) -> list[Hit]:
        q = _as_query(query, self._dim)
        n = len(self._index)
        if n == 0 or k <= 0:
            return []
        if candidates is None:
            ids, sims = self._ann(q, min(k, n))
            return _top_k(ids, sims, k)
        cand = np.unique(_as_ids(candidates))
        cand = cand[cand >= 0]
        if cand.size == 0:
            return []
        # The filtered-search rule of every backend (papersift.index.filtered).
        if count := ann_fetch_count(k, int(cand.size), n):
            ids, sims = self._ann(q, count)
            inside = np.isin(ids, cand, assume_unique=True)
            if int(inside.sum()) >= k or count == n:
                return _top_k(ids[inside], sims[inside], k)
        # Few candidates (or the over-fetch came back short): exact over the candidates.
        found, vecs = self._stored(cand)
        return _top_k(found, vecs @ q, k)

    def save(self, path: Path) -> None:
        with _atomic_path(path) as tmp:
            self._index.save(str(tmp))

    @classmethod
    def load(cls, path: Path) -> Self:
        from usearch.compiled import MetricKind
        from usearch.index import Index

        meta = Index.metadata(str(path))
        if not meta:
            raise ValueError(f"{path} is not a usearch index")
        dtype = str(meta["kind_scalar"].name).lower()
        if meta["kind_metric"] != MetricKind.IP or dtype not in _USEARCH_DTYPES:
            raise ValueError(f"{path}: not an inner-product index we write ({meta})")
        index = cls(int(meta["dimensions"]), dtype=dtype)
        index._index.load(str(path))  # connectivity comes from the file, ef from the constants
        return index


# ---------------------------------------------------------------- auto


class AutoIndex:
    """Exact while small; moved once to the ANN when it grows past ``threshold`` vectors.

    It never moves back (a library that shrank below the threshold keeps its graph).
    ``kind`` is the kind in use now.
    """

    def __init__(
        self,
        dim: int,
        threshold: int = AUTO_EXACT_MAX,
        inner: VectorIndex | None = None,
        **ann_options: Any,
    ) -> None:
        self._threshold = threshold
        self._ann_options = ann_options
        self._inner: VectorIndex = inner if inner is not None else ExactIndex(dim)
        if self._inner.dim != dim:
            raise ValueError(f"index has dim {self._inner.dim}, expected {dim}")
        self._promote_if_large()

    @property
    def kind(self) -> str:
        return self._inner.kind

    @property
    def dim(self) -> int:
        return self._inner.dim

    @property
    def inner(self) -> VectorIndex:
        return self._inner

    def _promote_if_large(self) -> None:
        inner = self._inner
        if isinstance(inner, ExactIndex) and len(inner) > self._threshold:
            ann = UsearchIndex(inner.dim, **self._ann_options)
            ann.add(inner.ids(), inner.vectors())
            self._inner = ann

    def add(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        self._inner.add(ids, vectors)
        self._promote_if_large()

    def remove(self, ids: npt.ArrayLike) -> None:
        self._inner.remove(ids)

    def search(
        self, query: npt.ArrayLike, k: int, candidates: npt.ArrayLike | None = None
    ) -> list[Hit]:
        return self._inner.search(query, k, candidates)

    def __len__(self) -> int:
        return len(self._inner)

    def ids(self) -> Ids:
        return self._inner.ids()

    def save(self, path: Path) -> None:
        self._inner.save(path)

    @classmethod
    def load(cls, path: Path) -> Self:
        inner = _load_any(path)
        return cls(inner.dim, inner=inner)


# ---------------------------------------------------------------- factory


def detect_kind(path: Path) -> str:
    """``"exact"`` or ``"usearch"``, from the file's first bytes."""
    with path.open("rb") as f:
        head = f.read(4)
    return "exact" if head == _NPZ_MAGIC else ANN_KIND


def _load_any(path: Path) -> VectorIndex:
    if detect_kind(path) == "exact":
        return ExactIndex.load(path)
    return UsearchIndex.load(path)


_KINDS: dict[str, type[ExactIndex] | type[UsearchIndex]] = {
    "exact": ExactIndex,
    ANN_KIND: UsearchIndex,
    "ann": UsearchIndex,
}


def open_index(kind: str, dim: int, path: Path | None = None, **options: Any) -> VectorIndex:
    """A vector index of ``kind`` ("exact", "usearch" or "ann", "auto"), loaded from ``path``
    when that file exists, else new and empty (call ``save(path)`` to write it).

    "auto" is exact up to :data:`AUTO_EXACT_MAX` vectors and the ANN above (moving over once,
    when an add crosses the threshold); an existing file is loaded as whatever it holds.
    ``options`` go to the ANN's constructor (``m``, ``ef_construction``, ``ef_search``).
    """
    if kind == "auto":
        if path is not None and path.exists():
            index: VectorIndex = AutoIndex.load(path)
        else:
            index = AutoIndex(dim, **options)
    elif kind in _KINDS:
        cls = _KINDS[kind]
        if path is not None and path.exists():
            found = detect_kind(path)
            if found != cls.kind:
                raise ValueError(f"{path} holds a {found} index, not {cls.kind}")
            index = cls.load(path)
        else:
            index = cls(dim, **options)
    else:
        raise ValueError(f"unknown vector index kind {kind!r} (exact, {ANN_KIND}, ann, auto)")
    if index.dim != dim:
        raise ValueError(f"{path} holds vectors of dim {index.dim}, expected {dim}")
    return index
