/* service/batch.c -- oz.v1.BatchService/Execute: runs a list of user and
 * task writes in ONE store transaction, in order, through the handlers of
 * the single calls, so every rule (validation, etags, uniqueness) lives in
 * one place. Adds only what a batch needs: references to ids created
 * earlier in the batch, and the failing operation's place in the status.
 * A run of consecutive create_task operations is checked by the handler's
 * own first half (service_task_create_check) and inserted with one
 * store_task_insert_many, which makes fewer statements of it (an import
 * is nothing but such runs). No SQL and no nng here. */
#include <stdio.h>
#include <string.h>

#include "google/protobuf/empty.pb-c.h"
#include "oz/v1/batch_service.pb-c.h"
#include "service/convert.h"
#include "service/service.h"
#include "service/validate.h"

/* What a reference field may point at. */
enum ref_kind { REF_NONE, REF_USER, REF_TASK };

/* One arm of Operation.op: its handler and where a reference goes. */
struct op_kind {
	const char *name; /* The oneof field: "create_user". */
	service_fn fn;
	const ProtobufCMessageDescriptor *out;
	enum ref_kind creates; /* What its result's id names. */
	enum ref_kind takes;   /* The reference field it accepts. */
	const char *id_path;   /* The payload's id field a reference sets. */
};

