/* store/postgres/pg_tx.c -- transactions on a PostgreSQL connection:
 * BEGIN/COMMIT at depth 0, SAVEPOINTs inside, and the bounded retry of
 * serialization failures and deadlocks. Writes run SERIALIZABLE: the
 * service reads a row, computes its next version and writes it, and only
 * SERIALIZABLE (like SQLite's single writer) turns a concurrent update of
 * the same row into a retry instead of a lost update. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "store/postgres/pg_impl.h"

/* Runs one transaction-control statement. OUT: *tag, its command tag
 * (may be NULL). */
static oz_code
control(pg_conn *c, const char *sql, char *tag, size_t cap, oz_status *st)
{
	PGresult *res = PQexec(c->pg, sql);
	oz_code rc = PQresultStatus(res) == PGRES_COMMAND_OK
			     ? OZ_OK
			     : pg_error(c, res, st);
	if (rc == OZ_OK && tag != NULL) {
		snprintf(tag, cap, "%s", PQcmdStatus(res));
	}
	PQclear(res);
	return rc;
}

/* The SET LOCAL a BEGIN or SAVEPOINT carries for the call's limit ("" when
 * the limit in force fits it: pg_timeout_fits). OUT: *next, the limit in
 * force after it. */
static void
set_local(pg_conn *c, int have_ms, char *out, size_t cap, int *next)
{
	*next = have_ms;
	out[0] = '\0';
	if (!pg_timeout_fits(have_ms, c->timeout_ms)) {
		*next = pg_timeout_rounded(c->timeout_ms);
		snprintf(
			out, cap, "; SET LOCAL statement_timeout = %d", *next);
	}
}

oz_code
pg_tx_flush(pg_conn *c, oz_status *st)
{
	char sql[200] = "";
	size_t len = 0;
	if (c->n_pend == 0) {
		return OZ_OK;
	}
	for (int i = 0; i < c->n_pend; i++) {
		int n = snprintf(sql + len, sizeof(sql) - len, "%s%s",
			i > 0 ? "; " : "", c->pend[i]);
		len += n > 0 ? (size_t) n : 0;
	}
	c->n_pend = 0;
	oz_code rc = control(c, sql, NULL, 0, st);
	if (rc != OZ_OK) {
		c->tx_timeout_ms = -1;
	}
	return rc;
}

/* Defers a savepoint's statements to the call's first statement
 * (pg_query sends them in its pipeline): one round trip fewer per call
 * of the group-commit writer. */
static void
defer_savepoint(pg_conn *c)
{
	int next;
	char set[64];
	c->n_pend = 0;
	if (c->release_pending == c->tx_depth) {
		snprintf(c->pend[c->n_pend++], sizeof(c->pend[0]),
			"RELEASE SAVEPOINT oz_sp%d", c->tx_depth);
	}
	c->release_pending = 0;
	snprintf(c->pend[c->n_pend++], sizeof(c->pend[0]), "SAVEPOINT oz_sp%d",
		c->tx_depth);
	set_local(c, c->tx_timeout_ms, set, sizeof(set), &next);
	if (set[0] != '\0') {
		/* set is "; SET LOCAL ...": the statement without "; ". */
		snprintf(c->pend[c->n_pend++], sizeof(c->pend[0]), "%s",
			set + 2);
	}
	c->tx_timeout_ms = next;
	c->tx_depth++;
}

oz_code
pg_tx_begin(pg_conn *c, store_tx_kind kind, oz_status *st)
{
	char sql[160];
	char set[64];
	int next;
	const char *begin = kind == STORE_TX_WRITE
				    ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
				    : "BEGIN ISOLATION LEVEL REPEATABLE READ "
				      "READ ONLY";
	oz_code rc = pg_ensure(c, st);
	if (rc == OZ_OK) {
		rc = pg_tx_flush(c, st);
	}
	if (rc != OZ_OK) {
		return rc;
	}
	if (c->tx_depth > 0) {
		defer_savepoint(c);
		return OZ_OK;
	}
	/* The same round trip as the BEGIN (for a savepoint, as its call's
	 * first statement: defer_savepoint): the server cancels any
	 * statement of this transaction (of this call's savepoint, in a
	 * shared one) still running past the deadline (57014), by at most
	 * the slack of pg_timeout_fits. The limit in force is tracked, so
	 * one call's limit never carries over to the next call of a shared
	 * transaction beyond that slack, and SET only when it must change. */
	set_local(c, c->session_timeout_ms, set, sizeof(set), &next);
	snprintf(sql, sizeof(sql), "%s%s", begin, set);
	c->release_pending = 0;
	c->doomed = false;
	rc = control(c, sql, NULL, 0, st);
	c->tx_timeout_ms = rc == OZ_OK ? next : -1;
	if (rc == OZ_OK) {
		c->tx_depth++;
	}
	return rc;
}

/* Ends the outermost transaction. A COMMIT of a transaction that had a
 * failed statement answers "ROLLBACK": that is a failure too. */
