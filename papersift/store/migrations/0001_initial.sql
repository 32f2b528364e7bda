-- papersift schema, version 1: papers (merged), records (provenance), match keys, aliases.

CREATE TABLE papers (
    id                 INTEGER PRIMARY KEY,
    title              TEXT,
    abstract           TEXT,
    abstract_truncated INTEGER NOT NULL DEFAULT 0,
    authors            TEXT NOT NULL DEFAULT '[]',   -- JSON list of names
    authors_truncated  INTEGER NOT NULL DEFAULT 0,
    n_authors          INTEGER,
    date               TEXT,                          -- ISO date, maybe YYYY-MM or YYYY
    arxiv_id           TEXT,
    doi                TEXT,
    upvotes            INTEGER,
    categories         TEXT NOT NULL DEFAULT '[]',
    organizations      TEXT NOT NULL DEFAULT '[]',
    url                TEXT,
    venue              TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE INDEX papers_arxiv_id ON papers (arxiv_id) WHERE arxiv_id IS NOT NULL;
CREATE INDEX papers_doi ON papers (doi) WHERE doi IS NOT NULL;
CREATE INDEX papers_date ON papers (date);

-- One row per entry read from a file: where it came from and what it said.
CREATE TABLE records (
    id          INTEGER PRIMARY KEY,
    paper_id    INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    fingerprint INTEGER NOT NULL UNIQUE,   -- hash of source + content: re-ingesting is a no-op
    source      TEXT NOT NULL,
    file        TEXT NOT NULL,
    locator     TEXT NOT NULL,
    format      TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    data        TEXT NOT NULL              -- the parsed record as JSON
);
CREATE INDEX records_paper ON records (paper_id);

-- Hashed identity and blocking keys (see papersift.ingest.dedup.match_keys). Derived from
-- the records, so it has no foreign key and no index by paper: that would double the cost of
-- every insert, and only a merge of two papers needs the keys of one (it recomputes them).
CREATE TABLE match_keys (
    key      INTEGER NOT NULL,
    paper_id INTEGER NOT NULL,
    PRIMARY KEY (key, paper_id)
) WITHOUT ROWID;

-- A paper merged into another keeps answering to its old id.
CREATE TABLE paper_aliases (
    old_id INTEGER PRIMARY KEY,
    new_id INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE
);

-- Every merge decision, for "papers show" and for auditing dedup.
CREATE TABLE merges (
    id         INTEGER PRIMARY KEY,
    paper_id   INTEGER NOT NULL,
    record_id  INTEGER,
    merged_id  INTEGER,
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX merges_paper ON merges (paper_id);
