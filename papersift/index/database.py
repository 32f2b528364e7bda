"""A vector index that lives in the database (PostgreSQL's pgvector HNSW), behind the same
:class:`~papersift.index.vector.VectorIndex` interface as the in-process indexes.

A store that can search its own vectors (:class:`DatabaseVectors`) needs no index built in
the process: the search layer wraps it in :class:`DatabaseIndex`, whose ``search`` is one
query. Vectors reach it through ``Store.save_embeddings``, so ``add``/``remove``/``save`` are
not for this index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt
from numpy.typing import NDArray

Hit = tuple[int, float]


@runtime_checkable
class DatabaseVectors(Protocol):
    """The optional store capability: nearest vectors, searched in the database."""

    def vector_count(self, model: str) -> int: ...

    def ensure_vector_index(self, model: str) -> int:
        """Build the model's index if missing; returns the vectors' dimension (0: none)."""
        ...

    def vector_search(
        self,
        model: str,
        vector: NDArray[np.float32],
        k: int,
        candidates: NDArray[np.int64] | None = None,
        exact: bool = False,
    ) -> list[Hit]: ...

    def embedding_ids(self, model: str) -> NDArray[np.int64]: ...


class DatabaseIndex:
    """One model's vectors in the database. ``exact`` searches without the ANN index."""

    def __init__(self, store: DatabaseVectors, model: str, exact: bool = False) -> None:
        self.store = store
        self.model = model
        self.exact = exact
        self._count = store.vector_count(model)
        self._dim = store.ensure_vector_index(model) if self._count else 0

    @property
    def kind(self) -> str:
        return "pgvector-exact" if self.exact else "pgvector-hnsw"

    @property
    def dim(self) -> int:
        return self._dim

    def __len__(self) -> int:
        return self._count

    def ids(self) -> NDArray[np.int64]:
        return self.store.embedding_ids(self.model)

    def search(
        self, query: npt.ArrayLike, k: int, candidates: npt.ArrayLike | None = None
    ) -> list[Hit]:
        wanted = None if candidates is None else np.asarray(candidates, dtype=np.int64)
        vector = np.asarray(query, dtype=np.float32).ravel()
        return self.store.vector_search(self.model, vector, k, wanted, self.exact)

    def add(self, ids: npt.ArrayLike, vectors: npt.ArrayLike) -> None:
        raise NotImplementedError("vectors reach the database through Store.save_embeddings")

    def remove(self, ids: npt.ArrayLike) -> None:
        raise NotImplementedError("vectors leave the database with their papers")

    def save(self, path: Path) -> None:
        raise NotImplementedError("the database keeps this index")

    @classmethod
    def load(cls, path: Path) -> Self:
        raise NotImplementedError("the database keeps this index")
