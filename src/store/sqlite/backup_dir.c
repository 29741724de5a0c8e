/* store/sqlite/backup_dir.c -- where a server may write a backup
 * (store_backup_named): plain file names inside one backup directory,
 * never the database's own files, never an existing name that is not a
 * regular file. The checks give clear errors; what makes them hold
 * against a racing change is backup.c: the copy goes to a file created
 * O_EXCL|O_NOFOLLOW and is renamed over the name, so nothing is ever
 * written through an existing name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store/backup.h"
#include "store/sqlite/backup_impl.h"

#define DEFAULT_DIR "backups"

static oz_code
bad_name(oz_status *st, oz_code code, const char *why)
{
	oz_status_violation(st, "path", "%s", why);
	return oz_fail(st, code, "invalid backup path: %s", why);
}

static oz_code
check_name(const char *name, oz_status *st)
{
	if (name == NULL || name[0] == '\0') {
		return bad_name(st, OZ_INVALID_ARGUMENT, "must name a file");
	}
	if (strlen(name) > STORE_BACKUP_NAME_MAX) {
		return bad_name(
			st, OZ_INVALID_ARGUMENT, "must be at most 255 bytes");
	}
	if (strchr(name, '/') != NULL) {
		return bad_name(st, OZ_INVALID_ARGUMENT,
			"must be a plain file name inside the backup "
			"directory (no '/')");
	}
	if (name[0] == '.') {
		return bad_name(
			st, OZ_INVALID_ARGUMENT, "must not start with '.'");
	}
	return OZ_OK;
}

/* The backup directory of cfg into dir; the default one is created. */
static oz_code
backup_dir(const store_config *cfg, char *dir, size_t n, oz_status *st)
{
	struct stat sb;
	if (cfg->backup_dir[0] != '\0') {
		snprintf(dir, n, "%s", cfg->backup_dir);
	} else {
		char db_dir[STORE_PATH_MAX];
		backup_dir_of(cfg->path, db_dir, sizeof(db_dir));
		if (strlen(db_dir) + sizeof(DEFAULT_DIR) + 1 > n) {
			return oz_fail(st, OZ_INVALID_ARGUMENT,
				"database path too long for a backup "
				"directory beside it");
		}
		memcpy(dir, db_dir, strlen(db_dir));
		dir[strlen(db_dir)] = '/';
		memcpy(dir + strlen(db_dir) + 1, DEFAULT_DIR,
			sizeof(DEFAULT_DIR));
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			return backup_errno(
				errno, "create backup directory", dir, st);
		}
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"backup directory %s does not exist or is not a "
			"directory",
			dir);
	}
	return OZ_OK;
}

/* True when path is the same file as the database's path+suffix, by
 * inode when both exist, else by name. */
static bool
same_file(const char *path, const char *db, const char *suffix)
{
	char other[STORE_PATH_MAX + 16];
	struct stat a, b;
	snprintf(other, sizeof(other), "%s%s", db, suffix);
	if (lstat(path, &a) == 0 && stat(other, &b) == 0) {
		return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	}
	/* One is missing (a -wal between checkpoints): compare the
	 * directory and the last name. */
	char da[STORE_PATH_MAX], db_[STORE_PATH_MAX];
	backup_dir_of(path, da, sizeof(da));
	backup_dir_of(other, db_, sizeof(db_));
	const char *na = strrchr(path, '/'), *nb = strrchr(other, '/');
	na = na != NULL ? na + 1 : path;
	nb = nb != NULL ? nb + 1 : other;
	return strcmp(na, nb) == 0 && stat(da, &a) == 0 &&
	       stat(db_, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* True when path, or one of the files SQLite keeps beside it, is one of
 * the database's own files. */
static bool
is_database_file(const char *path, const char *db)
{
	static const char *const own[] = {
		"", "-wal", "-shm", "-journal", ".lock"};
	static const char *const side[] = {"", "-wal", "-shm", "-journal"};
	char p[STORE_PATH_MAX + 16];
	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", path, side[i]);
		for (size_t j = 0; j < sizeof(own) / sizeof(own[0]); j++) {
			if (same_file(p, db, own[j])) {
				return true;
			}
		}
	}
	return false;
}

oz_code
store_backup_named(store_conn *src, const char *name, bool overwrite,
	store_backup_stats *out, char *path, size_t n, oz_status *st)
{
	char dir[STORE_PATH_MAX];
	struct stat sb;
	oz_code rc = store_backup_supported(store_conn_backend(src), st);
	if (rc != OZ_OK) {
		return rc;
	}
	/* An in-memory database has no directory to put backups beside:
	 * only a configured one will do. */
	if (store_config_is_memory(&src->cfg) &&
		src->cfg.backup_dir[0] == '\0') {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"an in-memory database has no directory for backups: "
			"start ozd with --backup-dir");
	}
	if ((rc = check_name(name, st)) != OZ_OK ||
		(rc = backup_dir(&src->cfg, dir, sizeof(dir), st)) != OZ_OK) {
		return rc;
	}
	if (strlen(dir) + 1 + strlen(name) >= n) {
		return bad_name(st, OZ_INVALID_ARGUMENT, "is too long");
	}
	snprintf(path, n, "%s/%s", dir, name);
	if (is_database_file(path, src->cfg.path)) {
		return bad_name(st, OZ_INVALID_ARGUMENT,
			"names one of the database's own files");
	}
	if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		return bad_name(st, OZ_FAILED_PRECONDITION,
			S_ISLNK(sb.st_mode)
				? "names a symbolic link; backups never "
				  "replace one"
				: "names something that is not a regular "
				  "file");
	}
	return store_backup_to(src, path, overwrite, NULL, NULL, out, st);
}
