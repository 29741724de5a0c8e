-- Task status checked by comparisons, not IN: same rule, cheaper writes.

-- SQLite (3.40) codes a constant IN list of more than two values inside a
-- CHECK as an ephemeral b-tree that it creates, fills and drops again for
-- every row written: in an import of tasks that was 13% of the writer
-- thread's CPU (bench/RESULTS.md). `status = 1 OR status = 2 OR status =
-- 3` accepts and refuses exactly the same values in a few opcodes. SQLite
-- cannot change a CHECK in place, so tasks is rebuilt with the steps of
-- https://sqlite.org/lang_altertable.html#otheralter (the runner has
-- foreign keys off and runs foreign_key_check before COMMIT). Ids, rows
-- and indexes are kept, and so is the AUTOINCREMENT high-water mark: ids
-- deleted from the top are still never reused.

-- +oz Up
CREATE TABLE tasks_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
	description TEXT    NOT NULL DEFAULT '',
	user_id     INTEGER NOT NULL REFERENCES users (id),
	create_time INTEGER NOT NULL,
	-- Not IN (1, 2, 3): see the top of this file.
	status      INTEGER NOT NULL DEFAULT 1
		CHECK (status = 1 OR status = 2 OR status = 3),
	update_time INTEGER NOT NULL DEFAULT 0,
	version     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO tasks_new (id, title, description, user_id, create_time,
		status, update_time, version)
	SELECT id, title, description, user_id, create_time, status,
		update_time, version FROM tasks;
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq
		FROM sqlite_sequence WHERE name = 'tasks'), 0))
	WHERE name = 'tasks_new';
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
CREATE INDEX tasks_user ON tasks (user_id, id);
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
CREATE INDEX tasks_create_time ON tasks (create_time, id);
CREATE INDEX tasks_update_time ON tasks (update_time, id);
CREATE INDEX tasks_title ON tasks (title, id);

-- +oz Down
-- The same rebuild back to IN (1, 2, 3).
CREATE TABLE tasks_old (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
	description TEXT    NOT NULL DEFAULT '',
	user_id     INTEGER NOT NULL REFERENCES users (id),
	create_time INTEGER NOT NULL,
	status      INTEGER NOT NULL DEFAULT 1 CHECK (status IN (1, 2, 3)),
	update_time INTEGER NOT NULL DEFAULT 0,
	version     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO tasks_old (id, title, description, user_id, create_time,
		status, update_time, version)
	SELECT id, title, description, user_id, create_time, status,
		update_time, version FROM tasks;
UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq
		FROM sqlite_sequence WHERE name = 'tasks'), 0))
	WHERE name = 'tasks_old';
DROP TABLE tasks;
ALTER TABLE tasks_old RENAME TO tasks;
CREATE INDEX tasks_user ON tasks (user_id, id);
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
CREATE INDEX tasks_create_time ON tasks (create_time, id);
CREATE INDEX tasks_update_time ON tasks (update_time, id);
CREATE INDEX tasks_title ON tasks (title, id);
