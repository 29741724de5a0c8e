/* store/sqlite/health.c -- the database health probe behind Health/Check (see
 * store/health.h). Each check opens a read-only connection of its own for
 * its reads and closes it (a few a second at most): kept open, it would
 * be one more connection for SQLite to account for when the WAL starts
 * over, and read-only it never creates a file that was deleted. It never
 * writes. SQLite results are mapped by store_error (db.c). */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "store/sqlite/db.h"
#include "store/health.h"
#include "store/migrate.h"

struct store_health {
	pthread_mutex_t mu; /* Guards everything below. */
	store_config cfg;
	/* :memory: or PostgreSQL: only the writer's state counts (on
	 * PostgreSQL the writer probes the connection and the schema while
	 * idle, so a check never waits on the network). */
	bool memory;
	struct stat id;     /* The file at start (st_dev, st_ino). */
	oz_status write_st; /* The writer's last batch (OK or failure). */
	oz_status last;     /* The last check's answer. */
	int64_t checked_us; /* Monotonic time of the last check (0: none). */
	bool logged_bad;    /* The last logged state was unhealthy. */
};

oz_code
store_health_new(store_health **out, const store_config *cfg, oz_status *st)
{
	store_health *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	h->cfg = *cfg;
	h->cfg.busy_timeout_ms = 0; /* A probe never waits. */
	oz_status_clear(&h->write_st);
	oz_status_clear(&h->last);
	h->memory = store_config_is_memory(cfg) ||
		    cfg->backend != STORE_BACKEND_SQLITE;
	if (!h->memory && stat(cfg->path, &h->id) != 0) {
		free(h);
		return oz_fail(st, OZ_UNAVAILABLE, "database file %s: %s",
			cfg->path, strerror(errno));
	}
	pthread_mutex_init(&h->mu, NULL);
	*out = h;
	return OZ_OK;
}

void
store_health_free(store_health *h)
{
	if (h == NULL) {
		return;
	}
	pthread_mutex_destroy(&h->mu);
	free(h);
}

/* Logs a change of state once; h->mu held. */
static void
log_change(store_health *h, const oz_status *now)
{
	bool bad = now->code != OZ_OK;
	if (bad && !h->logged_bad) {
		log_warn("database not serving: %s", now->message);
	} else if (!bad && h->logged_bad) {
		log_info("database serving again");
	}
	h->logged_bad = bad;
}

void
store_health_note_write(store_health *h, oz_code rc, const oz_status *st)
{
	pthread_mutex_lock(&h->mu);
	bool was_bad = h->write_st.code != OZ_OK;
	if (rc == OZ_OK) {
		oz_status_clear(&h->write_st);
	} else {
		oz_fail(&h->write_st, rc, "writes fail: %s", st->message);
	}
	if (was_bad != (rc != OZ_OK)) {
		h->checked_us = 0; /* The next check looks again. */
		log_change(h, &h->write_st);
	}
	pthread_mutex_unlock(&h->mu);
}

bool
store_health_write_failed(store_health *h)
{
	pthread_mutex_lock(&h->mu);
	bool failed = h->write_st.code != OZ_OK;
	pthread_mutex_unlock(&h->mu);
	return failed;
}

bool
sqlite_file_moved(store_conn *c)
{
	int moved = 0;
	if (store_config_is_memory(&c->cfg)) {
		return false;
	}
	if (sqlite3_file_control(c->db, "main", SQLITE_FCNTL_HAS_MOVED,
		    &moved) != SQLITE_OK) {
		return false;
	}
	return moved != 0;
}

/* The file and its directory must stay writable: SQLite creates and
 * removes the -wal and -shm files there, and backups go beside it. */
