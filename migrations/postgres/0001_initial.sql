-- Initial schema: the starter kit's users and tasks.
-- PostgreSQL dialect of ../0001_initial.sql (same revision, same rules).
-- Times are microseconds since the Unix epoch, as on SQLite. Text columns
-- use the "C" collation so that comparisons, ordering and keyset paging
-- go by bytes, like SQLite's BINARY; lower() under "C" folds ASCII only,
-- like SQLite's NOCASE. Identity ids are never reused after a delete.

-- +oz Up
CREATE TABLE users (
	id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	username    TEXT    COLLATE "C" NOT NULL
		CHECK (char_length(username) BETWEEN 1 AND 50),
	email       TEXT    COLLATE "C" NOT NULL
		CHECK (char_length(email) BETWEEN 1 AND 100),
	is_active   BOOLEAN NOT NULL DEFAULT TRUE,
	create_time BIGINT  NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (username);
-- Emails are unique ignoring ASCII case.
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE tasks (
	id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	title       TEXT    COLLATE "C" NOT NULL
		CHECK (char_length(title) BETWEEN 1 AND 100),
	description TEXT    COLLATE "C" NOT NULL DEFAULT '',
	user_id     BIGINT  NOT NULL REFERENCES users (id),
	create_time BIGINT  NOT NULL
);
CREATE INDEX tasks_user ON tasks (user_id, id);

-- +oz Down
DROP INDEX tasks_user;
DROP TABLE tasks;
DROP INDEX users_email;
DROP INDEX users_username;
DROP TABLE users;
