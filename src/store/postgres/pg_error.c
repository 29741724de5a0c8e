/* store/postgres/pg_error.c -- SQLSTATE -> oz code, the one place the
 * PostgreSQL backend translates a server's or libpq's failure (as
 * store/sqlite/db.c's store_error does for SQLite). Messages are generic and
 * never carry the server's text, which may quote request values; that
 * text goes to the log. */
#include <string.h>

#include "core/log.h"
#include "store/postgres/pg_impl.h"

/* A class (first two characters) or an exact SQLSTATE, its code and its
 * message. Exact rows come before their class. */
static const struct state_row {
	const char *state;
	oz_code code;
	const char *message;
} states[] = {
	{"23505", OZ_ALREADY_EXISTS, "already exists"},
	/* As SQLite's SQLITE_CONSTRAINT_FOREIGNKEY; stores that know which
	 * row is missing say so (task insert: "User not found"). */
	{"23503", OZ_FAILED_PRECONDITION,
		"a referenced row does not exist or is still referenced"},
	{"23514", OZ_INVALID_ARGUMENT, "value out of range"},
	{"23502", OZ_INVALID_ARGUMENT, "value out of range"},
	{"23", OZ_FAILED_PRECONDITION, "constraint failed"},
	{"22", OZ_INVALID_ARGUMENT, "value out of range"},
	/* Retried by pg_tx_run before anyone sees them. */
	{"40001", OZ_ABORTED, "transaction conflict, retry"},
	{"40P01", OZ_ABORTED, "transaction conflict, retry"},
	{"57014", OZ_DEADLINE_EXCEEDED, "statement cancelled at its deadline"},
	{"57P", OZ_UNAVAILABLE, "database is shutting down"},
	{"08", OZ_UNAVAILABLE, "database connection lost"},
	{"25006", OZ_UNAVAILABLE, "database is read-only"},
	{"53300", OZ_UNAVAILABLE, "database has too many connections"},
	{"53100", OZ_RESOURCE_EXHAUSTED, "database or disk is full"},
	{"53", OZ_RESOURCE_EXHAUSTED, "database is out of resources"},
};

oz_code
pg_sqlstate_code(const char *sqlstate, const char **message)
{
	size_t n = sizeof(states) / sizeof(states[0]);
	if (sqlstate != NULL && strlen(sqlstate) == 5) {
		for (size_t i = 0; i < n; i++) {
			size_t len = strlen(states[i].state);
			if (strncmp(sqlstate, states[i].state, len) == 0) {
				*message = states[i].message;
				return states[i].code;
			}
		}
	}
	*message = "internal error";
	return OZ_INTERNAL;
}

int
pg_msg_len(const char *msg)
{
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
		n--;
	}
	return (int) n;
}

oz_code
pg_error(pg_conn *c, const PGresult *res, oz_status *st)
{
	const char *state =
		res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	/* The primary message only: DETAIL may quote row values. */
	const char *text =
		res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			    : NULL;
	const char *message;
	if (text == NULL || text[0] == '\0') {
		text = PQerrorMessage(c->pg);
	}
	/* A lost connection is UNAVAILABLE whatever the last result said
	 * (57P01 from pg_terminate_backend, or no result at all). */
	if (PQstatus(c->pg) == CONNECTION_BAD) {
		log_warn("postgres: connection lost: %.*s", pg_msg_len(text),
			text);
		return oz_fail(st, OZ_UNAVAILABLE, "database connection lost");
	}
	oz_code code = pg_sqlstate_code(state, &message);
	if (state != NULL && strcmp(state, "25006") == 0) {
		/* A read-only server answered a write: after a failover this
		 * connection reached a standby. Drop it: the next pg_ensure
		 * connects again, and a multi-host URL with
		 * target_session_attrs=read-write finds the new primary. */
		log_warn("postgres: the server is read-only; reconnecting");
		c->broken = true;
	}
	if (code == OZ_INTERNAL) {
		log_error("postgres error %s: %.*s",
			state != NULL ? state : "-", pg_msg_len(text), text);
	} else {
		log_debug("postgres %s: %.*s", state, pg_msg_len(text), text);
	}
	return oz_fail(st, code, "%s", message);
}

oz_code
pg_query_error(pg_conn *c, const PGresult *res, oz_status *st)
{
	const char *state =
		res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *text =
		res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
			    : NULL;
	/* The operator's own statement: a syntax error, an unknown name, a
	 * write refused by READ ONLY (25006, expected here: no failover),
	 * a bad value. The server's text is for the operator who wrote it. */
	static const char *const theirs[] = {
		"42", "0A", "22", "25006", "2F", "3F", "08P01"};
	for (size_t i = 0; state != NULL && PQstatus(c->pg) == CONNECTION_OK &&
			   i < sizeof(theirs) / sizeof(theirs[0]);
		i++) {
		if (strncmp(state, theirs[i], strlen(theirs[i])) == 0) {
			oz_status_violation(
				st, "sql", "%s", text != NULL ? text : state);
			return oz_fail(
				st, OZ_INVALID_ARGUMENT, "invalid query");
		}
	}
	return pg_error(c, res, st);
}
