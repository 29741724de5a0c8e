/* store/sqlite/db.c -- SQLite connections: open with the right pragmas, cache
 * prepared statements, nest transactions, and map SQLite results to oz
 * codes. SQLite errors become oz codes here and nowhere else. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "store/sqlite/db.h"

static const char *const sync_names[] = {"OFF", "NORMAL", "FULL", "EXTRA"};

void
store_config_init(store_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "./app.db");
	cfg->busy_timeout_ms = 30000;
	cfg->synchronous = STORE_SYNC_FULL;
}

int
store_sync_parse(const char *s, store_sync *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, sync_names[i]) == 0) {
			*out = (store_sync) i;
			return 0;
		}
	}
	return -1;
}

const char *
store_sync_name(store_sync s)
{
	return (unsigned) s < 4 ? sync_names[s] : "?";
}

/* The name of a shared in-memory database: a memdb VFS file (SQLite's
 * sqlite3_deserialize machinery), one per process and per call of
 * store_config_share_memory. Every connection opened on it sees the same
 * database while at least one of them is open. */
static const char memdb_prefix[] = "file:/oz-memory-";
static const char memdb_suffix[] = "?vfs=memdb";

static bool
is_shared_memory(const char *path)
{
	size_t n = strlen(path), sl = sizeof(memdb_suffix) - 1;
	return strncmp(path, memdb_prefix, sizeof(memdb_prefix) - 1) == 0 &&
	       n > sl && strcmp(path + n - sl, memdb_suffix) == 0;
}

bool
store_config_is_memory(const store_config *cfg)
{
	return strcmp(cfg->path, ":memory:") == 0 ||
	       is_shared_memory(cfg->path);
}

void
store_config_share_memory(store_config *cfg)
{
	static atomic_int seq;
	if (strcmp(cfg->path, ":memory:") == 0) {
		snprintf(cfg->path, sizeof(cfg->path), "%s%ld-%d%s",
			memdb_prefix, (long) getpid(),
			atomic_fetch_add(&seq, 1) + 1, memdb_suffix);
	}
}

void
sqlite_cache_counts(store_conn *c, int64_t *hits, int64_t *misses)
{
	int cur = 0, high = 0;
	sqlite3_db_status(c->db, SQLITE_DBSTATUS_CACHE_HIT, &cur, &high, 1);
	*hits = cur;
	cur = 0;
	sqlite3_db_status(c->db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &high, 1);
	*misses = cur;
}

static int64_t
file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t) sb.st_size : 0;
}

void
store_file_sizes(const store_config *cfg, int64_t *db, int64_t *wal)
{
	char path[STORE_PATH_MAX + 8];
	*db = 0;
	*wal = 0;
	if (cfg->backend != STORE_BACKEND_SQLITE ||
		store_config_is_memory(cfg)) {
		return;
	}
	*db = file_size(cfg->path);
	snprintf(path, sizeof(path), "%s-wal", cfg->path);
	*wal = file_size(path);
}

int64_t
store_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

oz_code
store_error(store_conn *c, int rc, oz_status *st)
{
	const char *msg =
		c != NULL ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return oz_fail(st, OZ_ALREADY_EXISTS, "already exists");
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"a referenced row does not exist or is still "
			"referenced");
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return oz_fail(st, OZ_INVALID_ARGUMENT, "value out of range");
	case SQLITE_BUSY:
	case SQLITE_BUSY_SNAPSHOT:
	case SQLITE_BUSY_RECOVERY:
	case SQLITE_LOCKED:
	case SQLITE_LOCKED_SHAREDCACHE:
		return oz_fail(st, OZ_UNAVAILABLE, "database is busy, retry");
	case SQLITE_NOMEM:
	case SQLITE_FULL:
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "%s",
			rc == SQLITE_FULL ? "database or disk is full"
					  : "out of memory");
	case SQLITE_READONLY:
	case SQLITE_READONLY_DBMOVED:
		return oz_fail(
			st, OZ_FAILED_PRECONDITION, "database is read-only");
	default:
		break;
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		return oz_fail(
			st, OZ_FAILED_PRECONDITION, "constraint failed");
	}
	log_error("sqlite error %d (%s): %s", rc, sqlite3_errstr(rc), msg);
	return oz_fail(st, OZ_INTERNAL, "internal error");
}

