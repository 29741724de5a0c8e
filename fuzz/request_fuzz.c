/* fuzz/request_fuzz.c -- libFuzzer harness for the server's request path:
 * raw bytes -> rpc_call_begin (envelope, metadata, method lookup, payload
 * decode) -> rpc_call_run (the service layer and the store, on an
 * in-memory migrated database) -> rpc_call_reply.
 *
 * The database is kept across inputs so that later inputs meet rows made
 * by earlier ones, but it is reopened every REOPEN_EVERY inputs to bound
 * its growth. The arena is reset after each input, as the server does.
 * Must not do I/O beyond the in-memory database, and must never call
 * anything that needs nng. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "rpc/call.h"
#include "store/migrate.h"

#define REOPEN_EVERY 2000

static store_conn *db;
static arena a;
static bool arena_ready;
static unsigned long runs;
static const rpc_call_config cfg = {
	.default_timeout_ms = 30000,
	.max_message_bytes = 4u << 20,
};

static void
db_open(void)
{
	store_config c;
	oz_status st;
	store_config_init(&c);
	snprintf(c.path, sizeof(c.path), ":memory:");
	if (store_open(&db, &c, &st) != OZ_OK ||
		store_migrate_upgrade(db, "head", &st) != OZ_OK) {
		fprintf(stderr, "request_fuzz: database: %s\n", st.message);
		abort();
	}
}

/* Every string of a reply is valid UTF-8 (STYLE.md §10). */
static bool
text_ok(const char *s)
{
	return utf8_valid(s, strlen(s), NULL);
}

static bool
status_text_ok(const Oz__Rpc__V1__Status *s)
{
	bool ok = text_ok(s->message);
	for (size_t i = 0; ok && i < s->n_details; i++) {
		ok = text_ok(s->details[i]->field) &&
		     text_ok(s->details[i]->description);
	}
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!arena_ready) {
		arena_init(&a, 0, 0);
		arena_ready = true;
	}
	if (db == NULL || runs++ % REOPEN_EVERY == REOPEN_EVERY - 1) {
		store_close(db);
		db = NULL;
		db_open();
	}
	rpc_call call;
	void *out = NULL;
	size_t len = 0;
	rpc_call_begin(&call, &cfg, &a, data, size, NULL);
	rpc_call_run(&call, db, true);
	rpc_call_reply(&call, &out, &len);
	/* Every call must end in a reply and leave no transaction open. */
	if (out == NULL || store_tx_depth(db) != 0) {
		abort();
	}
	/* The reply must be a valid envelope. */
	Oz__Rpc__V1__Response *r =
		oz__rpc__v1__response__unpack(arena_pb(&a), len, out);
	if (r == NULL || r->status == NULL ||
		r->status->code != (int32_t) call.st.code ||
		!status_text_ok(r->status)) {
		abort();
	}
	arena_reset(&a);
	return 0;
}
