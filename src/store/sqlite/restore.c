/* store/sqlite/restore.c -- offline restore of a backup file over a database
 * and offline VACUUM (backup.h). Both hold the database's lock (lock.h) so no
 * server runs meanwhile. Restore never changes the backup file, and never
 * deletes the old database: it is moved aside. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/backup.h"
#include "store/sqlite/backup_impl.h"
#include "store/lock.h"
#include "store/migrate.h"

/* Files SQLite may keep beside a database; restore moves them with it. */
static const char *const side_sfx[] = {"", "-wal", "-shm", "-journal"};
#define N_SIDE (sizeof(side_sfx) / sizeof(side_sfx[0]))

static oz_code
write_all(int fd, const char *buf, size_t n, const char *path, oz_status *st)
{
	while (n > 0) {
		ssize_t w = write(fd, buf, n);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w < 0) {
			return backup_errno(errno, "write", path, st);
		}
		buf += w;
		n -= (size_t) w;
	}
	return OZ_OK;
}

/* Copies src to the new file dst (never an existing one) and syncs it. */
static oz_code
copy_file(const char *src, const char *dst, mode_t mode, oz_status *st)
{
	char buf[65536];
	oz_code rc = OZ_OK;
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		return backup_errno(errno, "read backup file", src, st);
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		rc = backup_errno(errno, "create", dst, st);
		close(in);
		return rc;
	}
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			rc = backup_errno(errno, "read backup file", src, st);
			break;
		}
		if (r == 0 || (rc = write_all(out, buf, (size_t) r, dst,
				       st)) != OZ_OK) {
			break;
		}
	}
	if (rc == OZ_OK && fsync(out) != 0) {
		rc = backup_errno(errno, "sync", dst, st);
	}
	close(out);
	close(in);
	return rc;
}

/* Prefixes st's message with "backup NAME: " (migrate.h's messages speak
 * of "database", which here is the backup). */
static oz_code
about_backup(oz_code rc, const char *name, oz_status *st)
{
	char msg[OZ_STATUS_MESSAGE_MAX];
	snprintf(msg, sizeof(msg), "%s", st->message);
	return oz_fail(st, rc, "backup %s: %s", name, msg);
}

/* Verifies the copy tmp of the backup name: integrity, an oz database,
 * a revision this build knows. Closing the connection checkpoints and
 * removes the -wal it may have made. */
static oz_code
verify_copy(const char *tmp, const char *name, store_restore_result *res,
	oz_status *st)
{
	store_conn *c = NULL;
	char wal[STORE_PATH_MAX + 80];
	oz_code rc = backup_open_plain(tmp, false, &c, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if ((rc = backup_integrity_check(c, name, st)) != OZ_OK) {
		goto out;
	}
	if ((rc = store_migrate_current(
		     c, res->revision, sizeof(res->revision), st)) != OZ_OK ||
		(rc = store_migrate_pending(c, &res->n_pending, st)) !=
			OZ_OK) {
		rc = about_backup(rc, name, st);
	} else if (strcmp(res->revision, "base") == 0) {
		/* No revision recorded: not a database ozd ever served. */
		rc = oz_fail(st, OZ_FAILED_PRECONDITION,
			"%s has no schema revision (no oz_migrations rows): "
			"not an oz database",
			name);
	}
out:
	store_close(c);
	snprintf(wal, sizeof(wal), "%s-wal", tmp);
	if (rc == OZ_OK && backup_file_size(wal) > 0) {
		rc = oz_fail(st, OZ_INTERNAL,
			"could not checkpoint the copy %s", tmp);
	}
	return rc;
}

/* SQLite's lock bytes (its file format, https://sqlite.org/lockingv3.html
 * and walIndexLock): every connection in WAL mode keeps a read lock on the
 * database's shared range and on byte 128 of the -shm file while open. */
#define SQLITE_SHARED_FIRST (0x40000000 + 2)
#define SQLITE_SHARED_SIZE  510
#define SQLITE_SHM_DMS      128

/* The pid of another process holding a lock that conflicts with a write
 * lock on [start, start + len) of path; 0 when none (or no file). The
 * probe only asks (F_GETLK). Closing its descriptor would drop this
 * process's own fcntl locks on the file, which is why the callers require
 * that this process has the database closed. */
static long
lock_holder(const char *path, off_t start, off_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return 0;
	}
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	long pid = 0;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
		pid = fl.l_pid > 0 ? (long) fl.l_pid : -1;
	}
	close(fd);
	return pid;
}

