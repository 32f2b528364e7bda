"""What search needs from SQLite: the FTS5 index, filters, and stored embeddings."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from papersift.models import SearchFilters

# Title matters most, then authors, then the abstract (tuned with `papersift evaluate-search`).
BM25_WEIGHTS = (4.0, 2.0, 1.0)
_AUTHORS_TEXT = "(SELECT group_concat(value, ', ') FROM json_each(p.authors))"
#: Vectors read per step by embeddings_since.
_VECTOR_PAGE = 10_000


class SQLiteSearch:
    """Mixed into SQLiteStore; ``self.conn`` is its connection."""

    conn: sqlite3.Connection

    # ------------------------------------------------------------------ full text

    def lexical_pending(self) -> bool:
        """Whether papers changed since the FTS index was last brought up to date."""
        return bool(self.conn.execute("SELECT EXISTS (SELECT 1 FROM fts_dirty)").fetchone()[0])

    def sync_lexical(self) -> int:
        """Bring the FTS index up to date with the papers that changed; returns how many."""
        dirty = self.conn.execute("SELECT count(*) FROM fts_dirty").fetchone()[0]
        if not dirty:
            return 0
        with _savepoint(self.conn):
            self.conn.execute(
                "DELETE FROM papers_fts WHERE rowid IN (SELECT paper_id FROM fts_dirty)"
            )
            self.conn.execute(
                "INSERT INTO papers_fts (rowid, title, authors, abstract) "
                f"SELECT p.id, p.title, {_AUTHORS_TEXT}, p.abstract "
                "FROM papers p JOIN fts_dirty d ON d.paper_id = p.id"
            )
            self.conn.execute("DELETE FROM fts_dirty")
        return int(dirty)

    def lexical_search(
        self, match: str, limit: int, filters: SearchFilters | None = None
    ) -> list[tuple[int, float]]:
        """(paper id, BM25 score, higher is better) of the best ``limit`` matches."""
        where, params = _filter_sql(filters)
        join = " JOIN papers p ON p.id = f.rowid" if where else ""
        w = BM25_WEIGHTS
        rows = self.conn.execute(
            f"SELECT f.rowid, -bm25(papers_fts, {w[0]}, {w[1]}, {w[2]}) AS score "
            f"FROM papers_fts f{join} WHERE papers_fts MATCH ? {where} "
            "ORDER BY score DESC LIMIT ?",
            (match, *params, limit),
        )
        return [(int(pid), float(score)) for pid, score in rows]

    def matched_words(self, match: str, paper_ids: Sequence[int]) -> dict[int, list[str]]:
        """The words of each paper's title and abstract that the FTS5 expression matched.

        Asked only for the results shown: FTS5 re-tokenizes each paper to find them.
        """
        if not paper_ids:
            return {}
        marks = ",".join("?" * len(paper_ids))
        rows = self.conn.execute(
            "SELECT rowid, highlight(papers_fts, 0, char(1), char(2)), "
            "snippet(papers_fts, 2, char(1), char(2), '', 24) FROM papers_fts "
            f"WHERE papers_fts MATCH ? AND rowid IN ({marks})",
            (match, *paper_ids),
        )
        return {row[0]: _marked_words(f"{row[1]} {row[2]}") for row in rows}

    def match_counts(self, expressions: Sequence[str], cap: int) -> tuple[list[int], int]:
        """How many papers each FTS5 expression matches (counting stops at ``cap``), and
        about how many papers the library has (the highest id: cheap, never too low)."""
        sql = "SELECT count(*) FROM (SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)"
        counts = [int(self.conn.execute(sql, (e, cap)).fetchone()[0]) for e in expressions]
        size = self.conn.execute("SELECT coalesce(max(id), 0) FROM papers").fetchone()[0]
        return counts, int(size)

    def filtered_ids(self, filters: SearchFilters) -> NDArray[np.int64]:
        """Ids of every paper that passes the filters."""
        where, params = _filter_sql(filters)
        rows = self.conn.execute(f"SELECT p.id FROM papers p WHERE 1 {where}", params)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    # ------------------------------------------------------------------ embeddings

    def save_embeddings(
        self, model: str, rows: Sequence[tuple[int, str, NDArray[np.float32]]]
    ) -> None:
        """Store vectors (one transaction, so an interrupted index keeps finished batches)."""
        with _savepoint(self.conn):
            self.conn.executemany(
                "DELETE FROM embeddings WHERE paper_id = ? AND model = ?",
                [(pid, model) for pid, _, _ in rows],
            )
            self.conn.executemany(
                "INSERT INTO embeddings (paper_id, model, content_hash, vector) VALUES (?,?,?,?)",
                [
                    (pid, model, digest, np.asarray(vec, dtype="<f4").tobytes())
                    for pid, digest, vec in rows
                ],
            )

    def embeddings_since(
        self, model: str, seq: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32], int]:
        """(paper ids, vectors, highest seq) of the vectors written after ``seq``.

        Read in pages into one preallocated matrix, so loading a million vectors costs
        their 1.5 GB once, not three times over (rows, joined bytes, the copy). Vectors
        written while it reads are left for the next call (the seq returned is the last
        one read)."""
        where = "WHERE model = ? AND seq > ?"
        row = self.conn.execute(f"SELECT count(*) FROM embeddings {where}", (model, seq))
        count = int(row.fetchone()[0])
        ids = np.empty(count, np.int64)
        matrix = np.empty((0, 0), np.float32)
        filled, last = 0, seq
        cursor = self.conn.execute(
            f"SELECT paper_id, vector, seq FROM embeddings {where} ORDER BY seq", (model, seq)
        )
        while filled < count and (rows := cursor.fetchmany(min(_VECTOR_PAGE, count - filled))):
            if filled == 0:
                matrix = np.empty((count, len(rows[0][1]) // 4), np.float32)
            part = slice(filled, filled + len(rows))
            ids[part] = [r[0] for r in rows]
            matrix[part] = np.frombuffer(b"".join(r[1] for r in rows), "<f4").reshape(len(rows), -1)
            filled, last = part.stop, int(rows[-1][2])
        cursor.close()
        return ids[:filled], matrix[:filled], last

    def embedding_ids(self, model: str) -> NDArray[np.int64]:
        rows = self.conn.execute("SELECT paper_id FROM embeddings WHERE model = ?", (model,))
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def embedding_of(self, paper_id: int, model: str) -> NDArray[np.float32] | None:
        row = self.conn.execute(
            "SELECT vector FROM embeddings WHERE paper_id = ? AND model = ?", (paper_id, model)
        ).fetchone()
        return None if row is None else np.frombuffer(row[0], dtype="<f4").astype(np.float32)

    def embedding_counts(self) -> dict[str, int]:
        return dict(self.conn.execute("SELECT model, count(*) FROM embeddings GROUP BY model"))

    def library_version(self) -> tuple[int, int, int]:
        """Changes whenever papers or vectors are written (cheap: three index lookups)."""
        row = self.conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM papers), "
            "(SELECT coalesce(max(seq), 0) FROM embeddings), "
            "(SELECT coalesce(max(id), 0) FROM records)"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])


def _filter_sql(filters: SearchFilters | None) -> tuple[str, list[Any]]:
    """SQL conditions on ``papers p`` for the filters, and their parameters."""
    if filters is None:
        return "", []
    parts: list[str] = []
    params: list[Any] = []
    if filters.since:
        parts.append("p.date >= ?")
        params.append(filters.since)
    if filters.until:
        parts.append("p.date <= ?")
        params.append(filters.until + "\uffff")  # 2024-05 includes 2024-05-31
    if filters.source:
        parts.append("p.id IN (SELECT paper_id FROM records WHERE source = ?)")
        params.append(filters.source)
    if filters.author_match():  # an author of no word ("--author ' '") filters nothing
        parts.append("p.id IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
        params.append(filters.author_match())
    for expression, wanted in filters.text_conditions():
        negation = "" if wanted else "NOT "
        parts.append(f"p.id {negation}IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?)")
        params.append(expression)
    if filters.has_abstract:
        parts.append("p.abstract IS NOT NULL")
    return "".join(f" AND {p}" for p in parts), params


def _marked_words(text: str) -> list[str]:
    """Words FTS5 highlighted (between char(1) and char(2)), lower-cased, in order, once."""
    words: dict[str, None] = {}
    for chunk in text.split("\x01")[1:]:
        word = chunk.split("\x02", 1)[0].strip().lower()
        if word:
            words[word] = None
    return list(words)


class _savepoint:
    """A transaction that nests inside an open one (SAVEPOINT), or is one by itself."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("SAVEPOINT papersift")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            self.conn.execute("ROLLBACK TO papersift")
        self.conn.execute("RELEASE papersift")
