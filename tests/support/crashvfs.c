/* tests/support/crashvfs.c -- the power-loss VFS shim (crashvfs.h). Test
 * code only: it keeps every unsynced write in memory. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "support/crashvfs.h"

#define SECTOR 512

/* One write or truncate not yet synced. */
struct op {
	sqlite3_int64 off; /* Offset; the new size for a truncate. */
	int len;           /* Bytes; -1 for a truncate. */
	unsigned char *data;
	struct op *next;
};

/* What is known of one file: its synced content and the ops since. */
struct track {
	char path[512];
	unsigned char *synced;
	size_t len, cap;
	struct op *head, **tail;
	struct track *next;
};

struct cfile {
	sqlite3_file base;
	struct track *t; /* NULL: not tracked. */
	sqlite3_file *real;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs crash_vfs;
static char tracked_dir[512];
static struct track *tracks;
static crashvfs_point_fn point_fn;
static void *point_arg;

uint64_t
crashvfs_rand(uint64_t *rng)
{
	uint64_t x = *rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*rng = x;
	return x;
}

static void
point(const struct cfile *f)
{
	if (f->t != NULL && point_fn != NULL) {
		point_fn(point_arg);
	}
}

static void
grow(struct track *t, size_t need)
{
	if (need > t->cap) {
		size_t cap = t->cap ? t->cap : 65536;
		while (cap < need) {
			cap *= 2;
		}
		t->synced = realloc(t->synced, cap);
		t->cap = cap;
	}
	if (need > t->len) {
		memset(t->synced + t->len, 0, need - t->len);
	}
}

/* Applies op (all of it, or only its first keep bytes) to a buffer. */
static void
apply(struct track *t, const struct op *o, int keep)
{
	if (o->len < 0) {
		if ((size_t) o->off < t->len) {
			t->len = (size_t) o->off;
		}
		return;
	}
	size_t end = (size_t) o->off + (size_t) keep;
	grow(t, end);
	memcpy(t->synced + o->off, o->data, (size_t) keep);
	if (end > t->len) {
		t->len = end;
	}
}

static void
drop_ops(struct track *t)
{
	while (t->head != NULL) {
		struct op *o = t->head;
		t->head = o->next;
		free(o->data);
		free(o);
	}
	t->tail = &t->head;
}

static void
add_op(struct track *t, sqlite3_int64 off, int len, const void *data)
{
	struct op *o = calloc(1, sizeof(*o));
	o->off = off;
	o->len = len;
	if (len > 0) {
		o->data = malloc((size_t) len);
		memcpy(o->data, data, (size_t) len);
	}
	*t->tail = o;
	t->tail = &o->next;
}

static struct track *
find_track(const char *path, bool create)
{
	for (struct track *t = tracks; t != NULL; t = t->next) {
		if (strcmp(t->path, path) == 0) {
			return t;
		}
	}
	if (!create) {
		return NULL;
	}
	struct track *t = calloc(1, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	t->tail = &t->head;
	t->next = tracks;
	tracks = t;
	return t;
}

static void
free_track(struct track *t)
{
	drop_ops(t);
	free(t->synced);
	free(t);
}

static void
forget(const char *path)
{
	for (struct track **p = &tracks; *p != NULL; p = &(*p)->next) {
		if (strcmp((*p)->path, path) == 0) {
			struct track *t = *p;
			*p = t->next;
			free_track(t);
			return;
		}
	}
}

/* --- io methods: pass through, recording tracked writes ---------------- */

static int
c_close(sqlite3_file *pf)
{
	struct cfile *f = (struct cfile *) pf;
	int rc = f->real->pMethods->xClose(f->real);
	free(f->real);
	return rc;
}

static int
c_read(sqlite3_file *pf, void *buf, int n, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xRead(f->real, buf, n, off);
}

static int
c_write(sqlite3_file *pf, const void *buf, int n, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *) pf;
	point(f);
	int rc = f->real->pMethods->xWrite(f->real, buf, n, off);
	if (rc == SQLITE_OK && f->t != NULL) {
		add_op(f->t, off, n, buf);
	}
	return rc;
}

static int
c_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct cfile *f = (struct cfile *) pf;
	point(f);
	int rc = f->real->pMethods->xTruncate(f->real, size);
	if (rc == SQLITE_OK && f->t != NULL) {
		add_op(f->t, size, -1, NULL);
	}
	return rc;
}