oz_code
store_exec(store_conn *c, const char *sql, oz_status *st)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		return store_error(c, sqlite3_extended_errcode(c->db), st);
	}
	return OZ_OK;
}

/* The test-only commit hook (store.h); one load per COMMIT when unset. */
static _Atomic(store_commit_hook_fn) commit_fn;
static void *_Atomic commit_arg;

void
store_set_commit_hook(store_commit_hook_fn fn, void *arg)
{
	atomic_store(&commit_arg, arg);
	atomic_store(&commit_fn, fn);
}

static _Atomic(store_tx_hook_fn) tx_fn;
static void *_Atomic tx_arg;

void
store_set_tx_hook(store_tx_hook_fn fn, void *arg)
{
	atomic_store(&tx_arg, arg);
	atomic_store(&tx_fn, fn);
}

static int
commit_hook(void *unused)
{
	(void) unused;
	store_commit_hook_fn fn = atomic_load(&commit_fn);
	return fn != NULL ? fn(atomic_load(&commit_arg)) : 0;
}

static oz_code
set_pragmas(store_conn *c, oz_status *st)
{
	char sql[256];
	oz_code rc;
	sqlite3_busy_timeout(c->db, c->cfg.busy_timeout_ms);
	if (!store_config_is_memory(&c->cfg)) {
		/* journal_mode answers with a row; sqlite3_exec ignores it. */
		if ((rc = store_exec(c, "PRAGMA journal_mode=WAL", st)) !=
			OZ_OK) {
			return rc;
		}
		/* No mmap: every connection maps the file on its own and the
		 * mapped pages count in the server's RSS once per connection
		 * (850 MiB at 10^6 users). A 4 MiB page cache per connection
		 * (ozd has one per serving thread) keeps RSS bounded for a
		 * few percent of ListTasks throughput (bench/RESULTS.md). */
		if ((rc = store_exec(c, "PRAGMA cache_size=-4096", st)) !=
			OZ_OK) {
			return rc;
		}
	}
	snprintf(sql, sizeof(sql),
		"PRAGMA foreign_keys=ON; PRAGMA synchronous=%s;",
		store_sync_name(c->cfg.synchronous));
	return store_exec(c, sql, st);
}

/* Process-wide SQLite settings, made once before the first connection.
 * Memory statistics off: with them SQLite takes one global mutex around
 * every allocation, which ozd's serving threads contend for. */
static void
configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

store_conn *
sqlite_conn_alloc(void)
{
	store_conn *c = calloc(1, sizeof(*c));
	if (c != NULL) {
		c->ops = &store_sqlite_ops;
	}
	return c;
}

