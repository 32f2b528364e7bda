-- papersift schema, version 3: readers, their interest signals, and what their feed showed.

CREATE TABLE readers (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- The names a reader publishes under ("Behrooz Ghorbani", "B. Ghorbani").
CREATE TABLE reader_authors (
    reader_id INTEGER NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    PRIMARY KEY (reader_id, name)
);

-- What a reader told us about a paper. kind: own (authored, matched by name), file (in a
-- file of their papers or abstracts), like, up, down. label: +1 interest, -1 not.
CREATE TABLE reader_signals (
    reader_id INTEGER NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    paper_id  INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    label     INTEGER NOT NULL,
    at        TEXT NOT NULL,
    PRIMARY KEY (reader_id, paper_id, kind)
);
CREATE INDEX reader_signals_paper ON reader_signals (paper_id);

-- Papers a feed was marked as having shown (never shown again).
CREATE TABLE reader_shown (
    reader_id INTEGER NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    paper_id  INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    at        TEXT NOT NULL,
    PRIMARY KEY (reader_id, paper_id)
);
CREATE INDEX reader_shown_paper ON reader_shown (paper_id);
