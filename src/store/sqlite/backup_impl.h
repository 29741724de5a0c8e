/* store/sqlite/backup_impl.h -- what backup.c and restore.c share: file-system
 * helpers (errno to oz codes, syncing, temporary names) and a plain
 * connection without store_open's pragmas. Only src/store/ includes it. */
#ifndef OZ_STORE_BACKUP_IMPL_H
#define OZ_STORE_BACKUP_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/sqlite/db.h"

/* Maps errno err of an operation on path to a code, with the message
 * "cannot WHAT PATH: strerror": ENOENT/ENOTDIR -> NOT_FOUND,
 * EACCES/EPERM/EROFS -> PERMISSION_DENIED, ENOSPC/EDQUOT ->
 * RESOURCE_EXHAUSTED, else INTERNAL. Returns the code. */
oz_code backup_errno(int err, const char *what, const char *path,
	oz_status *st) OZ_MUST_USE;

/* Copies the directory part of path into dir ("." when none). */
void backup_dir_of(const char *path, char *dir, size_t n);

/* fsyncs a file or (is_dir) a directory. 0, or errno. */
int backup_fsync_path(const char *path, bool is_dir);

/* True when path exists (lstat succeeds). */
bool backup_exists(const char *path);

/* Size in bytes of path, or -1 when it does not exist. */
int64_t backup_file_size(const char *path);

/* Writes "<base>.<tag>-<pid>-<counter>.tmp" into out: a name in base's
 * directory that no other call of any process uses at the same time. */
void backup_tmp_name(const char *base, const char *tag, char *out, size_t n);

/* Removes path and its -journal, -wal and -shm files (missing is fine). */
void backup_unlink_all(const char *path);

/* Opens path as a bare connection (no pragmas but busy_timeout, the file
 * is never created: SQLITE_OPEN_READWRITE only unless create). OUT: *out,
 * closed with store_close. Returns OK or UNAVAILABLE. */
oz_code backup_open_plain(const char *path, bool create, store_conn **out,
	oz_status *st) OZ_MUST_USE;

/* Runs PRAGMA integrity_check on c. Returns OK when it says "ok";
 * DATA_LOSS "NAME failed integrity_check: FIRST PROBLEM" otherwise (also
 * for SQLITE_CORRUPT); FAILED_PRECONDITION "NAME is not an SQLite
 * database" for SQLITE_NOTADB; else store_error's code. */
oz_code backup_integrity_check(
	store_conn *c, const char *name, oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_BACKUP_IMPL_H */
