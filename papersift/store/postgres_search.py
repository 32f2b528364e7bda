"""What search needs from PostgreSQL: the tsvector index, filters, stored embeddings and the
pgvector HNSW search."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import pq, sql
from psycopg.adapt import Buffer, Dumper, Loader

from papersift.hnsw import ANN_EF_CONSTRUCTION, ANN_M
from papersift.index.filtered import ann_fetch_count, ann_walk_breadth
from papersift.models import SearchFilters
from papersift.store.postgres_tsquery import to_tsquery_text, tsquery_alternatives

#: ts_rank's weights for {D, C, B, A}: abstract (C) 1, authors (B) 2, title (A) 4, as
#: sqlite_search.BM25_WEIGHTS (scaled into ts_rank's 0..1).
RANK_WEIGHTS = "{0.05, 0.25, 0.5, 1.0}"
#: ts_rank normalisation 1: divide by 1 + log(document length), BM25's length penalty.
RANK_NORMALISATION = 1
_TSQUERY = "to_tsquery('papersift', papersift_fold({}))"
_AUTHORS_TEXT = "(SELECT string_agg(value, ', ') FROM json_array_elements_text(p.authors::json))"
_TSVECTOR = (
    "setweight(to_tsvector('papersift', papersift_fold(coalesce(p.title, ''))), 'A') || "
    f"setweight(to_tsvector('papersift', papersift_fold(coalesce({_AUTHORS_TEXT}, ''))), 'B') || "
    "setweight(to_tsvector('papersift', papersift_fold(coalesce(p.abstract, ''))), 'C')"
)
#: Filtered search (papersift.index.filtered): exact over the candidates when they are
#: few, here also up to EXACT_MAX of them (one indexed scan); otherwise HNSW over-fetches.
EXACT_MAX = 5_000
_MARK_START, _MARK_END = "\x01", "\x02"
#: A part of a keyword query that is a word or phrase (no prefix, column or operator).
_PLAIN_PART = re.compile(r'"[^"*]*"')
#: A keyword query on titles alone (narrower_matches' last resort): its inner expression.
_TITLE_ONLY = re.compile(r"title : \(([^()]*)\)")
#: A paper's title as the papers_title_tsv index has it (migrations_pg/0008_fts_terms.sql).
_TITLE_TSVECTOR = "to_tsvector('papersift', papersift_fold(coalesce({}.title, '')))"
#: maintenance_work_mem for building the HNSW index, unless the server allows more. The build
#: is several times faster while the graph fits (about 2 GB a million 384-dim vectors): set
#: the server's maintenance_work_mem higher for a big library (README, "Running it for a lab").
INDEX_BUILD_MEMORY = 2**30
#: work_mem of papersift's sessions, unless the server gives more. With PostgreSQL's default
#: 4 MB, the bitmap of papers matching two common words goes lossy at 1M papers and the
#: planner reads the whole table instead (380 ms to count 20,000 matches; 60 ms with 16 MB).
QUERY_MEMORY = 32 * 2**20


#: A memory setting of the session in bytes, from pg_settings (``%s``: its name).
_SETTING_BYTES = (
    "SELECT setting::bigint * CASE unit WHEN 'kB' THEN 1024 WHEN '8kB' THEN 8192 "
    "WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = %s"
)


def memory_setting(conn: psycopg.Connection[Any], name: str) -> int:
    """A memory setting of the session (``work_mem``, ...), in bytes."""
    row = conn.execute(_SETTING_BYTES, (name,)).fetchone()
    return int(row[0]) if row else 0


def index_build_memory(conn: psycopg.Connection[Any]) -> int | None:
    """The maintenance_work_mem (bytes) to build an HNSW index with, or None to keep the
    server's own setting, which is used whenever it is at least INDEX_BUILD_MEMORY."""
    enough = memory_setting(conn, "maintenance_work_mem") >= INDEX_BUILD_MEMORY
    return None if enough else INDEX_BUILD_MEMORY


def raise_query_memory(conn: psycopg.Connection[Any]) -> None:
    """Give the session's queries at least QUERY_MEMORY of work_mem (never less than the
    server's own setting)."""
    conn.execute(  # one round trip: every connection (a web request's too) runs it
        f"SELECT set_config('work_mem', %s, false) WHERE ({_SETTING_BYTES}) < %s",
        (f"{QUERY_MEMORY // 1024}kB", "work_mem", QUERY_MEMORY),
    )


# ---------------------------------------------------------------------- the vector type


