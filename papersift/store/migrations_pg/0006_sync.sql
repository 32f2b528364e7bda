-- papersift schema, version 6 (PostgreSQL, as migrations/0006_sync.sql): where each live
-- source (papersift sync) has got to.

-- One row per source and scope. arxiv: scope is the OAI set ('cs'); high_water is the
-- latest datestamp of the last finished harvest (the next one asks from that day on);
-- token, cursor, window_from, window_until and latest describe a harvest that has not
-- finished yet (saved with each page, in that page's transaction), so a rerun continues
-- with the saved resumption token. hf-daily: scope is the day ('2024-05-01'); complete
-- says the day's list and upvotes have settled and a default run need not fetch it again.
CREATE TABLE sync_state (
    source       TEXT NOT NULL,
    scope        TEXT NOT NULL,
    high_water   TEXT,
    token        TEXT,
    cursor       BIGINT,
    window_from  TEXT,
    window_until TEXT,
    latest       TEXT,
    complete     INTEGER NOT NULL DEFAULT 0,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (source, scope)
);
