/* store/migrate.h -- versioned schema migrations, in the manner of Alembic.
 *
 * A migration is one file `NNNN_slug.sql` holding a `-- +oz Up` part and a
 * `-- +oz Down` part (each a script of SQL statements). Its revision id is
 * the four-digit prefix ("0001"); "base" means no revision. The first
 * comment line of the file (before the Up marker) is its message. The
 * files of migrations/ are built into every binary (core/embed.h); the
 * plain functions use them, the *_set variants take an explicit set (tests
 * use broken or extra migrations that way). A set is sorted by name.
 *
 * The table oz_migrations(revision TEXT PRIMARY KEY, applied_at INTEGER NOT
 * NULL) holds one row per applied revision, applied_at in microseconds since
 * the Unix epoch. The applied revisions always form a prefix of the set: the
 * current revision is the highest one recorded.
 *
 * Each migration runs in its own BEGIN IMMEDIATE transaction together with
 * the row it records or deletes. PRAGMA foreign_keys is turned OFF before
 * BEGIN (it is a no-op inside a transaction, and table rebuilds need it
 * off), PRAGMA foreign_key_check runs before COMMIT (any violation fails
 * the migration), and foreign_keys is restored afterwards. A failing
 * migration is rolled back whole: the database stays at the revision
 * before it, and the status names the file and carries SQLite's message
 * (migrations are an operator tool, so SQLite's text is useful there).
 * A script may not BEGIN, COMMIT or ROLLBACK: such a statement is refused
 * before it runs (FAILED_PRECONDITION), as it would end the transaction
 * half way. SAVEPOINTs inside a script are fine.
 *
 * The step loop re-reads the recorded revision inside each transaction, so
 * two processes migrating one file at once apply each revision once.
 *
 * Every function needs c outside any transaction (store_tx_depth(c) == 0),
 * else FAILED_PRECONDITION. None of them keeps a pointer to its arguments.
 *
 * Codes common to all: FAILED_PRECONDITION for a malformed migration file
 * (bad name, revisions out of order or repeated, no Up or Down marker), for
 * a database whose recorded revision is newer than this build's head
 * ("database is at revision X, newer than this build's head Y") or unknown
 * to it, or whose recorded revisions are not a prefix of the set;
 * UNAVAILABLE when the database stays locked past busy_timeout; INTERNAL or
 * another store code when SQLite fails. */
#ifndef OZ_STORE_MIGRATE_H
#define OZ_STORE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/embed.h"
#include "store/store.h"

/* "0001": four digits and a NUL (also fits "base"). */
#define STORE_REV_MAX 8

/* Upgrades to target: "head" (the last revision of the set), "+N" (N more
 * revisions, N >= 1), or a revision id such as "0002". A target equal to
 * the current revision does nothing. Returns OK; INVALID_ARGUMENT for an
 * unknown revision, a malformed target, a target below the current
 * revision or "+N" past head. A failed migration returns the code of
 * store_error() for SQLite's result with the message "migration FILE (up)
 * failed: SQLITE MESSAGE", or FAILED_PRECONDITION when it leaves foreign
 * key violations; the migrations before it stay applied. */
oz_code store_migrate_upgrade(
	store_conn *c, const char *target, oz_status *st) OZ_MUST_USE;
oz_code store_migrate_upgrade_set(store_conn *c, const struct embed_file *set,
	size_t n, const char *target, oz_status *st) OZ_MUST_USE;

/* Downgrades to target: "-N" (undo N revisions, N >= 1), "base" (undo
 * all), or a revision id (undo those after it; it stays applied). Returns
 * as store_migrate_upgrade, with INVALID_ARGUMENT for a target above the
 * current revision or "-N" below base. */
oz_code store_migrate_downgrade(
	store_conn *c, const char *target, oz_status *st) OZ_MUST_USE;
oz_code store_migrate_downgrade_set(store_conn *c,
	const struct embed_file *set, size_t n, const char *target,
	oz_status *st) OZ_MUST_USE;

