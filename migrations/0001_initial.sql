-- Initial schema: the starter kit's users and tasks.
-- Times are microseconds since the Unix epoch.

-- +oz Up
CREATE TABLE users (
	id          INTEGER PRIMARY KEY,
	username    TEXT    NOT NULL CHECK (length(username) BETWEEN 1 AND 50),
	email       TEXT    NOT NULL CHECK (length(email) BETWEEN 1 AND 100),
	is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
	create_time INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);
-- Emails are unique ignoring ASCII case.
CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);

CREATE TABLE tasks (
	id          INTEGER PRIMARY KEY,
	title       TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
	description TEXT    NOT NULL DEFAULT '',
	user_id     INTEGER NOT NULL REFERENCES users (id),
	create_time INTEGER NOT NULL
);
CREATE INDEX tasks_user ON tasks (user_id, id);

-- +oz Down
DROP INDEX tasks_user;
DROP TABLE tasks;
DROP INDEX users_email;
DROP INDEX users_username;
DROP TABLE users;