oz_code
sqlite_open(store_conn **out, const store_config *cfg, oz_status *st)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, configure_sqlite);
	oz_code rc;
	store_conn *c = sqlite_conn_alloc();
	if (c == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->cfg = *cfg;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX |
		    (is_shared_memory(cfg->path) ? SQLITE_OPEN_URI : 0);
	int src = sqlite3_open_v2(cfg->path, &c->db, flags, NULL);
	if (src != SQLITE_OK) {
		rc = oz_fail(st, OZ_UNAVAILABLE, "cannot open database %s: %s",
			cfg->path,
			c->db != NULL ? sqlite3_errmsg(c->db)
				      : sqlite3_errstr(src));
		goto fail;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_commit_hook(c->db, commit_hook, NULL);
	if ((rc = set_pragmas(c, st)) != OZ_OK) {
		goto fail;
	}
	*out = c;
	return OZ_OK;
fail:
	store_close(c);
	return rc;
}

void
sqlite_close(store_conn *c)
{
	if (c == NULL) {
		return;
	}
	for (int i = 0; i < c->n_stmts; i++) {
		sqlite3_finalize(c->stmts[i].stmt);
		free((void *) c->stmts[i].sql);
	}
	sqlite3_close_v2(c->db);
	free(c);
}

oz_code
store_stmt(store_conn *c, const char *sql, sqlite3_stmt **out, oz_status *st)
{
	/* The transaction is gone (SQLite rolled it back after an I/O error
	 * or a full disk, or store_tx_end did after a failed ROLLBACK TO or
	 * RELEASE): nothing may run in its place in autocommit mode, where
	 * it would commit at once. */
	if (c->tx_depth > 0 && sqlite3_get_autocommit(c->db)) {
		return oz_fail(st, OZ_UNAVAILABLE,
			"the transaction was rolled back; retry");
	}
	for (int i = 0; i < c->n_stmts; i++) {
		if (strcmp(c->stmts[i].sql, sql) == 0) {
			*out = c->stmts[i].stmt;
			return OZ_OK;
		}
	}
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v3(
		c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK) {
		return store_error(c, sqlite3_extended_errcode(c->db), st);
	}
	if (c->n_stmts == STORE_STMT_CACHE) {
		/* Full: evict the oldest entry. */
		sqlite3_finalize(c->stmts[0].stmt);
		free((void *) c->stmts[0].sql);
		memmove(&c->stmts[0], &c->stmts[1],
			sizeof(c->stmts[0]) * (STORE_STMT_CACHE - 1));
		c->n_stmts--;
	}
	char *key = strdup(sql);
	if (key == NULL) {
		sqlite3_finalize(stmt);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->stmts[c->n_stmts].sql = key;
	c->stmts[c->n_stmts].stmt = stmt;
	c->n_stmts++;
	*out = stmt;
	return OZ_OK;
}

void
store_stmt_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

const char *
store_column_text(sqlite3_stmt *stmt, int i, arena *a)
{
	const unsigned char *t = sqlite3_column_text(stmt, i);
	int n = sqlite3_column_bytes(stmt, i);
	if (t == NULL) {
		return arena_strndup(a, "", 0);
	}
	return arena_strndup(a, (const char *) t, (size_t) n);
}

/* Runs one transaction-control statement through the statement cache, so
 * BEGIN, COMMIT and the savepoints are parsed once per connection. */
static oz_code
tx_exec(store_conn *c, const char *sql, oz_status *st)
{
	store_tx_hook_fn fault = atomic_load(&tx_fn);
	if (fault != NULL && fault(atomic_load(&tx_arg), sql) != 0) {
		return oz_fail(st, OZ_INTERNAL, "%s failed (test fault)", sql);
	}
	sqlite3_stmt *stmt = NULL;
	oz_code rc = store_stmt(c, sql, &stmt, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_step(stmt);
	store_stmt_done(stmt);
	if (src != SQLITE_DONE) {
		return store_error(c, sqlite3_extended_errcode(c->db), st);
	}
	return OZ_OK;
}

oz_code
sqlite_tx_begin(store_conn *c, store_tx_kind kind, oz_status *st)
{
	char sql[32];
	const char *q;
	if (c->flat_depth > 0 && c->tx_depth >= c->flat_depth) {
		c->tx_depth++; /* Flattened into the enclosing savepoint. */
		return OZ_OK;
	}
	if (c->tx_depth == 0) {
		q = kind == STORE_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN";
	} else {
		snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", c->tx_depth);
		q = sql;
	}
	oz_code rc = tx_exec(c, q, st);
	if (rc == OZ_OK) {
		c->tx_depth++;
	}
	return rc;
}

/* Rolls the whole transaction back if SQLite has not already. */
static void
rollback(store_conn *c)
{
	oz_status ignored;
	if (!sqlite3_get_autocommit(c->db)) {
		tx_exec(c, "ROLLBACK", &ignored);
	}
}

oz_code
sqlite_tx_end(store_conn *c, oz_code rc, oz_status *st)
{
	char sql[32];
	if (c->tx_depth <= 0) {
		return rc != OZ_OK ? rc
				   : oz_fail(st, OZ_INTERNAL,
					     "no transaction to end");
	}
	int depth = --c->tx_depth;
	if (c->flat_depth > 0 && depth >= c->flat_depth) {
		return rc; /* The enclosing savepoint decides. */
	}
	if (depth == 0) {
		if (rc != OZ_OK) {
			rollback(c);
			return rc;
		}
		oz_code crc = tx_exec(c, "COMMIT", st);
		if (crc != OZ_OK) {
			rollback(c);
		}
		return crc;
	}
	/* When the savepoint cannot be undone (or, after its writes
	 * succeeded, released), the writes of a call that is answered with
	 * a failure would stay in the enclosing transaction and commit with
	 * it: the whole transaction is rolled back instead, so
	 * store_tx_intact turns false and the group-commit writer fails the
	 * batch. */
	oz_status why;
	oz_code xrc = OZ_OK;
	if (rc != OZ_OK) {
		snprintf(sql, sizeof(sql), "ROLLBACK TO sp%d", depth);
		xrc = tx_exec(c, sql, &why);
	}
	if (xrc == OZ_OK) {
		snprintf(sql, sizeof(sql), "RELEASE sp%d", depth);
		xrc = tx_exec(c, sql, &why);
	}
	if (xrc != OZ_OK) {
		rollback(c);
		if (rc == OZ_OK) {
			*st = why;
		}
	}
	return rc != OZ_OK ? rc : xrc;
}

void
sqlite_tx_flatten(store_conn *c, bool on)
{
	c->flat_depth = on ? c->tx_depth : 0;
}

int
sqlite_tx_depth(const store_conn *c)
{
	return c->tx_depth;
}

bool
sqlite_tx_intact(const store_conn *c)
{
	return c->tx_depth == 0 || !sqlite3_get_autocommit(c->db);
}

oz_code
sqlite_optimize(store_conn *c, oz_status *st)
{
	return store_exec(c, "PRAGMA optimize", st);
}

oz_code
sqlite_checkpoint(store_conn *c, oz_status *st)
{
	if (store_config_is_memory(&c->cfg)) {
		return OZ_OK;
	}
	return store_exec(c, "PRAGMA wal_checkpoint(TRUNCATE)", st);
}

/* Replaces SQLite's auto-checkpoint hook: records the WAL's size only. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void) db;
	(void) name;
	store_conn *c = arg;
	c->wal_pages = pages;
	return SQLITE_OK;
}

void
sqlite_manual_checkpoints(store_conn *c)
{
	sqlite3_wal_hook(c->db, wal_hook, c);
}

int
sqlite_wal_pages(const store_conn *c)
{
	return c->wal_pages;
}

oz_code
sqlite_checkpoint_passive(store_conn *c, oz_status *st)
{
	int rc = sqlite3_wal_checkpoint_v2(
		c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
		return store_error(c, sqlite3_extended_errcode(c->db), st);
	}
	return OZ_OK;
}

/* Calls on SQLite never wait on another process: nothing to bound. */
static void
sqlite_set_timeout(store_conn *c, int timeout_ms)
{
	(void) c;
	(void) timeout_ms;
}

static oz_code
sqlite_size(store_conn *c, int64_t *db, int64_t *wal, oz_status *st)
{
	(void) st;
	store_file_sizes(&c->cfg, db, wal);
	return OZ_OK;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.backend = STORE_BACKEND_SQLITE,
	.close = sqlite_close,
	.optimize = sqlite_optimize,
	.tx_begin = sqlite_tx_begin,
	.tx_end = sqlite_tx_end,
	.tx_depth = sqlite_tx_depth,
	.tx_intact = sqlite_tx_intact,
	.user_insert = sqlite_user_insert,
	.user_get = sqlite_user_get,
	.user_get_by_email = sqlite_user_get_by_email,
	.user_update = sqlite_user_update,
	.user_delete = sqlite_user_delete,
	.user_count = sqlite_user_count,
	.user_list = sqlite_user_list,
	.task_insert = sqlite_task_insert,
	.task_get = sqlite_task_get,
	.task_update = sqlite_task_update,
	.task_delete = sqlite_task_delete,
	.task_delete_by_user = sqlite_task_delete_by_user,
	.task_list_by_user = sqlite_task_list_by_user,
	.task_count = sqlite_task_count,
	.task_list = sqlite_task_list,
	.idem_get = sqlite_idem_get,
	.idem_put = sqlite_idem_put,
	.idem_purge = sqlite_idem_purge,
	.tx_flatten = sqlite_tx_flatten,
	.set_timeout = sqlite_set_timeout,
	.checkpoint = sqlite_checkpoint,
	.manual_checkpoints = sqlite_manual_checkpoints,
	.wal_pages = sqlite_wal_pages,
	.checkpoint_passive = sqlite_checkpoint_passive,
	.cache_counts = sqlite_cache_counts,
	.file_moved = sqlite_file_moved,
	.write_probe = sqlite_write_probe,
	.size = sqlite_size,
	.migrate_upgrade = sqlite_migrate_upgrade,
	.migrate_downgrade = sqlite_migrate_downgrade,
	.migrate_pending = sqlite_migrate_pending,
	.migrate_current = sqlite_migrate_current,
	.migrate_history = sqlite_migrate_history,
	.migrate_stamp = sqlite_migrate_stamp,
	.migrate_check = sqlite_migrate_check,
	.query_run = sqlite_query_run,
};
