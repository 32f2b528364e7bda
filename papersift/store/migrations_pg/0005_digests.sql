-- papersift schema, version 5 (PostgreSQL, as migrations/0005_digests.sql): e-mail
-- digests, what each delivery held, who opted out.

-- One digest per reader and day. status: sent (the SMTP server accepted it; never sent
-- again) or failed (the next run tries again). paper_ids: JSON list, in the digest's order.
CREATE TABLE digest_deliveries (
    reader_id  BIGINT NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    day        TEXT COLLATE "C" NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    attempts   INTEGER NOT NULL DEFAULT 1,
    last_error TEXT,
    sent_at    TEXT,
    paper_ids  TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (reader_id, day)
);

-- Readers who followed a digest's unsubscribe link: no more digests for them.
CREATE TABLE digest_unsubscribed (
    reader_id BIGINT PRIMARY KEY REFERENCES readers (id) ON DELETE CASCADE,
    at        TEXT NOT NULL
);
