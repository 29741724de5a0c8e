-- Task status, update times and etag versions, with their indexes.
-- PostgreSQL dialect of ../0002_task_status.sql.

-- +oz Up
ALTER TABLE tasks ADD COLUMN status INTEGER NOT NULL DEFAULT 1
	CHECK (status IN (1, 2, 3));
ALTER TABLE tasks ADD COLUMN update_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN update_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
UPDATE tasks SET update_time = create_time;
UPDATE users SET update_time = create_time;
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
CREATE INDEX tasks_create_time ON tasks (create_time, id);
CREATE INDEX tasks_update_time ON tasks (update_time, id);
CREATE INDEX tasks_title ON tasks (title, id);
CREATE INDEX users_create_time ON users (create_time, id);
CREATE INDEX users_active ON users (is_active, id);

-- +oz Down
DROP INDEX users_active;
DROP INDEX users_create_time;
DROP INDEX tasks_title;
DROP INDEX tasks_update_time;
DROP INDEX tasks_create_time;
DROP INDEX tasks_user_status;
DROP INDEX tasks_status;
ALTER TABLE users DROP COLUMN version;
ALTER TABLE users DROP COLUMN update_time;
ALTER TABLE tasks DROP COLUMN version;
ALTER TABLE tasks DROP COLUMN update_time;
ALTER TABLE tasks DROP COLUMN status;
