-- Ids are never reused.
-- PostgreSQL dialect of ../0004_autoincrement_ids.sql: nothing to do.
-- SQLite needed AUTOINCREMENT (a table rebuild) so that the id of a
-- deleted newest row is not handed out again; the identity columns of
-- 0001 never hand out an id twice, so this revision only keeps the
-- revision ids of both dialects the same.

-- +oz Up
SELECT 1;

-- +oz Down
SELECT 1;
