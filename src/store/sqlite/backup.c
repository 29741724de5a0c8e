/* store/sqlite/backup.c -- consistent copies of a live database with SQLite's
 * online backup API (backup.h). It only reads the source, inside one read
 * transaction, and writes nothing but the copy; SQLite errors become oz
 * codes here or in db.c.
 *
 * Why the backup API and not VACUUM INTO: both copy one snapshot, but the
 * backup API copies in steps, so a caller can show pages done / total,
 * and it copies pages as they are (VACUUM INTO rebuilds every table and
 * index, costing more CPU on the server's connection). The copy keeps the
 * source's page size and WAL mark. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "store/backup.h"
#include "store/sqlite/backup_impl.h"

/* True when dest names src's own database file. */
static bool
is_source(store_conn *src, const char *dest)
{
	const char *name = sqlite3_db_filename(src->db, "main");
	struct stat a, b;
	if (name == NULL || name[0] == '\0' || stat(dest, &b) != 0 ||
		stat(name, &a) != 0) {
		return false;
	}
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static oz_code
check_dest(store_conn *src, const char *dest, bool overwrite, oz_status *st)
{
	char dir[STORE_PATH_MAX];
	struct stat sb;
	if (dest == NULL || dest[0] == '\0') {
		return oz_fail(
			st, OZ_INVALID_ARGUMENT, "backup path is empty");
	}
	if (strlen(dest) >= STORE_PATH_MAX) {
		return oz_fail(
			st, OZ_INVALID_ARGUMENT, "backup path is too long");
	}
	if (is_source(src, dest)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"backup path %s is the database itself", dest);
	}
	if (!overwrite && backup_exists(dest)) {
		return oz_fail(st, OZ_ALREADY_EXISTS,
			"backup file %s already exists", dest);
	}
	if (overwrite && stat(dest, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"backup path %s is a directory", dest);
	}
	/* overwrite replaces only a regular file: never a device node, a
	 * FIFO or a symbolic link (the copy is renamed over the name, so
	 * it would replace the link, not write through it). */
	if (overwrite && lstat(dest, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"backup path %s exists and is not a regular file",
			dest);
	}
	backup_dir_of(dest, dir, sizeof(dir));
	if (stat(dir, &sb) != 0) {
		return backup_errno(errno, "write backup into", dir, st);
	}
	if (!S_ISDIR(sb.st_mode)) {
		return backup_errno(ENOTDIR, "write backup into", dir, st);
	}
	return OZ_OK;
}

/* Copies every page of src into dst, STORE_BACKUP_STEP_PAGES at a time,
 * inside the read transaction the caller holds on src. */
static oz_code
copy_pages(store_conn *src, store_conn *dst, store_backup_progress_fn fn,
	void *arg, int64_t *pages, oz_status *st)
{
	sqlite3_backup *b =
		sqlite3_backup_init(dst->db, "main", src->db, "main");
	if (b == NULL) {
		return store_error(dst, sqlite3_extended_errcode(dst->db), st);
	}
	int rc;
	do {
		rc = sqlite3_backup_step(b, STORE_BACKUP_STEP_PAGES);
		if (rc == SQLITE_OK || rc == SQLITE_DONE) {
			int64_t total = sqlite3_backup_pagecount(b);
			*pages = total;
			if (fn != NULL) {
				fn(total - sqlite3_backup_remaining(b), total,
					arg);
			}
		}
	} while (rc == SQLITE_OK);
	int frc = sqlite3_backup_finish(b);
	/* The copy read every page through src's cache: hand that memory
	 * back, or each server thread that ran a backup keeps its cache full
	 * (RSS grew by the cache size, 4 MiB, per backup in the soak). */
	sqlite3_db_release_memory(src->db);
	if (rc != SQLITE_DONE) {
		/* The error is on whichever side failed; the destination's
		 * handle carries it after finish. */
		return store_error(dst, rc, st);
	}
	return frc == SQLITE_OK ? OZ_OK : store_error(dst, frc, st);
}

/* Holds a read transaction on src: store_tx_begin's BEGIN is deferred,
 * so one read starts the snapshot now. Without it sqlite3_backup_step
 * would open and close a read transaction per step, and a write between
 * two steps would restart the copy. */
static oz_code
start_snapshot(store_conn *src, bool *began, oz_status *st)
{
	oz_code rc;
	*began = false;
	if (store_tx_depth(src) == 0) {
		if ((rc = store_tx_begin(src, STORE_TX_READ, st)) != OZ_OK) {
			return rc;
		}
		*began = true;
	}
	rc = store_exec(src, "SELECT count(*) FROM sqlite_master", st);
	if (rc != OZ_OK && *began) {
		rc = store_tx_end(src, rc, st);
		*began = false;
	}
	return rc;
}

/* Gives the finished temporary file the name dest: rename when
 * overwriting, else link (fails atomically if dest appeared meanwhile)
 * falling back to check-and-rename where hard links are not supported.
 * Stale -wal/-shm/-journal files of an old dest would be applied to the
 * new file when it is opened, so they go first. */