static int
c_sync(sqlite3_file *pf, int flags)
{
	struct cfile *f = (struct cfile *) pf;
	point(f);
	int rc = f->real->pMethods->xSync(f->real, flags);
	if (rc == SQLITE_OK && f->t != NULL) {
		for (struct op *o = f->t->head; o != NULL; o = o->next) {
			apply(f->t, o, o->len);
		}
		drop_ops(f->t);
	}
	return rc;
}

static int
c_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xFileSize(f->real, size);
}

static int
c_lock(sqlite3_file *pf, int lock)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xLock(f->real, lock);
}

static int
c_unlock(sqlite3_file *pf, int lock)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xUnlock(f->real, lock);
}

static int
c_check(sqlite3_file *pf, int *out)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
c_fcntl(sqlite3_file *pf, int op, void *arg)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
c_sector(sqlite3_file *pf)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xSectorSize(f->real);
}

static int
c_caps(sqlite3_file *pf)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int
c_shm_map(sqlite3_file *pf, int pg, int sz, int extend, void volatile **pp)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xShmMap(f->real, pg, sz, extend, pp);
}

static int
c_shm_lock(sqlite3_file *pf, int off, int n, int flags)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

static void
c_shm_barrier(sqlite3_file *pf)
{
	struct cfile *f = (struct cfile *) pf;
	f->real->pMethods->xShmBarrier(f->real);
}

static int
c_shm_unmap(sqlite3_file *pf, int del)
{
	struct cfile *f = (struct cfile *) pf;
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static const sqlite3_io_methods crash_io = {
	.iVersion = 2,
	.xClose = c_close,
	.xRead = c_read,
	.xWrite = c_write,
	.xTruncate = c_truncate,
	.xSync = c_sync,
	.xFileSize = c_size,
	.xLock = c_lock,
	.xUnlock = c_unlock,
	.xCheckReservedLock = c_check,
	.xFileControl = c_fcntl,
	.xSectorSize = c_sector,
	.xDeviceCharacteristics = c_caps,
	.xShmMap = c_shm_map,
	.xShmLock = c_shm_lock,
	.xShmBarrier = c_shm_barrier,
	.xShmUnmap = c_shm_unmap,
};

/* --- the VFS ------------------------------------------------------------ */

static bool
is_tracked(const char *path)
{
	size_t n = strlen(tracked_dir);
	return path != NULL && n > 0 && strncmp(path, tracked_dir, n) == 0;
}

/* A file tracked for the first time starts from what it holds now. */
static void
load_track(struct track *t, sqlite3_file *real)
{
	sqlite3_int64 size = 0;
	if (t->len > 0 || t->head != NULL ||
		real->pMethods->xFileSize(real, &size) != SQLITE_OK ||
		size <= 0) {
		return;
	}
	grow(t, (size_t) size);
	if (real->pMethods->xRead(real, t->synced, (int) size, 0) ==
		SQLITE_OK) {
		t->len = (size_t) size;
	}
}

static int
v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *pf, int flags,
	int *out_flags)
{
	struct cfile *f = (struct cfile *) pf;
	(void) vfs;
	memset(f, 0, sizeof(*f));
	f->real = calloc(1, (size_t) real_vfs->szOsFile);
	int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		free(f->real);
		f->real = NULL;
		return rc;
	}
	f->base.pMethods = &crash_io;
	size_t n = name != NULL ? strlen(name) : 0;
	bool shm = n > 4 && strcmp(name + n - 4, "-shm") == 0;
	if (is_tracked(name) && !shm) {
		f->t = find_track(name, true);
		load_track(f->t, f->real);
	}
	return SQLITE_OK;
}

static int
v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void) vfs;
	int rc = real_vfs->xDelete(real_vfs, name, sync_dir);
	if (rc == SQLITE_OK) {
		forget(name);
	}
	return rc;
}

static int
v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void) vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
v_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void) vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static int
v_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int
v_sleep(sqlite3_vfs *vfs, int us)
{
	(void) vfs;
	return real_vfs->xSleep(real_vfs, us);
}

