-- papersift schema, version 12 (PostgreSQL): the map of the library, as migrations/0012_map.sql
-- (papersift map build / update).
-- One 2-D point per laid-out paper, with its cluster and a random rank (the map shows the
-- first N points by rank inside a view: an even sample at any zoom); one row per cluster
-- with its label; and one row saying which model's vectors were laid out, up to which
-- embeddings.seq (what `map update` has not placed yet is what came after).
CREATE TABLE map_points (
    paper_id BIGINT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    x        DOUBLE PRECISION NOT NULL,
    y        DOUBLE PRECISION NOT NULL,
    cluster  INTEGER NOT NULL,
    rank     INTEGER NOT NULL
);
CREATE INDEX map_points_rank ON map_points (rank);

CREATE TABLE map_clusters (
    id     INTEGER PRIMARY KEY,
    label  TEXT NOT NULL,
    words  TEXT NOT NULL,   -- JSON list of the characteristic words, best first
    x      DOUBLE PRECISION NOT NULL,
    y      DOUBLE PRECISION NOT NULL,
    size   INTEGER NOT NULL
);

CREATE TABLE map_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    model      TEXT NOT NULL,
    method     TEXT NOT NULL,
    vector_seq BIGINT NOT NULL,
    built_at   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
