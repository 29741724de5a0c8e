/* store/sqlite/migrate.c -- runs migrations one transaction each, records the
 * applied revisions in oz_migrations, and answers pending, current,
 * history and stamp. It runs only the SQL of the migration files and its
 * own bookkeeping; it must not know any table of the application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/runner.h"
#include "store/migrate_impl.h"

/* --- The version table ------------------------------------------------- */

oz_code
migrate_not_in_tx(store_conn *c, oz_status *st)
{
	if (store_tx_depth(c) != 0 || !sqlite3_get_autocommit(c->db)) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"migrations cannot run inside a transaction");
	}
	return OZ_OK;
}

static oz_code
table_exists(store_conn *c, bool *exists, oz_status *st)
{
	int64_t n = 0;
	oz_code rc = sqlite_query_int(c,
		"SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE "
		"type = 'table' AND name = 'oz_migrations')",
		NULL, NULL, &n, st);
	*exists = rc == OZ_OK && n != 0;
	return rc;
}

static oz_code
ensure_table(store_conn *c, oz_status *st)
{
	return store_exec(c,
		"CREATE TABLE IF NOT EXISTS oz_migrations ("
		"revision TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)",
		st);
}

/* Copies the highest recorded revision into max ("" when none). */
static oz_code
recorded_max(store_conn *c, char *max, size_t n, oz_status *st)
{
	bool exists;
	sqlite3_stmt *s;
	oz_code rc;
	max[0] = '\0';
	if ((rc = table_exists(c, &exists, st)) != OZ_OK || !exists) {
		return rc;
	}
	if ((rc = store_stmt(c, "SELECT max(revision) FROM oz_migrations", &s,
		     st)) != OZ_OK) {
		return rc;
	}
	int src = sqlite3_step(s);
	if (src == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL) {
		snprintf(max, n, "%s",
			(const char *) sqlite3_column_text(s, 0));
	}
	store_stmt_done(s);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		return store_error(c, src, st);
	}
	return OZ_OK;
}

/* Checks one recorded revision, the i-th in order, against the set. */
static oz_code
check_row(const struct migset *ms, size_t i, const char *rev, oz_status *st)
{
	if (i < ms->n && strcmp(ms->m[i].rev, rev) == 0) {
		return OZ_OK;
	}
	if (migrate_set_find(ms, rev) == NULL) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"database records revision %s, which this build does "
			"not know",
			rev);
	}
	return oz_fail(st, OZ_FAILED_PRECONDITION,
		"database records revision %s but not %s before it", rev,
		ms->m[i].rev);
}

/* OUT: *cur, the number of migrations of ms applied. Fails when the
 * recorded revisions are not a prefix of ms. */
oz_code
migrate_load_state(
	store_conn *c, const struct migset *ms, size_t *cur, oz_status *st)
{
	char max[64];
	sqlite3_stmt *s;
	oz_code rc;
	*cur = 0;
	if ((rc = recorded_max(c, max, sizeof(max), st)) != OZ_OK ||
		max[0] == '\0') {
		return rc;
	}
	const char *head = migrate_rev_at(ms, ms->n);
	if (ms->n == 0 || strcmp(max, head) > 0) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"database is at revision %s, newer than this build's "
			"head %s",
			max, head);
	}
	if ((rc = store_stmt(c,
		     "SELECT revision FROM oz_migrations ORDER BY revision",
		     &s, st)) != OZ_OK) {
		return rc;
	}
	int src;
	size_t i = 0;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *rev = (const char *) sqlite3_column_text(s, 0);
		if ((rc = check_row(ms, i, rev != NULL ? rev : "", st)) !=
			OZ_OK) {
			store_stmt_done(s);
			return rc;
		}
		i++;
	}
	store_stmt_done(s);
	if (src != SQLITE_DONE) {
		return store_error(c, src, st);
	}
	*cur = i;
	return OZ_OK;
}

/* What bind_record binds: a revision and, when applied, the time now. */
struct record_args {
	const char *rev;
	bool applied;
};

static void
bind_record(sqlite_binder *b, const void *arg)
{
	const struct record_args *ra = arg;
	sqlite_bind_text(b, 1, ra->rev);
	if (ra->applied) {
		sqlite_bind_int(b, 2, store_now_us());
	}
}

static oz_code
record(store_conn *c, const char *rev, bool applied, oz_status *st)
{
	struct record_args ra = {rev, applied};
	return sqlite_query_exec(c,
		applied ? "INSERT INTO oz_migrations (revision, applied_at) "
			  "VALUES (?1, ?2)"
			: "DELETE FROM oz_migrations WHERE revision = ?1",
		bind_record, &ra, NULL, st);
}

