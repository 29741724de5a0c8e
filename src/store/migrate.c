/* store/migrate.c -- parses migration files, runs them one transaction
 * each, and records the applied revisions in oz_migrations. It runs only
 * the SQL of the migration files and its own bookkeeping; it must not know
 * any table of the application. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db.h"
#include "store/migrate.h"

#define UP_MARKER   "-- +oz Up"
#define DOWN_MARKER "-- +oz Down"

/* One parsed migration file; the pointers point into its text. */
struct mig {
	char rev[STORE_REV_MAX];
	const char *file;
	const char *message;
	size_t message_len;
	const char *up;
	size_t up_len;
	const char *down;
	size_t down_len;
};

struct migset {
	struct mig *m;
	size_t n;
};

/* --- Parsing ------------------------------------------------------------ */

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Accepts "NNNN_slug.sql" with a non-empty slug. */
static bool
valid_name(const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; i < 4; i++) {
		if (!is_digit(name[i])) {
			return false;
		}
	}
	return len > 9 && name[4] == '_' &&
	       strcmp(name + len - 4, ".sql") == 0;
}

/* Length of the line at p (up to end), without the newline and trailing
 * blanks. */
static size_t
line_len(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t) (end - p));
	const char *e = nl != NULL ? nl : end;
	*next = nl != NULL ? nl + 1 : end;
	while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	return (size_t) (e - p);
}

static bool
line_is(const char *p, size_t len, const char *marker)
{
	return len == strlen(marker) && memcmp(p, marker, len) == 0;
}

static oz_code
parse_file(const struct embed_file *f, struct mig *m, oz_status *st)
{
	const char *p = f->text, *end = f->text + f->len;
	const char *up_line = NULL, *down_line = NULL;
	memset(m, 0, sizeof(*m));
	m->file = f->name;
	if (!valid_name(f->name)) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"migration file \"%s\": name is not NNNN_slug.sql",
			f->name);
	}
	memcpy(m->rev, f->name, 4);
	m->message = "";
	while (p < end) {
		const char *next;
		size_t len = line_len(p, end, &next);
		if (line_is(p, len, UP_MARKER) ||
			line_is(p, len, DOWN_MARKER)) {
			bool up = line_is(p, len, UP_MARKER);
			const char **slot = up ? &up_line : &down_line;
			if (*slot != NULL || (up && down_line != NULL)) {
				return oz_fail(st, OZ_FAILED_PRECONDITION,
					"migration %s: \"%s\" is repeated or "
					"out of order",
					f->name, up ? UP_MARKER : DOWN_MARKER);
			}
			*slot = p;
			if (up) {
				m->up = next;
			} else {
				m->down = next;
			}
		} else if (up_line == NULL && m->message_len == 0 &&
			   len >= 2 && p[0] == '-' && p[1] == '-') {
			size_t skip = 2;
			while (skip < len && p[skip] == ' ') {
				skip++;
			}
			m->message = p + skip;
			m->message_len = len - skip;
		}
		p = next;
	}
	if (up_line == NULL || down_line == NULL) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"migration %s: no \"%s\" line", f->name,
			up_line == NULL ? UP_MARKER : DOWN_MARKER);
	}
	m->up_len = (size_t) (down_line - m->up);
	m->down_len = (size_t) (end - m->down);
	return OZ_OK;
}

static void
migset_free(struct migset *ms)
{
	free(ms->m);
	ms->m = NULL;
	ms->n = 0;
}

static oz_code
migset_parse(const struct embed_file *set, size_t n, struct migset *ms,
	oz_status *st)
{
	oz_code rc;
	ms->n = 0;
	ms->m = calloc(n != 0 ? n : 1, sizeof(*ms->m));
	if (ms->m == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = parse_file(&set[i], &ms->m[i], st)) != OZ_OK) {
			migset_free(ms);
			return rc;
		}
		if (i > 0 && strcmp(ms->m[i - 1].rev, ms->m[i].rev) >= 0) {
			rc = oz_fail(st, OZ_FAILED_PRECONDITION,
				"migrations %s and %s: revisions repeated or "
				"out of order",
				ms->m[i - 1].file, ms->m[i].file);
			migset_free(ms);
			return rc;
		}
		ms->n++;
	}
	return OZ_OK;
}

/* The revision after k applied migrations: "base" or its id. */
static const char *
rev_at(const struct migset *ms, size_t k)
{
	return k == 0 ? "base" : ms->m[k - 1].rev;
}

/* --- The version table ---------------------------------------------------
 */

