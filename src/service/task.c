/* service/task.c -- oz.v1.TaskService: validates each request, runs it in
 * one store transaction and fills the reply from the request's arena.
 * No SQL and no nng here. */
#include <inttypes.h>
#include <stdio.h>

#include "oz/v1/task_service.pb-c.h"
#include "service/convert.h"
#include "service/paging.h"
#include "service/service.h"
#include "service/validate.h"

static const char *const task_paths[] = {
	"title", "description", "status", "*", NULL};

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
service_task_create(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
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
	store_task t = {
		.title = arena_strdup(cx->arena, str(req->title)),
		.description = arena_strdup(cx->arena, str(req->description)),
		.user_id = req->user_id,
		.status = status,
		.create_us = store_now_us(),
	};
	if (t.title == NULL || t.description == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	if ((rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = store_task_insert(cx->db, &t, st);
	if ((rc = store_tx_end(cx->db, rc, st)) != OZ_OK) {
		return rc;
	}
	return convert_task(cx->arena, &t, (Oz__V1__Task *) out, st);
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
	if (rc != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_READ, st)) != OZ_OK) {
		return rc;
	}
	rc = store_task_get(cx->db, req->id, cx->arena, &t, st);
	if ((rc = store_tx_end(cx->db, rc, st)) != OZ_OK) {
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

/* Fills the reply's tasks and next_page_token from the rows of a page
 * fetched with one extra row (its presence means there is a next page). */
static oz_code
list_reply(arena *a, const store_task *rows, size_t n, int64_t size,
	const store_order *order, uint64_t hash,
	Oz__V1__ListTasksResponse *res, oz_status *st)
{
	bool more = n > (size_t) size;
	n = more ? (size_t) size : n;
	oz_code rc = convert_tasks(a, rows, n, &res->tasks, st);
	if (rc != OZ_OK) {
		return rc;
	}
	res->n_tasks = n;
	if (!more) {
		return OZ_OK;
	}
	store_value key[STORE_ORDER_MAX];
	for (int k = 0; k < order->n; k++) {
		store_task_key(&rows[n - 1], order->keys[k].col, &key[k]);
	}
	return paging_token_encode(
		hash, order, key, a, &res->next_page_token, st);
}

oz_code
service_task_list(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__ListTasksRequest *req = (const void *) in;
	Oz__V1__ListTasksResponse *res = (void *) out;
	store_task_filter f;
	store_order order;
	store_value *after = NULL;
	int64_t size, total = 0;
	store_task *rows = NULL;
	size_t n = 0;
	char ftext[80];
	oz_code rc =
		convert_check(cx, in, &oz__v1__list_tasks_request__descriptor,
			out, &oz__v1__list_tasks_response__descriptor, st);
	if (rc != OZ_OK ||
		(rc = paging_size(req->page_size, req->skip, &size, st)) !=
			OZ_OK ||
		(rc = list_filter(req, &f, ftext, sizeof(ftext), st)) !=
			OZ_OK ||
		(rc = paging_order_parse(req->order_by, store_task_columns,
			 STORE_TASK_NCOLS, &order, st)) != OZ_OK) {
		return rc;
	}
	uint64_t hash =
		paging_hash("tasks", ftext, &order, store_task_columns);
	if (str(req->page_token)[0] != '\0' &&
		(rc = paging_token_decode(req->page_token, hash, &order,
			 store_task_columns, cx->arena, &after, st)) !=
			OZ_OK) {
		return rc;
	}
	store_page page = {&order, after, size + 1, req->skip};
	if ((rc = store_tx_begin(cx->db, STORE_TX_READ, st)) != OZ_OK) {
		return rc;
	}
	rc = store_task_count(cx->db, &f, &total, st);
	if (rc == OZ_OK) {
		rc = store_task_list(
			cx->db, &f, &page, cx->arena, &rows, &n, st);
	}
	if ((rc = store_tx_end(cx->db, rc, st)) != OZ_OK) {
		return rc;
	}
	res->total_size = total > INT32_MAX ? INT32_MAX : (int32_t) total;
	return list_reply(cx->arena, rows, n, size, &order, hash, res, st);
}

/* Applies the fields the update names (paths, or every non-default field
 * of t when there are none) to cur, validating them. */
static oz_code
task_apply(arena *a, const Oz__V1__Task *t, size_t n_paths, char *const *paths,
	store_task *cur, oz_status *st)
{
	bool all = convert_mask_has(n_paths, paths, "*");
	bool set_title = n_paths == 0 ? str(t->title)[0] != '\0'
				      : all || convert_mask_has(n_paths, paths,
						       "title");
	bool set_desc = n_paths == 0 ? str(t->description)[0] != '\0'
				     : all || convert_mask_has(n_paths, paths,
						      "description");
	bool set_status = n_paths == 0 ? t->status != 0
				       : all || convert_mask_has(n_paths,
							paths, "status");
	bool ok = true;
	if (!set_title && !set_desc && !set_status) {
		oz_status_violation(
			st, "update_mask", "names no field to update");
		return validate_end(st, false);
	}
	if (set_title) {
		ok = check_title(st, t->title) && ok;
		cur->title = arena_strdup(a, str(t->title));
	}
	if (set_desc) {
		ok = check_description(st, t->description) && ok;
		cur->description = arena_strdup(a, str(t->description));
	}
	if (set_status) {
		ok = check_status(st, (int) t->status) && ok;
		cur->status = (int) t->status;
	}
	if (cur->title == NULL || cur->description == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return validate_end(st, ok);
}

oz_code
service_task_update(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__UpdateTaskRequest *req = (const void *) in;
	oz_code rc =
		convert_check(cx, in, &oz__v1__update_task_request__descriptor,
			out, &oz__v1__task__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (req->task == NULL) {
		oz_status_violation(st, "task", "is required");
		return validate_end(st, false);
	}
	size_t n_paths = req->update_mask ? req->update_mask->n_paths : 0;
	char *const *paths = req->update_mask ? req->update_mask->paths : NULL;
	if ((rc = convert_mask_check(n_paths, paths, task_paths, st)) !=
		OZ_OK) {
		return rc;
	}
	/* Validate before touching the database. */
	store_task t = {.title = "", .description = ""};
	if ((rc = task_apply(cx->arena, req->task, n_paths, paths, &t, st)) !=
		OZ_OK) {
		return rc;
	}
	if ((rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = store_task_get(cx->db, req->task->id, cx->arena, &t, st);
	if (rc == OZ_OK) {
		rc = convert_etag_check(
			req->task->etag, t.version, t.create_us, st);
	}
	if (rc == OZ_OK) {
		rc = task_apply(cx->arena, req->task, n_paths, paths, &t, st);
	}
	if (rc == OZ_OK) {
		t.update_us = convert_next_time(t.update_us);
		t.version++;
		rc = store_task_update(cx->db, &t, st);
	}
	if ((rc = store_tx_end(cx->db, rc, st)) != OZ_OK) {
		return rc;
	}
	return convert_task(cx->arena, &t, (Oz__V1__Task *) out, st);
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