static int
v_time(sqlite3_vfs *vfs, double *out)
{
	(void) vfs;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int
v_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void) vfs;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

int
crashvfs_register(const char *dir)
{
	if (real_vfs != NULL) {
		crashvfs_unregister(); /* A failed test left it registered. */
	}
	real_vfs = sqlite3_vfs_find("unix");
	if (real_vfs == NULL) {
		return -1;
	}
	snprintf(tracked_dir, sizeof(tracked_dir), "%s", dir);
	crash_vfs = (sqlite3_vfs) {
		.iVersion = 1,
		.szOsFile = (int) sizeof(struct cfile),
		.mxPathname = real_vfs->mxPathname,
		.zName = "oz-crash",
		.xOpen = v_open,
		.xDelete = v_delete,
		.xAccess = v_access,
		.xFullPathname = v_fullpath,
		.xRandomness = v_random,
		.xSleep = v_sleep,
		.xCurrentTime = v_time,
		.xGetLastError = v_error,
	};
	/* No xDlOpen: the default VFS is never asked to load extensions. */
	return sqlite3_vfs_register(&crash_vfs, 1) == SQLITE_OK ? 0 : -1;
}

void
crashvfs_unregister(void)
{
	if (real_vfs == NULL) {
		return;
	}
	sqlite3_vfs_unregister(&crash_vfs);
	sqlite3_vfs_register(real_vfs, 1);
	real_vfs = NULL;
	while (tracks != NULL) {
		struct track *t = tracks;
		tracks = t->next;
		free_track(t);
	}
	point_fn = NULL;
}

void
crashvfs_set_point(crashvfs_point_fn fn, void *arg)
{
	point_fn = fn;
	point_arg = arg;
}

/* How much of unsynced op o a cut keeps: none, all, or whole sectors. */
static int
kept(const struct op *o, uint64_t *rng)
{
	switch (crashvfs_rand(rng) % 3) {
	case 0:
		return 0;
	case 1:
		return o->len;
	default: {
		int sectors = (o->len + SECTOR - 1) / SECTOR;
		int k = (int) (crashvfs_rand(rng) % (uint64_t) sectors);
		return k * SECTOR < o->len ? k * SECTOR : o->len;
	}
	}
}

static int
write_image(const char *dir, const struct track *t, uint64_t *rng)
{
	struct track img = {.tail = &img.head};
	grow(&img, t->len);
	memcpy(img.synced, t->synced, t->len);
	img.len = t->len;
	for (const struct op *o = t->head; o != NULL; o = o->next) {
		if (o->len < 0) {
			if (crashvfs_rand(rng) % 2) {
				apply(&img, o, 0);
			}
		} else {
			int k = kept(o, rng);
			if (k > 0) {
				apply(&img, o, k);
			}
		}
	}
	const char *base = strrchr(t->path, '/');
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, base ? base + 1 : t->path);
	FILE *fh = fopen(path, "wb");
	int rc = fh != NULL && fwrite(img.synced, 1, img.len, fh) == img.len
			 ? 0
			 : -1;
	if (fh != NULL && fclose(fh) != 0) {
		rc = -1;
	}
	free(img.synced);
	return rc;
}

int
crashvfs_image(const char *dir, uint64_t *rng)
{
	int n = 0;
	for (const struct track *t = tracks; t != NULL; t = t->next) {
		if (write_image(dir, t, rng) != 0) {
			return -1;
		}
		n++;
	}
	return n;
}

int
crashvfs_integrity(const char *path, char *out, size_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	snprintf(out, n, "cannot open");
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, "unix");
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(
			db, "PRAGMA integrity_check", -1, &stmt, NULL);
	}
	if (rc == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
		snprintf(out, n, "%s",
			(const char *) sqlite3_column_text(stmt, 0));
	} else if (db != NULL) {
		snprintf(out, n, "%s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return strcmp(out, "ok") == 0 ? 0 : -1;
}

int64_t
crashvfs_query_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	int64_t v = -1;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, "unix");
	if (rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	}
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		v = rc == SQLITE_ROW    ? sqlite3_column_int64(stmt, 0)
		    : rc == SQLITE_DONE ? 0
					: -1;
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}
