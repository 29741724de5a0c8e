/* rpc/call.c -- decode, check, run and encode one call. No nng here: the
 * server hands in bytes and sends out bytes, so this path can be fuzzed. */
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "rpc/auth.h"
#include "rpc/call.h"
#include "rpc/idempotency.h"
#include "rpc/wire_check.h"

bool
rpc_call_ok(const rpc_call *call)
{
	return call->st.code == OZ_OK;
}

void
rpc_call_fail(rpc_call *call, oz_code code, const char *msg)
{
	if (rpc_call_ok(call)) {
		oz_fail(&call->st, code, "%s", msg);
	}
}

const char *
rpc_call_method_name(const rpc_call *call)
{
	return call->method != NULL ? call->method->name : "-";
}

static oz_code
check_metadata(rpc_call *call)
{
	Oz__Rpc__V1__Request *req = call->req;
	if (req->n_metadata > RPC_METADATA_MAX) {
		return oz_fail(&call->st, OZ_INVALID_ARGUMENT,
			"too many metadata entries: %zu, at most %d",
			req->n_metadata, RPC_METADATA_MAX);
	}
	for (size_t i = 0; i < req->n_metadata; i++) {
		const Oz__Rpc__V1__Metadata *md = req->metadata[i];
		if (strlen(md->key) > RPC_METADATA_KEY_MAX ||
			strlen(md->value) > RPC_METADATA_VALUE_MAX) {
			oz_status_violation(&call->st, "metadata",
				"entry %zu: key at most %d bytes, value at "
				"most %d",
				i, RPC_METADATA_KEY_MAX,
				RPC_METADATA_VALUE_MAX);
			return oz_fail(&call->st, OZ_INVALID_ARGUMENT,
				"metadata entry too large");
		}
		if (strcmp(md->key, "authorization") == 0) {
			call->authorization = md->value;
		} else if (strcmp(md->key, "request-id") == 0) {
			call->request_id = md->value;
			call->probe =
				strcmp(md->value, RPC_PROBE_REQUEST_ID) == 0;
		}
	}
	return OZ_OK;
}

/* The ordinary token check: any --auth-token-file token, or an admin
 * token, which is a superset. */
static bool
token_ok(const rpc_call_config *cfg, const char *authorization)
{
	return authorization != NULL &&
	       (rpc_auth_check(cfg->auth, authorization) ||
		       (cfg->admin != NULL &&
			       rpc_auth_check(cfg->admin, authorization)));
}

