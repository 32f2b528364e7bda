-- papersift schema, version 11: a digest's delivery attempt is recorded (committed) before
-- the SMTP DATA command. A row left behind means the run could not learn whether the server
-- kept the message (the connection dropped after it was sent, or the run was killed): the
-- digest is not sent again, so that nobody gets it twice. message_id: the digest's one
-- Message-ID (the same on every attempt).
CREATE TABLE digest_attempts (
    reader_id  BIGINT NOT NULL REFERENCES readers (id) ON DELETE CASCADE,
    day        TEXT COLLATE "C" NOT NULL,
    message_id TEXT NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (reader_id, day)
);

-- Who holds a digest's claim (host:pid): a run on the same host may take over the claim of
-- a run that died (kill -9) at once, instead of after the claim's 15-minute time limit.
ALTER TABLE digest_claims ADD COLUMN owner TEXT NOT NULL DEFAULT '';
