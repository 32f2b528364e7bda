"""Reading papers back (either backend): papers with their sources, paging, merges, counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from papersift.identifiers import normalize_arxiv_id, normalize_doi
from papersift.models import Paper, Source
from papersift.store.base import LibraryStats
from papersift.store.shared import SharedSQL

PAPER_COLUMNS = (
    "title, abstract, abstract_truncated, authors, authors_truncated, n_authors, date, "
    "arxiv_id, doi, upvotes, categories, organizations, url, venue"
)
#: Papers read per statement by iter_papers (whole papers) and texts_to_embed (texts only).
_PAGE = 500
_EMBED_PAGE = 2000


class SharedLibrary(SharedSQL):
    """Mixed into SQLiteStore and PostgresStore, which say how to read many ids at once."""

    location: str

    def get_papers(self, paper_ids: Sequence[int]) -> dict[int, Paper]:
        raise NotImplementedError

    def _sources(self, paper_ids: Sequence[int]) -> dict[int, list[Source]]:
        raise NotImplementedError

    def schema_version(self) -> int:
        raise NotImplementedError

    def log_merge(
        self, paper_id: int, record_id: int | None, merged_id: int | None, reason: str, now: str
    ) -> None:
        self._execute(
            "INSERT INTO merges (paper_id, record_id, merged_id, reason, at) VALUES (?,?,?,?,?)",
            (paper_id, record_id, merged_id, reason, now),
        )

    def resolve_paper_id(self, ident: str) -> int | None:
        """A paper's id from its number (or a number it was merged away from), arXiv id or
        DOI; None when the library has no such paper."""
        ident = ident.strip()
        if ident.isascii() and ident.isdigit():  # not "²": str.isdigit takes it, int() not
            # no row has an id past 2**63 (neither database takes one), and int() refuses
            # strings over 4,300 digits: both are unknown ids, not tracebacks
            if len(ident.lstrip("0")) > 19 or (number := int(ident)) >= 2**63:
                return None
            if self._execute("SELECT 1 FROM papers WHERE id = ?", (number,)).fetchone():
                return number
            row = self._execute(
                "SELECT new_id FROM paper_aliases WHERE old_id = ?", (number,)
            ).fetchone()
            return int(row[0]) if row else None
        for column, value in (
            ("doi", normalize_doi(ident)),
            ("arxiv_id", normalize_arxiv_id(ident)),
        ):
            if value:
                row = self._execute(
                    f"SELECT id FROM papers WHERE {column} = ? ORDER BY id LIMIT 1", (value,)
                ).fetchone()
                if row:
                    return int(row[0])
        return None

    def _papers(self, rows: Sequence[tuple[Any, ...]]) -> list[Paper]:
        """Papers from rows of ``id, PAPER_COLUMNS``, each with its sources."""
        sources = self._sources([row[0] for row in rows])
        return [
            Paper(
                id=row[0],
                title=row[1],
                abstract=row[2],
                abstract_truncated=bool(row[3]),
                authors=orjson.loads(row[4]),
                authors_truncated=bool(row[5]),
                n_authors=row[6],
                date=row[7],
                arxiv_id=row[8],
                doi=row[9],
                upvotes=row[10],
                categories=orjson.loads(row[11]),
                organizations=orjson.loads(row[12]),
                url=row[13],
                venue=row[14],
                sources=sources[row[0]],
            )
            for row in rows
        ]

    def get_paper(self, paper_id: int) -> Paper | None:
        return self.get_papers([paper_id]).get(paper_id)

    def iter_papers(self, limit: int | None = None, offset: int = 0) -> Iterator[Paper]:
        remaining = limit if limit is not None else -1
        last_id = -1
        skip = offset
        while remaining != 0:
            page = _PAGE if remaining < 0 else min(_PAGE, remaining)
            rows = self._execute(
                f"SELECT id, {PAPER_COLUMNS} FROM papers WHERE id > ? ORDER BY id LIMIT ? OFFSET ?",
                (last_id, page, skip),
            ).fetchall()
            if not rows:
                return
            skip = 0
            last_id = rows[-1][0]
            yield from self._papers(rows)
            remaining = remaining - len(rows) if remaining > 0 else remaining

    def merge_log(self, paper_id: int) -> list[tuple[str, int | None, int | None, str]]:
        rows = self._execute(
            "SELECT reason, record_id, merged_id, at FROM merges WHERE paper_id = ? ORDER BY id",
            (paper_id,),
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def stats(self) -> LibraryStats:
        def one(sql: str) -> Any:
            row = self._execute(sql).fetchone()
            return row[0] if row else None

        def counts(column: str) -> dict[str, int]:
            rows = self._execute(
                f"SELECT {column}, count(*) FROM records GROUP BY {column} "
                f"ORDER BY {column}{self._text_order}"
            )
            return {str(k): int(v) for k, v in rows}

        return LibraryStats(
            papers=one("SELECT count(*) FROM papers"),
            records=one("SELECT count(*) FROM records"),
            merged_papers=one(
                "SELECT count(*) FROM (SELECT paper_id FROM records GROUP BY paper_id "
                "HAVING count(*) > 1) AS merged"
            ),
            with_abstract=one("SELECT count(*) FROM papers WHERE abstract IS NOT NULL"),
            with_arxiv_id=one("SELECT count(*) FROM papers WHERE arxiv_id IS NOT NULL"),
            with_doi=one("SELECT count(*) FROM papers WHERE doi IS NOT NULL"),
            by_source=counts("source"),
            by_format=counts("format"),
            earliest=one("SELECT min(date) FROM papers"),
            latest=one("SELECT max(date) FROM papers"),
            schema_version=self.schema_version(),
            location=self.location,
        )

    def texts_to_embed(
        self, model: str, content_hash: Any, batch: int = 1000
    ) -> Iterator[list[tuple[int, str, str]]]:
        """Batches of (paper id, hash, text) whose stored vector is missing or stale.

        ``content_hash(title, abstract) -> (hash, text)`` decides what is embedded. Papers
        are read in pages by id, each page in its own statement, so memory stays flat
        however large the library, and the caller may write (save vectors, commit) between
        batches: vectors saved meanwhile are for papers already listed.
        """
        last = -1
        todo: list[tuple[int, str, str]] = []
        while True:
            page = self._execute(
                "SELECT p.id, p.title, p.abstract, e.content_hash FROM papers p "
                "LEFT JOIN embeddings e ON e.paper_id = p.id AND e.model = ? "
                "WHERE p.id > ? ORDER BY p.id LIMIT ?",
                (model, last, _EMBED_PAGE),
            ).fetchall()
            if not page:
                break
            last = page[-1][0]
            for paper_id, title, abstract, stored in page:
                digest, text = content_hash(title, abstract)
                if stored != digest:
                    todo.append((paper_id, digest, text))
                    if len(todo) >= batch:
                        yield todo
                        todo = []
        if todo:
            yield todo
