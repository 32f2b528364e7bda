"""Search use cases: keep the indexes current, and answer keyword, meaning and hybrid queries.

Lexical search is SQLite FTS5 BM25 (title > authors > abstract). Semantic search embeds the
query and looks it up in a vector index built from the stored embeddings. Hybrid fuses the
two rankings by reciprocal rank. Every result is a ``Hit`` that says why it matched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from papersift.embed import Embedder, paper_text
from papersift.engine import LocalEngine, embed_pending
from papersift.errors import NotFoundError, PapersiftError, UsageError
from papersift.index.database import DatabaseIndex, DatabaseVectors
from papersift.index.lexical import (
    SCORE_BUDGET,
    LexicalQuery,
    narrower_matches,
    parse_query,
    plan_match,
)
from papersift.index.vector import VectorIndex, open_index
from papersift.models import Hit, SearchFilters
from papersift.query_limits import bound_query
from papersift.rank.fusion import reciprocal_rank_fusion
from papersift.search_modes import MODES as MODES
from papersift.search_modes import Mode as Mode
from papersift.search_modes import resolve_mode
from papersift.store import Store

#: Below this cosine similarity of the best meaning match, a search says "nothing close".
#: Measured for all-MiniLM-L6-v2 by evaluation/nothing_close.py: on the demo library the
#: judged queries' best match is under 0.308 for 5% of the dev half, and 0.30 flags 3% of
#: the held-out judged queries against 98% of off-topic (biomedical SciFact) claims; 0.40
#: flagged 12% of them (24% of the dev half). On SciFact (claims against 5,183 abstracts)
#: 0.30 flags none of the held-out claims, and 0.25% with their answers removed: it marks
#: off-topic queries. Other models (and the fake one): unmeasured.
NOTHING_CLOSE = 0.30
#: How many results each side contributes to the fusion.
POOL = 100


class NotIndexedError(PapersiftError):
    """Semantic search asked for, but the library has no vectors for the model."""

    exit_code = 5


@dataclass
class IndexReport:
    lexical: int = 0
    embedded: int = 0
    model: str = ""
    vectors: int = 0
    index_kind: str = ""


@dataclass
class Searcher:
    """Search over one library with one embedding model (loaded only when needed)."""

    store: Store
    embedder_factory: Callable[[], Embedder]
    model_name: str
    index_kind: str = "auto"
    notes: list[str] = field(default_factory=list)
    _embedder: Embedder | None = None
    _index: VectorIndex | None = None

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.embedder_factory()
        return self._embedder

    # ------------------------------------------------------------------ indexing

    def index(
        self,
        batch_size: int = 32,
        on_progress: Callable[[int, int], None] | None = None,
        commit_every: int = 256,
    ) -> IndexReport:
        """Bring FTS and vectors up to date; embeds only new or changed papers.

        Each batch of vectors is committed as it is made, so an interrupted run keeps what
        it finished and the next run goes on from there.
        """
        report = IndexReport(model=self.model_name)
        with self.store.transaction():
            report.lexical = self.store.sync_lexical()
        engine = LocalEngine(lambda: self.embedder, encode_batch_size=batch_size)
        report.embedded = embed_pending(
            self.store, self.model_name, engine, commit_every, on_progress=on_progress
        ).embedded
        index = self.vectors()
        report.vectors, report.index_kind = len(index), index.kind
        return report

    def _index_path(self) -> Path | None:
        if self.store.location.startswith(("postgres://", "postgresql://")):
            return None
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.model_name)
        return Path(f"{self.store.location}.vectors") / safe

    def vectors(self) -> VectorIndex:
        """The vector index for this model, brought up to date with the stored vectors.

        It is saved beside the library (``<db>.vectors/<model>``) with the last embedding
        ``seq`` it holds, so opening it reads only the vectors written since.
        """
        if self._index is not None:
            return self._index
        if isinstance(self.store, DatabaseVectors):  # PostgreSQL searches its own vectors
            self._index = self._database_index(self.store)
            return self._index
        ids_in_store = self.store.embedding_ids(self.model_name)
        if len(ids_in_store) == 0:
            raise _not_indexed(self.model_name)
        path = self._index_path()
        index, seq = _load_saved(path, self.index_kind)
        new_ids, matrix, last = self.store.embeddings_since(self.model_name, seq)
        if index is None:
            index = open_index(self.index_kind, int(matrix.shape[1]))
        if len(new_ids):
            index.add(new_ids, matrix)
        gone = np.setdiff1d(index.ids(), ids_in_store)
        if len(gone):
            index.remove(gone)
        if path is not None and (len(new_ids) or len(gone)):
            _save(index, path, last, self.index_kind)
        self._index = index
        return index

    def _database_index(self, store: DatabaseVectors) -> VectorIndex:
        index = DatabaseIndex(store, self.model_name, exact=self.index_kind == "exact")
        if not len(index):
            raise _not_indexed(self.model_name)
        return index

    # ------------------------------------------------------------------ searching

    def search(
        self,
        query: str,
        mode: str = "hybrid",
        filters: SearchFilters | None = None,
        limit: int = 10,
    ) -> list[Hit]:
        """The best ``limit`` papers for the query; ``mode`` is keywords, meaning or both
        (or lexical, semantic, hybrid). ``notes`` then says what the search did not do."""
        chosen = resolve_mode(mode)
        query, cut = bound_query(query)  # a 20 KB query costs what its first 64 words do
        parsed = parse_query(query)
        filters = _with_query_filters(filters or SearchFilters(), parsed)
        if not any(c.isalnum() for c in query):
            raise UsageError("the query has no words to search for")
        if not parsed.parts and parsed.exclude and not parsed.author:
            raise UsageError("the query only leaves words out: add words to look for")
        self.notes[:] = [*cut, *parsed.notes]
        match, lexical = self._lexical(parsed.parts, filters) if chosen != "semantic" else ("", [])
        semantic: list[tuple[int, float]] = []
        if chosen == "semantic" or (chosen == "hybrid" and self._has_vectors()):
            text = parsed.meaning_text() if parsed.has_operators else query
            semantic = self._semantic(self.embedder.encode([text])[0], filters, exclude=())
            self._note_if_nothing_close(semantic)
        elif chosen == "hybrid":
            self.notes.append("no vectors yet, so this is a keyword search: run `papersift index`")
        return self._hits(lexical, semantic, limit, match)

    def _note_if_nothing_close(self, semantic: list[tuple[int, float]]) -> None:
        if not semantic or semantic[0][1] >= NOTHING_CLOSE:
            return
        self.notes.append(
            f"nothing close in meaning: the best match has similarity {semantic[0][1]:.2f} "
            f"(a relevant paper usually has {NOTHING_CLOSE:.2f} or more), so what follows "
            "is only the least far"
        )

    def similar(
        self,
        paper_ref: str | None = None,
        text: str | None = None,
        limit: int = 10,
        filters: SearchFilters | None = None,
    ) -> list[Hit]:
        """Papers closest in meaning to a library paper (never itself) or to pasted text."""
        if (paper_ref is None) == (text is None):
            raise UsageError("give a paper id or --text, not both")
        exclude: tuple[int, ...] = ()
        if paper_ref is not None:
            paper_id = self.store.resolve_paper_id(paper_ref)
            if paper_id is None:
                raise NotFoundError(f"no paper {paper_ref!r} in the library")
            vector = self.store.embedding_of(paper_id, self.model_name)
            if vector is None:
                paper = self.store.get_paper(paper_id)
                assert paper is not None
                vector = self.embedder.encode([paper_text(paper.title, paper.abstract)])[0]
            exclude = (paper_id,)
        else:
            if not (text or "").strip():
                raise UsageError("--text is empty")
            vector = self.embedder.encode([text or ""])[0]
        semantic = self._semantic(vector, filters or SearchFilters(), exclude)
        return self._hits([], semantic, limit)

    def sync_lexical(self) -> None:
        """Bring the full-text index up to date (author filters use it too)."""
        if self.store.lexical_pending():  # a read; the write lock only when there is work
            with self.store.transaction():
                self.store.sync_lexical()

    def _has_vectors(self) -> bool:
        try:
            self.vectors()
        except NotIndexedError:
            return False
        return True

    def _lexical(
        self, parts: list[str], filters: SearchFilters
    ) -> tuple[str, list[tuple[int, float]]]:
        """The FTS5 expression used, and its best POOL (paper id, BM25 score)."""
        self.sync_lexical()
        if not parts:
            return "", []
        match = self._plan_match(parts)
        if match is None:
            self.notes.append("every word of the query is too common to rank by keywords")
            return "", []
        return match, self.store.lexical_search(match, POOL, filters)

    def _plan_match(self, parts: list[str]) -> str | None:
        counts, size = self.store.match_counts(parts, SCORE_BUDGET + 1)
        if (match := plan_match(parts, counts, size)) is not None:
            return match
        for narrower in narrower_matches(parts):
            if self.store.match_counts([narrower], SCORE_BUDGET + 1)[0][0] <= SCORE_BUDGET:
                return narrower
        return None

    def _semantic(
        self, vector: NDArray[np.float32], filters: SearchFilters, exclude: tuple[int, ...]
    ) -> list[tuple[int, float]]:
        index = self.vectors()
        if filters.author or filters.title_parts or filters.exclude_parts:
            self.sync_lexical()
        candidates = self.store.filtered_ids(filters) if filters else None
        if candidates is not None and len(candidates) == 0:
            return []
        found = index.search(vector, POOL + len(exclude), candidates)
        return [(pid, sim) for pid, sim in found if pid not in exclude][:POOL]

    def _hits(
        self,
        lexical: list[tuple[int, float]],
        semantic: list[tuple[int, float]],
        limit: int,
        match: str = "",
    ) -> list[Hit]:
        lex_rank = {pid: r for r, (pid, _) in enumerate(lexical, 1)}
        sem_rank = {pid: (r, sim) for r, (pid, sim) in enumerate(semantic, 1)}
        if lexical and semantic:
            fused = reciprocal_rank_fusion([[p for p, _ in lexical], [p for p, _ in semantic]])
        else:
            fused = list(lexical or semantic)
        fused = fused[:limit]
        papers = self.store.get_papers([pid for pid, _ in fused])
        words = self.store.matched_words(match, [p for p, _ in fused if p in lex_rank])
        hits = []
        for pid, score in fused:
            hit = Hit(papers[pid], score)
            if pid in lex_rank:
                hit.lexical_rank, hit.matched_terms = lex_rank[pid], words.get(pid, [])
                hit.reasons.append("matches " + ", ".join(hit.matched_terms[:6]))
            if pid in sem_rank:
                hit.semantic_rank, hit.similarity = sem_rank[pid]
                hit.reasons.append(f"similar in meaning ({hit.similarity:.2f})")
            hits.append(hit)
        return hits


def _with_query_filters(filters: SearchFilters, parsed: LexicalQuery) -> SearchFilters:
    """The filters, with the author, ``title:`` and ``-word`` of the query added."""
    return replace(
        filters,
        author=filters.author or parsed.author,
        title_parts=filters.title_parts + tuple(parsed.title),
        exclude_parts=filters.exclude_parts + tuple(parsed.exclude),
    )


def _not_indexed(model: str) -> NotIndexedError:
    return NotIndexedError(
        f"the library has no vectors for model {model!r} yet: "
        "run `papersift index` first (or search with --mode lexical)"
    )


def _load_saved(path: Path | None, kind: str) -> tuple[VectorIndex | None, int]:
    """The saved index and the last embedding seq it holds; (None, 0) to build it anew."""
    if path is None or not path.exists():
        return None, 0
    meta = _meta_path(path)
    try:
        info = json.loads(meta.read_text())
        if info.get("requested") != kind:
            return None, 0
        return open_index(kind, int(info["dim"]), path), int(info["seq"])
    except (OSError, ValueError, KeyError):
        return None, 0  # unreadable or stale: rebuilt from the stored vectors


def _meta_path(path: Path) -> Path:
    return path.parent / (path.name + ".json")


def _save(index: VectorIndex, path: Path, seq: int, requested: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    index.save(path)
    meta = {"seq": seq, "dim": index.dim, "kind": index.kind, "requested": requested}
    _meta_path(path).write_text(json.dumps(meta))
