/* store/migrate_file.c -- migration files: parses NNNN_slug.sql into its
 * revision, message, Up and Down parts, and writes the next empty one;
 * and what both dialects share above the database: resolving a target and
 * filling a history. It must not touch a database. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/migrate_impl.h"

/* --- Parsing ------------------------------------------------------------ */

static bool
is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Accepts "NNNN_slug.sql" with a non-empty slug. */
static bool
valid_name(const char *name)
{
	size_t len = strlen(name);
	for (int i = 0; i < 4; i++) {
		if (!is_digit(name[i])) {
			return false;
		}
	}
	return len > 9 && name[4] == '_' &&
	       strcmp(name + len - 4, ".sql") == 0;
}

/* Length of the line at p (up to end), without the newline and trailing
 * blanks. */
static size_t
line_len(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t) (end - p));
	const char *e = nl != NULL ? nl : end;
	*next = nl != NULL ? nl + 1 : end;
	while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	return (size_t) (e - p);
}

static bool
line_is(const char *p, size_t len, const char *marker)
{
	return len == strlen(marker) && memcmp(p, marker, len) == 0;
}

static oz_code
parse_file(const struct embed_file *f, struct mig *m, oz_status *st)
{
	const char *p = f->text, *end = f->text + f->len;
	const char *up_line = NULL, *down_line = NULL;
	memset(m, 0, sizeof(*m));
	m->file = f->name;
	if (!valid_name(f->name)) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"migration file \"%s\": name is not NNNN_slug.sql",
			f->name);
	}
	memcpy(m->rev, f->name, 4);
	m->message = "";
	while (p < end) {
		const char *next;
		size_t len = line_len(p, end, &next);
		if (line_is(p, len, UP_MARKER) ||
			line_is(p, len, DOWN_MARKER)) {
			bool up = line_is(p, len, UP_MARKER);
			const char **slot = up ? &up_line : &down_line;
			if (*slot != NULL || (up && down_line != NULL)) {
				return oz_fail(st, OZ_FAILED_PRECONDITION,
					"migration %s: \"%s\" is repeated or "
					"out of order",
					f->name, up ? UP_MARKER : DOWN_MARKER);
			}
			*slot = p;
			if (up) {
				m->up = next;
			} else {
				m->down = next;
			}
		} else if (up_line == NULL && m->message_len == 0 &&
			   len >= 2 && p[0] == '-' && p[1] == '-') {
			size_t skip = 2;
			while (skip < len && p[skip] == ' ') {
				skip++;
			}
			m->message = p + skip;
			m->message_len = len - skip;
		}
		p = next;
	}
	if (up_line == NULL || down_line == NULL) {
		return oz_fail(st, OZ_FAILED_PRECONDITION,
			"migration %s: no \"%s\" line", f->name,
			up_line == NULL ? UP_MARKER : DOWN_MARKER);
	}
	m->up_len = (size_t) (down_line - m->up);
	m->down_len = (size_t) (end - m->down);
	return OZ_OK;
}

void
migrate_set_free(struct migset *ms)
{
	free(ms->m);
	ms->m = NULL;
	ms->n = 0;
}

oz_code
migrate_set_parse(const struct embed_file *set, size_t n, struct migset *ms,
	oz_status *st)
{
	oz_code rc;
	ms->n = 0;
	ms->m = calloc(n != 0 ? n : 1, sizeof(*ms->m));
	if (ms->m == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = parse_file(&set[i], &ms->m[i], st)) != OZ_OK) {
			migrate_set_free(ms);
			return rc;
		}
		if (i > 0 && strcmp(ms->m[i - 1].rev, ms->m[i].rev) >= 0) {
			rc = oz_fail(st, OZ_FAILED_PRECONDITION,
				"migrations %s and %s: revisions repeated or "
				"out of order",
				ms->m[i - 1].file, ms->m[i].file);
			migrate_set_free(ms);
			return rc;
		}
		ms->n++;
	}
	return OZ_OK;
}

