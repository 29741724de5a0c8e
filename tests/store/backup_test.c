/* tests/store/backup_test.c -- store/backup.h and store/lock.h on
 * temporary files: a backup is the snapshot of its start even while
 * another connection commits between its steps, it refuses what it must,
 * restore verifies before it touches anything, moves the old database
 * aside and leaves no stale -wal/-shm, and the lock keeps a second owner
 * out. Each test has its own directory, removed whole at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/embed.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/backup.h"
#include "store/sqlite/db.h"
#include "store/lock.h"
#include "store/migrate.h"
#include "support/db.h"

/* One test's directory: the database "test.db" and whatever else. */
typedef struct env {
	test_tmpdb t;
	store_config cfg;
	store_conn *db; /* Open on cfg, migrated to head. */
	char bak[320];  /* dir/backup.db, not yet written. */
	oz_status st;
} env;

static int
setup(void **state)
{
	env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	test_tmpdb_init(&e->t);
	store_config_init(&e->cfg);
	snprintf(e->cfg.path, sizeof(e->cfg.path), "%s", e->t.path);
	e->db = test_db_file(&e->t);
	assert_int_equal(store_migrate_upgrade(e->db, "head", &e->st), OZ_OK);
	snprintf(e->bak, sizeof(e->bak), "%s/backup.db", e->t.dir);
	*state = e;
	return 0;
}

/* Restore and vacuum need this process to have the database closed. */
static void
close_db(env *e)
{
	store_close(e->db);
	e->db = NULL;
}

/* Removes every file of the directory, then the directory. */
static int
teardown(void **state)
{
	env *e = *state;
	char p[600];
	store_close(e->db);
	DIR *d = opendir(e->t.dir);
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
			strcmp(de->d_name, "..") != 0) {
			snprintf(p, sizeof(p), "%s/%s", e->t.dir, de->d_name);
			unlink(p);
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	rmdir(e->t.dir);
	free(e);
	return 0;
}

/* Inserts n users named PREFIX-i, each with a task, in one transaction.
 * The padded description makes the database span many pages. */
static void
add_users(store_conn *c, const char *prefix, int n)
{
	char sql[512];
	test_db_exec(c, "BEGIN");
	for (int i = 0; i < n; i++) {
		snprintf(sql, sizeof(sql),
			"INSERT INTO users (username, email, create_time) "
			"VALUES ('%s-%d', '%s-%d@x.org', 1);"
			"INSERT INTO tasks (title, description, user_id, "
			"create_time) VALUES ('t', printf('%%.1000c', 'x'), "
			"last_insert_rowid(), 1);",
			prefix, i, prefix, i);
		test_db_exec(c, sql);
	}
	test_db_exec(c, "COMMIT");
}

static store_conn *
open_path(const char *path)
{
	store_config cfg;
	store_conn *c = NULL;
	oz_status st;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", path);
	if (store_open(&c, &cfg, &st) != OZ_OK) {
		fail_msg("store_open %s: %s", path, st.message);
	}
	return c;
}

static int64_t
count_users(const char *path)
{
	store_conn *c = open_path(path);
	int64_t n = test_db_int(c, "SELECT count(*) FROM users");
	store_close(c);
	return n;
}

static bool
exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* --- Backup ------------------------------------------------------------ */

struct progress {
	int calls;
	int64_t last_done, total;
	bool monotonic;
	store_conn *writer; /* When set, commits rows on the first call. */
};

static void
progress_cb(int64_t done, int64_t total, void *arg)
{
	struct progress *p = arg;
	if (done < p->last_done || done > total) {
		p->monotonic = false;
	}
	p->last_done = done;
	p->total = total;
	if (p->calls++ == 0 && p->writer != NULL) {
		add_users(p->writer, "late", 50);
	}
}

static void
backup_copies_every_row_with_progress(void **state)
{
	env *e = *state;
	add_users(e->db, "u", 400);
	struct progress p = {.monotonic = true};
	store_backup_stats bs;
	assert_int_equal(store_backup_to(e->db, e->bak, false, progress_cb, &p,
				 &bs, &e->st),
		OZ_OK);
	assert_true(bs.pages > STORE_BACKUP_STEP_PAGES * 2);
	assert_int_equal(p.total, bs.pages);
	assert_int_equal(p.last_done, bs.pages);
	assert_true(p.monotonic);
	/* One call per step of STORE_BACKUP_STEP_PAGES pages. */
	assert_int_equal(p.calls, (bs.pages + STORE_BACKUP_STEP_PAGES - 1) /
					  STORE_BACKUP_STEP_PAGES);
	assert_int_equal(bs.size_bytes, bs.pages * bs.page_size);
	assert_int_equal(count_users(e->bak), 400);
	store_conn *b = open_path(e->bak);
	assert_int_equal(
		test_db_int(b, "SELECT count(*) FROM tasks t JOIN users u "
			       "ON u.id = t.user_id"),
		400);
	assert_int_equal(store_migrate_check(b, &e->st), OZ_OK);
	store_close(b);
}

