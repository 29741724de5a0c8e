/* service/task.c -- oz.v1.TaskService: validates each request, runs it in
 * one store transaction and fills the reply from the request's arena.
 * No SQL and no nng here. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "oz/v1/task_service.pb-c.h"
#include "service/convert.h"
#include "service/paging.h"
#include "service/service.h"
#include "service/validate.h"

/* The fields an update may change, as named in update_mask. */
enum { F_TITLE, F_DESCRIPTION, F_STATUS, F_COUNT };
static const char *const task_fields[F_COUNT] = {
	"title", "description", "status"};

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

static bool
check_status(oz_status *st, int status)
{
	if (!convert_status_valid(status)) {
		oz_status_violation(st, "status",
			"must be TASK_STATUS_PENDING, TASK_STATUS_IN_PROGRESS "
			"or TASK_STATUS_DONE");
		return false;
	}
	return true;
}

static bool
check_title(oz_status *st, const char *title)
{
	return validate_text(st, "title", title, 1, VALIDATE_TITLE_MAX);
}

static bool
check_description(oz_status *st, const char *description)
{
	return validate_text(
		st, "description", description, 0, VALIDATE_DESCRIPTION_MAX);
}

oz_code
service_task_create_check(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, store_task *t, oz_status *st)
{
	const Oz__V1__CreateTaskRequest *req = (const void *) in;
	oz_code rc =
		convert_check(cx, in, &oz__v1__create_task_request__descriptor,
			out, &oz__v1__task__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int status =
		req->status == OZ__V1__TASK_STATUS__TASK_STATUS_UNSPECIFIED
			? OZ__V1__TASK_STATUS__TASK_STATUS_PENDING
			: (int) req->status;
	bool ok = check_title(st, req->title);
	ok = check_description(st, req->description) && ok;
	ok = check_status(st, status) && ok;
	if ((rc = validate_end(st, ok)) != OZ_OK) {
		return rc;
	}
	*t = (store_task) {
		.title = arena_strdup(cx->arena, str(req->title)),
		.description = arena_strdup(cx->arena, str(req->description)),
		.user_id = req->user_id,
		.status = status,
		.create_us = store_now_us(),
	};
	if (t->title == NULL || t->description == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

oz_code
service_task_create(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	store_task t;
	oz_code rc = service_task_create_check(cx, in, out, &t, st);
	if (rc != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = store_task_insert(cx->db, &t, st);
	if (rc == OZ_OK) {
		/* Built before the commit, as in service_user_create. */
		rc = convert_task(cx->arena, &t, (Oz__V1__Task *) out, st);
	}
	return store_tx_end(cx->db, rc, st);
}

oz_code
service_task_get(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__GetTaskRequest *req = (const void *) in;
	store_task t;
	oz_code rc =
		convert_check(cx, in, &oz__v1__get_task_request__descriptor,
			out, &oz__v1__task__descriptor, st);
	/* One SELECT is a transaction of its own (see user_reply). */
	if (rc != OZ_OK || (rc = store_task_get(cx->db, req->id, cx->arena, &t,
				    st)) != OZ_OK) {
		return rc;
	}
	return convert_task(cx->arena, &t, (Oz__V1__Task *) out, st);
}

/* Reads the filter of a ListTasks request. OUT: *f and ftext (size n),
 * its canonical text for the page token's hash. */
static oz_code
list_filter(const Oz__V1__ListTasksRequest *req, store_task_filter *f,
	char *ftext, size_t n, oz_status *st)
{
	f->by_user = req->user_id != NULL;
	f->user_id = f->by_user ? req->user_id->value : 0;
	f->status = (int) req->status;
	if (f->status != OZ__V1__TASK_STATUS__TASK_STATUS_UNSPECIFIED &&
		!check_status(st, f->status)) {
		return validate_end(st, false);
	}
	if (f->by_user) {
		snprintf(ftext, n, "user_id=%" PRId64 ";status=%d", f->user_id,
			f->status);
	} else {
		snprintf(ftext, n, "user_id=*;status=%d", f->status);
	}
	return OZ_OK;
}

static void
task_key(const void *row, int col, store_value *v)
{
	store_task_key(row, col, v);
}

static oz_code
task_list(service_ctx *cx, const ProtobufCMessage *in, ProtobufCMessage *out,
	oz_status *st)
{
	const Oz__V1__ListTasksRequest *req = (const void *) in;
	Oz__V1__ListTasksResponse *res = (void *) out;
	store_task_filter f;
	paging_plan pl;
	store_task *rows = NULL;
	size_t n = 0;
	char ftext[80];
	oz_code rc =
		convert_check(cx, in, &oz__v1__list_tasks_request__descriptor,
			out, &oz__v1__list_tasks_response__descriptor, st);
	if (rc != OZ_OK || (rc = list_filter(req, &f, ftext, sizeof(ftext),
				    st)) != OZ_OK) {
		return rc;
	}
	paging_request preq = {"tasks", ftext, store_task_columns,
		STORE_TASK_NCOLS, req->page_size, req->skip, req->order_by,
		req->page_token};
	if ((rc = paging_plan_init(&pl, &preq, cx->arena, st)) != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_READ, st)) != OZ_OK) {
		return rc;
	}
	/* A page token carries the first page's count (paging.h). */
	rc = pl.total >= 0 ? OZ_OK
			   : store_task_count(cx->db, &f, &pl.total, st);
	if (rc == OZ_OK) {
		rc = store_task_list(
			cx->db, &f, &pl.page, cx->arena, &rows, &n, st);
	}
	if ((rc = store_tx_end(cx->db, rc, st)) != OZ_OK ||
		(rc = paging_plan_end(&pl, rows, sizeof(*rows), &n, task_key,
			 cx->arena, &res->next_page_token, st)) != OZ_OK ||
		(rc = convert_tasks(cx->arena, rows, n, &res->tasks, st)) !=
			OZ_OK) {
		return rc;
	}
	res->total_size = paging_total_size(&pl);
	res->n_tasks = n;
	return OZ_OK;
}

oz_code
service_task_list(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	return convert_page_limit(task_list(cx, in, out, st), st);
}

/* Applies the fields of in named by apply to t (as read from its row),
 * tells the store in t->same which columns keep their value (it leaves
 * them, and the indexes on them, alone), and moves the version and time
 * on. */
static oz_code
task_apply(service_ctx *cx, store_task *t, const Oz__V1__Task *in,
	const bool *apply, oz_status *st)
{
	bool title = apply[F_TITLE] && strcmp(str(in->title), t->title) != 0;
	bool desc = apply[F_DESCRIPTION] &&
		    strcmp(str(in->description), t->description) != 0;
	bool status = apply[F_STATUS] && (int) in->status != t->status;
	t->same = (title ? 0 : STORE_TASK_SAME_TITLE) |
		  (desc ? 0 : STORE_TASK_SAME_DESCRIPTION) |
		  (status ? 0 : STORE_TASK_SAME_STATUS);
	t->title = title ? arena_strdup(cx->arena, str(in->title)) : t->title;
	t->description = desc ? arena_strdup(cx->arena, str(in->description))
			      : t->description;
	t->status = status ? (int) in->status : t->status;
	t->update_us = convert_next_time(t->update_us);
	t->version++;
	return t->title == NULL || t->description == NULL
		       ? oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory")
		       : store_task_update(cx->db, t, st);
}

oz_code
service_task_update(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__UpdateTaskRequest *req = (const void *) in;
	const Oz__V1__Task *in_t = req->task;
	bool apply[F_COUNT];
	store_task t;
	oz_code rc =
		convert_check(cx, in, &oz__v1__update_task_request__descriptor,
			out, &oz__v1__task__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (in_t == NULL) {
		oz_status_violation(st, "task", "is required");
		return validate_end(st, false);
	}
	const bool set[F_COUNT] = {str(in_t->title)[0] != '\0',
		str(in_t->description)[0] != '\0', in_t->status != 0};
	if ((rc = convert_mask_fields(req->update_mask, task_fields, set,
		     F_COUNT, apply, st)) != OZ_OK) {
		return rc;
	}
	bool ok = !apply[F_TITLE] || check_title(st, in_t->title);
	ok = (!apply[F_DESCRIPTION] ||
		     check_description(st, in_t->description)) &&
	     ok;
	ok = (!apply[F_STATUS] || check_status(st, (int) in_t->status)) && ok;
	if ((rc = validate_end(st, ok)) != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = store_task_get(cx->db, in_t->id, cx->arena, &t, st);
	if (rc == OZ_OK) {
		rc = convert_etag_check(
			in_t->etag, t.version, t.create_us, st);
	}
	if (rc == OZ_OK) {
		rc = task_apply(cx, &t, in_t, apply, st);
	}
	if (rc == OZ_OK) {
		rc = convert_task(cx->arena, &t, (Oz__V1__Task *) out, st);
	}
	return store_tx_end(cx->db, rc, st);
}

oz_code
service_task_delete(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__DeleteTaskRequest *req = (const void *) in;
	store_task t;
	oz_code rc =
		convert_check(cx, in, &oz__v1__delete_task_request__descriptor,
			out, &google__protobuf__empty__descriptor, st);
	if (rc != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	if (str(req->etag)[0] != '\0') {
		rc = store_task_get(cx->db, req->id, cx->arena, &t, st);
		if (rc == OZ_OK) {
			rc = convert_etag_check(
				req->etag, t.version, t.create_us, st);
		}
	}
	if (rc == OZ_OK) {
		rc = store_task_delete(cx->db, req->id, st);
	}
	return store_tx_end(cx->db, rc, st);
}
