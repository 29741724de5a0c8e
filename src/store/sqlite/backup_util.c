/* store/sqlite/backup_util.c -- file-system helpers and bare connections for
 * backup.c and restore.c (backup_impl.h). No SQL here but the integrity
 * check; SQLite and errno results become oz codes here or in db.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/backup_impl.h"

oz_code
backup_errno(int err, const char *what, const char *path, oz_status *st)
{
	oz_code code = OZ_INTERNAL;
	if (err == ENOENT || err == ENOTDIR) {
		code = OZ_NOT_FOUND;
	} else if (err == EACCES || err == EPERM || err == EROFS) {
		code = OZ_PERMISSION_DENIED;
	} else if (err == ENOSPC || err == EDQUOT) {
		code = OZ_RESOURCE_EXHAUSTED;
	}
	return oz_fail(
		st, code, "cannot %s %s: %s", what, path, strerror(err));
}

void
backup_dir_of(const char *path, char *dir, size_t n)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL) {
		snprintf(dir, n, ".");
	} else if (slash == path) {
		snprintf(dir, n, "/");
	} else {
		snprintf(dir, n, "%.*s", (int) (slash - path), path);
	}
}

int
backup_fsync_path(const char *path, bool is_dir)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | (is_dir ? O_DIRECTORY : 0));
	if (fd < 0) {
		return errno;
	}
	int err = fsync(fd) == 0 ? 0 : errno;
	close(fd);
	/* Some file systems cannot sync a directory; that is not an error
	 * of ours (the rename is as durable as they make it). */
	return is_dir && err == EINVAL ? 0 : err;
}

bool
backup_exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

int64_t
backup_file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (int64_t) sb.st_size : -1;
}

void
backup_tmp_name(const char *base, const char *tag, char *out, size_t n)
{
	static atomic_uint counter;
	unsigned k = atomic_fetch_add(&counter, 1);
	snprintf(out, n, "%s.%s-%ld-%u.tmp", base, tag, (long) getpid(), k);
}

void
backup_unlink_all(const char *path)
{
	static const char *const sfx[] = {"", "-journal", "-wal", "-shm"};
	char p[STORE_PATH_MAX + 128];
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
}

oz_code
backup_open_plain(
	const char *path, bool create, store_conn **out, oz_status *st)
{
	store_conn *c = sqlite_conn_alloc();
	if (c == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	store_config_init(&c->cfg);
	snprintf(c->cfg.path, sizeof(c->cfg.path), "%s", path);
	/* A file made here is never opened through a symbolic link. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		    (create ? SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW : 0);
	int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		oz_fail(st, OZ_UNAVAILABLE, "cannot open database %s: %s",
			path,
			c->db != NULL ? sqlite3_errmsg(c->db)
				      : sqlite3_errstr(rc));
		store_close(c);
		return OZ_UNAVAILABLE;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, c->cfg.busy_timeout_ms);
	*out = c;
	return OZ_OK;
}

/* Maps a result of the integrity check's prepare or step. */
static oz_code
check_error(store_conn *c, int rc, const char *name, oz_status *st)
{
	if ((rc & 0xff) == SQLITE_NOTADB) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"%s is not an SQLite database", name);
	}
	if ((rc & 0xff) == SQLITE_CORRUPT) {
		return oz_fail(st, OZ_DATA_LOSS,
			"%s failed integrity_check: %s", name,
			sqlite3_errmsg(c->db));
	}
	return store_error(c, rc, st);
}

oz_code
backup_integrity_check(store_conn *c, const char *name, oz_status *st)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(
		c->db, "PRAGMA integrity_check(1)", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		return check_error(
			c, sqlite3_extended_errcode(c->db), name, st);
	}
	oz_code out = OZ_OK;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *r = (const char *) sqlite3_column_text(s, 0);
		if (r == NULL || strcmp(r, "ok") != 0) {
			out = oz_fail(st, OZ_DATA_LOSS,
				"%s failed integrity_check: %s", name,
				r != NULL ? r : "(no answer)");
		}
	} else if (rc == SQLITE_DONE) {
		out = oz_fail(st, OZ_DATA_LOSS,
			"%s failed integrity_check: no answer", name);
	} else {
		out = check_error(
			c, sqlite3_extended_errcode(c->db), name, st);
	}
	sqlite3_finalize(s);
	return out;
}