/* The proof of "consistent snapshot": rows committed by another
 * connection after the first step are not in the copy, and the copy is
 * not restarted (done never goes back). */
static void
backup_is_the_snapshot_of_its_start(void **state)
{
	env *e = *state;
	add_users(e->db, "u", 400);
	struct progress p = {
		.monotonic = true, .writer = open_path(e->t.path)};
	assert_int_equal(store_backup_to(e->db, e->bak, false, progress_cb, &p,
				 NULL, &e->st),
		OZ_OK);
	assert_true(p.calls > 1);
	assert_true(p.monotonic);
	assert_int_equal(count_users(e->bak), 400);
	assert_int_equal(
		test_db_int(p.writer, "SELECT count(*) FROM users"), 450);
	store_close(p.writer);
	/* The next backup sees the late rows. */
	assert_int_equal(
		store_backup_to(e->db, e->bak, true, NULL, NULL, NULL, &e->st),
		OZ_OK);
	assert_int_equal(count_users(e->bak), 450);
}

static void
backup_uses_the_callers_transaction(void **state)
{
	env *e = *state;
	add_users(e->db, "u", 10);
	assert_int_equal(store_tx_begin(e->db, STORE_TX_READ, &e->st), OZ_OK);
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	assert_int_equal(store_tx_depth(e->db), 1);
	assert_int_equal(store_tx_end(e->db, OZ_OK, &e->st), OZ_OK);
	assert_int_equal(count_users(e->bak), 10);
}

static void
backup_refuses_existing_file_unless_overwrite(void **state)
{
	env *e = *state;
	char msg[400], side[340];
	FILE *f = fopen(e->bak, "w");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_ALREADY_EXISTS);
	snprintf(msg, sizeof(msg), "backup file %s already exists", e->bak);
	assert_string_equal(e->st.message, msg);
	/* A stale -wal of the old file would be replayed over the new one:
	 * overwrite removes it. */
	snprintf(side, sizeof(side), "%s-wal", e->bak);
	f = fopen(side, "w");
	assert_non_null(f);
	fputs("stale", f);
	fclose(f);
	add_users(e->db, "u", 3);
	assert_int_equal(
		store_backup_to(e->db, e->bak, true, NULL, NULL, NULL, &e->st),
		OZ_OK);
	assert_false(exists(side));
	assert_int_equal(count_users(e->bak), 3);
}

static void
backup_bad_destinations(void **state)
{
	env *e = *state;
	char p[400];
	snprintf(p, sizeof(p), "%s/no/such/dir/b.db", e->t.dir);
	assert_int_equal(
		store_backup_to(e->db, p, false, NULL, NULL, NULL, &e->st),
		OZ_NOT_FOUND);
	assert_int_equal(store_backup_to(e->db, e->t.path, true, NULL, NULL,
				 NULL, &e->st),
		OZ_INVALID_ARGUMENT);
	snprintf(p, sizeof(p), "backup path %s is the database itself",
		e->t.path);
	assert_string_equal(e->st.message, p);
	assert_int_equal(
		store_backup_to(e->db, "", false, NULL, NULL, NULL, &e->st),
		OZ_INVALID_ARGUMENT);
	/* Nothing half-written is left behind. */
	DIR *d = opendir(e->t.dir);
	struct dirent *de;
	int n = 0;
	while ((de = readdir(d)) != NULL) {
		n += strstr(de->d_name, ".tmp") != NULL;
	}
	closedir(d);
	assert_int_equal(n, 0);
}