/* The revision after k applied migrations: "base" or its id. */
const char *
migrate_rev_at(const struct migset *ms, size_t k)
{
	return k == 0 ? "base" : ms->m[k - 1].rev;
}

const struct mig *
migrate_set_find(const struct migset *ms, const char *rev)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (strcmp(ms->m[i].rev, rev) == 0) {
			return &ms->m[i];
		}
	}
	return NULL;
}

/* --- New revision files ------------------------------------------------- */

#define SLUG_MAX 40

/* Lower-case letters and digits of message, other runs as one '_'. */
static void
make_slug(const char *message, char *slug)
{
	size_t o = 0;
	for (const char *p = message; *p != '\0' && o < SLUG_MAX; p++) {
		char ch = *p;
		if (ch >= 'A' && ch <= 'Z') {
			ch = (char) (ch - 'A' + 'a');
		}
		if ((ch >= 'a' && ch <= 'z') || is_digit(ch)) {
			slug[o++] = ch;
		} else if (o > 0 && slug[o - 1] != '_') {
			slug[o++] = '_';
		}
	}
	while (o > 0 && slug[o - 1] == '_') {
		o--;
	}
	slug[o] = '\0';
}

/* OUT: *next, one past the highest revision of the files in dir. */
static oz_code
next_revision(const char *dir, int *next, oz_status *st)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int max = 0;
	if (d == NULL) {
		return oz_fail(st, OZ_NOT_FOUND,
			"cannot read directory %s: %s", dir, strerror(errno));
	}
	while ((e = readdir(d)) != NULL) {
		if (valid_name(e->d_name)) {
			int v = atoi(e->d_name);
			max = v > max ? v : max;
		}
	}
	closedir(d);
	if (max >= 9999) {
		return oz_fail(st, OZ_OUT_OF_RANGE,
			"%s already holds revision 9999, the last one", dir);
	}
	*next = max + 1;
	return OZ_OK;
}

static oz_code
write_revision(const char *path, const char *message, oz_status *st)
{
	FILE *f = fopen(path, "wx");
	if (f == NULL) {
		return oz_fail(st,
			errno == EEXIST ? OZ_ALREADY_EXISTS : OZ_INTERNAL,
			"cannot create %s: %s", path, strerror(errno));
	}
	fputs("-- ", f);
	for (const char *p = message; *p != '\0'; p++) {
		fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
	}
	fputs("\n\n" UP_MARKER "\n\n" DOWN_MARKER "\n", f);
	bool bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad) {
		remove(path);
		return oz_fail(st, OZ_INTERNAL, "cannot write %s", path);
	}
	return OZ_OK;
}

oz_code
store_migrate_revision(const char *dir, const char *message, char *path,
	size_t n, oz_status *st)
{
	char slug[SLUG_MAX + 1];
	int next = 0;
	oz_code rc;
	make_slug(message != NULL ? message : "", slug);
	if (slug[0] == '\0') {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"a revision needs a message with a letter or digit");
	}
	if ((rc = next_revision(dir, &next, st)) != OZ_OK) {
		return rc;
	}
	int len = snprintf(path, n, "%s/%04d_%s.sql", dir, next, slug);
	if (len < 0 || (size_t) len >= n) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"path of the new revision in %s is too long", dir);
	}
	return write_revision(path, message, st);
}

/* --- Targets ------------------------------------------------------------ */

/* Parses the digits of "+N"/"-N" (N >= 1, at most 9999). */
static bool
parse_count(const char *s, size_t *out)
{
	size_t v = 0;
	if (*s == '\0' || strlen(s) > 4) {
		return false;
	}
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9') {
			return false;
		}
		v = v * 10 + (size_t) (*s - '0');
	}
	*out = v;
	return v >= 1;
}