void
rpc_call_begin(rpc_call *call, const rpc_call_config *cfg, arena *a,
	const void *buf, size_t len, const rpc_peer *peer)
{
	memset(call, 0, sizeof(*call));
	call->arena = a;
	call->cfg = cfg;
	call->start_us = oz_now_us();
	oz_status_clear(&call->st);

	/* Strings are judged on their wire bytes, before protobuf-c makes C
	 * strings of them (a NUL would cut them silently). */
	if (rpc_wire_check(&oz__rpc__v1__request__descriptor, buf, len,
		    &call->st) != OZ_OK) {
		return;
	}
	call->req = oz__rpc__v1__request__unpack(arena_pb(a), len, buf);
	if (call->req == NULL) {
		oz_fail(&call->st, OZ_INVALID_ARGUMENT,
			"request is not a valid oz.rpc.v1.Request envelope");
		return;
	}
	uint32_t timeout = call->req->timeout_ms != 0
				   ? call->req->timeout_ms
				   : cfg->default_timeout_ms;
	call->deadline_us = call->start_us + (int64_t) timeout * 1000;
	if (check_metadata(call) != OZ_OK) {
		return;
	}
	if (call->req->method[0] == '\0') {
		oz_fail(&call->st, OZ_INVALID_ARGUMENT,
			"request has no method");
		return;
	}
	if (cfg->auth != NULL &&
		strcmp(call->req->method, RPC_HEALTH_METHOD) != 0 &&
		!token_ok(cfg, call->authorization)) {
		oz_fail(&call->st, OZ_UNAUTHENTICATED,
			"missing or invalid authorization: send metadata "
			"\"authorization: Bearer <token>\"");
		return;
	}
	call->method = dispatch_find(call->req->method);
	/* Only ozd's own health probe may go unlogged and uncounted. */
	call->probe = call->probe &&
		      strcmp(call->req->method, RPC_HEALTH_METHOD) == 0;
	if (call->method == NULL) {
		char q[200];
		oz_fail(&call->st, OZ_UNIMPLEMENTED, "unknown method %s",
			utf8_quote(q, sizeof(q), call->req->method));
		return;
	}
	if (rpc_auth_admin_ok(cfg->admin, call->method->access,
		    call->authorization, peer != NULL ? peer->is_local : NULL,
		    peer != NULL ? peer->arg : NULL, &call->st) != OZ_OK) {
		return;
	}
	const ProtobufCMessageDescriptor *in = call->method->input;
	if (rpc_wire_check(in, call->req->payload.data, call->req->payload.len,
		    &call->st) != OZ_OK) {
		return;
	}
	call->input = protobuf_c_message_unpack(in, arena_pb(a),
		call->req->payload.len, call->req->payload.data);
	if (call->input == NULL) {
		oz_fail(&call->st, OZ_INVALID_ARGUMENT,
			"payload is not a valid %s", in->name);
		return;
	}
	const ProtobufCMessageDescriptor *out = call->method->output;
	call->output = arena_alloc(a, out->sizeof_message);
	if (call->output == NULL) {
		oz_fail(&call->st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	protobuf_c_message_init(out, call->output);
}

void
rpc_call_run(rpc_call *call, store_conn *db, bool serving)
{
	if (!rpc_call_ok(call)) {
		return;
	}
	if (oz_now_us() > call->deadline_us) {
		oz_fail(&call->st, OZ_DEADLINE_EXCEEDED,
			"deadline exceeded before the call ran");
		return;
	}
	service_ctx cx = {
		.db = db,
		.arena = call->arena,
		.metadata = call->req->metadata,
		.n_metadata = call->req->n_metadata,
		.serving = serving,
		.server = call->cfg->server,
		.health = call->cfg->health,
	};
	/* The call's deadline bounds its statements on the database too
	 * (PostgreSQL: SET LOCAL statement_timeout; a statement still
	 * running then is cancelled on the server). */
	if (db != NULL) {
		int64_t left_ms = (call->deadline_us - oz_now_us()) / 1000;
		store_set_timeout(db, left_ms < 1           ? 1
				      : left_ms > INT32_MAX ? INT32_MAX
							    : (int) left_ms);
	}
	if (call->method->kind == RPC_WRITE) {
		rpc_idem_run(call, db, &cx);
	} else {
		call->ran = true;
		call->method->handler(
			&cx, call->input, call->output, &call->st);
	}
	if (db != NULL) {
		store_set_timeout(db, 0);
	}
}

void
rpc_call_reset(rpc_call *call)
{
	oz_status_clear(&call->st);
	call->ran = false;
	call->replayed = false;
	call->packed = (ProtobufCBinaryData) {0};
	/* A failed batch dropped the output (writer.c fail_batch): a call
	 * run again needs a fresh one. */
	const ProtobufCMessageDescriptor *out = call->method->output;
	if (call->output == NULL) {
		call->output = arena_alloc(call->arena, out->sizeof_message);
	}
	if (call->output == NULL) {
		oz_fail(&call->st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	protobuf_c_message_init(out, call->output);
}

/* Status text goes out valid UTF-8 and free of control characters even if
 * what it quotes was not (a multi-byte character cut by truncation, a file
 * name): the last line of STYLE.md §10 for every reply. */
static char *
wire_text(arena *a, const char *s)
{
	if (utf8_clean(s)) {
		return (char *) s;
	}
	size_t n = strlen(s), cap = n * 4 + 8;
	char *out = arena_alloc(a, cap);
	if (out == NULL) {
		return (char *) "";
	}
	utf8_escape(out, cap, s, n, 0);
	return out;
}

Oz__Rpc__V1__Status *
rpc_status_pb(arena *a, const oz_status *st)
{
	Oz__Rpc__V1__Status *s = arena_alloc(a, sizeof(*s));
	if (s == NULL) {
		return NULL;
	}
	oz__rpc__v1__status__init(s);
	s->code = (int32_t) st->code;
	s->message = wire_text(a, st->message);
	if (st->n_violations == 0) {
		return s;
	}
	Oz__Rpc__V1__FieldViolation *v =
		arena_alloc(a, sizeof(*v) * st->n_violations);
	s->details = arena_alloc(a, sizeof(*s->details) * st->n_violations);
	if (v == NULL || s->details == NULL) {
		return s; /* The code and message still go out. */
	}
	for (size_t i = 0; i < st->n_violations; i++) {
		oz__rpc__v1__field_violation__init(&v[i]);
		v[i].field = wire_text(a, st->violations[i].field);
		v[i].description = wire_text(a, st->violations[i].description);
		s->details[i] = &v[i];
	}
	s->n_details = st->n_violations;
	return s;
}

void
rpc_status_from_pb(const Oz__Rpc__V1__Status *s, oz_status *st)
{
	oz_status_clear(st);
	oz_fail(st, (oz_code) s->code, "%s", s->message);
	for (size_t i = 0; i < s->n_details; i++) {
		oz_status_violation(st, s->details[i]->field, "%s",
			s->details[i]->description);
	}
}

static void
encode(rpc_call *call, void **out, size_t *len)
{
	Oz__Rpc__V1__Response resp = OZ__RPC__V1__RESPONSE__INIT;
	if (rpc_call_ok(call) && call->packed.len > 0) {
		resp.payload = call->packed; /* Packed already, or replayed. */
	} else if (rpc_call_ok(call) && call->output != NULL) {
		size_t n = protobuf_c_message_get_packed_size(call->output);
		uint8_t *p = arena_alloc(call->arena, n + 1);
		if (p == NULL) {
			oz_fail(&call->st, OZ_RESOURCE_EXHAUSTED,
				"out of memory encoding the reply");
		} else {
			resp.payload.data = p;
			resp.payload.len =
				protobuf_c_message_pack(call->output, p);
		}
	}
	resp.status = rpc_status_pb(call->arena, &call->st);
	size_t n = oz__rpc__v1__response__get_packed_size(&resp);
	uint8_t *buf = arena_alloc(call->arena, n + 1);
	if (buf == NULL) {
		*out = NULL;
		*len = 0;
		return;
	}
	*len = oz__rpc__v1__response__pack(&resp, buf);
	*out = buf;
}

void
rpc_call_reply(rpc_call *call, void **out, size_t *len)
{
	encode(call, out, len);
	if (*out != NULL && *len > call->cfg->max_message_bytes &&
		rpc_call_ok(call)) {
		oz_fail(&call->st, OZ_RESOURCE_EXHAUSTED,
			"reply of %zu bytes exceeds the %zu byte message "
			"limit; ask for a smaller page",
			*len, call->cfg->max_message_bytes);
		call->output = NULL;
		call->packed.len = 0;
		encode(call, out, len);
	}
}
