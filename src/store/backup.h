/* store/backup.h -- offline and online maintenance of a database file:
 * a consistent backup copy, a verified restore, and VACUUM. Usable
 * without a server (ozctl) and from one (the AdminService/Backup handler).
 *
 * Nothing here keeps a pointer to its arguments after returning. None of
 * these functions touches a database another process uses, except
 * store_backup_to, which only reads its source inside one read
 * transaction.
 *
 * SQLite only: on PostgreSQL every function here answers
 * FAILED_PRECONDITION naming pg_dump and pg_basebackup
 * (store_backup_supported), since its backups are the server's. */
#ifndef OZ_STORE_BACKUP_H
#define OZ_STORE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oz/status.h"
#include "store/store.h"

/* Pages copied per sqlite3_backup_step call: small enough that progress
 * moves, large enough that the per-step overhead does not matter. */
#define STORE_BACKUP_STEP_PAGES 64

/* Called after every step of a backup with the pages copied so far and
 * the total (done == total at the end). Runs on the caller's thread. */
typedef void (*store_backup_progress_fn)(
	int64_t done, int64_t total, void *arg);

/* What a finished backup reports. */
typedef struct store_backup_stats {
	int64_t pages;       /* Pages in the copy. */
	int64_t page_size;   /* Bytes per page. */
	int64_t size_bytes;  /* Size of the file written. */
	int64_t duration_us; /* Wall time of the whole call. */
} store_backup_stats;

/* Writes a consistent copy of src's database to the file dest with
 * SQLite's online backup API, STORE_BACKUP_STEP_PAGES pages per step,
 * all steps inside one read transaction on src: the copy is the snapshot
 * that transaction sees (every row in it was committed before the
 * backup started) while other connections keep reading and writing. If
 * src already has a transaction open (store_tx_depth > 0) that one is
 * used, and it must not write during the backup; otherwise one is begun
 * and ended here. The copy is written to a temporary file next to dest,
 * synced, checked with PRAGMA integrity_check and only then given the
 * name dest (so a failed backup never leaves a partial file under that
 * name). src must be used by no other thread meanwhile.
 *
 * progress (may be NULL) is called after each step with arg. OUT: *out
 * (may be NULL). Returns OK; INVALID_ARGUMENT for an empty dest or one
 * naming src's own file; FAILED_PRECONDITION when dest exists and is not
 * a regular file (a symbolic link, a device...); ALREADY_EXISTS "backup file X
 * already exists" when dest exists and overwrite is false; NOT_FOUND when
 * dest's directory does not exist; PERMISSION_DENIED when it cannot be
 * written; DATA_LOSS when the copy fails integrity_check; RESOURCE_EXHAUSTED
 * for a full disk; INTERNAL for other failures. */
oz_code store_backup_to(store_conn *src, const char *dest, bool overwrite,
	store_backup_progress_fn progress, void *arg, store_backup_stats *out,
	oz_status *st) OZ_MUST_USE;

/* The longest backup file name store_backup_named takes. */
#define STORE_BACKUP_NAME_MAX 255

/* What a server writes a backup for a caller it does not trust with the
 * file system: store_backup_to into the backup directory of src's
 * configuration (cfg.backup_dir; when empty, "backups" beside the
 * database file, created 0700 if missing), under name. name must be a
 * plain file name: not empty, at most STORE_BACKUP_NAME_MAX bytes, no
 * '/', not starting with '.' (so neither "." nor ".." nor a hidden
 * file). It must not name the database, its -wal, -shm, -journal or
 * .lock file (nor may its own -wal/-shm/-journal), and an existing file
 * of that name must be a regular file (not a symbolic link, a device, a
 * directory...); overwrite replaces only such a file. The copy is made
 * beside it and renamed over it, so nothing is ever written through an
 * existing name. OUT: *out (may be NULL); path (n bytes), the full path
 * written. Returns store_backup_to's codes, and INVALID_ARGUMENT with a
 * violation of field "path" for a bad name or one naming the database's
 * files; FAILED_PRECONDITION (field "path") when the name exists and is
 * not a regular file, or the backup directory is missing or not a
 * directory; INVALID_ARGUMENT for an in-memory database. */
