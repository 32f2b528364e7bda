-- papersift schema, version 8 (PostgreSQL): how many papers hold each lexeme, for planning
-- keyword queries on a big library (Store.match_counts). FTS5 keeps these counts in its own
-- index; in PostgreSQL counting the papers that match a common word reads every one of them
-- (about 0.3 s for 20,000 at 1M papers), a lookup here takes microseconds.
CREATE TABLE fts_terms (
    word TEXT COLLATE "C" PRIMARY KEY,
    ndoc BIGINT NOT NULL
);

-- Kept by statement triggers on papers_fts, so every way a row comes or goes counts:
-- sync_lexical's delete-then-insert, and papers deleted (merged away) by the cascade. Rows
-- are upserted in word order, so two syncs at once lock them in the same order.
CREATE FUNCTION papersift_terms_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fts_terms (word, ndoc)
        SELECT v.lexeme, count(*) FROM added, unnest(added.tsv) AS v
        GROUP BY v.lexeme ORDER BY v.lexeme
    ON CONFLICT (word) DO UPDATE SET ndoc = fts_terms.ndoc + excluded.ndoc;
    RETURN NULL;
END $$;
CREATE TRIGGER papers_fts_terms_insert AFTER INSERT ON papers_fts
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION papersift_terms_added();

CREATE FUNCTION papersift_terms_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO fts_terms (word, ndoc)
        SELECT v.lexeme, -count(*) FROM removed, unnest(removed.tsv) AS v
        GROUP BY v.lexeme ORDER BY v.lexeme
    ON CONFLICT (word) DO UPDATE SET ndoc = fts_terms.ndoc + excluded.ndoc;
    RETURN NULL;
END $$;
CREATE TRIGGER papers_fts_terms_delete AFTER DELETE ON papers_fts
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION papersift_terms_removed();

-- papers indexed before this version
INSERT INTO fts_terms (word, ndoc) SELECT word, ndoc FROM ts_stat('SELECT tsv FROM papers_fts');

-- Titles alone, for keyword queries narrowed to titles (every word of the query being too
-- common to rank on): the weighted tsv cannot tell title words from the rest, so such a
-- query read every paper holding the words anywhere (2 s at 1M papers; 20 ms with this).
-- The expression must stay that of postgres_search._TITLE_TSVECTOR.
CREATE INDEX papers_title_tsv ON papers
    USING gin ((to_tsvector('papersift', papersift_fold(coalesce(title, '')))));
