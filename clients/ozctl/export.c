/* clients/ozctl/export.c -- `ozctl export users|tasks`: every user or
 * task, in id order, as JSON Lines (one object per line, the proto3 JSON
 * of User / Task) or CSV with a header row, paging through ListUsers /
 * ListTasks. What it writes, `ozctl import` reads back.
 *
 * Talks to ozd only through the C client library; no SQL here. */
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "ozctl.h"

#define N(a)        (sizeof(a) / sizeof((a)[0]))
#define EXPORT_PAGE 1000

static void
csv_header(FILE *f, bulk_resource res)
{
	const char *const *cols =
		res == BULK_USERS ? bulk_user_cols : bulk_task_cols;
	int n = res == BULK_USERS ? BULK_USER_NCOLS : BULK_TASK_NCOLS;
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s%s", i > 0 ? "," : "", cols[i]);
	}
	fputc('\n', f);
}

/* Writes cells (n of them) as one CSV row. */
static void
csv_row(FILE *f, const char *const *cells, int n)
{
	for (int i = 0; i < n; i++) {
		if (i > 0) {
			fputc(',', f);
		}
		bulk_csv_field(f, cells[i]);
	}
	fputc('\n', f);
}

static void
csv_user(FILE *f, const Oz__V1__User *u)
{
	char id[24], c[40], up[40];
	snprintf(id, sizeof(id), "%lld", (long long) u->id);
	const char *row[BULK_USER_NCOLS] = {u->username, u->email, id,
		u->is_active ? "true" : "false",
		ozctl_time(u->create_time, c, sizeof(c)),
		ozctl_time(u->update_time, up, sizeof(up)), u->etag};
	csv_row(f, row, BULK_USER_NCOLS);
}

static void
csv_task(FILE *f, const Oz__V1__Task *t)
{
	char id[24], uid[24], c[40], up[40];
	snprintf(id, sizeof(id), "%lld", (long long) t->id);
	snprintf(uid, sizeof(uid), "%lld", (long long) t->user_id);
	const char *row[BULK_TASK_NCOLS] = {uid, t->title, t->description,
		ozctl_task_status_name(t->status), id,
		ozctl_time(t->create_time, c, sizeof(c)),
		ozctl_time(t->update_time, up, sizeof(up)), t->etag};
	csv_row(f, row, BULK_TASK_NCOLS);
}

/* Writes one item in fmt. Returns OK or the JSON formatter's failure. */
static oz_code
write_item(FILE *f, bulk_format fmt, const ProtobufCMessage *m, oz_status *st)
{
	if (fmt == BULK_CSV) {
		if (m->descriptor == &oz__v1__user__descriptor) {
			csv_user(f, (const Oz__V1__User *) m);
		} else {
			csv_task(f, (const Oz__V1__Task *) m);
		}
		return OZ_OK;
	}
	char *text;
	if (oz_json_from_message(m, OZ_JSON_EMIT_DEFAULTS, &text, st) !=
		OZ_OK) {
		return st->code;
	}
	fprintf(f, "%s\n", text);
	free(text);
	return OZ_OK;
}

/* One page of users or tasks after token. OUT: *page (caller frees),
 * *items, *n, *next, *total. */
static oz_code
fetch_page(oz_client *c, bulk_resource res, const char *token,
	ProtobufCMessage **page, ProtobufCMessage ***items, size_t *n,
	const char **next, int64_t *total, oz_status *st)
{
	if (res == BULK_USERS) {
		Oz__V1__ListUsersRequest req =
			OZ__V1__LIST_USERS_REQUEST__INIT;
		Oz__V1__ListUsersResponse *r = NULL;
		req.page_size = EXPORT_PAGE;
		req.page_token = (char *) token;
		if (oz_user_list(c, &req, &r, st) != OZ_OK) {
			return st->code;
		}
		*page = &r->base;
		*items = (ProtobufCMessage **) r->users;
		*n = r->n_users;
		*next = r->next_page_token;
		*total = r->total_size;
		return OZ_OK;
	}
	Oz__V1__ListTasksRequest req = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Oz__V1__ListTasksResponse *r = NULL;
	req.page_size = EXPORT_PAGE;
	req.page_token = (char *) token;
	if (oz_task_list(c, &req, &r, st) != OZ_OK) {
		return st->code;
	}
	*page = &r->base;
	*items = (ProtobufCMessage **) r->tasks;
	*n = r->n_tasks;
	*next = r->next_page_token;
	*total = r->total_size;
	return OZ_OK;
}

