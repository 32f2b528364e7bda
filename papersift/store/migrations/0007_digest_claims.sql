-- papersift schema, version 7: a digest being sent is claimed first, so that two runs at
-- the same time (cron and a person, or two hosts) never both send one reader's digest.
-- A claim older than the run's time limit (a run that died) may be taken over.
CREATE TABLE digest_claims (
    reader_id  INTEGER NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    day        TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (reader_id, day)
);
