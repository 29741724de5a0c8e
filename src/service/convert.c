/* service/convert.c -- store records to protobuf messages, etags, field
 * masks. No SQL, no nng; all output memory comes from the arena. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "service/convert.h"
#include "service/validate.h"

oz_code
convert_check(const service_ctx *cx, const ProtobufCMessage *in,
	const ProtobufCMessageDescriptor *in_desc, const ProtobufCMessage *out,
	const ProtobufCMessageDescriptor *out_desc, oz_status *st)
{
	if (cx == NULL || cx->db == NULL || cx->arena == NULL || in == NULL ||
		out == NULL || in->descriptor != in_desc ||
		out->descriptor != out_desc) {
		return oz_fail(st, OZ_INTERNAL, "handler misconfigured");
	}
	return OZ_OK;
}

char *
convert_etag(arena *a, int64_t version, int64_t create_us)
{
	char buf[48];
	snprintf(buf, sizeof(buf), "%" PRId64 "-%" PRIx64, version,
		(uint64_t) create_us);
	return arena_strdup(a, buf);
}

oz_code
convert_etag_check(
	const char *etag, int64_t version, int64_t create_us, oz_status *st)
{
	char buf[48];
	if (etag == NULL || etag[0] == '\0') {
		return OZ_OK;
	}
	snprintf(buf, sizeof(buf), "%" PRId64 "-%" PRIx64, version,
		(uint64_t) create_us);
	if (strcmp(etag, buf) != 0) {
		return oz_fail(st, OZ_ABORTED, "etag mismatch");
	}
	return OZ_OK;
}

static Google__Protobuf__Timestamp *
timestamp(arena *a, int64_t us)
{
	Google__Protobuf__Timestamp *t = arena_alloc(a, sizeof(*t));
	if (t == NULL) {
		return NULL;
	}
	google__protobuf__timestamp__init(t);
	int64_t sec = us / 1000000, rem = us % 1000000;
	if (rem < 0) {
		sec--;
		rem += 1000000;
	}
	t->seconds = sec;
	t->nanos = (int32_t) (rem * 1000);
	return t;
}

oz_code
convert_user(arena *a, const store_user *u, Oz__V1__User *out, oz_status *st)
{
	out->id = u->id;
	out->username = (char *) u->username;
	out->email = (char *) u->email;
	out->is_active = u->is_active;
	out->create_time = timestamp(a, u->create_us);
	out->update_time = timestamp(a, u->update_us);
	out->etag = convert_etag(a, u->version, u->create_us);
	if (out->create_time == NULL || out->update_time == NULL ||
		out->etag == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

oz_code
convert_task(arena *a, const store_task *t, Oz__V1__Task *out, oz_status *st)
{
	out->id = t->id;
	out->title = (char *) t->title;
	out->description = (char *) t->description;
	out->user_id = t->user_id;
	out->status = (Oz__V1__TaskStatus) t->status;
	out->create_time = timestamp(a, t->create_us);
	out->update_time = timestamp(a, t->update_us);
	out->etag = convert_etag(a, t->version, t->create_us);
	if (out->create_time == NULL || out->update_time == NULL ||
		out->etag == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

oz_code
convert_tasks(arena *a, const store_task *rows, size_t n, Oz__V1__Task ***out,
	oz_status *st)
{
	*out = NULL;
	if (n == 0) {
		return OZ_OK;
	}
	Oz__V1__Task **ptrs = arena_alloc(a, sizeof(Oz__V1__Task *) * n);
	Oz__V1__Task *msgs = arena_alloc(a, sizeof(*msgs) * n);
	if (ptrs == NULL || msgs == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		oz__v1__task__init(&msgs[i]);
		oz_code rc = convert_task(a, &rows[i], &msgs[i], st);
		if (rc != OZ_OK) {
			return rc;
		}
		ptrs[i] = &msgs[i];
	}
	*out = ptrs;
	return OZ_OK;
}

bool
convert_status_valid(int status)
{
	return status == OZ__V1__TASK_STATUS__TASK_STATUS_PENDING ||
	       status == OZ__V1__TASK_STATUS__TASK_STATUS_IN_PROGRESS ||
	       status == OZ__V1__TASK_STATUS__TASK_STATUS_DONE;
}

int64_t
convert_next_time(int64_t after)
{
	int64_t now = store_now_us();
	return now > after ? now : after + 1;
}

oz_code
convert_page_limit(oz_code rc, oz_status *st)
{
	if (rc == OZ_RESOURCE_EXHAUSTED) {
		oz_fail(st, rc,
			"page too large for the server's per-request memory "
			"limit; ask for a smaller page");
	}
	return rc;
}

oz_code
convert_mask_fields(const Google__Protobuf__FieldMask *mask,
	const char *const *names, const bool *set, int n, bool *apply,
	oz_status *st)
{
	size_t n_paths = mask != NULL ? mask->n_paths : 0;
	bool any = false;
	for (int f = 0; f < n; f++) {
		apply[f] = n_paths == 0 && set[f];
	}
	for (size_t i = 0; i < n_paths; i++) {
		const char *p = mask->paths[i] != NULL ? mask->paths[i] : "";
		bool star = strcmp(p, "*") == 0, known = star;
		for (int f = 0; f < n; f++) {
			if (star || strcmp(p, names[f]) == 0) {
				apply[f] = true;
				known = true;
			}
		}
		if (!known) {
			char echo[64];
			validate_echo(echo, sizeof(echo), p);
			oz_status_violation(st, "update_mask",
				"unknown path \"%s\"", echo);
			return oz_fail(st, OZ_INVALID_ARGUMENT,
				"unknown update_mask path \"%s\"", echo);
		}
	}
	for (int f = 0; f < n; f++) {
		any = any || apply[f];
	}
	if (!any) {
		oz_status_violation(
			st, "update_mask", "names no field to update");
	}
	return validate_end(st, any);
}
