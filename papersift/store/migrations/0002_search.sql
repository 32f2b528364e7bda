-- papersift schema, version 2: full-text index and stored embeddings.

-- BM25 over title, authors and abstract; rowid = papers.id. Porter stemming, accents folded.
-- Filled from fts_dirty by Store.sync_lexical (search calls it), so ingest pays only for
-- noting which papers changed.
CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, authors, abstract,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TABLE fts_dirty (paper_id INTEGER PRIMARY KEY);
CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers
    BEGIN INSERT OR IGNORE INTO fts_dirty VALUES (new.id); END;
CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, authors, abstract ON papers
    BEGIN INSERT OR IGNORE INTO fts_dirty VALUES (new.id); END;
CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers
    BEGIN INSERT OR IGNORE INTO fts_dirty VALUES (old.id); END;
INSERT INTO fts_dirty SELECT id FROM papers;

-- One vector per paper and model, with the hash of the text it was computed from: `index`
-- embeds only papers whose text changed, and vectors of another model are kept.
-- `seq` grows with every write, so a saved approximate index knows what it has not seen.
CREATE TABLE embeddings (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_id     INTEGER NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    model        TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector       BLOB NOT NULL,   -- float32, little-endian, L2-normalised
    UNIQUE (paper_id, model)
);
CREATE INDEX embeddings_model ON embeddings (model, seq);
