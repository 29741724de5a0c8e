/* store/postgres/pg_migrate.c -- the PostgreSQL dialect of the migrations
 * (migrations/postgres/, the same revision ids as the SQLite files),
 * applied one transaction each (PostgreSQL's DDL is transactional) and
 * recorded in oz_migrations as on SQLite. An upgrade holds a session
 * advisory lock from before its first transaction to after its last, so
 * several servers starting with --migrate at once apply each revision
 * exactly once: the second waits, then finds every revision recorded.
 * (A lock taken inside each transaction would not do: the transaction's
 * snapshot is taken by the locking statement itself, before the wait, so
 * it would not see what the first server committed meanwhile.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/embed.h"
#include "core/log.h"
#include "store/migrate_impl.h"
#include "store/postgres/pg_impl.h"

/* The advisory lock key: "ozmig" in ASCII. */
#define MIGRATE_LOCK   "SELECT pg_advisory_lock(478660667751)"
#define MIGRATE_UNLOCK "SELECT pg_advisory_unlock(478660667751)"

static const char sql_table[] =
	"CREATE TABLE IF NOT EXISTS oz_migrations ("
	"revision TEXT COLLATE \"C\" PRIMARY KEY, applied_at BIGINT NOT NULL)";
static const char sql_applied[] =
	"SELECT count(*) FROM oz_migrations WHERE revision = $1";
static const char sql_newer[] =
	"SELECT count(*) FROM oz_migrations WHERE revision > $1";
static const char sql_record[] =
	"INSERT INTO oz_migrations (revision, applied_at) VALUES ($1, $2)";

/* Runs the Up part of m (not NUL-terminated in the embedded text). */
static oz_code
run_up(pg_conn *c, const struct mig *m, oz_status *st)
{
	char *sql = strndup(m->up, m->up_len);
	if (sql == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz_code rc = pg_exec_script(c, sql, st);
	free(sql);
	if (rc != OZ_OK) {
		log_error("postgres: migration %s failed", m->file);
	}
	return rc;
}

/* Under the lock, in m's transaction: applies m unless it is recorded
 * already. OUT: *did. */
static oz_code
apply_one(pg_conn *c, const struct mig *m, const char *head, bool *did,
	oz_status *st)
{
	pg_params p;
	int64_t n = 0;
	oz_code rc;
	*did = false;
	if ((rc = pg_exec_script(c, sql_table, st)) != OZ_OK) {
		return rc;
	}
	pg_params_init(&p);
	pg_param_text(&p, 1, head);
	if ((rc = pg_query_int(c, sql_newer, &p, &n, st)) != OZ_OK) {
		return rc;
	}
	if (n > 0) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"database has revisions newer than %s", head);
	}
	pg_param_text(&p, 1, m->rev);
	if ((rc = pg_query_int(c, sql_applied, &p, &n, st)) != OZ_OK ||
		n > 0) {
		return rc;
	}
	if ((rc = run_up(c, m, st)) != OZ_OK) {
		return rc;
	}
	pg_param_int(&p, 2, store_now_us());
	*did = true;
	return pg_query_exec(c, sql_record, &p, NULL, st);
}

oz_code
pg_migrate_upgrade(pg_conn *c, int *applied, oz_status *st)
{
	struct migset ms;
	int n = 0;
	oz_code rc = migrate_set_parse(embed_migrations_postgres,
		embed_n_migrations_postgres, &ms, st);
	if (rc != OZ_OK) {
		return rc;
	}
	const char *head = migrate_rev_at(&ms, ms.n);
	if ((rc = pg_exec_script(c, MIGRATE_LOCK, st)) != OZ_OK) {
		migrate_set_free(&ms);
		return rc;
	}
	for (size_t i = 0; rc == OZ_OK && i < ms.n; i++) {
		bool did = false;
		if ((rc = pg_tx_begin(c, STORE_TX_WRITE, st)) == OZ_OK) {
			rc = pg_tx_end(
				c, apply_one(c, &ms.m[i], head, &did, st), st);
		}
		if (rc == OZ_OK && did) {
			log_info("postgres: applied migration %s",
				ms.m[i].file);
			n++;
		}
	}
	if (pg_connected(c)) {
		oz_status ignored;
		(void) pg_exec_script(c, MIGRATE_UNLOCK, &ignored);
	}
	migrate_set_free(&ms);
	if (applied != NULL) {
		*applied = n;
	}
	return rc;
}

oz_code
pg_migrate_current(pg_conn *c, char *rev, size_t cap, oz_status *st)
{
	PGresult *res;
	int64_t exists = 0;
	snprintf(rev, cap, "base");
	oz_code rc = pg_query_int(c,
		"SELECT (to_regclass('oz_migrations') IS NOT NULL)::int", NULL,
		&exists, st);
	if (rc != OZ_OK || !exists) {
		return rc;
	}
	rc = pg_query(
		c, "SELECT max(revision) FROM oz_migrations", NULL, &res, st);
	if (rc == OZ_OK && !PQgetisnull(res, 0, 0)) {
		snprintf(rev, cap, "%s", PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return rc;
}