/* --- Running one migration ---------------------------------------------- */

/* The authorizer while a script runs: it refuses BEGIN, COMMIT and
 * ROLLBACK, which would end the migration's transaction half way. */
static int
deny_tx_cb(void *arg, int action, const char *a, const char *b, const char *db,
	const char *trigger)
{
	if (action == SQLITE_TRANSACTION) {
		*(bool *) arg = true;
		return SQLITE_DENY;
	}
	return SQLITE_OK;
}

/* Prepares and runs the first statement of p[0..end). OUT: *tail, where
 * the next statement starts. Returns an SQLite result code. */
static int
exec_one(sqlite3 *db, const char *p, const char *end, const char **tail)
{
	sqlite3_stmt *s = NULL;
	int src = sqlite3_prepare_v2(db, p, (int) (end - p), &s, tail);
	if (src == SQLITE_OK && s != NULL) {
		while ((src = sqlite3_step(s)) == SQLITE_ROW) { }
		src = src == SQLITE_DONE ? SQLITE_OK : src;
	}
	/* The message survives finalize: it reports the same error. */
	sqlite3_finalize(s);
	return src;
}

/* Runs every statement of m's Up or Down script. On failure sets st to
 * "migration FILE (up|down) failed: SQLite's message". */
static oz_code
run_script(store_conn *c, const struct mig *m, bool up, oz_status *st)
{
	const char *p = up ? m->up : m->down;
	const char *end = p + (up ? m->up_len : m->down_len);
	bool tx_stmt = false;
	int src = SQLITE_OK;
	sqlite3_set_authorizer(c->db, deny_tx_cb, &tx_stmt);
	while (p < end && src == SQLITE_OK) {
		const char *tail = end;
		src = exec_one(c->db, p, end, &tail);
		p = tail > p ? tail : end;
	}
	sqlite3_set_authorizer(c->db, NULL, NULL);
	if (src == SQLITE_OK) {
		return OZ_OK;
	}
	char msg[160];
	snprintf(msg, sizeof(msg), "%s",
		tx_stmt ? "migrations must not BEGIN, COMMIT or ROLLBACK"
			: sqlite3_errmsg(c->db));
	oz_code rc =
		tx_stmt ? OZ_FAILED_PRECONDITION
			: store_error(c, sqlite3_extended_errcode(c->db), st);
	return oz_fail(st, rc, "migration %s (%s) failed: %s", m->file,
		up ? "up" : "down", msg);
}

/* Fails when the schema now has rows that break a foreign key. */
static oz_code
fk_check(store_conn *c, const struct mig *m, bool up, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c, "PRAGMA foreign_key_check", &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		rc = oz_fail(st, OZ_FAILED_PRECONDITION,
			"migration %s (%s) leaves foreign key violations: "
			"%s row %lld references a missing %s row",
			m->file, up ? "up" : "down",
			(const char *) sqlite3_column_text(s, 0),
			(long long) sqlite3_column_int64(s, 1),
			(const char *) sqlite3_column_text(s, 2));
	} else if (src != SQLITE_DONE) {
		rc = store_error(c, src, st);
	}
	store_stmt_done(s);
	return rc;
}

static oz_code
fk_get(store_conn *c, int *on, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c, "PRAGMA foreign_keys", &s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_step(s);
	*on = src == SQLITE_ROW ? sqlite3_column_int(s, 0) : 1;
	store_stmt_done(s);
	return src == SQLITE_ROW ? OZ_OK : store_error(c, src, st);
}

static oz_code
fk_set(store_conn *c, int on, oz_status *st)
{
	return store_exec(c,
		on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF",
		st);
}

/* Inside the open transaction: moves the database one revision towards
 * target, or sets *done when it is there. */