/* Pages through every item, writing each. Returns OK or the failure. */
static oz_code
export_all(ozctl *ctl, oz_client *c, bulk_resource res, bulk_format fmt,
	FILE *f, int64_t *written, oz_status *st)
{
	char *token = strdup("");
	bulk_progress pr;
	bool first = true;
	*written = 0;
	while (token != NULL) {
		ProtobufCMessage *page = NULL, **items = NULL;
		const char *next = "";
		size_t n = 0;
		int64_t total = 0;
		if (fetch_page(c, res, token, &page, &items, &n, &next, &total,
			    st) != OZ_OK) {
			break;
		}
		if (first) {
			bulk_progress_init(&pr, ctl->quiet, "rows", total);
			first = false;
		}
		for (size_t i = 0; i < n && st->code == OZ_OK; i++) {
			write_item(f, fmt, items[i], st);
		}
		*written += (int64_t) n;
		bulk_progress_show(&pr, *written, false);
		free(token);
		token = next[0] != '\0' && st->code == OZ_OK ? strdup(next)
							     : NULL;
		oz_message_free(page);
	}
	free(token);
	if (!first) {
		bulk_progress_show(&pr, *written, true);
	}
	return st->code;
}

int
ozctl_export(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl export users|tasks "
				    "[--format jsonl|csv] [--output FILE]";
	static const char help[] =
		"Writes every user or task, in id order, to stdout (or "
		"--output FILE):\n"
		"JSON Lines (default; one User or Task object per line) or "
		"CSV with a header\n"
		"row (users: username,email,id,is_active,create_time,"
		"update_time,etag; tasks:\n"
		"user_id,title,description,status,id,create_time,update_time,"
		"etag). Pages\n"
		"through ListUsers / ListTasks; ozctl import reads both "
		"formats back. A\n"
		"progress bar is drawn when stdout and stderr are "
		"terminals.\n";
	ozctl_opt opts[] = {
		OZCTL_OPT("format", true), OZCTL_OPT("output", true)};
	bulk_resource res;
	bulk_format fmt = BULK_JSONL;
	const char *pos[1];
	oz_client *c;
	oz_status st;
	int64_t n = 0;
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, opts, N(opts), pos, 1, &n_pos, usage,
		    help, &rc)) {
		return rc;
	}
	if (n_pos != 1 || !bulk_resource_parse(pos[0], false, &res)) {
		return ozctl_usage_error(usage, "say users or tasks");
	}
	if (opts[0].set && !bulk_format_parse(opts[0].value, &fmt)) {
		return ozctl_usage_error(usage, "--format is jsonl or csv");
	}
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	FILE *f = opts[1].set ? fopen(opts[1].value, "w") : stdout;
	if (f == NULL) {
		fprintf(stderr, "ozctl: cannot write %s\n", opts[1].value);
		return OZCTL_EXIT_OTHER;
	}
	oz_status_clear(&st);
	if (fmt == BULK_CSV) {
		csv_header(f, res);
	}
	rc = export_all(ctl, c, res, fmt, f, &n, &st);
	if ((f != stdout && fclose(f) != 0) || fflush(stdout) != 0) {
		fprintf(stderr, "ozctl: write error\n");
		return OZCTL_EXIT_OTHER;
	}
	return rc != OZ_OK ? ozctl_fail(&st) : OZCTL_EXIT_OK;
}
