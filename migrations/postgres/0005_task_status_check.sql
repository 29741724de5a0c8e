-- tasks.status checked by comparisons.
-- PostgreSQL dialect of ../0005_task_status_check.sql: nothing to do.
-- SQLite 3.40 codes a CHECK with a constant IN list of more than two
-- values as a temporary b-tree built for every row written, so the SQLite
-- revision rebuilds tasks with comparisons; PostgreSQL evaluates
-- `status IN (1, 2, 3)` directly, so this revision only keeps the
-- revision ids of both dialects the same.

-- +oz Up
SELECT 1;

-- +oz Down
SELECT 1;