class _VectorDumper(Dumper):
    """numpy vectors in pgvector's binary format: dim (int16), 0 (int16), float32s (BE)."""

    format = pq.Format.BINARY

    def dump(self, obj: Any) -> Buffer:
        values = np.asarray(obj, dtype=">f4").ravel()
        return len(values).to_bytes(2, "big") + b"\0\0" + values.tobytes()


class _VectorBinaryLoader(Loader):
    format = pq.Format.BINARY

    def load(self, data: Buffer) -> NDArray[np.float32]:
        raw = bytes(data)
        dim = int.from_bytes(raw[:2], "big")
        return np.frombuffer(raw, dtype=">f4", count=dim, offset=4).astype(np.float32)


class _VectorTextLoader(Loader):
    format = pq.Format.TEXT

    def load(self, data: Buffer) -> NDArray[np.float32]:
        text = bytes(data).decode().strip("[]")
        return np.array([float(v) for v in text.split(",") if v], dtype=np.float32)


def register_vector_type(conn: psycopg.Connection[Any]) -> int:
    """Teach the connection to send numpy arrays as ``vector`` and read them back; returns
    the type's oid."""
    row = conn.execute("SELECT to_regtype('vector')::oid").fetchone()
    if row is None or row[0] is None:
        return 0
    oid = int(row[0])
    dumper = type("VectorDumper", (_VectorDumper,), {"oid": oid})
    conn.adapters.register_dumper(np.ndarray, dumper)
    conn.adapters.register_loader(oid, _VectorBinaryLoader)
    conn.adapters.register_loader(oid, _VectorTextLoader)
    return oid