static oz_code
not_in_tx(store_conn *c, oz_status *st)
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
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c,
		"SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
		"name = 'oz_migrations'",
		&s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_step(s);
	*exists = src == SQLITE_ROW;
	store_stmt_done(s);
	if (src != SQLITE_ROW && src != SQLITE_DONE) {
		return store_error(c, src, st);
	}
	return OZ_OK;
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

static const struct mig *
find_rev(const struct migset *ms, const char *rev)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (strcmp(ms->m[i].rev, rev) == 0) {
			return &ms->m[i];
		}
	}
	return NULL;
}

/* Checks one recorded revision, the i-th in order, against the set. */
static oz_code
check_row(const struct migset *ms, size_t i, const char *rev, oz_status *st)
{
	if (i < ms->n && strcmp(ms->m[i].rev, rev) == 0) {
		return OZ_OK;
	}
	if (find_rev(ms, rev) == NULL) {
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
static oz_code
load_state(store_conn *c, const struct migset *ms, size_t *cur, oz_status *st)
{
	char max[64];
	sqlite3_stmt *s;
	oz_code rc;
	*cur = 0;
	if ((rc = recorded_max(c, max, sizeof(max), st)) != OZ_OK ||
		max[0] == '\0') {
		return rc;
	}
	const char *head = rev_at(ms, ms->n);
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

static oz_code
record(store_conn *c, const char *rev, bool applied, oz_status *st)
{
	sqlite3_stmt *s;
	oz_code rc = store_stmt(c,
		applied ? "INSERT INTO oz_migrations (revision, applied_at) "
			  "VALUES (?1, ?2)"
			: "DELETE FROM oz_migrations WHERE revision = ?1",
		&s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	sqlite3_bind_text(s, 1, rev, -1, SQLITE_TRANSIENT);
	if (applied) {
		sqlite3_bind_int64(s, 2, store_now_us());
	}
	int src = sqlite3_step(s);
	store_stmt_done(s);
	return src == SQLITE_DONE ? OZ_OK : store_error(c, src, st);
}

/* --- Running one migration ---------------------------------------------- */

/* Runs every statement of the script sql[0..len). On failure sets st to
 * "migration FILE (DIR) failed: SQLite's message". */
static oz_code
run_script(store_conn *c, const struct mig *m, bool up, oz_status *st)
{
	const char *p = up ? m->up : m->down;
	const char *end = p + (up ? m->up_len : m->down_len);
	const char *dir = up ? "up" : "down";
	while (p < end) {
		sqlite3_stmt *s = NULL;
		const char *tail = end;
		int src = sqlite3_prepare_v2(
			c->db, p, (int) (end - p), &s, &tail);
		if (src == SQLITE_OK && s != NULL) {
			while ((src = sqlite3_step(s)) == SQLITE_ROW) { }
			src = src == SQLITE_DONE ? SQLITE_OK : src;
		}
		if (src != SQLITE_OK) {
			char msg[160];
			snprintf(
				msg, sizeof(msg), "%s", sqlite3_errmsg(c->db));
			int xrc = sqlite3_extended_errcode(c->db);
			sqlite3_finalize(s);
			oz_code rc = store_error(c, xrc, st);
			return oz_fail(st, rc, "migration %s (%s) failed: %s",
				m->file, dir, msg);
		}
		sqlite3_finalize(s);
		if (sqlite3_get_autocommit(c->db)) {
			return oz_fail(st, OZ_FAILED_PRECONDITION,
				"migration %s (%s) ended the transaction: "
				"migrations must not BEGIN, COMMIT or "
				"ROLLBACK",
				m->file, dir);
		}
		if (tail <= p) {
			break;
		}
		p = tail;
	}
	return OZ_OK;
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
	if ((rc = load_state(c, ms, &cur, st)) != OZ_OK) {
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
static oz_code
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

/* --- Targets ------------------------------------------------------------ */

enum direction { DIR_UP, DIR_DOWN, DIR_STAMP };

/* Parses the digits of "+N"/"-N" (N >= 1, at most 9999). */
static bool
parse_count(const char *s, size_t *out)
{
	size_t v = 0;
	if (*s == '\0' || strlen(s) > 4) {
		return false;
	}
	for (; *s != '\0'; s++) {
		if (!is_digit(*s)) {
			return false;
		}
		v = v * 10 + (size_t) (*s - '0');
	}
	*out = v;
	return v >= 1;
}

static oz_code
resolve_relative(const struct migset *ms, const char *target, size_t cur,
	enum direction dir, size_t *out, oz_status *st)
{
	size_t k;
	bool up = dir == DIR_UP;
	if (!parse_count(target + 1, &k)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"bad target \"%s\": expected %cN with N >= 1", target,
			target[0]);
	}
	if (up ? k > ms->n - cur : k > cur) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot %s %zu revision(s) from %s: only %zu %s",
			up ? "upgrade" : "downgrade", k, rev_at(ms, cur),
			up ? ms->n - cur : cur, up ? "more known" : "applied");
	}
	*out = up ? cur + k : cur - k;
	return OZ_OK;
}

static oz_code
resolve_rev(const struct migset *ms, const char *target, size_t cur,
	enum direction dir, size_t *out, oz_status *st)
{
	const struct mig *m = find_rev(ms, target);
	if (m == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"unknown revision \"%s\": this build knows %s..%s",
			target, ms->n > 0 ? ms->m[0].rev : "base",
			rev_at(ms, ms->n));
	}
	size_t k = (size_t) (m - ms->m) + 1;
	if ((dir == DIR_UP && k < cur) || (dir == DIR_DOWN && k > cur)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"revision %s is %s the current revision %s: use %s",
			target, dir == DIR_UP ? "below" : "above",
			rev_at(ms, cur),
			dir == DIR_UP ? "downgrade" : "upgrade");
	}
	*out = k;
	return OZ_OK;
}

/* OUT: *out, the number of migrations applied at target. */
static oz_code
resolve(const struct migset *ms, const char *target, size_t cur,
	enum direction dir, size_t *out, oz_status *st)
{
	if (target == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT, "no target revision");
	}
	if (strcmp(target, "head") == 0 && dir != DIR_DOWN) {
		*out = ms->n;
		return OZ_OK;
	}
	if (strcmp(target, "base") == 0 && dir != DIR_UP) {
		*out = 0;
		return OZ_OK;
	}
	if ((target[0] == '+' && dir == DIR_UP) ||
		(target[0] == '-' && dir == DIR_DOWN)) {
		return resolve_relative(ms, target, cur, dir, out, st);
	}
	if (strcmp(target, "head") == 0 || strcmp(target, "base") == 0 ||
		target[0] == '+' || target[0] == '-') {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"bad target \"%s\": %s", target,
			dir == DIR_UP ? "upgrade takes head, +N or a revision"
				      : "downgrade takes -N, base or a "
					"revision");
	}
	return resolve_rev(ms, target, cur, dir, out, st);
}

