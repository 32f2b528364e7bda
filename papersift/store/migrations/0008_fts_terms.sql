-- papersift schema, version 8: nothing to do in SQLite. PostgreSQL's version 8 keeps how
-- many papers hold each word (fts_terms) for planning keyword queries; FTS5 keeps those
-- counts in its own index.
SELECT 1;