class PostgresSearch:
    """Mixed into PostgresStore; ``self.conn`` is its connection."""

    conn: psycopg.Connection[Any]
    vector_oid: int

    # ------------------------------------------------------------------ full text

    def lexical_pending(self) -> bool:
        row = self.conn.execute("SELECT EXISTS (SELECT 1 FROM fts_dirty)").fetchone()
        return bool(row and row[0])

    def sync_lexical(self) -> int:
        """Bring the tsvector index up to date with the papers that changed; how many."""
        row = self.conn.execute("SELECT count(*) FROM fts_dirty").fetchone()
        dirty = int(row[0]) if row else 0
        if not dirty:
            return 0
        with self.conn.transaction():
            self.conn.execute(
                "DELETE FROM papers_fts WHERE paper_id IN (SELECT paper_id FROM fts_dirty)"
            )
            self.conn.execute(
                f"INSERT INTO papers_fts (paper_id, tsv) SELECT p.id, {_TSVECTOR} "
                "FROM papers p JOIN fts_dirty d ON d.paper_id = p.id"
            )
            self.conn.execute("DELETE FROM fts_dirty")
        return dirty

    def lexical_search(
        self, match: str, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[int, float]]:
        """(paper id, score, higher is better) of the best ``limit`` matches.

        The score is BM25-like: each OR-ed part's ``ts_rank`` (weighted by column, damped by
        length) times its IDF over the matching papers.
        """
        parts = tsquery_alternatives(match)
        if not parts:
            return []
        where, params = _filter_sql(filters)
        queries = ", ".join(f"{_TSQUERY.format('%s')} AS q{i}" for i in range(len(parts)))
        any_part = " || ".join(f"q.q{i}" for i in range(len(parts)))
        counts = ", ".join(
            f"count(*) FILTER (WHERE h.tsv @@ q.q{i}) AS n{i}" for i in range(len(parts))
        )
        score = " + ".join(
            f"ln(1 + (s.size - n.n{i} + 0.5) / (n.n{i} + 0.5)) * "
            f"ts_rank('{RANK_WEIGHTS}', h.tsv, q.q{i}, {RANK_NORMALISATION})"
            for i in range(len(parts))
        )
        matches, titles = f"FROM papers_fts f, q WHERE f.tsv @@ ({any_part})", _title_only(match)
        if titles:  # found by the title index first, then ranked as any other query
            title_words = f"{_TITLE_TSVECTOR.format('t')} @@ {_TSQUERY.format('%s')}"
            matches = (
                "FROM papers t JOIN papers_fts f ON f.paper_id = t.id, q "
                f"WHERE {title_words} AND f.tsv @@ ({any_part})"
            )
        rows = self.conn.execute(
            f"WITH q AS MATERIALIZED (SELECT {queries}), "
            f"h AS MATERIALIZED (SELECT f.paper_id, f.tsv {matches}), "
            # materialized: computed once, however few rows the planner expects in h
            f"n AS MATERIALIZED (SELECT {counts} FROM h, q), "
            "s AS MATERIALIZED (SELECT greatest(coalesce(max(paper_id), 0), 1)::float8 AS size "
            "FROM papers_fts) "
            f"SELECT h.paper_id, {score} AS score "
            f"FROM h JOIN papers p ON p.id = h.paper_id, q, n, s WHERE true {where} "
            "ORDER BY score DESC, h.paper_id LIMIT %s",
            (*parts, *titles, *params, limit),
        )
        return [(int(pid), float(score)) for pid, score in rows]

    def matched_words(self, match: str, paper_ids: Sequence[int]) -> dict[int, list[str]]:
        """The words of each paper's title and abstract that the expression matched."""
        query = to_tsquery_text(match)
        if not paper_ids or not query:
            return {}
        options = f"StartSel={_MARK_START}, StopSel={_MARK_END}, HighlightAll=true"
        rows = self.conn.execute(
            "SELECT p.id, p.title, p.abstract, "
            "ts_headline('papersift', papersift_fold(coalesce(p.title, '')), q, %s), "
            "ts_headline('papersift', papersift_fold(coalesce(p.abstract, '')), q, %s) "
            f"FROM papers p, {_TSQUERY.format('%s')} AS q WHERE p.id = ANY(%s::bigint[])",
            (options, options, query, [int(i) for i in paper_ids]),
        )
        found: dict[int, list[str]] = {}
        for pid, title, abstract, marked_title, marked_abstract in rows:
            words = _marked_words(title or "", marked_title)
            words += _marked_words(abstract or "", marked_abstract)
            found[int(pid)] = list(dict.fromkeys(words))
        return found

    def match_counts(self, expressions: Sequence[str], cap: int) -> tuple[list[int], int]:
        """How many papers each expression matches (counting stops at ``cap``), and about
        how many papers the library has (the highest id: cheap, never too low).

        A plain word or phrase (``"w1 w2"``) is answered from fts_terms, without reading a
        paper: exactly for one word, and for a phrase by its rarest word's count (never too
        low). Anything else (prefixes, columns, AND) is counted."""
        sql_count = (
            "SELECT count(*) FROM (SELECT 1 FROM papers_fts "
            f"WHERE tsv @@ {_TSQUERY.format('%s')} LIMIT %s) AS hits"
        )
        sql_title_count = (
            f"SELECT count(*) FROM (SELECT 1 FROM papers t WHERE {_TITLE_TSVECTOR.format('t')} "
            f"@@ {_TSQUERY.format('%s')} LIMIT %s) AS hits"
        )
        counts = []
        for expression in expressions:
            if _PLAIN_PART.fullmatch(expression):
                counts.append(min(cap, self._rarest_word_count(expression.strip('"'))))
                continue
            text, titles = to_tsquery_text(expression), _title_only(expression)
            if titles:
                text, sql = titles[0], sql_title_count
            else:
                sql = sql_count
            row = self.conn.execute(sql, (text, cap)).fetchone() if text else (0,)
            counts.append(int(row[0]) if row else 0)
        row = self.conn.execute("SELECT coalesce(max(id), 0) FROM papers").fetchone()
        return counts, int(row[0]) if row else 0

    def _rarest_word_count(self, words: str) -> int:
        """How many papers hold the rarest lexeme of these words (0 if one is held by none)."""
        row = self.conn.execute(
            "SELECT CASE WHEN count(t.word) < count(*) THEN 0 ELSE min(t.ndoc) END "
            "FROM unnest(to_tsvector('papersift', papersift_fold(%s))) AS v "
            "LEFT JOIN fts_terms t ON t.word = v.lexeme",
            (words,),
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def filtered_ids(self, filters: SearchFilters) -> NDArray[np.int64]:
        where, params = _filter_sql(filters)
        rows = self.conn.execute(f"SELECT p.id FROM papers p WHERE true {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    # ------------------------------------------------------------------ embeddings

    def save_embeddings(
        self, model: str, rows: Sequence[tuple[int, str, NDArray[np.float32]]]
    ) -> None:
        """Store vectors (one transaction, so an interrupted index keeps finished batches)."""
        if not rows:
            return
        with self.conn.transaction(), self.conn.cursor() as cur:
            cur.execute(
                "DELETE FROM embeddings WHERE model = %s AND paper_id = ANY(%s::bigint[])",
                (model, [int(pid) for pid, _, _ in rows]),
            )
            with cur.copy(
                "COPY embeddings (paper_id, model, content_hash, vector) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int8", "text", "text", self.vector_oid])
                for pid, digest, vec in rows:
                    copy.write_row((int(pid), model, digest, np.asarray(vec, np.float32)))

    def embeddings_since(
        self, model: str, seq: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32], int]:
        with self.conn.cursor(binary=True) as cur:
            rows = cur.execute(
                "SELECT paper_id, vector, seq FROM embeddings WHERE model = %s AND seq > %s "
                "ORDER BY seq",
                (model, seq),
            ).fetchall()
        if not rows:
            return np.empty(0, np.int64), np.empty((0, 0), np.float32), seq
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, np.vstack([r[1] for r in rows]), int(rows[-1][2])

    def embedding_ids(self, model: str) -> NDArray[np.int64]:
        rows = self.conn.execute(
            "SELECT paper_id FROM embeddings WHERE model = %s ORDER BY seq", (model,)
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def embedding_of(self, paper_id: int, model: str) -> NDArray[np.float32] | None:
        with self.conn.cursor(binary=True) as cur:
            row = cur.execute(
                "SELECT vector FROM embeddings WHERE paper_id = %s AND model = %s",
                (paper_id, model),
            ).fetchone()
        return None if row is None else np.asarray(row[0], dtype=np.float32)

    def embedding_counts(self) -> dict[str, int]:
        rows = self.conn.execute("SELECT model, count(*) FROM embeddings GROUP BY model")
        return {str(m): int(n) for m, n in rows}

    def library_version(self) -> tuple[int, int, int]:
        row = self.conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM papers), "
            "(SELECT coalesce(max(seq), 0) FROM embeddings), "
            "(SELECT coalesce(max(id), 0) FROM records)"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])

    # ------------------------------------------------------------------ vector search

    def vector_count(self, model: str) -> int:
        """How many vectors the model has (0: not indexed)."""
        row = self.conn.execute(
            "SELECT count(*) FROM embeddings WHERE model = %s", (model,)
        ).fetchone()
        return int(row[0]) if row else 0

    def ensure_vector_index(self, model: str) -> int:
        """Make the model's HNSW index if it has none yet; returns the vectors' dimension."""
        row = self.conn.execute(
            "SELECT dim FROM vector_indexes WHERE model = %s", (model,)
        ).fetchone()
        if row is not None:
            return int(row[0])
        row = self.conn.execute(
            "SELECT vector_dims(vector) FROM embeddings WHERE model = %s LIMIT 1", (model,)
        ).fetchone()
        if row is None:
            return 0
        dim = int(row[0])
        name = "embeddings_hnsw_" + hashlib.sha1(model.encode()).hexdigest()[:16]
        with self.conn.transaction():
            raised = index_build_memory(self.conn)
            if raised is not None:
                self.conn.execute(f"SET LOCAL maintenance_work_mem = '{raised // 1024}kB'")
            self.conn.execute(
                sql.SQL(
                    "CREATE INDEX IF NOT EXISTS {} ON embeddings USING hnsw "
                    "((vector::vector({})) vector_cosine_ops) WITH (m = {}, ef_construction = {}) "
                    "WHERE model = {}"
                ).format(
                    sql.Identifier(name),
                    sql.Literal(dim),
                    sql.Literal(ANN_M),
                    sql.Literal(ANN_EF_CONSTRUCTION),
                    sql.Literal(model),
                )
            )
            self.conn.execute(
                "INSERT INTO vector_indexes (model, dim, index_name) VALUES (%s, %s, %s) "
                "ON CONFLICT (model) DO NOTHING",
                (model, dim, name),
            )
        return dim

    def vector_search(
        self,
        model: str,
        vector: NDArray[np.float32],
        k: int,
        candidates: NDArray[np.int64] | None = None,
        exact: bool = False,
    ) -> list[tuple[int, float]]:
        """The ``k`` stored vectors of ``model`` closest to ``vector`` (cosine similarity,
        best first), only among ``candidates`` when given: through the HNSW index, or exact
        (``exact``, or few candidates)."""
        query = np.asarray(vector, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(query))
        if norm > 0:
            query = query / norm
        if k <= 0 or (candidates is not None and len(candidates) == 0):
            return []
        dim = self.ensure_vector_index(model) if not exact else len(query)
        if dim == 0:
            return []
        if exact:
            return self._exact_search(model, query, k, candidates)
        size = self._vector_estimate(model)
        if candidates is None:
            return self._ann_search(model, query, dim, k, size)
        fetch = ann_fetch_count(k, len(candidates), max(1, size), EXACT_MAX)
        if not fetch:
            return self._exact_search(model, query, k, candidates)
        allowed = np.asarray(candidates, dtype=np.int64)
        found = self._ann_search(model, query, dim, fetch, size)
        keep = np.isin(np.fromiter((p for p, _ in found), np.int64, len(found)), allowed)
        hits = [hit for hit, ok in zip(found, keep, strict=True) if ok][:k]
        return (
            hits
            if len(hits) >= min(k, len(candidates))
            else self._exact_search(model, query, k, candidates)
        )

    def _vector_estimate(self, model: str) -> int:
        row = self.conn.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'embeddings'::regclass"
        ).fetchone()
        estimate = int(row[0]) if row else -1
        return estimate if estimate > 0 else self.vector_count(model)

    def _ann_search(
        self, model: str, query: NDArray[np.float32], dim: int, k: int, size: int
    ) -> list[tuple[int, float]]:
        """The HNSW walk for ``k`` neighbours, as broad as ``ann_walk_breadth`` says."""
        distance = sql.SQL("vector::vector({dim}) <=> %s::vector({dim})").format(
            dim=sql.Literal(dim)
        )
        statement = sql.SQL(
            "SELECT paper_id, 1 - ({d}) AS sim FROM embeddings WHERE model = {model} "
            "ORDER BY {d} LIMIT %s"
        ).format(d=distance, model=sql.Literal(model))
        with self.conn.transaction():
            self.conn.execute(
                "SELECT set_config('hnsw.ef_search', %s, true), "
                "set_config('hnsw.iterative_scan', 'relaxed_order', true)",
                (str(ann_walk_breadth(k, size)),),
            )
            rows = self.conn.execute(statement, (query, query, k)).fetchall()
        hits = [(int(pid), float(sim)) for pid, sim in rows]
        return sorted(hits, key=lambda h: -h[1])  # relaxed order: nearly sorted

    def _exact_search(
        self,
        model: str,
        query: NDArray[np.float32],
        k: int,
        candidates: NDArray[np.int64] | None,
    ) -> list[tuple[int, float]]:
        only = "" if candidates is None else "AND paper_id = ANY(%s::bigint[])"
        params: list[Any] = [query, model]
        if candidates is not None:
            params.append([int(i) for i in candidates])
        # the HNSW index is on vector::vector(dim), so this plain distance never uses it
        rows = self.conn.execute(
            "SELECT paper_id, 1 - (vector <=> %s) AS sim FROM embeddings "
            f"WHERE model = %s {only} ORDER BY 2 DESC, 1 LIMIT %s",
            (*params, k),
        ).fetchall()
        return [(int(pid), float(sim)) for pid, sim in rows]


