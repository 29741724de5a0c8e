/* service/user.c -- oz.v1.UserService: validates each request, runs it in
 * one store transaction and fills the reply from the request's arena.
 * No SQL and no nng here: the store does the one, the rpc layer the
 * other. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "oz/v1/user_service.pb-c.h"
#include "service/convert.h"
#include "service/paging.h"
#include "service/service.h"
#include "service/validate.h"

/* The fields an update may change, as named in update_mask. */
enum { F_USERNAME, F_EMAIL, F_IS_ACTIVE, F_COUNT };
static const char *const user_fields[F_COUNT] = {
	"username", "email", "is_active"};

static const char *
str(const char *s)
{
	return s != NULL ? s : "";
}

/* Copies a request string into the arena, so the reply never points into
 * the request. */
static const char *
dup(arena *a, const char *s)
{
	return arena_strdup(a, str(s));
}

static oz_code
no_memory(oz_status *st)
{
	return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
}

oz_code
service_user_create(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__CreateUserRequest *req = (const void *) in;
	oz_code rc =
		convert_check(cx, in, &oz__v1__create_user_request__descriptor,
			out, &oz__v1__user__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	bool ok = validate_text(
		st, "username", req->username, 1, VALIDATE_USERNAME_MAX);
	ok = validate_email(st, "email", req->email) && ok;
	if ((rc = validate_end(st, ok)) != OZ_OK) {
		return rc;
	}
	store_user u = {
		.username = dup(cx->arena, req->username),
		.email = dup(cx->arena, req->email),
		.is_active = true,
		.create_us = store_now_us(),
	};
	if (u.username == NULL || u.email == NULL) {
		return no_memory(st);
	}
	if ((rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = store_user_insert(cx->db, &u, st);
	if (rc == OZ_OK) {
		/* The reply is built before the commit: when it cannot be,
		 * the write is undone rather than done but unreported. */
		rc = convert_user(cx->arena, &u, (Oz__V1__User *) out, st);
	}
	return store_tx_end(cx->db, rc, st);
}

/* Looks the user up by id or (when email is not NULL) by email, with its
 * tasks when view asks for them: one query, or two in one transaction. */
static oz_code
user_reply(service_ctx *cx, int64_t id, const char *email, int view,
	Oz__V1__User *res, oz_status *st)
{
	store_user u;
	store_task *tasks = NULL;
	size_t n_tasks = 0;
	if (view < OZ__V1__USER_VIEW__USER_VIEW_UNSPECIFIED ||
		view > OZ__V1__USER_VIEW__USER_VIEW_WITH_TASKS) {
		oz_status_violation(st, "view", "unknown view %d", view);
		return validate_end(st, false);
	}
	/* One SELECT is a transaction of its own; the view with tasks
	 * takes two, so it opens one. (BEGIN and COMMIT would cost a plain
	 * GetUser several times what its lookup does.) */
	bool with_tasks = view == OZ__V1__USER_VIEW__USER_VIEW_WITH_TASKS;
	oz_code rc =
		with_tasks ? store_tx_begin(cx->db, STORE_TX_READ, st) : OZ_OK;
	if (rc != OZ_OK) {
		return rc;
	}
	rc = email != NULL ? store_user_get_by_email(
				     cx->db, email, cx->arena, &u, st)
			   : store_user_get(cx->db, id, cx->arena, &u, st);
	if (with_tasks) {
		if (rc == OZ_OK) {
			rc = store_task_list_by_user(
				cx->db, u.id, cx->arena, &tasks, &n_tasks, st);
		}
		rc = store_tx_end(cx->db, rc, st);
	}
	if (rc != OZ_OK ||
		(rc = convert_user(cx->arena, &u, res, st)) != OZ_OK ||
		(rc = convert_tasks(cx->arena, tasks, n_tasks, &res->tasks,
			 st)) != OZ_OK) {
		return rc;
	}
	res->n_tasks = n_tasks;
	return OZ_OK;
}

oz_code
service_user_get(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__GetUserRequest *req = (const void *) in;
	oz_code rc =
		convert_check(cx, in, &oz__v1__get_user_request__descriptor,
			out, &oz__v1__user__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	return user_reply(
		cx, req->id, NULL, (int) req->view, (Oz__V1__User *) out, st);
}

oz_code
service_user_get_by_email(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__GetUserByEmailRequest *req = (const void *) in;
	oz_code rc = convert_check(cx, in,
		&oz__v1__get_user_by_email_request__descriptor, out,
		&oz__v1__user__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	return user_reply(cx, 0, str(req->email), (int) req->view,
		(Oz__V1__User *) out, st);
}

static void
user_key(const void *row, int col, store_value *v)
{
	store_user_key(row, col, v);
}

static oz_code
user_list(service_ctx *cx, const ProtobufCMessage *in, ProtobufCMessage *out,
	oz_status *st)
{
	const Oz__V1__ListUsersRequest *req = (const void *) in;
	Oz__V1__ListUsersResponse *res = (void *) out;
	paging_plan pl;
	store_user *rows = NULL;
	size_t n = 0;
	oz_code rc =
		convert_check(cx, in, &oz__v1__list_users_request__descriptor,
			out, &oz__v1__list_users_response__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	store_user_filter f = {.by_active = req->is_active != NULL};
	f.is_active = f.by_active && req->is_active->value;
	paging_request preq = {"users",
		!f.by_active  ? "is_active=*"
		: f.is_active ? "is_active=1"
			      : "is_active=0",
		store_user_columns, STORE_USER_NCOLS, req->page_size,
		req->skip, req->order_by, req->page_token};
	if ((rc = paging_plan_init(&pl, &preq, cx->arena, st)) != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_READ, st)) != OZ_OK) {
		return rc;
	}
	/* A page token carries the first page's count (paging.h). */
	rc = pl.total >= 0 ? OZ_OK
			   : store_user_count(cx->db, &f, &pl.total, st);
	if (rc == OZ_OK) {
		rc = store_user_list(
			cx->db, &f, &pl.page, cx->arena, &rows, &n, st);
	}
	if ((rc = store_tx_end(cx->db, rc, st)) != OZ_OK ||
		(rc = paging_plan_end(&pl, rows, sizeof(*rows), &n, user_key,
			 cx->arena, &res->next_page_token, st)) != OZ_OK) {
		return rc;
	}
	res->total_size = paging_total_size(&pl);
	res->users = n > 0 ? arena_alloc(cx->arena, sizeof(Oz__V1__User *) * n)
			   : NULL;
	Oz__V1__User *msgs =
		n > 0 ? arena_alloc(cx->arena, sizeof(*msgs) * n) : NULL;
	if (n > 0 && (res->users == NULL || msgs == NULL)) {
		return no_memory(st);
	}
	for (size_t i = 0; i < n; i++) {
		oz__v1__user__init(&msgs[i]);
		if ((rc = convert_user(cx->arena, &rows[i], &msgs[i], st)) !=
			OZ_OK) {
			return rc;
		}
		res->users[i] = &msgs[i];
	}
	res->n_users = n;
	return OZ_OK;
}

oz_code
service_user_list(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	return convert_page_limit(user_list(cx, in, out, st), st);
}

/* Applies the fields of in named by apply to u (as read from its row),
 * tells the store in u->same which columns keep their value (it leaves
 * them, and their indexes, alone), and moves the version and time on. */
static oz_code
user_apply(service_ctx *cx, store_user *u, const Oz__V1__User *in,
	const bool *apply, oz_status *st)
{
	bool name = apply[F_USERNAME] &&
		    strcmp(str(in->username), u->username) != 0;
	bool email = apply[F_EMAIL] && strcmp(str(in->email), u->email) != 0;
	bool active = apply[F_IS_ACTIVE] && in->is_active != u->is_active;
	u->same = (name ? 0 : STORE_USER_SAME_USERNAME) |
		  (email ? 0 : STORE_USER_SAME_EMAIL) |
		  (active ? 0 : STORE_USER_SAME_ACTIVE);
	u->username = name ? dup(cx->arena, in->username) : u->username;
	u->email = email ? dup(cx->arena, in->email) : u->email;
	u->is_active = active ? in->is_active : u->is_active;
	u->update_us = convert_next_time(u->update_us);
	u->version++;
	return u->username == NULL || u->email == NULL
		       ? no_memory(st)
		       : store_user_update(cx->db, u, st);
}

oz_code
service_user_update(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__UpdateUserRequest *req = (const void *) in;
	const Oz__V1__User *in_u = req->user;
	bool apply[F_COUNT];
	store_user u;
	oz_code rc =
		convert_check(cx, in, &oz__v1__update_user_request__descriptor,
			out, &oz__v1__user__descriptor, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (in_u == NULL) {
		oz_status_violation(st, "user", "is required");
		return validate_end(st, false);
	}
	const bool set[F_COUNT] = {str(in_u->username)[0] != '\0',
		str(in_u->email)[0] != '\0', in_u->is_active};
	if ((rc = convert_mask_fields(req->update_mask, user_fields, set,
		     F_COUNT, apply, st)) != OZ_OK) {
		return rc;
	}
	bool ok = !apply[F_USERNAME] ||
		  validate_text(st, "username", in_u->username, 1,
			  VALIDATE_USERNAME_MAX);
	ok = (!apply[F_EMAIL] || validate_email(st, "email", in_u->email)) &&
	     ok;
	if ((rc = validate_end(st, ok)) != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = store_user_get(cx->db, in_u->id, cx->arena, &u, st);
	if (rc == OZ_OK) {
		rc = convert_etag_check(
			in_u->etag, u.version, u.create_us, st);
	}
	if (rc == OZ_OK) {
		rc = user_apply(cx, &u, in_u, apply, st);
	}
	if (rc == OZ_OK) {
		rc = convert_user(cx->arena, &u, (Oz__V1__User *) out, st);
	}
	return store_tx_end(cx->db, rc, st);
}

oz_code
service_user_delete(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__DeleteUserRequest *req = (const void *) in;
	store_task_filter f = {.by_user = true, .user_id = req->id};
	store_user u;
	int64_t n_tasks = 0;
	oz_code rc =
		convert_check(cx, in, &oz__v1__delete_user_request__descriptor,
			out, &google__protobuf__empty__descriptor, st);
	if (rc != OZ_OK ||
		(rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	if (str(req->etag)[0] != '\0') {
		rc = store_user_get(cx->db, req->id, cx->arena, &u, st);
		if (rc == OZ_OK) {
			rc = convert_etag_check(
				req->etag, u.version, u.create_us, st);
		}
	}
	if (rc == OZ_OK) {
		rc = store_task_count(cx->db, &f, &n_tasks, st);
	}
	if (rc == OZ_OK && n_tasks > 0 && !req->force) {
		rc = oz_fail(st, OZ_FAILED_PRECONDITION,
			"User has %" PRId64 " task%s", n_tasks,
			n_tasks == 1 ? "" : "s");
	}
	if (rc == OZ_OK && n_tasks > 0) {
		rc = store_task_delete_by_user(cx->db, req->id, NULL, st);
	}
	if (rc == OZ_OK) {
		rc = store_user_delete(cx->db, req->id, st);
	}
	return store_tx_end(cx->db, rc, st);
}
