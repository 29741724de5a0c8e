/* rpc/idempotency.c -- request_id handling around a write's handler. The
 * key is read generically from the input's "request_id" field, so every
 * write method gets it from the one place. */
#include <string.h>

#include "core/utf8.h"
#include "rpc/idempotency.h"
#include "store/idem_store.h"

/* The input's request_id string field, or NULL. */
static const char *
request_key(const rpc_call *call)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(
			call->method->input, "request_id");
	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING) {
		return NULL;
	}
	const char *key = *(
		const char *const *) ((const char *) call->input + f->offset);
	return key != NULL && key[0] != '\0' ? key : NULL;
}

/* FNV-1a over the method name and the request bytes. */
static int64_t
request_hash(const rpc_call *call)
{
	uint64_t h = 14695981039346656037ULL;
	for (const char *p = call->method->name; *p != '\0'; p++) {
		h = (h ^ (unsigned char) *p) * 1099511628211ULL;
	}
	const ProtobufCBinaryData *b = &call->req->payload;
	for (size_t i = 0; i < b->len; i++) {
		h = (h ^ b->data[i]) * 1099511628211ULL;
	}
	return (int64_t) h;
}

/* Outcomes a retry must get back rather than run again. */
static bool
definitive(oz_code code)
{
	switch (code) {
	case OZ_OK:
	case OZ_INVALID_ARGUMENT:
	case OZ_NOT_FOUND:
	case OZ_ALREADY_EXISTS:
	case OZ_FAILED_PRECONDITION:
	case OZ_ABORTED:
	case OZ_OUT_OF_RANGE:
	case OZ_PERMISSION_DENIED:
		return true;
	default:
		return false;
	}
}

/* Answers call from a stored outcome: true if there was one. */
static bool
replay(rpc_call *call, store_conn *db, const char *key, int64_t hash)
{
	store_idem rec;
	oz_status st;
	int64_t since = store_now_us() - RPC_IDEM_RETENTION_US;
	oz_code rc = store_idem_get(db, key, since, &rec, call->arena, &st);
	if (rc == OZ_NOT_FOUND) {
		return false;
	}
	if (rc != OZ_OK) {
		rpc_call_fail(call, rc, st.message);
		return true;
	}
	if (strcmp(rec.method, call->method->name) != 0 ||
		rec.request_hash != hash) {
		char q[160];
		oz_status_violation(&call->st, "request_id",
			"already used for a different request");
		oz_fail(&call->st, OZ_INVALID_ARGUMENT,
			"request_id %s was already used for a different "
			"request",
			utf8_quote(q, sizeof(q), key));
		return true;
	}
	call->replayed = true;
	if (rec.code == OZ_OK) {
		oz_fail(&call->st, OZ_OK, "%s", rec.message);
		call->packed.data = (uint8_t *) rec.response;
		call->packed.len = rec.response_len;
		return true;
	}
	/* A failure's row holds its whole Status (violations too); rows
	 * written before that hold only the code and message. */
	Oz__Rpc__V1__Status *s =
		rec.response_len == 0
			? NULL
			: oz__rpc__v1__status__unpack(arena_pb(call->arena),
				  rec.response_len, rec.response);
	if (s != NULL && s->code == rec.code) {
		rpc_status_from_pb(s, &call->st);
	} else {
		oz_fail(&call->st, (oz_code) rec.code, "%s", rec.message);
	}
	return true;
}

/* Packs what the store keeps of the outcome into rec: the output when OK
 * (it is also the reply's payload), else the whole oz.rpc.v1.Status, so a
 * replay returns the field violations too. */
static oz_code
pack_outcome(rpc_call *call, store_idem *rec, oz_status *st)
{
	const ProtobufCMessage *m = call->output;
	if (!rpc_call_ok(call)) {
		m = (const ProtobufCMessage *) rpc_status_pb(
			call->arena, &call->st);
	}
	size_t n = m != NULL ? protobuf_c_message_get_packed_size(m) : 0;
	uint8_t *p = m != NULL ? arena_alloc(call->arena, n + 1) : NULL;
	if (p == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	rec->response = p;
	rec->response_len = protobuf_c_message_pack(m, p);
	if (rpc_call_ok(call)) {
		call->packed.data = p;
		call->packed.len = rec->response_len;
	}
	return OZ_OK;
}

/* Replaces call's outcome by the store failure st: nothing of it holds. */
static void
fail_outcome(rpc_call *call, const oz_status *st)
{
	call->packed.len = 0;
	call->output = NULL;
	call->replayed = false;
	oz_status_clear(&call->st);
	oz_fail(&call->st, st->code, "%s", st->message);
}

void
rpc_idem_run(rpc_call *call, store_conn *db, service_ctx *cx)
{
	const char *key =
		call->method->kind == RPC_WRITE ? request_key(call) : NULL;
	if (key == NULL) {
		call->ran = true;
		call->method->handler(
			cx, call->input, call->output, &call->st);
		return;
	}
	if (strlen(key) > RPC_IDEM_KEY_MAX) {
		oz_status_violation(&call->st, "request_id",
			"at most %d bytes", RPC_IDEM_KEY_MAX);
		oz_fail(&call->st, OZ_INVALID_ARGUMENT, "invalid request");
		return;
	}
	int64_t hash = request_hash(call);
	oz_status st;
	/* The write and its outcome commit or roll back together. */
	oz_code rc = store_tx_begin(db, STORE_TX_WRITE, &st);
	if (rc != OZ_OK) {
		rpc_call_fail(call, rc, st.message);
		return;
	}
	if (replay(call, db, key, hash)) {
		/* A lookup that failed (a serialization failure on
		 * PostgreSQL) leaves the transaction aborted: roll the
		 * savepoint back and keep the call's own code. */
		oz_code end = call->replayed || rpc_call_ok(call)
				      ? OZ_OK
				      : call->st.code;
		if (store_tx_end(db, end, &st) != end) {
			fail_outcome(call, &st);
		}
		return;
	}
	call->ran = true;
	call->method->handler(cx, call->input, call->output, &call->st);
	if (definitive(call->st.code)) {
		store_idem rec = {
			.method = call->method->name,
			.request_hash = hash,
			.code = call->st.code,
			.message = call->st.message,
			.create_us = store_now_us(),
		};
		rc = pack_outcome(call, &rec, &st);
		if (rc == OZ_OK) {
			rc = store_idem_put(db, key, &rec, &st);
		}
		if (!rpc_call_ok(call)) {
			call->packed.len = 0; /* Only the stored copy. */
		}
	}
	if (store_tx_end(db, rc, &st) != OZ_OK || rc != OZ_OK) {
		/* The outcome could not be kept, so the write is undone: a
		 * retry must be able to run it. */
		fail_outcome(call, &st);
	}
}

oz_code
rpc_idem_purge(store_conn *db, oz_status *st)
{
	return store_idem_purge(
		db, store_now_us() - RPC_IDEM_RETENTION_US, NULL, st);
}