def _filter_sql(filters: SearchFilters | None) -> tuple[str, list[Any]]:
    """SQL conditions on ``papers p`` for the filters, and their parameters."""
    if filters is None:
        return "", []
    parts: list[str] = []
    params: list[Any] = []
    if filters.since:
        parts.append("p.date >= %s")
        params.append(filters.since)
    if filters.until:
        parts.append("p.date <= %s")
        params.append(filters.until + "\uffff")  # 2024-05 includes 2024-05-31
    if filters.source:
        parts.append("p.id IN (SELECT paper_id FROM records WHERE source = %s)")
        params.append(filters.source)
    if filters.author_match():  # an author of no word ("--author ' '") filters nothing
        parts.append(
            f"p.id IN (SELECT paper_id FROM papers_fts WHERE tsv @@ {_TSQUERY.format('%s')})"
        )
        params.append(to_tsquery_text(filters.author_match()))
    for expression, wanted in filters.text_conditions():
        negation = "" if wanted else "NOT "
        parts.append(
            f"p.id {negation}IN (SELECT paper_id FROM papers_fts "
            f"WHERE tsv @@ {_TSQUERY.format('%s')})"
        )
        params.append(to_tsquery_text(expression))
    if filters.has_abstract:
        parts.append("p.abstract IS NOT NULL")
    return "".join(f" AND {p}" for p in parts), params


def _title_only(expression: str) -> list[str]:
    """For a query on titles alone, its words as an unweighted tsquery text (what the
    title index answers), as a parameter list; else no parameters."""
    m = _TITLE_ONLY.fullmatch(expression.strip())
    text = to_tsquery_text(m.group(1)) if m else ""
    return [text] if text else []


def _marked_words(original: str, marked: str) -> list[str]:
    """Words ts_headline marked in the folded text, lower-cased. They are read from the
    original text (with its accents) when folding kept every character in place, as it does
    unless the text has combining marks."""
    same = len(marked) - marked.count(_MARK_START) - marked.count(_MARK_END) == len(original)
    plain: list[str] = []
    words: list[str] = []
    start = -1
    for ch in marked:
        if ch == _MARK_START:
            start = len(plain)
        elif ch == _MARK_END and start >= 0:
            word = original[start : len(plain)] if same else "".join(plain[start:])
            if word.strip():
                words.append(word.strip().lower())
            start = -1
        else:
            plain.append(ch)
    return words
