-- Idempotency keys: the outcome of each write that carried a request_id.

-- +oz Up
CREATE TABLE oz_idempotency (
	request_id   TEXT    PRIMARY KEY,
	method       TEXT    NOT NULL,
	request_hash INTEGER NOT NULL,
	code         INTEGER NOT NULL,
	message      TEXT    NOT NULL,
	response     BLOB    NOT NULL,
	create_time  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oz_idempotency_create_time ON oz_idempotency (create_time);

-- +oz Down
DROP INDEX oz_idempotency_create_time;
DROP TABLE oz_idempotency;