static void
backup_file_needs_an_existing_database(void **state)
{
	env *e = *state;
	store_config cfg = e->cfg;
	snprintf(cfg.path, sizeof(cfg.path), "%s/missing.db", e->t.dir);
	assert_int_equal(store_backup_file(&cfg, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_NOT_FOUND);
	assert_false(exists(cfg.path));
	add_users(e->db, "u", 5);
	assert_int_equal(store_backup_file(&e->cfg, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	assert_int_equal(count_users(e->bak), 5);
}

/* ozd on sqlite:///:memory: backs up its one connection the same way. */
static void
backup_of_an_in_memory_database(void **state)
{
	env *e = *state;
	store_conn *m = test_db_memory();
	assert_int_equal(store_migrate_upgrade(m, "head", &e->st), OZ_OK);
	add_users(m, "m", 7);
	assert_int_equal(
		store_backup_to(m, e->bak, false, NULL, NULL, NULL, &e->st),
		OZ_OK);
	store_close(m);
	assert_int_equal(count_users(e->bak), 7);
	store_config mem;
	store_config_init(&mem);
	snprintf(mem.path, sizeof(mem.path), ":memory:");
	assert_int_equal(store_backup_file(
				 &mem, e->bak, true, NULL, NULL, NULL, &e->st),
		OZ_INVALID_ARGUMENT);
	assert_int_equal(store_restore(&mem, e->bak, NULL, &e->st),
		OZ_INVALID_ARGUMENT);
}

/* --- Restore ----------------------------------------------------------- */

/* Finds the one "test.db.before-restore-*" main file; copies its path. */
static int
find_aside(const env *e, char *out, size_t n)
{
	DIR *d = opendir(e->t.dir);
	struct dirent *de;
	int found = 0;
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		size_t l = strlen(s);
		if (strncmp(s, "test.db.before-restore-", 23) == 0 &&
			s[l - 1] == 'Z') {
			if (snprintf(out, n, "%s/%s", e->t.dir, s) >=
				(int) n) {
				fail_msg("path too long");
			}
			found++;
		}
	}
	closedir(d);
	return found;
}

static void
restore_round_trip_moves_the_old_database_aside(void **state)
{
	env *e = *state;
	char aside[400], p[400];
	add_users(e->db, "u", 100);
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	/* Changes after the backup, some still in the -wal. */
	test_db_exec(e->db, "DELETE FROM tasks WHERE id > 50;"
			    "DELETE FROM users WHERE id > 50");
	add_users(e->db, "after", 7);
	store_close(e->db);
	e->db = NULL;
	store_restore_result r;
	assert_int_equal(store_restore(&e->cfg, e->bak, &r, &e->st), OZ_OK);
	/* The newest revision this build knows ("0003_x.sql" -> "0003"). */
	assert_memory_equal(
		r.revision, embed_migrations[embed_n_migrations - 1].name, 4);
	assert_int_equal(r.revision[4], '\0');
	assert_int_equal(r.n_pending, 0);
	assert_true(r.moved_aside);
	assert_int_equal(find_aside(e, aside, sizeof(aside)), 1);
	assert_string_equal(r.aside, aside);
	assert_int_equal(count_users(e->t.path), 100);
	assert_int_equal(count_users(aside), 57);
	/* The restored file is the backup, byte for byte checked: same
	 * rows in the same order. */
	e->db = open_path(e->t.path);
	store_conn *b = open_path(e->bak);
	const char *q = "SELECT sum(id * length(username || email)) + "
			"(SELECT sum(id * length(description)) FROM tasks) "
			"FROM users";
	assert_int_equal(test_db_int(e->db, q), test_db_int(b, q));
	store_close(b);
	snprintf(p, sizeof(p), "%s.lock", e->t.path);
	assert_true(exists(p));
}

static void
restore_removes_stale_wal_and_shm(void **state)
{
	env *e = *state;
	char p[400], aside[400];
	add_users(e->db, "u", 5);
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	store_close(e->db);
	e->db = NULL;
	/* A -wal and -shm with no database beside them. */
	unlink(e->t.path);
	snprintf(p, sizeof(p), "%s-wal", e->t.path);
	FILE *f = fopen(p, "w");
	fputs("stale wal", f);
	fclose(f);
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st), OZ_OK);
	assert_false(exists(p));
	assert_int_equal(find_aside(e, aside, sizeof(aside)), 0);
	assert_int_equal(count_users(e->t.path), 5);
}

static void
restore_refused_while_the_database_is_locked(void **state)
{
	env *e = *state;
	char msg[600];
	store_lock *l = NULL;
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	close_db(e);
	assert_int_equal(
		store_lock_acquire(&e->cfg, "a running server", &l, &e->st),
		OZ_OK);
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st),
		OZ_FAILED_PRECONDITION);
	snprintf(msg, sizeof(msg),
		"database %s is in use by a running server (pid %ld)",
		e->t.path, (long) getpid());
	assert_string_equal(e->st.message, msg);
	assert_int_equal(store_vacuum(&e->cfg, NULL, NULL, &e->st),
		OZ_FAILED_PRECONDITION);
	assert_string_equal(e->st.message, msg);
	store_lock_release(l);
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st), OZ_OK);
}

