-- papersift schema, version 13 (PostgreSQL, as migrations/0013_visits.sql): the day of each
-- account's latest and previous visit to its feed (UTC, YYYY-MM-DD).
ALTER TABLE users ADD COLUMN last_visit TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN previous_visit TEXT COLLATE "C";
