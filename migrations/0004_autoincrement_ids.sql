-- Ids are never reused: users and tasks get INTEGER PRIMARY KEY
-- AUTOINCREMENT, so after the newest row is deleted the next one gets a
-- new id (a replayed CreateUser or a stale link never names someone else).
-- SQLite cannot add AUTOINCREMENT in place: each table is rebuilt with the
-- steps of https://sqlite.org/lang_altertable.html#otheralter (the runner
-- has foreign keys off and runs foreign_key_check before COMMIT). Existing
-- ids and rows are kept; sqlite_sequence then starts at each table's
-- largest id. Ids deleted before this migration from the top of a table
-- cannot be known any more and may be handed out once again.

-- +oz Up
CREATE TABLE users_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	username    TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 50),
	email       TEXT    NOT NULL CHECK (length(email) BETWEEN 1 AND 100),
	is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
	create_time INTEGER NOT NULL,
	update_time INTEGER NOT NULL DEFAULT 0,
	version     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO users_new (id, username, email, is_active, create_time,
		update_time, version)
	SELECT id, username, email, is_active, create_time, update_time,
		version FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_username ON users (username);
-- Emails are unique ignoring ASCII case.
CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);
CREATE INDEX users_create_time ON users (create_time, id);
CREATE INDEX users_active ON users (is_active, id);

CREATE TABLE tasks_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
	description TEXT    NOT NULL DEFAULT '',
	user_id     INTEGER NOT NULL REFERENCES users (id),
	create_time INTEGER NOT NULL,
	status      INTEGER NOT NULL DEFAULT 1 CHECK (status IN (1, 2, 3)),
	update_time INTEGER NOT NULL DEFAULT 0,
	version     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO tasks_new (id, title, description, user_id, create_time,
		status, update_time, version)
	SELECT id, title, description, user_id, create_time, status,
		update_time, version FROM tasks;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
CREATE INDEX tasks_user ON tasks (user_id, id);
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
CREATE INDEX tasks_create_time ON tasks (create_time, id);
CREATE INDEX tasks_update_time ON tasks (update_time, id);
CREATE INDEX tasks_title ON tasks (title, id);

-- +oz Down
-- The same rebuild back to plain INTEGER PRIMARY KEY. SQLite never drops
-- sqlite_sequence; its rows for users and tasks go with the tables.
CREATE TABLE tasks_old (
	id          INTEGER PRIMARY KEY,
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
DROP TABLE tasks;
ALTER TABLE tasks_old RENAME TO tasks;
CREATE INDEX tasks_user ON tasks (user_id, id);
CREATE INDEX tasks_status ON tasks (status, id);
CREATE INDEX tasks_user_status ON tasks (user_id, status, id);
CREATE INDEX tasks_create_time ON tasks (create_time, id);
CREATE INDEX tasks_update_time ON tasks (update_time, id);
CREATE INDEX tasks_title ON tasks (title, id);

CREATE TABLE users_old (
	id          INTEGER PRIMARY KEY,
	username    TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 50),
	email       TEXT    NOT NULL CHECK (length(email) BETWEEN 1 AND 100),
	is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
	create_time INTEGER NOT NULL,
	update_time INTEGER NOT NULL DEFAULT 0,
	version     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO users_old (id, username, email, is_active, create_time,
		update_time, version)
	SELECT id, username, email, is_active, create_time, update_time,
		version FROM users;
DROP TABLE users;
ALTER TABLE users_old RENAME TO users;
CREATE UNIQUE INDEX users_username ON users (username);
CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);
CREATE INDEX users_create_time ON users (create_time, id);
CREATE INDEX users_active ON users (is_active, id);