static oz_code
resolve_relative(const struct migset *ms, const char *target, size_t cur,
	enum migrate_dir dir, size_t *out, oz_status *st)
{
	size_t k;
	bool up = dir == MIGRATE_UP;
	if (!parse_count(target + 1, &k)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"bad target \"%s\": expected %cN with N >= 1", target,
			target[0]);
	}
	if (up ? k > ms->n - cur : k > cur) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"cannot %s %zu revision(s) from %s: only %zu %s",
			up ? "upgrade" : "downgrade", k,
			migrate_rev_at(ms, cur), up ? ms->n - cur : cur,
			up ? "more known" : "applied");
	}
	*out = up ? cur + k : cur - k;
	return OZ_OK;
}

static oz_code
resolve_rev(const struct migset *ms, const char *target, size_t cur,
	enum migrate_dir dir, size_t *out, oz_status *st)
{
	const struct mig *m = migrate_set_find(ms, target);
	if (m == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"unknown revision \"%s\": this build knows %s..%s",
			target, ms->n > 0 ? ms->m[0].rev : "base",
			migrate_rev_at(ms, ms->n));
	}
	size_t k = (size_t) (m - ms->m) + 1;
	if ((dir == MIGRATE_UP && k < cur) ||
		(dir == MIGRATE_DOWN && k > cur)) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"revision %s is %s the current revision %s: use %s",
			target, dir == MIGRATE_UP ? "below" : "above",
			migrate_rev_at(ms, cur),
			dir == MIGRATE_UP ? "downgrade" : "upgrade");
	}
	*out = k;
	return OZ_OK;
}

static const char *const usage[] = {
	[MIGRATE_UP] = "upgrade takes head, +N or a revision",
	[MIGRATE_DOWN] = "downgrade takes -N, base or a revision",
	[MIGRATE_STAMP] = "stamp takes head, base or a revision",
};

oz_code
migrate_resolve(const struct migset *ms, const char *target, size_t cur,
	enum migrate_dir dir, size_t *out, oz_status *st)
{
	if (target == NULL) {
		return oz_fail(st, OZ_INVALID_ARGUMENT, "no target revision");
	}
	if (strcmp(target, "head") == 0 && dir != MIGRATE_DOWN) {
		*out = ms->n;
		return OZ_OK;
	}
	if (strcmp(target, "base") == 0 && dir != MIGRATE_UP) {
		*out = 0;
		return OZ_OK;
	}
	if ((target[0] == '+' && dir == MIGRATE_UP) ||
		(target[0] == '-' && dir == MIGRATE_DOWN)) {
		return resolve_relative(ms, target, cur, dir, out, st);
	}
	if (strcmp(target, "head") == 0 || strcmp(target, "base") == 0 ||
		target[0] == '+' || target[0] == '-') {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"bad target \"%s\": %s", target, usage[dir]);
	}
	return resolve_rev(ms, target, cur, dir, out, st);
}

oz_code
migrate_history_fill(const struct migset *ms, const struct recorded *r,
	size_t nr, arena *a, store_migrate_rev *h, size_t *n_out,
	oz_status *st)
{
	size_t n = ms->n;
	for (size_t i = 0; i < ms->n; i++) {
		const struct mig *m = &ms->m[i];
		memcpy(h[i].rev, m->rev, sizeof(h[i].rev));
		h[i].file = m->file;
		h[i].message = arena_strndup(a, m->message, m->message_len);
		h[i].known = true;
		if (h[i].message == NULL) {
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
	}
	for (size_t j = 0; j < nr; j++) {
		const struct mig *m = migrate_set_find(ms, r[j].rev);
		store_migrate_rev *e = m != NULL ? &h[m - ms->m] : &h[n++];
		if (m == NULL) {
			snprintf(e->rev, sizeof(e->rev), "%s", r[j].rev);
			e->file = "";
			e->message = "";
		}
		e->applied = true;
		e->applied_at = r[j].applied_at;
	}
	*n_out = n;
	return OZ_OK;
}
