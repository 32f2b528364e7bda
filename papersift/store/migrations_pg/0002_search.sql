-- papersift schema, version 2 (PostgreSQL): full-text index and stored embeddings, as
-- migrations/0002_search.sql.

CREATE EXTENSION IF NOT EXISTS vector;

-- Accents folded like FTS5's remove_diacritics (letters with diacritics lose them; the
-- bundled PostgreSQL has no unaccent extension): decomposed (NFD), combining marks removed,
-- and the few letters that do not decompose mapped. Plain ASCII text is returned as it is
-- (the check is much cheaper than the rest). Immutable, so queries fold words the same way.
-- Needs a UTF-8 database.
CREATE FUNCTION papersift_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $fold$ SELECT CASE WHEN $1 ~ '[^\x01-\x7F]'
    THEN translate(regexp_replace(normalize($1, NFD), '[\u0300-\u036F]', '', 'g'),
                   'ØøĐđŁłĦħıßÆæŒœÞþ', 'OoDdLlHhisAaOoTt')
    ELSE $1 END $fold$;

-- English stemming (Snowball) without stopwords, as FTS5's porter tokenizer: the query
-- parser already leaves stopwords out, except inside quoted phrases where they count.
CREATE TEXT SEARCH DICTIONARY papersift_stem (TEMPLATE = snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION papersift (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION papersift ALTER MAPPING REPLACE english_stem WITH papersift_stem;

-- title (weight A), authors (B) and abstract (C) of each paper, folded and stemmed. Filled
-- from fts_dirty by Store.sync_lexical (search calls it), so ingest pays only for noting
-- which papers changed.
CREATE TABLE papers_fts (
    paper_id BIGINT PRIMARY KEY REFERENCES papers (id) ON DELETE CASCADE,
    tsv      TSVECTOR NOT NULL
);
CREATE INDEX papers_fts_tsv ON papers_fts USING gin (tsv);

CREATE TABLE fts_dirty (paper_id BIGINT PRIMARY KEY);

CREATE FUNCTION papersift_fts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fts_dirty SELECT id FROM new_papers ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers REFERENCING NEW TABLE AS new_papers
    FOR EACH STATEMENT EXECUTE FUNCTION papersift_fts_inserted();

CREATE FUNCTION papersift_fts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fts_dirty VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, authors, abstract ON papers
    FOR EACH ROW EXECUTE FUNCTION papersift_fts_updated();
-- a deleted paper's row goes with it (ON DELETE CASCADE)

INSERT INTO fts_dirty SELECT id FROM papers;

-- One vector per paper and model, with the hash of the text it was computed from: `index`
-- embeds only papers whose text changed, and vectors of another model are kept.
-- `seq` grows with every write. The column has no fixed dimension (models differ): each
-- model gets its own partial HNSW index on vector::vector(dim), made when first searched
-- (see vector_indexes).
CREATE TABLE embeddings (
    seq          BIGSERIAL PRIMARY KEY,
    paper_id     BIGINT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
    model        TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector       VECTOR NOT NULL,   -- L2-normalised
    UNIQUE (paper_id, model)
);
CREATE INDEX embeddings_model ON embeddings (model, seq);

-- The HNSW index (cosine) of each model's vectors: its name and dimension.
CREATE TABLE vector_indexes (
    model      TEXT PRIMARY KEY,
    dim        INTEGER NOT NULL,
    index_name TEXT NOT NULL UNIQUE
);