oz_code store_backup_named(store_conn *src, const char *name, bool overwrite,
	store_backup_stats *out, char *path, size_t n, oz_status *st);

/* store_backup_to on a connection opened here to cfg's database (for
 * `ozctl backup --database`): the same result codes, plus UNAVAILABLE
 * when the database cannot be opened and NOT_FOUND when cfg's file does
 * not exist (it is never created). cfg must not be in memory
 * (INVALID_ARGUMENT). */
oz_code store_backup_file(const store_config *cfg, const char *dest,
	bool overwrite, store_backup_progress_fn progress, void *arg,
	store_backup_stats *out, oz_status *st) OZ_MUST_USE;

/* What a restore did. */
typedef struct store_restore_result {
	char revision[8]; /* The restored file's schema revision ("0002"). */
	int n_pending;    /* Revisions of this build not applied in it. */
	bool moved_aside; /* An old database existed and was moved aside. */
	char aside[STORE_PATH_MAX + 64]; /* Its new path when moved_aside. */
} store_restore_result;

/* Replaces cfg's database with the backup file src, offline:
 *   1. takes the database's lock (store/lock.h) without waiting, so no
 *      server runs on it now nor starts until the restore is done, and
 *      makes sure no other process has the database open at all (an ozd
 *      that does not take the lock, a sqlite3 shell): every SQLite
 *      connection in WAL mode holds a read lock on the database file's
 *      shared-lock bytes while open, which F_GETLK finds with its pid.
 *      The calling process must not have the database open itself
 *      (closing the probe's descriptor would drop its fcntl locks);
 *   2. copies src to a temporary file in the database's directory and
 *      verifies that copy: it opens, PRAGMA integrity_check says ok, it
 *      records a schema revision in oz_migrations and that revision is
 *      known to this build (an older one is fine: upgrade it afterwards); src
 * itself is only read;
 *   3. moves the old database and its -wal, -shm and -journal files
 *      aside to "<db>.before-restore-<UTC time>" (plus -wal, -shm,
 *      -journal), so the old data stays recoverable as it was, and no
 *      stale -wal/-shm stays beside the new file;
 *   4. syncs and renames the temporary file to the database's name and
 *      syncs the directory; only then returns OK.
 * On failure before step 3 nothing was changed; a failure in step 3 or 4
 * moves the old files back. OUT: *out (may be NULL).
 *
 * Returns OK; INVALID_ARGUMENT for an in-memory cfg or src naming the
 * database itself; NOT_FOUND when src does not exist; FAILED_PRECONDITION
 * "database X is in use by a running server (pid N)" when the lock is
 * held or "database X is in use by PROGRAM (pid N)" when a process has it
 * open (PROGRAM from /proc/N/comm, else "another process"), "X is not an
 * SQLite database", "X has no schema revision" (no oz_migrations rows) or a
 * revision this build does not know (store_migrate_* messages), or when src
 * has a non-empty -wal file beside it (its last commits would be lost);
 * DATA_LOSS "X failed integrity_check: ..." ; RESOURCE_EXHAUSTED for a full
 * disk; INTERNAL for other I/O failures. */
oz_code store_restore(const store_config *cfg, const char *src,
	store_restore_result *out, oz_status *st) OZ_MUST_USE;

/* Runs VACUUM and then a TRUNCATE checkpoint on cfg's database, offline:
 * refused with FAILED_PRECONDITION (as store_restore, with the same
 * checks and the same requirement on the calling process) while a
 * server or another process holds the database, because VACUUM would hold the
 * write lock for its whole run and the server's writes would fail. OUT:
 * *before and *after (may be NULL), the database file's size. Returns OK,
 * NOT_FOUND when the file does not exist, INVALID_ARGUMENT for an in-memory
 * cfg, UNAVAILABLE, RESOURCE_EXHAUSTED (disk full), INTERNAL. */
oz_code store_vacuum(const store_config *cfg, int64_t *before, int64_t *after,
	oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_BACKUP_H */
