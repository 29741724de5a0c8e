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
static const char sql_forget[] =
	"DELETE FROM oz_migrations WHERE revision = $1";

/* One step of a run: migration m, up or down, head of the set. */
struct step {
	const struct mig *m;
	bool up;
	const char *head;
};

/* Runs the Up or Down part of m (not NUL-terminated in the text). */
static oz_code
run_part(pg_conn *c, const struct mig *m, bool up, oz_status *st)
{
	char *sql =
		up ? strndup(m->up, m->up_len) : strndup(m->down, m->down_len);
	if (sql == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz_code rc = pg_exec_script(c, sql, st);
	free(sql);
	if (rc != OZ_OK) {
		log_error("postgres: migration %s (%s) failed", m->file,
			up ? "up" : "down");
	}
	return rc;
}

/* Under the lock, in the step's own transaction: applies (undoes) m
 * unless it is recorded (not recorded) already. OUT: *did. */
static oz_code
run_step(pg_conn *c, const struct step *s, bool *did, oz_status *st)
{
	pg_params p;
	int64_t n = 0;
	oz_code rc;
	*did = false;
	if ((rc = pg_exec_script(c, sql_table, st)) != OZ_OK) {
		return rc;
	}
	pg_params_init(&p);
	pg_param_text(&p, 1, s->head);
	if ((rc = pg_query_int(c, sql_newer, &p, &n, st)) != OZ_OK) {
		return rc;
	}
	if (n > 0) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"database has revisions newer than %s", s->head);
	}
	pg_param_text(&p, 1, s->m->rev);
	if ((rc = pg_query_int(c, sql_applied, &p, &n, st)) != OZ_OK ||
		(n > 0) == s->up) {
		return rc;
	}
	if ((rc = run_part(c, s->m, s->up, st)) != OZ_OK) {
		return rc;
	}
	*did = true;
	if (!s->up) {
		return pg_query_exec(c, sql_forget, &p, NULL, st);
	}
	pg_param_int(&p, 2, store_now_us());
	return pg_query_exec(c, sql_record, &p, NULL, st);
}

static oz_code
parse_set(struct migset *ms, oz_status *st)
{
	return migrate_set_parse(embed_migrations_postgres,
		embed_n_migrations_postgres, ms, st);
}

/* Parses this build's set into *ms (freed by the caller on OK only).
 * OUT: *cur, the migrations of it applied. FAILED_PRECONDITION when the
 * database is at a revision newer than the set's head or unknown to it;
 * UNAVAILABLE when no connection works. */
static oz_code
load(pg_conn *c, struct migset *ms, size_t *cur, oz_status *st)
{
	char rev[STORE_REV_MAX + 8];
	oz_code rc;
	*cur = 0;
	if ((rc = pg_ensure(c, st)) != OZ_OK ||
		(rc = pg_migrate_current(c, rev, sizeof(rev), st)) != OZ_OK ||
		(rc = parse_set(ms, st)) != OZ_OK) {
		return rc;
	}
	if (strcmp(rev, "base") == 0) {
		return OZ_OK;
	}
	const struct mig *m = migrate_set_find(ms, rev);
	if (m == NULL) {
		const char *head = migrate_rev_at(ms, ms->n);
		bool newer = strcmp(rev, head) > 0;
		migrate_set_free(ms);
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			newer ? "database is at revision %s, newer than this "
				"build's head %s"
			      : "database is at revision %s, unknown to this "
				"build (head %s)",
			rev, head);
	}
	*cur = (size_t) (m - ms->m) + 1;
	return OZ_OK;
}

/* Moves the database to target, up or down, one transaction per
 * migration, holding the advisory lock throughout. OUT: *moved. */