/* OUT: *n_pending, the number of revisions of the set not applied (0 = at
 * head). A new empty database has all of them pending. Reads only. */
oz_code store_migrate_pending(
	store_conn *c, int *n_pending, oz_status *st) OZ_MUST_USE;
oz_code store_migrate_pending_set(store_conn *c, const struct embed_file *set,
	size_t n, int *n_pending, oz_status *st) OZ_MUST_USE;

/* OUT: rev (size n >= STORE_REV_MAX), the highest revision recorded in the
 * database ("0002"), or "base" when none is. It reports what the database
 * says even when this build does not know that revision, so an operator
 * can see why the other functions refuse. Reads only. */
oz_code store_migrate_current(
	store_conn *c, char *rev, size_t n, oz_status *st) OZ_MUST_USE;

/* One revision as store_migrate_history reports it. */
typedef struct store_migrate_rev {
	char rev[STORE_REV_MAX]; /* "0001". */
	const char *file;        /* "0001_initial.sql"; "" if unknown. */
	const char *message;     /* First comment line of the file. */
	bool known;              /* In this build's set. */
	bool applied;            /* Recorded in oz_migrations. */
	int64_t applied_at;      /* Microseconds since the epoch, or 0. */
} store_migrate_rev;

/* OUT: *out, an array of *n_out revisions allocated from a (strings too;
 * they live until the arena is reset): every revision of the set in order,
 * applied or not, followed by any revision the database records that the
 * set does not know (known = false). Returns OK or RESOURCE_EXHAUSTED
 * when a runs out; it does not refuse a database newer than the build. */
oz_code store_migrate_history(store_conn *c, arena *a, store_migrate_rev **out,
	size_t *n_out, oz_status *st) OZ_MUST_USE;
oz_code store_migrate_history_set(store_conn *c, const struct embed_file *set,
	size_t n, arena *a, store_migrate_rev **out, size_t *n_out,
	oz_status *st) OZ_MUST_USE;

/* Records the database as being at target ("head", "base" or a revision)
 * without running any SQL: afterwards exactly the revisions up to target
 * are recorded (new rows get the current time). For a database created by
 * other means. Unlike the others it accepts any recorded state, even one
 * newer than the build. Returns OK or INVALID_ARGUMENT for an unknown
 * target. */
oz_code store_migrate_stamp(
	store_conn *c, const char *target, oz_status *st) OZ_MUST_USE;
oz_code store_migrate_stamp_set(store_conn *c, const struct embed_file *set,
	size_t n, const char *target, oz_status *st) OZ_MUST_USE;

/* Checks for drift: applies the set up to the current revision to a fresh
 * in-memory database and compares the normalized schema (type, name,
 * tbl_name and sql with whitespace collapsed, from sqlite_master, without
 * oz_migrations and sqlite_stat*) of both. Returns OK when they match,
 * FAILED_PRECONDITION "schema drift at revision R: N difference(s); first:
 * ..." when they differ. */
oz_code store_migrate_check(store_conn *c, oz_status *st) OZ_MUST_USE;
oz_code store_migrate_check_set(store_conn *c, const struct embed_file *set,
	size_t n, oz_status *st) OZ_MUST_USE;

/* Writes the next migration file into dir: one past the highest NNNN_*.sql
 * there (0001 in an empty dir), named NNNN_slug.sql where slug is message
 * in lower case with every run of other characters than [a-z0-9] turned
 * into one '_' (at most 40 characters), holding "-- message" and empty Up
 * and Down parts. Never overwrites a file. OUT: path (size n), the path
 * written. Returns OK; INVALID_ARGUMENT for an empty message or one with
 * no letter or digit; NOT_FOUND when dir cannot be read; OUT_OF_RANGE past
 * 9999; ALREADY_EXISTS when the file appeared meanwhile; INTERNAL when the
 * file cannot be written. Needs no database. */
oz_code store_migrate_revision(const char *dir, const char *message,
	char *path, size_t n, oz_status *st) OZ_MUST_USE;

#endif /* OZ_STORE_MIGRATE_H */