static oz_code
check_writable(const char *path, oz_status *st)
{
	char dir[STORE_PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	if (access(path, R_OK | W_OK) != 0) {
		return oz_fail(st, OZ_UNAVAILABLE,
			"database file %s is not writable: %s", path,
			strerror(errno));
	}
	const char *d = dirname(dir);
	if (access(d, W_OK | X_OK) != 0) {
		return oz_fail(st, OZ_UNAVAILABLE,
			"database directory %s is not writable: %s", d,
			strerror(errno));
	}
	return OZ_OK;
}

/* The path no longer names the file ozd opened (deleted, replaced). */
static bool
path_moved(const store_health *h)
{
	struct stat now;
	return stat(h->cfg.path, &now) != 0 || now.st_dev != h->id.st_dev ||
	       now.st_ino != h->id.st_ino;
}

/* OUT: *out, a read-only connection for one check (store_close). */
static oz_code
open_reader(const store_health *h, store_conn **out, oz_status *st)
{
	store_conn *c = sqlite_conn_alloc();
	if (c == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->cfg = h->cfg;
	int rc = sqlite3_open_v2(h->cfg.path, &c->db,
		SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		store_close(c);
		return oz_fail(st, OZ_UNAVAILABLE, "cannot open %s: %s",
			h->cfg.path, sqlite3_errstr(rc));
	}
	sqlite3_extended_result_codes(c->db, 1);
	*out = c;
	return OZ_OK;
}

/* The schema is readable and at this build's head. */
static oz_code
check_schema(store_conn *c, oz_status *st)
{
	static const char sql[] = "SELECT 1 FROM users WHERE 0 "
				  "UNION ALL SELECT 1 FROM tasks WHERE 0";
	int pending = 0;
	oz_code rc = store_migrate_pending(c, &pending, st);
	if (rc == OZ_OK && pending > 0) {
		return oz_fail(st, OZ_UNAVAILABLE,
			"database schema is %d revision(s) behind this build",
			pending);
	}
	if (rc == OZ_OK) {
		rc = store_exec(c, sql, st);
	}
	if (rc == OZ_UNAVAILABLE) {
		/* Busy (a checkpoint restarting the WAL, recovery): someone is
		 * using the database, which says nothing against it. */
		oz_status_clear(st);
		return OZ_OK;
	}
	if (rc != OZ_OK) {
		char why[OZ_STATUS_MESSAGE_MAX];
		snprintf(why, sizeof(why), "%s", st->message);
		return oz_fail(st, OZ_UNAVAILABLE,
			"database schema unreadable: %s", why);
	}
	return OZ_OK;
}

/* Runs every check; h->mu held. */
static oz_code
probe(store_health *h, oz_status *st)
{
	if (h->write_st.code != OZ_OK) {
		*st = h->write_st;
		st->code = OZ_UNAVAILABLE;
		return OZ_UNAVAILABLE;
	}
	if (h->memory) {
		return OZ_OK;
	}
	if (path_moved(h)) {
		return oz_fail(st, OZ_UNAVAILABLE,
			"database file %s was deleted or replaced since ozd "
			"opened it; restart ozd",
			h->cfg.path);
	}
	store_conn *c = NULL;
	oz_code rc = check_writable(h->cfg.path, st);
	if (rc == OZ_OK && (rc = open_reader(h, &c, st)) == OZ_OK) {
		rc = check_schema(c, st);
		store_close(c);
	}
	return rc;
}

oz_code
store_health_check(store_health *h, oz_status *st)
{
	pthread_mutex_lock(&h->mu);
	int64_t now = oz_now_us();
	if (h->checked_us == 0 ||
		now - h->checked_us >= STORE_HEALTH_TTL_MS * 1000) {
		oz_status_clear(&h->last);
		probe(h, &h->last);
		h->checked_us = now;
		log_change(h, &h->last);
	}
	*st = h->last;
	pthread_mutex_unlock(&h->mu);
	return st->code;
}

oz_code
sqlite_write_probe(store_conn *c, oz_status *st)
{
	sqlite3_stmt *stmt = NULL;
	char sql[64];
	oz_code rc = store_stmt(c, "PRAGMA user_version", &stmt, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src = sqlite3_step(stmt);
	int version = src == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
	store_stmt_done(stmt);
	if (src != SQLITE_ROW) {
		return store_error(c, sqlite3_extended_errcode(c->db), st);
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", version);
	if ((rc = store_tx_begin(c, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = store_exec(c, sql, st);
	return store_tx_end(c, rc, st);
}
