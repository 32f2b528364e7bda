-- papersift schema, version 10: an identifier (DOI, arXiv id) shared by two records that are
-- plainly two papers (no title word, no author in common) is a conflict: the records stay two
-- papers and the conflict is kept here, to be listed by `stats` and `papers show`. Each side
-- is named by a record's fingerprint, so a conflict follows its papers through later merges.
CREATE TABLE id_conflicts (
    id            INTEGER PRIMARY KEY,
    identifier    TEXT NOT NULL,
    fingerprint_a INTEGER NOT NULL,
    fingerprint_b INTEGER NOT NULL,
    detected_at   TEXT NOT NULL,
    UNIQUE (fingerprint_a, fingerprint_b)
);
