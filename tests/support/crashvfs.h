/* tests/support/crashvfs.h -- a VFS shim that simulates power loss, for
 * tests only (never linked into ozd), in the manner of SQLite's own crash
 * tests (src/test6.c, test_vfs.c).
 *
 * Registered as the default VFS over the real one ("unix"), it passes
 * every call through, and for files under a tracked directory it records
 * what each file held at its last xSync and every write and truncate since.
 * crashvfs_image() writes what a power cut at that moment could leave on
 * disk: for each file its synced content, then each unsynced write either
 * lost, kept, or torn (a random prefix of its 512-byte sectors kept), in
 * order. Files are assumed created and deleted durably (directory syncs
 * are not modelled), and -shm files are left out (SQLite rebuilds them).
 * Single-threaded use only. */
#ifndef OZ_TESTS_SUPPORT_CRASHVFS_H
#define OZ_TESTS_SUPPORT_CRASHVFS_H

#include <stddef.h>
#include <stdint.h>

/* Called before every xWrite, xTruncate and xSync of a tracked file (the
 * moments a power cut can fall between). */
typedef void (*crashvfs_point_fn)(void *arg);

/* Registers the shim as the default VFS, tracking files whose path starts
 * with dir. Returns 0, or -1 if SQLite refused. */
int crashvfs_register(const char *dir);

/* Unregisters it (the real VFS is the default again) and forgets every
 * tracked file. */
void crashvfs_unregister(void);

/* Sets the function run at every I/O point (NULL: none). */
void crashvfs_set_point(crashvfs_point_fn fn, void *arg);

/* Writes into dir (which must exist) each tracked file, by its base name,
 * as a power cut now could leave it; the choices come from *rng (a
 * xorshift64 state, advanced). Returns the number of files, -1 on error. */
int crashvfs_image(const char *dir, uint64_t *rng);

/* A xorshift64 step: the next pseudo-random number from *rng. */
uint64_t crashvfs_rand(uint64_t *rng);

/* Opens path with the real VFS and runs PRAGMA integrity_check; writes its
 * first row into out (size n). Returns 0 when it says "ok". */
int crashvfs_integrity(const char *path, char *out, size_t n);

/* Opens path with the real VFS and returns the first column of the first
 * row of sql as an integer (0 if no row), or -1 on any error. */
int64_t crashvfs_query_int(const char *path, const char *sql);

#endif /* OZ_TESTS_SUPPORT_CRASHVFS_H */