/* --- Public functions --------------------------------------------------- */

static oz_code
move_set(store_conn *c, const struct embed_file *set, size_t n,
	const char *target, enum direction dir, oz_status *st)
{
	struct migset ms;
	size_t cur = 0, want = 0;
	oz_code rc;
	if ((rc = not_in_tx(c, st)) != OZ_OK ||
		(rc = migset_parse(set, n, &ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = load_state(c, &ms, &cur, st)) == OZ_OK &&
		(rc = resolve(&ms, target, cur, dir, &want, st)) == OZ_OK) {
		rc = migrate_to(c, &ms, want, st);
	}
	migset_free(&ms);
	return rc;
}

oz_code
store_migrate_upgrade_set(store_conn *c, const struct embed_file *set,
	size_t n, const char *target, oz_status *st)
{
	return move_set(c, set, n, target, DIR_UP, st);
}

oz_code
store_migrate_upgrade(store_conn *c, const char *target, oz_status *st)
{
	return store_migrate_upgrade_set(
		c, embed_migrations, embed_n_migrations, target, st);
}

oz_code
store_migrate_downgrade_set(store_conn *c, const struct embed_file *set,
	size_t n, const char *target, oz_status *st)
{
	return move_set(c, set, n, target, DIR_DOWN, st);
}

oz_code
store_migrate_downgrade(store_conn *c, const char *target, oz_status *st)
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
	if ((rc = not_in_tx(c, st)) != OZ_OK ||
		(rc = migset_parse(set, n, &ms, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = load_state(c, &ms, &cur, st)) == OZ_OK) {
		*n_pending = (int) (ms.n - cur);
	}
	migset_free(&ms);
	return rc;
}

oz_code
store_migrate_pending(store_conn *c, int *n_pending, oz_status *st)
{
	return store_migrate_pending_set(
		c, embed_migrations, embed_n_migrations, n_pending, st);
}

oz_code
store_migrate_current(store_conn *c, char *rev, size_t n, oz_status *st)
{
	char max[64];
	oz_code rc;
	if ((rc = not_in_tx(c, st)) != OZ_OK ||
		(rc = recorded_max(c, max, sizeof(max), st)) != OZ_OK) {
		return rc;
	}
	snprintf(rev, n, "%s", max[0] != '\0' ? max : "base");
	return OZ_OK;
}