/* A process with the database open that never took the lock (a sqlite3
 * shell, an old ozd) is found through SQLite's own locks. */
static void
restore_refused_while_another_process_has_it_open(void **state)
{
	env *e = *state;
	char msg[600], c;
	int ready[2], release[2];
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	close_db(e);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(release), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child opens its own connection, reads, says so, and
		 * keeps the database open until the parent closes release. */
		store_conn *db = NULL;
		oz_status st;
		close(ready[0]);
		close(release[1]);
		if (store_open(&db, &e->cfg, &st) != OZ_OK ||
			store_exec(db, "SELECT count(*) FROM users", &st) !=
				OZ_OK ||
			write(ready[1], "r", 1) != 1) {
			_exit(1);
		}
		while (read(release[0], &c, 1) > 0) { }
		store_close(db);
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	oz_code rc = store_restore(&e->cfg, e->bak, NULL, &e->st);
	oz_code vrc = store_vacuum(&e->cfg, NULL, NULL, &e->st);
	close(release[1]);
	close(ready[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(rc, OZ_FAILED_PRECONDITION);
	assert_int_equal(vrc, OZ_FAILED_PRECONDITION);
	snprintf(msg, sizeof(msg),
		"database %s is in use by backup_test (pid %ld)", e->t.path,
		(long) pid);
	assert_string_equal(e->st.message, msg);
	/* Once the other process is gone the restore goes through. */
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st), OZ_OK);
}

static void
restore_refuses_what_is_not_a_good_oz_backup(void **state)
{
	env *e = *state;
	char p[400], msg[600];
	add_users(e->db, "u", 3);
	close_db(e);
	/* Not a database. */
	FILE *f = fopen(e->bak, "w");
	for (int i = 0; i < 1000; i++) {
		fputs("garbage!", f);
	}
	fclose(f);
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st),
		OZ_FAILED_PRECONDITION);
	snprintf(msg, sizeof(msg), "%s is not an SQLite database", e->bak);
	assert_string_equal(e->st.message, msg);
	/* A database without oz_migrations. */
	unlink(e->bak);
	store_conn *b = open_path(e->bak);
	test_db_exec(b, "CREATE TABLE other (x)");
	store_close(b);
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st),
		OZ_FAILED_PRECONDITION);
	snprintf(msg, sizeof(msg),
		"%s has no schema revision (no oz_migrations rows): "
		"not an oz database",
		e->bak);
	assert_string_equal(e->st.message, msg);
	/* A revision newer than this build. */
	unlink(e->bak);
	b = open_path(e->bak);
	assert_int_equal(store_migrate_upgrade(b, "head", &e->st), OZ_OK);
	test_db_exec(b, "INSERT INTO oz_migrations VALUES ('9999', 1)");
	store_close(b);
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st),
		OZ_FAILED_PRECONDITION);
	assert_non_null(strstr(e->st.message, "9999"));
	assert_ptr_equal(strstr(e->st.message, "backup "), e->st.message);
	/* Missing. */
	snprintf(p, sizeof(p), "%s/missing.db", e->t.dir);
	assert_int_equal(
		store_restore(&e->cfg, p, NULL, &e->st), OZ_NOT_FOUND);
	/* The database itself. */
	assert_int_equal(store_restore(&e->cfg, e->t.path, NULL, &e->st),
		OZ_INVALID_ARGUMENT);
	/* Nothing changed, nothing left behind. */
	assert_int_equal(count_users(e->t.path), 3);
	assert_int_equal(find_aside(e, p, sizeof(p)), 0);
	DIR *d = opendir(e->t.dir);
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		assert_null(strstr(de->d_name, ".tmp"));
	}
	closedir(d);
}

static void
restore_refuses_a_backup_with_a_wal(void **state)
{
	env *e = *state;
	char p[400];
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	close_db(e);
	snprintf(p, sizeof(p), "%s-wal", e->bak);
	FILE *f = fopen(p, "w");
	fputs("frames", f);
	fclose(f);
	assert_int_equal(store_restore(&e->cfg, e->bak, NULL, &e->st),
		OZ_FAILED_PRECONDITION);
	assert_non_null(strstr(e->st.message, "non-empty"));
}

