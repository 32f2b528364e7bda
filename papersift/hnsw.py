"""HNSW settings shared by the in-process index (usearch, papersift.index.vector) and
PostgreSQL's (pgvector, papersift.store.postgres_search): pure constants and one rule."""

from __future__ import annotations

# HNSW parameters, measured by benchmarks/bench_vector.py at 200,000 clustered vectors of
# dim 384 on 2 cores: M=16 / ef_construction=128 with f16 storage builds in ~26 s; recall@10
# against exact is 0.960 at ef_search=24, 0.974 at 32 and 0.999 at 64 (p50 0.25 ms). 64
# leaves a margin over the 0.95 target for embeddings less clustered than the benchmark's.
# ef_search is not stored in the file: load() uses this rule again.
#
# Recall falls as the graph grows: at 1,000,000 vectors ef_search=64 gives 0.915, 128 0.947,
# 192 0.958 and 256 0.963 (p50 0.54, 0.71, 0.92, 1.10 ms), so ef_search grows with the
# index past 256,000 vectors (ann_ef_search), which costs well under the query embedding.
ANN_M = 16
ANN_EF_CONSTRUCTION = 128
ANN_EF_SEARCH = 64
ANN_EF_SEARCH_MAX = 256
#: Past 256,000 vectors, one more step of ef_search per this many vectors.
ANN_VECTORS_PER_EF = 4_000


def ann_ef_search(size: int) -> int:
    """ef_search for an HNSW graph of ``size`` vectors (usearch here, pgvector in the
    PostgreSQL store): ANN_EF_SEARCH up to 256,000 vectors, then one per 4,000 (250 at a
    million), at most ANN_EF_SEARCH_MAX."""
    return max(ANN_EF_SEARCH, min(ANN_EF_SEARCH_MAX, size // ANN_VECTORS_PER_EF))