static oz_code
move(pg_conn *c, const char *target, bool up, int *moved, oz_status *st)
{
	struct migset ms;
	size_t k = 0;
	int n = 0;
	size_t cur = 0;
	oz_code rc = load(c, &ms, &cur, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if ((rc = migrate_resolve(&ms, target, cur,
		     up ? MIGRATE_UP : MIGRATE_DOWN, &k, st)) == OZ_OK) {
		rc = pg_exec_script(c, MIGRATE_LOCK, st);
	}
	for (size_t j = 0; rc == OZ_OK && j < (up ? k : ms.n - k); j++) {
		struct step s = {&ms.m[up ? j : ms.n - 1 - j], up,
			migrate_rev_at(&ms, ms.n)};
		bool did = false;
		if ((rc = pg_tx_begin(c, STORE_TX_WRITE, st)) == OZ_OK) {
			rc = pg_tx_end(c, run_step(c, &s, &did, st), st);
		}
		if (rc == OZ_OK && did) {
			log_info("postgres: %s migration %s",
				up ? "applied" : "undid", s.m->file);
			n++;
		}
	}
	/* A lost connection has released the lock already. */
	oz_status ignored;
	if (pg_connected(c) &&
		pg_exec_script(c, MIGRATE_UNLOCK, &ignored) != OZ_OK) {
		log_warn("postgres: cannot release the migration lock");
	}
	migrate_set_free(&ms);
	if (moved != NULL) {
		*moved = n;
	}
	return rc;
}

oz_code
pg_migrate_upgrade(pg_conn *c, const char *target, int *applied, oz_status *st)
{
	return move(c, target, true, applied, st);
}

oz_code
pg_migrate_downgrade(
	pg_conn *c, const char *target, int *undone, oz_status *st)
{
	return move(c, target, false, undone, st);
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

oz_code
pg_migrate_pending(pg_conn *c, int *n_pending, oz_status *st)
{
	struct migset ms;
	size_t cur = 0;
	oz_code rc = load(c, &ms, &cur, st);
	if (rc == OZ_OK) {
		*n_pending = (int) (ms.n - cur);
		migrate_set_free(&ms);
	}
	return rc;
}

oz_code
pg_migrate_check(pg_conn *c, oz_status *st)
{
	int pending = 0;
	return pg_migrate_pending(c, &pending, st);
}

static oz_code
read_recorded(const PGresult *res, int r, arena *a, void *row, oz_status *st)
{
	struct recorded *e = row;
	e->rev = pg_get_text(res, r, 0, a);
	e->applied_at = pg_get_int(res, r, 1);
	return e->rev != NULL
		       ? OZ_OK
		       : oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
}

/* OUT: *rows, the rows of oz_migrations in revision order (none when
 * the table does not exist). */
static oz_code
recorded_list(
	pg_conn *c, arena *a, struct recorded **rows, size_t *n, oz_status *st)
{
	int64_t exists = 0;
	*rows = NULL;
	*n = 0;
	oz_code rc = pg_query_int(c,
		"SELECT (to_regclass('oz_migrations') IS NOT NULL)::int", NULL,
		&exists, st);
	if (rc != OZ_OK || !exists) {
		return rc;
	}
	return pg_query_rows(c,
		"SELECT revision, applied_at FROM oz_migrations "
		"ORDER BY revision",
		NULL, sizeof(**rows), read_recorded, a, (void **) rows, n, st);
}

oz_code
pg_migrate_history(pg_conn *c, arena *a, store_migrate_rev **out,
	size_t *n_out, oz_status *st)
{
	struct migset ms;
	struct recorded *r = NULL;
	size_t nr = 0;
	oz_code rc;
	if ((rc = pg_ensure(c, st)) != OZ_OK ||
		(rc = parse_set(&ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = recorded_list(c, a, &r, &nr, st)) == OZ_OK) {
		*out = arena_calloc(a, (ms.n + nr + 1) * sizeof(**out));
		rc = *out == NULL ? oz_fail(st, OZ_RESOURCE_EXHAUSTED,
					    "out of memory")
				  : migrate_history_fill(
					    &ms, r, nr, a, *out, n_out, st);
	}
	migrate_set_free(&ms);
	return rc;
}

/* In the stamp's transaction: the recorded revisions become exactly the
 * first k of ms, keeping the times of those already recorded. */
static oz_code
stamp_in_tx(pg_conn *c, const struct migset *ms, size_t k, oz_status *st)
{
	pg_params p;
	oz_code rc = pg_exec_script(c, sql_table, st);
	pg_params_init(&p);
	/* Every revision when k is 0 ("" sorts before any). */
	pg_param_text(&p, 1, k > 0 ? migrate_rev_at(ms, k) : "");
	if (rc == OZ_OK) {
		rc = pg_query_exec(c,
			"DELETE FROM oz_migrations WHERE revision > $1", &p,
			NULL, st);
	}
	for (size_t i = 0; i < k && rc == OZ_OK; i++) {
		pg_param_text(&p, 1, ms->m[i].rev);
		pg_param_int(&p, 2, store_now_us());
		rc = pg_query_exec(c,
			"INSERT INTO oz_migrations (revision, applied_at) "
			"VALUES ($1, $2) ON CONFLICT (revision) DO NOTHING",
			&p, NULL, st);
	}
	return rc;
}

oz_code
pg_migrate_stamp(pg_conn *c, const char *target, oz_status *st)
{
	struct migset ms;
	size_t k = 0;
	oz_code rc;
	if ((rc = pg_ensure(c, st)) != OZ_OK ||
		(rc = parse_set(&ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = migrate_resolve(&ms, target, 0, MIGRATE_STAMP, &k, st)) ==
			OZ_OK &&
		(rc = pg_tx_begin(c, STORE_TX_WRITE, st)) == OZ_OK) {
		rc = pg_tx_end(c, stamp_in_tx(c, &ms, k, st), st);
	}
	migrate_set_free(&ms);
	return rc;
}