static oz_code
publish(const char *tmp, const char *dest, bool overwrite, oz_status *st)
{
	char side[STORE_PATH_MAX + 16];
	static const char *const sfx[] = {"-journal", "-wal", "-shm"};
	if (!overwrite && backup_exists(dest)) {
		return oz_fail(st, OZ_ALREADY_EXISTS,
			"backup file %s already exists", dest);
	}
	for (size_t i = 0; i < 3; i++) {
		snprintf(side, sizeof(side), "%s%s", dest, sfx[i]);
		if (unlink(side) != 0 && errno != ENOENT) {
			return backup_errno(errno, "remove stale", side, st);
		}
	}
	if (!overwrite) {
		if (link(tmp, dest) == 0) {
			unlink(tmp);
			return OZ_OK;
		}
		if (errno == EEXIST || backup_exists(dest)) {
			return oz_fail(st, OZ_ALREADY_EXISTS,
				"backup file %s already exists", dest);
		}
	}
	if (rename(tmp, dest) != 0) {
		return backup_errno(errno, "rename backup to", dest, st);
	}
	return OZ_OK;
}

/* Creates tmp as a new, empty regular file of ours: O_EXCL fails on any
 * existing name, O_NOFOLLOW on a symbolic link, and fstat on the opened
 * descriptor confirms what was created. SQLite then opens that file. */
static oz_code
create_tmp(const char *tmp, oz_status *st)
{
	int fd = open(tmp,
		O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		return backup_errno(errno, "create", tmp, st);
	}
	struct stat sb;
	bool regular = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode);
	close(fd);
	if (!regular) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"%s is not a regular file", tmp);
	}
	return OZ_OK;
}

/* Writes, checks and syncs the copy in tmp. */
static oz_code
write_copy(store_conn *src, const char *tmp, const char *dest,
	store_backup_progress_fn fn, void *arg, store_backup_stats *stats,
	oz_status *st)
{
	store_conn *dst = NULL;
	bool began = false;
	oz_code rc = create_tmp(tmp, st);
	if (rc != OZ_OK) {
		return rc;
	}
	rc = backup_open_plain(tmp, true, &dst, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if ((rc = start_snapshot(src, &began, st)) != OZ_OK) {
		goto out;
	}
	rc = copy_pages(src, dst, fn, arg, &stats->pages, st);
	if (began) {
		/* A read transaction has nothing to commit or lose, but one
		 * that cannot end is still open on src. */
		oz_status end;
		oz_code erc = store_tx_end(src, OZ_OK, &end);
		if (rc == OZ_OK && erc != OZ_OK) {
			rc = erc;
			*st = end;
		}
	}
	if (rc != OZ_OK) {
		goto out;
	}
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(dst->db, "PRAGMA page_size", -1, &s, NULL) ==
		SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			stats->page_size = sqlite3_column_int64(s, 0);
		}
		sqlite3_finalize(s);
	}
	rc = backup_integrity_check(dst, dest, st);
out:
	store_close(dst);
	if (rc == OZ_OK) {
		int err = backup_fsync_path(tmp, false);
		if (err != 0) {
			rc = backup_errno(err, "sync", tmp, st);
		}
	}
	return rc;
}

oz_code
store_backup_to(store_conn *src, const char *dest, bool overwrite,
	store_backup_progress_fn progress, void *arg, store_backup_stats *out,
	oz_status *st)
{
	char tmp[STORE_PATH_MAX + 64], dir[STORE_PATH_MAX];
	store_backup_stats stats = {0};
	int64_t t0 = oz_now_us();
	oz_code rc = store_backup_supported(store_conn_backend(src), st);
	if (rc == OZ_OK) {
		rc = check_dest(src, dest, overwrite, st);
	}
	if (rc != OZ_OK) {
		return rc;
	}
	backup_tmp_name(dest, "backup", tmp, sizeof(tmp));
	rc = write_copy(src, tmp, dest, progress, arg, &stats, st);
	if (rc == OZ_OK) {
		rc = publish(tmp, dest, overwrite, st);
	}
	if (rc != OZ_OK) {
		backup_unlink_all(tmp);
		return rc;
	}
	backup_dir_of(dest, dir, sizeof(dir));
	int err = backup_fsync_path(dir, true);
	if (err != 0) {
		return backup_errno(err, "sync directory", dir, st);
	}
	stats.size_bytes = backup_file_size(dest);
	stats.duration_us = oz_now_us() - t0;
	if (out != NULL) {
		*out = stats;
	}
	return OZ_OK;
}

oz_code
store_backup_file(const store_config *cfg, const char *dest, bool overwrite,
	store_backup_progress_fn progress, void *arg, store_backup_stats *out,
	oz_status *st)
{
	store_conn *src = NULL;
	if (store_backup_supported(cfg->backend, st) != OZ_OK) {
		return st->code;
	}
	if (store_config_is_memory(cfg)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"an in-memory database has nothing to back up");
	}
	if (!backup_exists(cfg->path)) {
		return oz_fail(st, OZ_NOT_FOUND, "database %s does not exist",
			cfg->path);
	}
	oz_code rc = backup_open_plain(cfg->path, false, &src, st);
	if (rc == OZ_OK) {
		rc = store_backup_to(
			src, dest, overwrite, progress, arg, out, st);
	}
	store_close(src);
	return rc;
}
