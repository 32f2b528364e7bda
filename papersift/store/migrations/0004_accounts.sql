-- papersift schema, version 4: accounts of the web app, their sessions, API tokens and
-- saved searches. A user is a reader (same name): deleting the reader deletes the user.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    reader_id     INTEGER NOT NULL UNIQUE REFERENCES readers (id) ON DELETE CASCADE,
    email         TEXT,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'reader')),
    feed_token    TEXT NOT NULL UNIQUE,  -- the secret of the reader's Atom feed URL
    created_at    TEXT NOT NULL
);

-- Browser sessions: only a hash of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Tokens for scripts (Authorization: Bearer ...): only a hash is stored.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);

CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    query      TEXT NOT NULL,
    mode       TEXT NOT NULL DEFAULT 'hybrid',
    feed_token TEXT NOT NULL UNIQUE,  -- the secret of its Atom feed URL
    created_at TEXT NOT NULL,
    UNIQUE (user_id, name)
);

-- Settings of the installation, e.g. the secret that signs e-mail links.
CREATE TABLE app_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