static oz_code
step_in_tx(store_conn *c, const struct migset *ms, size_t target, bool *done,
	oz_status *st)
{
	size_t cur;
	oz_code rc;
	if ((rc = migrate_load_state(c, ms, &cur, st)) != OZ_OK) {
		return rc;
	}
	if (cur == target) {
		*done = true;
		return OZ_OK;
	}
	bool up = cur < target;
	const struct mig *m = &ms->m[up ? cur : cur - 1];
	if (up && (rc = ensure_table(c, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = run_script(c, m, up, st)) != OZ_OK ||
		(rc = record(c, m->rev, up, st)) != OZ_OK) {
		return rc;
	}
	/* A migration must leave no foreign key violation behind. */
	return fk_check(c, m, up, st);
}

/* One transaction: foreign keys off, BEGIN IMMEDIATE, one migration,
 * foreign_key_check, COMMIT (or ROLLBACK), foreign keys restored. */
static oz_code
step(store_conn *c, const struct migset *ms, size_t target, bool *done,
	oz_status *st)
{
	int fk;
	oz_code rc;
	oz_status ignored;
	if ((rc = fk_get(c, &fk, st)) != OZ_OK ||
		(rc = fk_set(c, 0, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = store_tx_begin(c, STORE_TX_WRITE, st)) == OZ_OK) {
		rc = step_in_tx(c, ms, target, done, st);
		rc = store_tx_end(c, rc, st);
	}
	if (fk_set(c, fk, rc == OZ_OK ? st : &ignored) != OZ_OK &&
		rc == OZ_OK) {
		rc = st->code;
	}
	return rc;
}

/* Steps until the database is at target. Each pass applies or undoes one
 * migration, so n + 1 passes suffice unless another process migrates the
 * other way at the same time. */
oz_code
migrate_to(
	store_conn *c, const struct migset *ms, size_t target, oz_status *st)
{
	for (size_t pass = 0; pass <= 2 * ms->n + 1; pass++) {
		bool done = false;
		oz_code rc = step(c, ms, target, &done, st);
		if (rc != OZ_OK || done) {
			return rc;
		}
	}
	return oz_fail(st, OZ_ABORTED,
		"database revision keeps changing: another process is "
		"migrating it");
}

/* --- Public functions --------------------------------------------------- */

static oz_code
move_set(store_conn *c, const struct embed_file *set, size_t n,
	const char *target, enum migrate_dir dir, oz_status *st)
{
	struct migset ms;
	size_t cur = 0, want = 0;
	oz_code rc;
	if ((rc = migrate_not_in_tx(c, st)) != OZ_OK ||
		(rc = migrate_set_parse(set, n, &ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = migrate_load_state(c, &ms, &cur, st)) == OZ_OK &&
		(rc = migrate_resolve(&ms, target, cur, dir, &want, st)) ==
			OZ_OK) {
		rc = migrate_to(c, &ms, want, st);
	}
	migrate_set_free(&ms);
	return rc;
}

oz_code
store_migrate_upgrade_set(store_conn *c, const struct embed_file *set,
	size_t n, const char *target, oz_status *st)
{
	return move_set(c, set, n, target, MIGRATE_UP, st);
}

oz_code
sqlite_migrate_upgrade(store_conn *c, const char *target, oz_status *st)
{
	return store_migrate_upgrade_set(
		c, embed_migrations, embed_n_migrations, target, st);
}

oz_code
store_migrate_downgrade_set(store_conn *c, const struct embed_file *set,
	size_t n, const char *target, oz_status *st)
{
	return move_set(c, set, n, target, MIGRATE_DOWN, st);
}

oz_code
sqlite_migrate_downgrade(store_conn *c, const char *target, oz_status *st)
{
	return store_migrate_downgrade_set(
		c, embed_migrations, embed_n_migrations, target, st);
}

oz_code
store_migrate_pending_set(store_conn *c, const struct embed_file *set,
	size_t n, int *n_pending, oz_status *st)
{
	struct migset ms;
	size_t cur;
	oz_code rc;
	if ((rc = migrate_not_in_tx(c, st)) != OZ_OK ||
		(rc = migrate_set_parse(set, n, &ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = migrate_load_state(c, &ms, &cur, st)) == OZ_OK) {
		*n_pending = (int) (ms.n - cur);
	}
	migrate_set_free(&ms);
	return rc;
}

oz_code
sqlite_migrate_pending(store_conn *c, int *n_pending, oz_status *st)
{
	return store_migrate_pending_set(
		c, embed_migrations, embed_n_migrations, n_pending, st);
}

oz_code
sqlite_migrate_current(store_conn *c, char *rev, size_t n, oz_status *st)
{
	char max[64];
	oz_code rc;
	if ((rc = migrate_not_in_tx(c, st)) != OZ_OK ||
		(rc = recorded_max(c, max, sizeof(max), st)) != OZ_OK) {
		return rc;
	}
	snprintf(rev, n, "%s", max[0] != '\0' ? max : "base");
	return OZ_OK;
}

/* --- History and stamp -------------------------------------------------- */

/* OUT: *out, the rows of oz_migrations in revision order, from a. */
static oz_code
recorded_list(store_conn *c, arena *a, struct recorded **out, size_t *n_out,
	oz_status *st)
{
	bool exists;
	sqlite3_stmt *s;
	oz_code rc;
	*out = NULL;
	*n_out = 0;
	if ((rc = table_exists(c, &exists, st)) != OZ_OK || !exists) {
		return rc;
	}
	if ((rc = store_stmt(c,
		     "SELECT revision, applied_at, "
		     "(SELECT count(*) FROM oz_migrations) "
		     "FROM oz_migrations ORDER BY revision",
		     &s, st)) != OZ_OK) {
		return rc;
	}
	int src;
	size_t i = 0;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (*out == NULL) {
			size_t cap = (size_t) sqlite3_column_int64(s, 2);
			*out = arena_alloc(a, cap * sizeof(**out));
		}
		if (*out == NULL ||
			((*out)[i].rev = store_column_text(s, 0, a)) == NULL) {
			store_stmt_done(s);
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
		(*out)[i++].applied_at = sqlite3_column_int64(s, 1);
	}
	store_stmt_done(s);
	if (src != SQLITE_DONE) {
		return store_error(c, src, st);
	}
	*n_out = i;
	return OZ_OK;
}

oz_code
store_migrate_history_set(store_conn *c, const struct embed_file *set,
	size_t n, arena *a, store_migrate_rev **out, size_t *n_out,
	oz_status *st)
{
	struct migset ms;
	struct recorded *r;
	size_t nr;
	oz_code rc;
	if ((rc = migrate_not_in_tx(c, st)) != OZ_OK ||
		(rc = migrate_set_parse(set, n, &ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = recorded_list(c, a, &r, &nr, st)) != OZ_OK) {
		goto out;
	}
	*out = arena_calloc(a, (ms.n + nr + 1) * sizeof(**out));
	if (*out == NULL) {
		rc = oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	rc = migrate_history_fill(&ms, r, nr, a, *out, n_out, st);
out:
	migrate_set_free(&ms);
	return rc;
}

oz_code
sqlite_migrate_history(store_conn *c, arena *a, store_migrate_rev **out,
	size_t *n_out, oz_status *st)
{
	return store_migrate_history_set(
		c, embed_migrations, embed_n_migrations, a, out, n_out, st);
}

/* Inside a transaction: makes the recorded revisions exactly the first k
 * of ms, keeping the times of those already recorded. */
static oz_code
stamp_in_tx(store_conn *c, const struct migset *ms, size_t k, oz_status *st)
{
	arena a;
	struct recorded *r;
	size_t nr;
	oz_code rc;
	arena_init(&a, 0, 0);
	if ((rc = ensure_table(c, st)) != OZ_OK ||
		(rc = recorded_list(c, &a, &r, &nr, st)) != OZ_OK) {
		goto out;
	}
	for (size_t j = 0; j < nr && rc == OZ_OK; j++) {
		const struct mig *m = migrate_set_find(ms, r[j].rev);
		if (m == NULL || (size_t) (m - ms->m) >= k) {
			rc = record(c, r[j].rev, false, st);
		}
	}
	for (size_t i = 0; i < k && rc == OZ_OK; i++) {
		bool have = false;
		for (size_t j = 0; j < nr; j++) {
			have = have || strcmp(r[j].rev, ms->m[i].rev) == 0;
		}
		rc = have ? OZ_OK : record(c, ms->m[i].rev, true, st);
	}
out:
	arena_fini(&a);
	return rc;
}

oz_code
store_migrate_stamp_set(store_conn *c, const struct embed_file *set, size_t n,
	const char *target, oz_status *st)
{
	struct migset ms;
	size_t k = 0;
	oz_code rc;
	if ((rc = migrate_not_in_tx(c, st)) != OZ_OK ||
		(rc = migrate_set_parse(set, n, &ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = migrate_resolve(&ms, target, 0, MIGRATE_STAMP, &k, st)) ==
			OZ_OK &&
		(rc = store_tx_begin(c, STORE_TX_WRITE, st)) == OZ_OK) {
		rc = stamp_in_tx(c, &ms, k, st);
		rc = store_tx_end(c, rc, st);
	}
	migrate_set_free(&ms);
	return rc;
}

oz_code
sqlite_migrate_stamp(store_conn *c, const char *target, oz_status *st)
{
	return store_migrate_stamp_set(
		c, embed_migrations, embed_n_migrations, target, st);
}
