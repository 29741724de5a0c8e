/* store/lock.h -- one process at a time owns a database file: ozd for as
 * long as it runs, ozctl restore and vacuum while they work.
 *
 * The lock is an exclusive flock(2) on the file "<db>.lock" beside the
 * database (created if missing, never deleted: deleting a lock file
 * races with another process opening it). The holder writes its pid into
 * the file, so the one refused can name it. flock locks belong to the
 * open file description, so a second acquire in the same process is
 * refused too, and the kernel drops the lock when the holder exits or
 * dies. SQLite's own locks (fcntl byte ranges on the database and -shm
 * files) are untouched. In-memory databases have no lock, and neither
 * has PostgreSQL: several ozd may serve one PostgreSQL database. */
#ifndef OZ_STORE_LOCK_H
#define OZ_STORE_LOCK_H

#include "oz/status.h"
#include "store/store.h"

/* A held lock. */
typedef struct store_lock store_lock;

/* Takes the lock of cfg's database without waiting. OUT: *out, owned by
 * the caller, released with store_lock_release; NULL for an in-memory
 * or PostgreSQL cfg (nothing to lock; OK). what names the holder in the
 * refusal of the others ("a running server", "a restore"): it is written after
 * the pid. Returns OK; FAILED_PRECONDITION "database X is in use by WHAT (pid
 * N)" when another holder has it (WHAT and N as that holder wrote them, or
 * "another process" when unreadable); NOT_FOUND when the directory does
 * not exist; PERMISSION_DENIED or INTERNAL when the lock file cannot be
 * opened. */
oz_code store_lock_acquire(const store_config *cfg, const char *what,
	store_lock **out, oz_status *st) OZ_MUST_USE;

/* Releases and frees the lock. NULL is a no-op. */
void store_lock_release(store_lock *l);

#endif /* OZ_STORE_LOCK_H */
