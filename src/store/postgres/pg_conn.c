/* store/postgres/pg_conn.c -- opening, describing and closing libpq
 * connections. The URL goes to libpq as it is; the only thing oz adds is
 * a fallback application_name. Passwords never reach a log line: the URL
 * is logged through store_url_mask (store/url.c), the effective options
 * through describe(), which masks what libpq marks as a password option. */
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/backend.h"
#include "store/postgres/pg_impl.h"

bool
pg_url_is_postgres(const char *url)
{
	return url != NULL && (strncmp(url, "postgresql://", 13) == 0 ||
				      strncmp(url, "postgres://", 11) == 0);
}

/* Appends "key=value" for every set option of opts to out, masking
 * password options (libpq's dispchar "*") as "****". */
static void
describe(const PQconninfoOption *opts, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0' ||
			strcmp(o->dispchar, "D") == 0) {
			continue; /* Unset, or a debug option. */
		}
		const char *v =
			strchr(o->dispchar, '*') != NULL ? "****" : o->val;
		int n = snprintf(out + len, cap - len, "%s%s=%s",
			len > 0 ? " " : "", o->keyword, v);
		if (n < 0 || (size_t) n >= cap - len) {
			out[len] = '\0';
			return;
		}
		len += (size_t) n;
	}
}

/* Logs the options the connection actually uses. */
static void
log_effective(PGconn *pg)
{
	char buf[1024];
	PQconninfoOption *opts = PQconninfo(pg);
	if (opts != NULL) {
		describe(opts, buf, sizeof(buf));
		log_debug("postgres: connected (server %d, %s)",
			PQserverVersion(pg), buf);
	}
	PQconninfoFree(opts);
}

/* Server notices ("relation already exists, skipping") go to the debug
 * log instead of stderr. */
static void
notice_cb(void *arg, const char *message)
{
	(void) arg;
	size_t n = strcspn(message, "\n");
	log_debug("postgres: %.*s", (int) n, message);
}

/* Bumped by every connection of the process that gets through. */
static _Atomic long connect_epoch;

/* Connects to c->url. Returns OK or UNAVAILABLE. */
static oz_code
connect_url(pg_conn *c, oz_status *st)
{
	const char *keys[] = {"dbname", "fallback_application_name", NULL};
	const char *vals[] = {c->url, "ozd", NULL};
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (c->pg == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		char where[1024];
		store_url_mask(c->url, where, sizeof(where));
		const char *why = PQerrorMessage(c->pg);
		log_error("postgres: cannot connect (%s): %.*s", where,
			pg_msg_len(why), why);
		return oz_fail(st, OZ_UNAVAILABLE,
			"cannot connect to the "
			"database");
	}
	PQsetNoticeProcessor(c->pg, notice_cb, NULL);
	log_effective(c->pg);
	atomic_fetch_add(&connect_epoch, 1);
	return OZ_OK;
}

oz_code
pg_conn_alloc(pg_conn **out, const char *url, oz_status *st)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &err);
	*out = NULL;
	if (opts == NULL) {
		/* libpq's message names the bad part, never a password. */
		oz_fail(st, OZ_INVALID_ARGUMENT, "bad PostgreSQL URL: %s",
			err != NULL ? err : "out of memory");
		PQfreemem(err);
		return OZ_INVALID_ARGUMENT;
	}
	PQconninfoFree(opts);
	pg_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->url = strdup(url)) == NULL) {
		free(c);
		oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		return OZ_RESOURCE_EXHAUSTED;
	}
	c->ops = &store_postgres_ops;
	*out = c;
	return OZ_OK;
}

oz_code
pg_open(pg_conn **out, const char *url, oz_status *st)
{
	pg_conn *c = NULL;
	oz_code rc = pg_conn_alloc(&c, url, st);
	*out = NULL;
	if (rc != OZ_OK) {
		return rc;
	}
	rc = connect_url(c, st);
	if (rc != OZ_OK) {
		pg_close(c);
		return rc;
	}
	*out = c;
	return OZ_OK;
}

void
pg_close(pg_conn *c)
{
	if (c == NULL) {
		return;
	}
	pg_stmts_clear(c);
	PQfinish(c->pg);
	free(c->url);
	free(c);
}

bool
pg_connected(const pg_conn *c)
{
	return !c->broken && PQstatus(c->pg) == CONNECTION_OK;
}

oz_code
pg_reconnect(pg_conn *c, oz_status *st)
{
	pg_stmts_clear(c);
	c->tx_depth = 0;
	c->broken = false;
	c->session_timeout_ms = 0;
	c->release_pending = 0;
	c->n_pend = 0;
	PQfinish(c->pg);
	c->pg = NULL;
	return connect_url(c, st);
}

oz_code
pg_ensure(pg_conn *c, oz_status *st)
{
	if (c->tx_depth > 0 || pg_connected(c)) {
		return OZ_OK;
	}
	int64_t now = oz_now_us();
	if (now < c->retry_us &&
		atomic_load(&connect_epoch) == c->failed_epoch) {
		return oz_fail(st, OZ_UNAVAILABLE,
			"database connection lost; reconnecting");
	}
	if (pg_reconnect(c, st) == OZ_OK) {
		log_info("postgres: reconnected");
		c->backoff_ms = 0;
		c->retry_us = 0;
		return OZ_OK;
	}
	c->backoff_ms =
		c->backoff_ms == 0 ? PG_BACKOFF_MIN_MS : c->backoff_ms * 2;
	if (c->backoff_ms > PG_BACKOFF_CAP_MS) {
		c->backoff_ms = PG_BACKOFF_CAP_MS;
	}
	c->retry_us = now + (int64_t) c->backoff_ms * 1000;
	c->failed_epoch = atomic_load(&connect_epoch);
	return oz_fail(
		st, OZ_UNAVAILABLE, "database connection lost; reconnecting");
}

oz_code
pg_optimize(pg_conn *c, oz_status *st)
{
	return pg_exec_script(c, "ANALYZE", st);
}

int
pg_backend_pid(const pg_conn *c)
{
	return PQbackendPID(c->pg);
}

oz_code
pg_exec_script(pg_conn *c, const char *sql, oz_status *st)
{
	oz_code rc = pg_tx_flush(c, st);
	if (rc != OZ_OK) {
		return rc;
	}
	PGresult *res = PQexec(c->pg, sql);
	ExecStatusType s = PQresultStatus(res);
	rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK
		     ? OZ_OK
		     : pg_error(c, res, st);
	PQclear(res);
	return rc;
}