#define OP(c) OZ__V1__OPERATION__OP_##c
static const struct op_kind kinds[] = {
	[OP(CREATE_USER)] = {"create_user", service_user_create,
		&oz__v1__user__descriptor, REF_USER, REF_NONE, NULL},
	[OP(UPDATE_USER)] = {"update_user", service_user_update,
		&oz__v1__user__descriptor, REF_NONE, REF_USER, "user.id"},
	[OP(DELETE_USER)] = {"delete_user", service_user_delete,
		&google__protobuf__empty__descriptor, REF_NONE, REF_USER,
		"id"},
	[OP(CREATE_TASK)] = {"create_task", service_task_create,
		&oz__v1__task__descriptor, REF_TASK, REF_USER, "user_id"},
	[OP(UPDATE_TASK)] = {"update_task", service_task_update,
		&oz__v1__task__descriptor, REF_NONE, REF_TASK, "task.id"},
	[OP(DELETE_TASK)] = {"delete_task", service_task_delete,
		&google__protobuf__empty__descriptor, REF_NONE, REF_TASK,
		"id"},
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The payload of op (any arm: they are all message pointers). */
static const ProtobufCMessage *
payload(const Oz__V1__Operation *op)
{
	return (const ProtobufCMessage *) op->create_user;
}

static const struct op_kind *
kind_of(const Oz__V1__Operation *op)
{
	size_t c = (size_t) op->op_case;
	return c < N_KINDS && kinds[c].name != NULL && payload(op) != NULL
		       ? &kinds[c]
		       : NULL;
}

/* The field named by the first component of path. OUT: *rest, the path
 * after its first '.', or NULL. */
static const ProtobufCFieldDescriptor *
path_field(const ProtobufCMessageDescriptor *d, const char *path,
	const char **rest)
{
	char head[32];
	const char *dot = strchr(path, '.');
	size_t n = dot != NULL ? (size_t) (dot - path) : strlen(path);
	n = n < sizeof(head) ? n : sizeof(head) - 1;
	memcpy(head, path, n); /* Per operation: no snprintf. */
	head[n] = '\0';
	*rest = dot != NULL ? dot + 1 : NULL;
	return protobuf_c_message_descriptor_get_field_by_name(d, head);
}

/* The int64 at path in m (0 when a message on the way is absent). */
static int64_t
id_at(const ProtobufCMessage *m, const char *path)
{
	const char *rest;
	const ProtobufCFieldDescriptor *f =
		path_field(m->descriptor, path, &rest);
	const char *base = (const char *) m + f->offset;
	if (rest == NULL) {
		return *(const int64_t *) base;
	}
	const ProtobufCMessage *sub = *(ProtobufCMessage *const *) base;
	return sub != NULL ? id_at(sub, rest) : 0;
}

/* Returns a copy of m (shallow, from a) with the int64 at path set to id;
 * messages on the way are copied, never changed. NULL when a runs out. */
static ProtobufCMessage *
with_id(arena *a, const ProtobufCMessage *m, const char *path, int64_t id)
{
	const char *rest;
	const ProtobufCFieldDescriptor *f =
		path_field(m->descriptor, path, &rest);
	ProtobufCMessage *c = arena_alloc(a, m->descriptor->sizeof_message);
	if (c == NULL) {
		return NULL;
	}
	memcpy(c, m, m->descriptor->sizeof_message);
	char *base = (char *) c + f->offset;
	if (rest == NULL) {
		*(int64_t *) base = id;
		return c;
	}
	ProtobufCMessage **sub = (ProtobufCMessage **) base;
	if (*sub == NULL) {
		return c; /* No message to set it in: the handler says so. */
	}
	*sub = with_id(a, *sub, rest, id);
	return *sub != NULL ? c : NULL;
}

static const char *
ref_name(enum ref_kind k)
{
	return k == REF_USER ? "user_id_ref" : "task_id_ref";
}

/* Checks one reference field of operation i. OUT: *ok false on a bad one
 * (with its violation). */
static void
check_ref(oz_status *st, const Oz__V1__ExecuteRequest *req, size_t i,
	enum ref_kind k, const Google__Protobuf__Int32Value *ref, bool *ok)
{
	const Oz__V1__Operation *op = req->operations[i];
	const struct op_kind *kd = kind_of(op);
	char field[OZ_VIOLATION_FIELD_MAX];
	if (ref == NULL) {
		return;
	}
	snprintf(field, sizeof(field), "operations[%zu].%s", i, ref_name(k));
	if (kd->takes != k) {
		oz_status_violation(
			st, field, "%s takes no %s", kd->name, ref_name(k));
	} else if (ref->value < 0 || (size_t) ref->value >= i) {
		oz_status_violation(st, field,
			"must be the index of an earlier operation");
	} else if (kind_of(req->operations[ref->value]) == NULL ||
		   kind_of(req->operations[ref->value])->creates != k) {
		oz_status_violation(st, field, "operations[%d] is not a %s",
			ref->value,
			k == REF_USER ? "create_user" : "create_task");
	} else if (id_at(payload(op), kd->id_path) != 0) {
		oz_status_violation(st, field,
			"%s.%s must be 0 when %s is set", kd->name,
			kd->id_path, ref_name(k));
	} else {
		return;
	}
	*ok = false;
}

/* Checks what only a batch has: the count, one arm set in each operation,
 * no request_id of its own, and references that point back at a create of
 * the right kind. The payloads themselves are checked by their handlers.
 */
static oz_code
check_batch(const Oz__V1__ExecuteRequest *req, oz_status *st)
{
	char field[OZ_VIOLATION_FIELD_MAX];
	bool ok = true;
	if (req->n_operations == 0 || req->n_operations > SERVICE_BATCH_MAX) {
		oz_status_violation(st, "operations", "must hold 1 to %d",
			SERVICE_BATCH_MAX);
		return validate_end(st, false);
	}
	for (size_t i = 0; i < req->n_operations; i++) {
		const Oz__V1__Operation *op = req->operations[i];
		const struct op_kind *kd = kind_of(op);
		if (kd == NULL) {
			snprintf(field, sizeof(field), "operations[%zu]", i);
			oz_status_violation(st, field, "sets no operation");
			ok = false;
			continue;
		}
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(
				payload(op)->descriptor, "request_id");
		const char *key =
			*(const char *const *) ((const char *) payload(op) +
						f->offset);
		if (key != NULL && key[0] != '\0') {
			snprintf(field, sizeof(field),
				"operations[%zu].%s.request_id", i, kd->name);
			oz_status_violation(st, field,
				"must be empty: the batch's request_id "
				"covers it");
			ok = false;
		}
		check_ref(st, req, i, REF_USER, op->user_id_ref, &ok);
		check_ref(st, req, i, REF_TASK, op->task_id_ref, &ok);
	}
	return validate_end(st, ok);
}

/* Turns operation i's failure sub into the batch's status: the same code
 * and message, each violation's field prefixed with the operation, or one
 * violation naming the operation when it had none. */
static oz_code
fail_at(oz_status *st, const oz_status *sub, size_t i, const char *name)
{
	char prefix[OZ_VIOLATION_FIELD_MAX];
	snprintf(prefix, sizeof(prefix), "operations[%zu].%s", i, name);
	oz_status_clear(st);
	for (size_t v = 0; v < sub->n_violations; v++) {
		char field[OZ_VIOLATION_FIELD_MAX * 2];
		snprintf(field, sizeof(field), "%s.%s", prefix,
			sub->violations[v].field);
		oz_status_violation(
			st, field, "%s", sub->violations[v].description);
	}
	if (sub->n_violations == 0) {
		oz_status_violation(st, prefix, "%s", sub->message);
	}
	return oz_fail(st, sub->code, "%s", sub->message);
}

/* Fills res (initialised) with out, the result of an operation of kind kd.
 */
static void
set_result(Oz__V1__OperationResult *res, const struct op_kind *kd,
	ProtobufCMessage *out)
{
	if (kd->out == &oz__v1__user__descriptor) {
		res->result_case = OZ__V1__OPERATION_RESULT__RESULT_USER;
		res->user = (Oz__V1__User *) out;
	} else if (kd->out == &oz__v1__task__descriptor) {
		res->result_case = OZ__V1__OPERATION_RESULT__RESULT_TASK;
		res->task = (Oz__V1__Task *) out;
	} else {
		res->result_case = OZ__V1__OPERATION_RESULT__RESULT_DELETED;
		res->deleted = (Google__Protobuf__Empty *) out;
	}
}

/* The payload of operation i with its reference (if any) resolved from
 * ids, the ids created so far. NULL when the arena runs out. */
static const ProtobufCMessage *
resolved(arena *a, const Oz__V1__Operation *op, const int64_t *ids)
{
	const struct op_kind *kd = kind_of(op);
	const Google__Protobuf__Int32Value *ref =
		kd->takes == REF_USER ? op->user_id_ref : op->task_id_ref;
	if (kd->takes == REF_NONE || ref == NULL) {
		return payload(op);
	}
	return with_id(a, payload(op), kd->id_path, ids[ref->value]);
}

/* The resolved payload of operation i and a new output message for it.
 * Returns false when the arena runs out. */
static bool
op_io(arena *a, const Oz__V1__Operation *op, const int64_t *ids,
	const ProtobufCMessage **in, ProtobufCMessage **out)
{
	const struct op_kind *kd = kind_of(op);
	*in = resolved(a, op, ids);
	*out = arena_alloc(a, kd->out->sizeof_message);
	if (*in == NULL || *out == NULL) {
		return false;
	}
	protobuf_c_message_init(kd->out, *out);
	return true;
}

/* Records the result out of operation i (of kind kd) in res and its
 * created id in ids[i]. */
static void
op_done(const Oz__V1__ExecuteRequest *req, size_t i, const struct op_kind *kd,
	ProtobufCMessage *out, int64_t *ids, Oz__V1__OperationResult *res)
{
	ids[i] = kd->creates != REF_NONE ? id_at(out, "id") : 0;
	if (req->ids_only && kd->out != &google__protobuf__empty__descriptor) {
		int64_t id = id_at(out, "id");
		protobuf_c_message_init(kd->out, out); /* Only the id left. */
		*(int64_t *) ((char *) out +
			      protobuf_c_message_descriptor_get_field_by_name(
				      kd->out, "id")
				      ->offset) = id;
	}
	set_result(res, kd, out);
}

/* Runs operation i on cx; its result goes to res, a created id to ids[i].
 */
static oz_code
run_op(service_ctx *cx, const Oz__V1__ExecuteRequest *req, size_t i,
	int64_t *ids, Oz__V1__OperationResult *res, oz_status *st)
{
	const struct op_kind *kd = kind_of(req->operations[i]);
	const ProtobufCMessage *in;
	ProtobufCMessage *out;
	if (!op_io(cx->arena, req->operations[i], ids, &in, &out)) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz_status sub;
	oz_status_clear(&sub);
	if (kd->fn(cx, in, out, &sub) != OZ_OK) {
		return fail_at(st, &sub, i, kd->name);
	}
	op_done(req, i, kd, out, ids, res);
	return OZ_OK;
}

/* The number of consecutive create_task operations from i on. */
static size_t
create_run(const Oz__V1__ExecuteRequest *req, size_t i)
{
	size_t k = i;
	while (k < req->n_operations &&
		req->operations[k]->op_case == OP(CREATE_TASK)) {
		k++;
	}
	return k - i;
}

/* Runs the n create_task operations from i on, as n run_op calls would:
 * each is checked, then the good ones before the first bad one are
 * inserted in one store_task_insert_many, and the first failure in order
 * (an insert's, else the check's) is the batch's. */
static oz_code
run_creates(service_ctx *cx, const Oz__V1__ExecuteRequest *req, size_t i,
	size_t n, int64_t *ids, Oz__V1__OperationResult *rs, oz_status *st)
{
	const struct op_kind *kd = &kinds[OP(CREATE_TASK)];
	store_task *ts = arena_alloc(cx->arena, sizeof(*ts) * n);
	ProtobufCMessage **outs = arena_alloc(cx->arena, sizeof(*outs) * n);
	if (ts == NULL || outs == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz_status sub, bad;
	oz_status_clear(&sub);
	oz_status_clear(&bad);
	size_t good = 0, failed = 0;
	for (; good < n; good++) {
		const ProtobufCMessage *in;
		if (!op_io(cx->arena, req->operations[i + good], ids, &in,
			    &outs[good])) {
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
		if (service_task_create_check(
			    cx, in, outs[good], &ts[good], &bad) != OZ_OK) {
			break;
		}
	}
	if (good > 0 && store_task_insert_many(
				cx->db, ts, good, &failed, &sub) != OZ_OK) {
		return fail_at(st, &sub, i + failed, kd->name);
	}
	if (good < n) {
		return fail_at(st, &bad, i + good, kd->name);
	}
	for (size_t k = 0; k < n; k++) {
		if (convert_task(cx->arena, &ts[k], (Oz__V1__Task *) outs[k],
			    &sub) != OZ_OK) {
			return fail_at(st, &sub, i + k, kd->name);
		}
		op_done(req, i + k, kd, outs[k], ids, &rs[i + k]);
	}
	return OZ_OK;
}

oz_code
service_batch_execute(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__ExecuteRequest *req = (const void *) in;
	Oz__V1__ExecuteResponse *res = (void *) out;
	oz_code rc =
		convert_check(cx, in, &oz__v1__execute_request__descriptor,
			out, &oz__v1__execute_response__descriptor, st);
	if (rc != OZ_OK || (rc = check_batch(req, st)) != OZ_OK) {
		return rc;
	}
	size_t n = req->n_operations;
	int64_t *ids = arena_alloc(cx->arena, sizeof(*ids) * n);
	Oz__V1__OperationResult *rs = arena_alloc(cx->arena, sizeof(*rs) * n);
	res->results = arena_alloc(cx->arena, sizeof(*res->results) * n);
	if (ids == NULL || rs == NULL || res->results == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	/* The handlers' own transactions are flattened into this one (no
	 * SAVEPOINT each): the first failure rolls back every operation of
	 * the batch at once. */
	if ((rc = store_tx_begin(cx->db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	store_tx_flatten(cx->db, true);
	for (size_t i = 0; i < n; i++) {
		oz__v1__operation_result__init(&rs[i]);
		res->results[i] = &rs[i];
	}
	for (size_t i = 0, run; i < n && rc == OZ_OK; i += run) {
		run = create_run(req, i);
		if (run > 0) {
			rc = run_creates(cx, req, i, run, ids, rs, st);
		} else {
			run = 1;
			rc = run_op(cx, req, i, ids, &rs[i], st);
		}
	}
	store_tx_flatten(cx->db, false);
	res->n_results = rc == OZ_OK ? n : 0;
	return store_tx_end(cx->db, rc, st);
}
