-- papersift schema, version 13: the day of each account's latest and previous visit to its
-- feed (UTC, YYYY-MM-DD), so the feed opens on "since your last visit".
ALTER TABLE users ADD COLUMN last_visit TEXT;
ALTER TABLE users ADD COLUMN previous_visit TEXT;
