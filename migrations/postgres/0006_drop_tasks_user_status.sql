-- Drops the index tasks_user_status (user_id, status, id).
-- PostgreSQL dialect of ../0006_drop_tasks_user_status.sql, which says
-- why: one b-tree less for every task written; tasks_user (user_id, id)
-- serves a user's tasks of one status by reading that user's rows.

-- +oz Up
DROP INDEX tasks_user_status;

-- +oz Down
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
