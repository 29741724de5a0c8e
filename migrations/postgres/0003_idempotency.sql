-- Idempotency keys: the outcome of each write that carried a request_id.
-- PostgreSQL dialect of ../0003_idempotency.sql (BLOB is BYTEA here).

-- +oz Up
CREATE TABLE oz_idempotency (
	request_id   TEXT    COLLATE "C" PRIMARY KEY,
	method       TEXT    NOT NULL,
	request_hash BIGINT  NOT NULL,
	code         INTEGER NOT NULL,
	message      TEXT    NOT NULL,
	response     BYTEA   NOT NULL,
	create_time  BIGINT  NOT NULL
);
CREATE INDEX oz_idempotency_create_time ON oz_idempotency (create_time);

-- +oz Down
DROP INDEX oz_idempotency_create_time;
DROP TABLE oz_idempotency;
