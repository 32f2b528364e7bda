"""The map of the library (either backend): points, clusters and state (see 0012_map.sql).

The map lives in the library rather than in a side file: the PostgreSQL backend has no
folder to put one in, every web worker reads the same map without sharing a file, a point
goes with its paper when a merge deletes it (ON DELETE CASCADE), and a rebuild replaces the
whole map in one transaction, so a reader never sees half of an old map and half of a new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from papersift.store.shared import SharedSQL

#: Rows per INSERT statement: 5 values a row stays under SQLite's 999 bound variables.
_ROWS = 180


@dataclass(frozen=True, slots=True)
class MapPoint:
    paper_id: int
    x: float
    y: float
    cluster: int
    rank: int


@dataclass(frozen=True, slots=True)
class MapCluster:
    id: int
    label: str
    words: list[str]
    x: float
    y: float
    size: int


@dataclass(frozen=True, slots=True)
class MapState:
    """Which model's vectors the map shows, laid out by ``method``, up to ``vector_seq``."""

    model: str
    method: str
    vector_seq: int
    built_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class MapBox:
    """A view of the map: ``x0 <= x <= x1`` and ``y0 <= y <= y1``."""

    x0: float
    y0: float
    x1: float
    y1: float


class SharedMap(SharedSQL):
    """Mixed into SQLiteStore and PostgresStore. Writes run inside ``transaction()``."""

    def replace_map(
        self, points: Sequence[MapPoint], clusters: Sequence[MapCluster], state: MapState
    ) -> None:
        """The whole map at once (``map build``): what was there before goes."""
        for table in ("map_points", "map_clusters", "map_state"):
            self._execute(f"DELETE FROM {table}")
        self._insert_points(points)
        self._insert_clusters(clusters)
        self._execute(
            "INSERT INTO map_state (id, model, method, vector_seq, built_at, updated_at) "
            "VALUES (1, ?, ?, ?, ?, ?)",
            (state.model, state.method, state.vector_seq, state.built_at, state.updated_at),
        )

    def add_map_points(
        self, points: Sequence[MapPoint], clusters: Sequence[MapCluster], seq: int, now: str
    ) -> None:
        """Place new (or re-embedded) papers on the map and update the clusters' sizes."""
        ids = [p.paper_id for p in points]
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            self._execute(f"DELETE FROM map_points WHERE paper_id IN ({marks})", chunk)
        self._insert_points(points)
        self._execute("DELETE FROM map_clusters")
        self._insert_clusters(clusters)
        self._execute(
            "UPDATE map_state SET vector_seq = ?, updated_at = ? WHERE id = 1", (seq, now)
        )

    def _insert_points(self, points: Sequence[MapPoint]) -> None:
        for start in range(0, len(points), _ROWS):
            chunk = points[start : start + _ROWS]
            values: list[float | int] = []
            for p in chunk:
                values += [p.paper_id, p.x, p.y, p.cluster, p.rank]
            self._execute(
                "INSERT INTO map_points (paper_id, x, y, cluster, rank) VALUES "
                + ",".join(["(?,?,?,?,?)"] * len(chunk)),
                values,
            )

    def _insert_clusters(self, clusters: Sequence[MapCluster]) -> None:
        for c in clusters:
            self._execute(
                "INSERT INTO map_clusters (id, label, words, x, y, size) VALUES (?,?,?,?,?,?)",
                (c.id, c.label, orjson.dumps(c.words).decode(), c.x, c.y, c.size),
            )

    def map_state(self) -> MapState | None:
        row = self._execute(
            "SELECT model, method, vector_seq, built_at, updated_at FROM map_state"
        ).fetchone()
        return None if row is None else MapState(row[0], row[1], int(row[2]), row[3], row[4])

    def map_clusters(self) -> list[MapCluster]:
        rows = self._execute("SELECT id, label, words, x, y, size FROM map_clusters ORDER BY id")
        return [MapCluster(r[0], r[1], orjson.loads(r[2]), r[3], r[4], r[5]) for r in rows]

    def map_points(self, box: MapBox | None = None, limit: int | None = None) -> list[MapPoint]:
        """Points in ``box`` (all by default), first ``limit`` by rank: an even sample."""
        where, params = "", []
        if box is not None:
            where = " WHERE x >= ? AND x <= ? AND y >= ? AND y <= ?"
            params = [box.x0, box.x1, box.y0, box.y1]
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self._execute(
            f"SELECT paper_id, x, y, cluster, rank FROM map_points{where} ORDER BY rank{tail}",
            params,
        )
        return [MapPoint(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]

    def map_points_of(self, paper_ids: Sequence[int]) -> dict[int, MapPoint]:
        found: dict[int, MapPoint] = {}
        for start in range(0, len(paper_ids), 900):
            chunk = list(paper_ids[start : start + 900])
            marks = ",".join("?" * len(chunk))
            rows = self._execute(
                f"SELECT paper_id, x, y, cluster, rank FROM map_points WHERE paper_id IN ({marks})",
                chunk,
            )
            for r in rows:
                found[int(r[0])] = MapPoint(int(r[0]), r[1], r[2], r[3], r[4])
        return found

    def paper_titles(self, paper_ids: Sequence[int]) -> dict[int, str | None]:
        """Titles alone (labelling a map of a million papers needs nothing else)."""
        found: dict[int, str | None] = {}
        for start in range(0, len(paper_ids), 900):
            chunk = [int(i) for i in paper_ids[start : start + 900]]
            marks = ",".join("?" * len(chunk))
            rows = self._execute(f"SELECT id, title FROM papers WHERE id IN ({marks})", chunk)
            found.update((int(r[0]), r[1]) for r in rows)
        return found

    def map_size(self) -> int:
        return int(self._one("SELECT count(*) FROM map_points"))
