-- papersift schema, version 9 (issue 13, the web app safe for strangers).

-- What a reader adds from the web profile is theirs alone: owner_reader_id names the reader
-- who may see, search and get it in a feed; NULL is the shared library. Private papers have
-- no match keys (no ingest ever merges into them) and leave with their reader.
ALTER TABLE papers ADD COLUMN owner_reader_id INTEGER REFERENCES readers (id) ON DELETE CASCADE;
CREATE INDEX papers_owner ON papers (owner_reader_id) WHERE owner_reader_id IS NOT NULL;

-- API tokens may expire (NULL: never).
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;

-- Failed logins, for the throttle: in the database so that it holds across server workers.
-- address is the peer's (or the trusted proxy's client), name is lower-cased.
CREATE TABLE login_failures (
    id      INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    name    TEXT NOT NULL,
    at      REAL NOT NULL  -- seconds since the epoch
);
CREATE INDEX login_failures_name ON login_failures (name, at);
CREATE INDEX login_failures_address ON login_failures (address, at);
