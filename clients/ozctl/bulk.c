/* clients/ozctl/bulk.c -- file formats and the progress bar of `ozctl
 * import` and `ozctl export` (see bulk.h). No calls to the server here. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "bulk.h"
#include "core/clock.h"

const char *const bulk_user_cols[BULK_USER_NCOLS] = {"username", "email", "id",
	"is_active", "create_time", "update_time", "etag"};
const char *const bulk_task_cols[BULK_TASK_NCOLS] = {"user_id", "title",
	"description", "status", "id", "create_time", "update_time", "etag"};

bool
bulk_format_parse(const char *s, bulk_format *out)
{
	if (strcmp(s, "jsonl") == 0) {
		*out = BULK_JSONL;
	} else if (strcmp(s, "csv") == 0) {
		*out = BULK_CSV;
	} else {
		return false;
	}
	return true;
}

bool
bulk_format_of(const char *path, bulk_format *out)
{
	const char *dot = strrchr(path, '.');
	if (dot == NULL) {
		return false;
	}
	if (strcasecmp(dot, ".csv") == 0) {
		*out = BULK_CSV;
		return true;
	}
	if (strcasecmp(dot, ".jsonl") == 0 ||
		strcasecmp(dot, ".ndjson") == 0 ||
		strcasecmp(dot, ".json") == 0) {
		*out = BULK_JSONL;
		return true;
	}
	return false;
}

bool
bulk_resource_parse(const char *s, bool use_path, bulk_resource *out)
{
	const char *base =
		use_path && strrchr(s, '/') != NULL ? strrchr(s, '/') + 1 : s;
	/* A path names the resource with its start, an argument whole. */
	if (use_path ? strncmp(base, "users", 5) == 0
		     : strcmp(base, "users") == 0) {
		*out = BULK_USERS;
	} else if (use_path ? strncmp(base, "tasks", 5) == 0
			    : strcmp(base, "tasks") == 0) {
		*out = BULK_TASKS;
	} else {
		return false;
	}
	return true;
}

void
bulk_csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"') {
			fputc('"', f);
		}
		fputc(*s, f);
	}
	fputc('"', f);
}

/* The end of the CSV record starting at p (at its newline or at end),
 * counting the newlines inside quotes into *lines. */
static const char *
csv_record_end(const char *p, const char *end, long *lines)
{
	bool quoted = false;
	for (; p < end; p++) {
		if (*p == '"') {
			quoted = !quoted;
		} else if (*p == '\n') {
			if (!quoted) {
				return p;
			}
			(*lines)++;
		}
	}
	return end;
}

static bool
blank(const char *p, const char *e)
{
	for (; p < e; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r') {
			return false;
		}
	}
	return true;
}

bool
bulk_split(const char *text, size_t len, bulk_format fmt, bulk_record **recs,
	size_t *n)
{
	size_t cap = 1024;
	const char *p = text, *end = text + len;
	long line = 1;
	*n = 0;
	*recs = text != NULL ? malloc(cap * sizeof(**recs)) : NULL;
	while (*recs != NULL && p < end) {
		long extra = 0;
		const char *e = fmt == BULK_CSV
					? csv_record_end(p, end, &extra)
					: memchr(p, '\n', (size_t) (end - p));
		e = e != NULL ? e : end;
		if (!blank(p, e)) {
			if (*n == cap) {
				bulk_record *more = realloc(
					*recs, 2 * cap * sizeof(**recs));
				if (more == NULL) {
					break;
				}
				*recs = more;
				cap *= 2;
			}
			(*recs)[(*n)++] = (bulk_record) {(size_t) (p - text),
				(size_t) (e - text), line};
		}
		line += 1 + extra;
		p = e + 1;
	}
	if (*recs != NULL && p < end) {
		free(*recs); /* Out of memory half way. */
		*recs = NULL;
	}
	return *recs != NULL;
}

bool
bulk_csv_parse(
	char *text, const bulk_record *r, char **fields, int max, int *n)
{
	char *p = text + r->start, *end = text + r->end;
	if (end > p && end[-1] == '\r') {
		end--;
	}
	*n = 0;
	for (;;) {
		char *out = p;
		if (*n == max) {
			return false;
		}
		fields[(*n)++] = out;
		if (p < end && *p == '"') {
			for (p++; p < end; p++) {
				if (*p == '"' && p + 1 < end && p[1] == '"') {
					*out++ = *p++;
				} else if (*p == '"') {
					break;
				} else {
					*out++ = *p;
				}
			}
			if (p >= end || (++p < end && *p != ',')) {
				return false; /* Unclosed, or text after it. */
			}
		} else {
			while (p < end && *p != ',') {
				if (*p == '"') {
					return false;
				}
				*out++ = *p++;
			}
		}
		bool more = p < end; /* At a comma. */
		*out = '\0';
		if (!more) {
			return true;
		}
		p++;
	}
}

double
bulk_now(void)
{
	return (double) oz_now_ns() / 1e9;
}

void
bulk_progress_init(
	bulk_progress *p, bool quiet, const char *what, int64_t total)
{
	p->on = !quiet && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	p->start = bulk_now();
	p->last_draw = 0;
}

void
bulk_progress_show(bulk_progress *p, int64_t done, bool final)
{
	double now = bulk_now(), took = now - p->start;
	if (!p->on || (!final && now - p->last_draw < 0.1)) {
		return;
	}
	p->last_draw = now;
	double rate = took > 0 ? (double) done / took : 0;
	char bar[31];
	int fill = p->total > 0 ? (int) (30 * done / p->total) : 0;
	for (int i = 0; i < 30; i++) {
		bar[i] = i < fill ? '#' : '.';
	}
	bar[30] = '\0';
	fprintf(stderr, "\r[%s] %lld/%lld %s  %.0f %s/s", bar,
		(long long) done, (long long) p->total, p->what, rate,
		p->what);
	if (p->total > 0 && rate > 0 && !final) {
		fprintf(stderr, "  %.0f s left  ",
			(double) (p->total - done) / rate);
	} else {
		fprintf(stderr, "  %.1f s        ", took);
	}
	if (final) {
		fputc('\n', stderr);
	}
	fflush(stderr);
}