/* Takes the database's lock (lock.h), then makes sure no process has the
 * database open even without taking that lock (an ozd of an older build,
 * a sqlite3 shell): such a process would keep writing to the moved-aside
 * files. The refusal names the program from /proc when it can. */
static oz_code
claim_offline(const store_config *cfg, const char *what, store_lock **lock,
	oz_status *st)
{
	char shm[STORE_PATH_MAX + 8], comm_path[64], comm[64] = "";
	oz_code rc = store_lock_acquire(cfg, what, lock, st);
	if (rc != OZ_OK) {
		return rc;
	}
	snprintf(shm, sizeof(shm), "%s-shm", cfg->path);
	long pid = lock_holder(
		cfg->path, SQLITE_SHARED_FIRST, SQLITE_SHARED_SIZE);
	if (pid == 0) {
		pid = lock_holder(shm, SQLITE_SHM_DMS, 1);
	}
	if (pid == 0) {
		return OZ_OK;
	}
	snprintf(comm_path, sizeof(comm_path), "/proc/%ld/comm", pid);
	FILE *f = pid > 0 ? fopen(comm_path, "r") : NULL;
	if (f != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL) {
			comm[0] = '\0';
		}
		comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	store_lock_release(*lock);
	*lock = NULL;
	return oz_fail(st, OZ_FAILED_PRECONDITION,
		"database %s is in use by %s (pid %ld)", cfg->path,
		comm[0] != '\0' ? comm : "another process", pid);
}

/* Chooses "<db>.before-restore-<UTC>" (with "-N" when taken). */
static oz_code
aside_name(const char *db, char *out, size_t n, oz_status *st)
{
	char when[32], p[STORE_PATH_MAX + 128];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	for (int k = 0; k < 100; k++) {
		if (k == 0) {
			snprintf(out, n, "%s.before-restore-%s", db, when);
		} else {
			snprintf(out, n, "%s.before-restore-%s-%d", db, when,
				k);
		}
		bool taken = false;
		for (size_t i = 0; i < N_SIDE && !taken; i++) {
			snprintf(p, sizeof(p), "%s%s", out, side_sfx[i]);
			taken = backup_exists(p);
		}
		if (!taken) {
			return OZ_OK;
		}
	}
	return oz_fail(st, OZ_ALREADY_EXISTS,
		"too many %s.before-restore-%s* files", db, when);
}

/* Renames back the files move_files moved (best effort: it runs only
 * after another failure, whose status the caller reports). */
static void
move_back(const char *db, const char *aside, const bool *moved)
{
	char a[STORE_PATH_MAX + 128], b[STORE_PATH_MAX + 128];
	for (size_t i = 0; i < N_SIDE; i++) {
		if (moved[i]) {
			snprintf(a, sizeof(a), "%s%s", aside, side_sfx[i]);
			snprintf(b, sizeof(b), "%s%s", db, side_sfx[i]);
			if (rename(a, b) != 0) {
				/* Still at a: recoverable by hand. */
			}
		}
	}
}

/* Renames each of the database's files that exists to aside's name;
 * moved[i] says which. On failure moves the ones done back. */
static oz_code
move_aside(const char *db, const char *aside, bool *moved, oz_status *st)
{
	char a[STORE_PATH_MAX + 128], b[STORE_PATH_MAX + 128];
	for (size_t i = 0; i < N_SIDE; i++) {
		moved[i] = false;
	}
	for (size_t i = 0; i < N_SIDE; i++) {
		snprintf(a, sizeof(a), "%s%s", db, side_sfx[i]);
		snprintf(b, sizeof(b), "%s%s", aside, side_sfx[i]);
		if (!backup_exists(a)) {
			continue;
		}
		if (rename(a, b) != 0) {
			oz_code rc = backup_errno(errno, "move aside", a, st);
			move_back(db, aside, moved);
			return rc;
		}
		moved[i] = true;
	}
	return OZ_OK;
}

