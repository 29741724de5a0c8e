/* store/sqlite/lock.c -- the "<db>.lock" flock that makes one process at a
 * time the owner of a database file (see lock.h). It never touches the
 * database file itself nor SQLite's locks. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/lock.h"

struct store_lock {
	int fd;
};

/* Reads "PID WHAT" as the holder wrote it into msg; "another process"
 * when the file says nothing usable. */
static void
holder_text(int fd, char *msg, size_t n)
{
	char buf[128];
	ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);
	long pid = 0;
	int used = 0;
	if (got > 0) {
		buf[got] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (sscanf(buf, "%ld %n", &pid, &used) == 1 && pid > 0 &&
			buf[used] != '\0') {
			snprintf(msg, n, "%s (pid %ld)", buf + used, pid);
			return;
		}
	}
	snprintf(msg, n, "another process");
}

static oz_code
open_fail(const char *path, int err, oz_status *st)
{
	if (err == ENOENT || err == ENOTDIR) {
		return oz_fail(st, OZ_NOT_FOUND,
			"cannot create lock file %s: directory does not exist",
			path);
	}
	if (err == EACCES || err == EPERM || err == EROFS) {
		return oz_fail(st, OZ_PERMISSION_DENIED,
			"cannot create lock file %s: %s", path, strerror(err));
	}
	return oz_fail(st, OZ_INTERNAL, "cannot open lock file %s: %s", path,
		strerror(err));
}

oz_code
store_lock_acquire(const store_config *cfg, const char *what, store_lock **out,
	oz_status *st)
{
	char path[STORE_PATH_MAX + 8], msg[160];
	*out = NULL;
	/* Several ozd may share one PostgreSQL: no lock there. */
	if (!store_traits_of(cfg)->server_lock ||
		store_config_is_memory(cfg)) {
		return OZ_OK;
	}
	snprintf(path, sizeof(path), "%s.lock", cfg->path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		return open_fail(path, errno, st);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;
		if (err == EWOULDBLOCK || err == EINTR) {
			holder_text(fd, msg, sizeof(msg));
			close(fd);
			return oz_fail(st, OZ_FAILED_PRECONDITION,
				"database %s is in use by %s", cfg->path, msg);
		}
		close(fd);
		return oz_fail(st, OZ_INTERNAL, "cannot lock %s: %s", path,
			strerror(err));
	}
	/* Ours now: say who holds it. A failed write only makes the others'
	 * message vaguer, so it is not an error. */
	int len = snprintf(msg, sizeof(msg), "%ld %s\n", (long) getpid(),
		what != NULL && what[0] != '\0' ? what : "another process");
	if (ftruncate(fd, 0) == 0 && len > 0) {
		ssize_t wr = pwrite(fd, msg, (size_t) len, 0);
		(void) wr;
	}
	store_lock *l = malloc(sizeof(*l));
	if (l == NULL) {
		close(fd);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	l->fd = fd;
	*out = l;
	return OZ_OK;
}

void
store_lock_release(store_lock *l)
{
	if (l == NULL) {
		return;
	}
	/* Empty the file first so a reader racing with the release never
	 * blames a pid that has let go. */
	if (ftruncate(l->fd, 0) != 0) {
		/* Harmless: the text is only used in messages. */
	}
	flock(l->fd, LOCK_UN);
	close(l->fd);
	free(l);
}
