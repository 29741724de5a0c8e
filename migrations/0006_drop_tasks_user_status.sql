-- Drops the index tasks_user_status (user_id, status, id): one b-tree less
-- for every task written.

-- Every task was in seven b-trees (the table and six indexes). In an import
-- of 1000-row batches over 100 users, tasks_user_status took ~43% of the
-- WAL frames of a commit (its leaves are spread over the users like those
-- of tasks_user), and a delete or a status change dirtied one page more
-- for it (bench/RESULTS.md, "Fourth pass: one index fewer"). What it
-- served: tasks of one user with one status. tasks_user (user_id, id)
-- serves them as well, reading the user's rows and keeping those with the
-- status: a user's tasks are a bounded set, so that costs at most the
-- rows of that user (the store writes `+status` so SQLite never takes
-- tasks_status, a third of the table, for it).

-- +oz Up
DROP INDEX tasks_user_status;

-- +oz Down
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