static oz_code
check_source(const store_config *cfg, const char *src, oz_status *st)
{
	char wal[STORE_PATH_MAX + 8];
	struct stat a, b;
	if (store_config_is_memory(cfg)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot restore into an in-memory database");
	}
	if (src == NULL || src[0] == '\0') {
		return oz_fail(
			st, OZ_INVALID_ARGUMENT, "backup path is empty");
	}
	if (stat(src, &a) != 0) {
		return backup_errno(errno, "read backup file", src, st);
	}
	if (!S_ISREG(a.st_mode)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"backup %s is not a regular file", src);
	}
	if (stat(cfg->path, &b) == 0 && a.st_dev == b.st_dev &&
		a.st_ino == b.st_ino) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"backup %s is the database itself", src);
	}
	snprintf(wal, sizeof(wal), "%s-wal", src);
	if (backup_file_size(wal) > 0) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"backup %s has a non-empty %s beside it: its last "
			"commits are not in the file (open it once with "
			"sqlite3 to checkpoint, then retry)",
			src, wal);
	}
	return OZ_OK;
}

/* Swaps the verified copy tmp in for the database db. */
static oz_code
swap_in(const char *db, const char *tmp, store_restore_result *res,
	oz_status *st)
{
	char dir[STORE_PATH_MAX];
	bool moved[N_SIDE];
	oz_code rc = aside_name(db, res->aside, sizeof(res->aside), st);
	if (rc != OZ_OK ||
		(rc = move_aside(db, res->aside, moved, st)) != OZ_OK) {
		return rc;
	}
	res->moved_aside = moved[0];
	if (rename(tmp, db) != 0) {
		rc = backup_errno(
			errno, "rename the restored copy to", db, st);
		move_back(db, res->aside, moved);
		return rc;
	}
	backup_dir_of(db, dir, sizeof(dir));
	int err = backup_fsync_path(dir, true);
	return err == 0 ? OZ_OK : backup_errno(err, "sync directory", dir, st);
}

oz_code
store_restore(const store_config *cfg, const char *src,
	store_restore_result *out, oz_status *st)
{
	char tmp[STORE_PATH_MAX + 64];
	store_restore_result res = {.revision = "", .n_pending = 0};
	store_lock *lock = NULL;
	struct stat sb;
	oz_code rc = store_backup_supported(cfg->backend, st);
	if (rc != OZ_OK) {
		return rc;
	}
	rc = check_source(cfg, src, st);
	if (rc != OZ_OK ||
		(rc = claim_offline(cfg, "a restore", &lock, st)) != OZ_OK) {
		return rc;
	}
	mode_t mode = stat(cfg->path, &sb) == 0 ? sb.st_mode & 0777 : 0644;
	backup_tmp_name(cfg->path, "restore", tmp, sizeof(tmp));
	if ((rc = copy_file(src, tmp, mode, st)) == OZ_OK &&
		(rc = verify_copy(tmp, src, &res, st)) == OZ_OK) {
		int err = backup_fsync_path(tmp, false);
		rc = err != 0 ? backup_errno(err, "sync", tmp, st)
			      : swap_in(cfg->path, tmp, &res, st);
	}
	if (rc != OZ_OK) {
		backup_unlink_all(tmp);
	} else if (out != NULL) {
		*out = res;
	}
	store_lock_release(lock);
	return rc;
}

oz_code
store_vacuum(const store_config *cfg, int64_t *before, int64_t *after,
	oz_status *st)
{
	store_conn *c = NULL;
	store_lock *lock = NULL;
	if (store_backup_supported(cfg->backend, st) != OZ_OK) {
		return st->code;
	}
	if (store_config_is_memory(cfg)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"an in-memory database cannot be vacuumed offline");
	}
	if (!backup_exists(cfg->path)) {
		return oz_fail(st, OZ_NOT_FOUND, "database %s does not exist",
			cfg->path);
	}
	oz_code rc = claim_offline(cfg, "a vacuum", &lock, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (before != NULL) {
		*before = backup_file_size(cfg->path);
	}
	if ((rc = store_open(&c, cfg, st)) == OZ_OK &&
		(rc = store_exec(c, "VACUUM", st)) == OZ_OK) {
		rc = store_checkpoint(c, st);
	}
	store_close(c);
	if (after != NULL) {
		*after = backup_file_size(cfg->path);
	}
	store_lock_release(lock);
	return rc;
}