static oz_code
end_outer(pg_conn *c, oz_code rc, oz_status *st)
{
	char tag[32] = "";
	if (c->doomed && rc == OZ_OK) {
		rc = oz_fail(st, OZ_ABORTED, "transaction conflict, retry");
	}
	c->doomed = false;
	if (rc != OZ_OK) {
		oz_status keep = *st;
		(void) control(c, "ROLLBACK", NULL, 0, st);
		*st = keep;
		return rc;
	}
	/* No call's time limit applies to the COMMIT itself (it may wait
	 * for a synchronous standby): the outcome of every call in it
	 * hangs on it. Only in a transaction that can still commit: in a
	 * failed one the SET would fail and leave it open. */
	const char *commit =
		PQtransactionStatus(c->pg) == PQTRANS_INTRANS &&
				c->tx_timeout_ms != 0
			? "SET LOCAL statement_timeout = 0; COMMIT"
			: "COMMIT";
	if ((rc = control(c, commit, tag, sizeof(tag), st)) != OZ_OK) {
		if (!pg_connected(c)) {
			/* The COMMIT may have reached the server and committed
			 * before the connection broke: never "changed nothing"
			 * (UNAVAILABLE), and never run again. */
			return oz_fail(st, OZ_UNKNOWN,
				"database connection lost during COMMIT: the "
				"write may or may not have been applied (with "
				"the same request_id a retry is safe)");
		}
		if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
			oz_status keep = *st;
			(void) control(c, "ROLLBACK", NULL, 0, st);
			*st = keep;
		}
		return rc;
	}
	if (strcmp(tag, "COMMIT") != 0) {
		log_error("postgres: COMMIT answered %s", tag);
		return oz_fail(st, OZ_INTERNAL, "transaction rolled back");
	}
	return OZ_OK;
}

oz_code
pg_tx_end(pg_conn *c, oz_code rc, oz_status *st)
{
	char sql[96];
	if (c->tx_depth == 0) {
		return rc != OZ_OK ? rc
				   : oz_fail(st, OZ_INTERNAL,
					     "no transaction to end");
	}
	/* A savepoint no statement of the call sent yet: sent now, so what
	 * follows finds the state it expects (rare: a call that ran none). */
	oz_code frc = pg_tx_flush(c, st);
	if (frc != OZ_OK && rc == OZ_OK) {
		rc = frc;
	}
	c->tx_depth--;
	/* A savepoint deeper than this one left to release goes with it. */
	c->release_pending = 0;
	if (c->tx_depth == 0) {
		return end_outer(c, rc, st);
	}
	if (c->doomed && rc == OZ_OK) {
		/* A conflict met inside this savepoint and swallowed: RELEASE
		 * would fail 25P02; the call is ABORTED like its transaction.
		 */
		rc = oz_fail(st, OZ_ABORTED, "transaction conflict, retry");
	}
	if (rc == OZ_OK) {
		/* Released with the next SAVEPOINT at this depth, or by the
		 * end of the enclosing level: one round trip fewer per call.
		 * A RELEASE can fail only in a failed transaction, which
		 * cannot commit, so the call's outcome is the same. */
		c->release_pending = c->tx_depth;
		return OZ_OK;
	}
	snprintf(sql, sizeof(sql),
		"ROLLBACK TO SAVEPOINT oz_sp%d; RELEASE SAVEPOINT oz_sp%d",
		c->tx_depth, c->tx_depth);
	oz_status keep = *st;
	c->tx_timeout_ms = -1; /* Back to the savepoint's: not known. */
	if (control(c, sql, NULL, 0, st) != OZ_OK) {
		/* The outer transaction cannot commit this call's writes
		 * away any more: fail it as a whole. */
		log_error("postgres: cannot roll back to a savepoint");
	}
	*st = keep;
	return rc;
}

void
pg_set_timeout(pg_conn *c, int timeout_ms)
{
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

bool
pg_tx_intact(const pg_conn *c)
{
	/* In error: a statement failed outside any savepoint rolled back
	 * to; idle: the connection lost the transaction. */
	return c->tx_depth == 0 ||
	       PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
}

int
pg_tx_depth(const pg_conn *c)
{
	return c->tx_depth;
}

oz_code
pg_tx_run(
	pg_conn *c, store_tx_kind kind, pg_tx_fn fn, void *arg, oz_status *st)
{
	bool outer = c->tx_depth == 0;
	for (int attempt = 0;; attempt++) {
		oz_code rc = pg_tx_begin(c, kind, st);
		if (rc == OZ_OK) {
			rc = pg_tx_end(c, fn(c, arg, st), st);
		}
		if (rc != OZ_ABORTED || !outer || attempt == PG_TX_RETRIES) {
			if (rc == OZ_OK) {
				oz_status_clear(st);
			}
			return rc;
		}
		log_debug("postgres: transaction conflict, retry %d",
			attempt + 1);
	}
}