static void
restore_refuses_a_corrupt_backup(void **state)
{
	env *e = *state;
	add_users(e->db, "u", 400);
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	close_db(e);
	/* Scribble over the middle pages (b-tree pages of the tables). */
	FILE *f = fopen(e->bak, "r+");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	for (int i = 0; i < 8192; i++) {
		fputc(i * 37 & 0xff, f);
	}
	fclose(f);
	assert_int_equal(
		store_restore(&e->cfg, e->bak, NULL, &e->st), OZ_DATA_LOSS);
	assert_non_null(strstr(e->st.message, "failed integrity_check"));
	assert_int_equal(count_users(e->t.path), 400);
}

static void
restore_of_an_older_revision_then_upgrade(void **state)
{
	env *e = *state;
	store_close(e->db);
	unlink(e->t.path);
	e->db = test_db_file(&e->t);
	assert_int_equal(store_migrate_upgrade(e->db, "0001", &e->st), OZ_OK);
	add_users(e->db, "u", 4);
	assert_int_equal(store_backup_to(e->db, e->bak, false, NULL, NULL,
				 NULL, &e->st),
		OZ_OK);
	store_close(e->db);
	e->db = NULL;
	store_restore_result r;
	assert_int_equal(store_restore(&e->cfg, e->bak, &r, &e->st), OZ_OK);
	assert_string_equal(r.revision, "0001");
	assert_int_equal(r.n_pending, (int) embed_n_migrations - 1);
	e->db = test_db_file(&e->t);
	assert_int_equal(store_migrate_upgrade(e->db, "head", &e->st), OZ_OK);
	assert_int_equal(store_migrate_check(e->db, &e->st), OZ_OK);
	assert_int_equal(test_db_int(e->db, "SELECT count(*) FROM users"), 4);
}

/* --- Vacuum and lock --------------------------------------------------- */

static void
vacuum_shrinks_the_file(void **state)
{
	env *e = *state;
	add_users(e->db, "u", 400);
	test_db_exec(e->db, "DELETE FROM tasks; DELETE FROM users;"
			    "PRAGMA wal_checkpoint(TRUNCATE)");
	close_db(e);
	int64_t before = 0, after = 0;
	assert_int_equal(
		store_vacuum(&e->cfg, &before, &after, &e->st), OZ_OK);
	assert_true(after < before);
	assert_true(after > 0);
	store_config cfg = e->cfg;
	snprintf(cfg.path, sizeof(cfg.path), "%s/missing.db", e->t.dir);
	assert_int_equal(store_vacuum(&cfg, NULL, NULL, &e->st), OZ_NOT_FOUND);
	assert_false(exists(cfg.path));
}

static void
lock_has_one_owner_at_a_time(void **state)
{
	env *e = *state;
	store_lock *a = NULL, *b = NULL;
	assert_int_equal(
		store_lock_acquire(&e->cfg, "a running server", &a, &e->st),
		OZ_OK);
	assert_non_null(a);
	assert_int_equal(store_lock_acquire(&e->cfg, "a restore", &b, &e->st),
		OZ_FAILED_PRECONDITION);
	assert_null(b);
	store_lock_release(a);
	assert_int_equal(
		store_lock_acquire(&e->cfg, "a restore", &b, &e->st), OZ_OK);
	store_lock_release(b);
	store_config mem;
	store_config_init(&mem);
	snprintf(mem.path, sizeof(mem.path), ":memory:");
	assert_int_equal(store_lock_acquire(&mem, "x", &a, &e->st), OZ_OK);
	assert_null(a);
	store_lock_release(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			backup_copies_every_row_with_progress, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			backup_is_the_snapshot_of_its_start, setup, teardown),
		cmocka_unit_test_setup_teardown(
			backup_uses_the_callers_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(
			backup_refuses_existing_file_unless_overwrite, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			backup_bad_destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(
			backup_file_needs_an_existing_database, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			backup_of_an_in_memory_database, setup, teardown),
		cmocka_unit_test_setup_teardown(
			restore_round_trip_moves_the_old_database_aside, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			restore_removes_stale_wal_and_shm, setup, teardown),
		cmocka_unit_test_setup_teardown(
			restore_refused_while_the_database_is_locked, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			restore_refused_while_another_process_has_it_open,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			restore_refuses_what_is_not_a_good_oz_backup, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			restore_refuses_a_backup_with_a_wal, setup, teardown),
		cmocka_unit_test_setup_teardown(
			restore_refuses_a_corrupt_backup, setup, teardown),
		cmocka_unit_test_setup_teardown(
			restore_of_an_older_revision_then_upgrade, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			vacuum_shrinks_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
			lock_has_one_owner_at_a_time, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
