/* bench/load.c -- the closed loop: inflight requests kept outstanding on
 * one req0 socket, each on its own nng context with an aio whose callback
 * decodes the reply, checks it, records it and sends the next request.
 * No thread of ours sits in the loop, so the generator costs only the
 * encode/decode work itself. Never retries: a failed call is counted. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "core/arena.h"
#include "ozbench.h"
#include "oz/rpc/v1/rpc.pb-c.h"

#define CALL_TIMEOUT_MS       10000
#define DEEP_SETUP_TIMEOUT_MS 120000 /* One skip over up to 10^7 tasks. */
#define DRAIN_TIMEOUT_S       15
#define DIAL_TRIES            100 /* 50 ms apart: at most 5 s. */
#define MAX_MESSAGE           (16u << 20)
#define SCRATCH               4096

enum { SENDING, RECEIVING };

struct load;

struct slot {
	struct load *ld;
	int idx;
	int state;
	nng_ctx ctx;
	nng_aio *aio;
	uint64_t t0, seq;
	bench_rng rng;
	bench_op op;
	arena arena;
	bench_counts counts;
	size_t req_bytes, reply_bytes;
	uint8_t scratch[SCRATCH];
};

struct load {
	const bench_config *cfg;
	bool check;
	uint32_t run_tag;
	uint64_t m0, m1; /* Measured window, monotonic ns. */
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int active;
	nng_socket sock;
	struct slot *slots;
};

static void
slot_done(struct slot *s)
{
	struct load *ld = s->ld;
	pthread_mutex_lock(&ld->mu);
	if (--ld->active == 0) {
		pthread_cond_signal(&ld->cv);
	}
	pthread_mutex_unlock(&ld->mu);
}

/* Wraps in (packed into scratch, cap bytes) in a Request envelope for
 * method, in a new message. Returns 0, NNG_EMSGSIZE or NNG_ENOMEM. */
static int
request_msg(const char *method, const ProtobufCMessage *in,
	uint32_t timeout_ms, uint8_t *scratch, size_t cap, nng_msg **out)
{
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	req.method = (char *) method;
	req.timeout_ms = timeout_ms;
	req.payload.len = protobuf_c_message_get_packed_size(in);
	if (req.payload.len > cap) {
		return NNG_EMSGSIZE;
	}
	req.payload.data = scratch;
	protobuf_c_message_pack(in, scratch);
	int rv = nng_msg_alloc(
		out, oz__rpc__v1__request__get_packed_size(&req));
	if (rv == 0) {
		oz__rpc__v1__request__pack(&req, nng_msg_body(*out));
	}
	return rv;
}

/* Encodes the next operation into a new message and sends it. */
static void
slot_issue(struct slot *s)
{
	struct load *ld = s->ld;
	if (atomic_load_explicit(&ld->stop, memory_order_relaxed)) {
		slot_done(s);
		return;
	}
	bench_op_next(&s->op, ld->cfg, &s->rng, ld->run_tag, s->idx, s->seq++);
	nng_msg *m;
	int rv = request_msg(bench_op_method(&s->op), bench_op_input(&s->op),
		CALL_TIMEOUT_MS, s->scratch, SCRATCH, &m);
	if (rv != 0) {
		fprintf(stderr, "ozbench: request: %s\n", nng_strerror(rv));
		abort();
	}
	s->req_bytes = nng_msg_len(m);
	s->state = SENDING;
	s->t0 = bench_now_ns();
	nng_aio_set_msg(s->aio, m);
	nng_ctx_send(s->ctx, s->aio);
}

int
bench_reply_decode(const bench_config *cfg, const bench_op *op, bool check,
	arena *a, const uint8_t *data, size_t len, bool *good)
{
	ProtobufCAllocator *pa = arena_pb(a);
	Oz__Rpc__V1__Response *r =
		oz__rpc__v1__response__unpack(pa, len, data);
	*good = false;
	if (r == NULL) {
		return OZ_OK; /* Garbage from the server: a wrong reply. */
	}
	int code = r->status != NULL ? r->status->code : OZ_OK;
	if (code != OZ_OK) {
		return code < 0 || code >= OZ_CODE_COUNT ? OZ_UNKNOWN : code;
	}
	ProtobufCMessage *out = protobuf_c_message_unpack(
		bench_op_output(op), pa, r->payload.len, r->payload.data);
	*good = out != NULL && (!check || bench_op_check(op, cfg, out));
	return OZ_OK;
}

/* Decodes a reply. Returns the status code; *good tells whether the
 * payload is a correct answer (always true when checks are off). */
static int
slot_decode(struct slot *s, nng_msg *m, bool *good)
{
	s->reply_bytes = nng_msg_len(m);
	return bench_reply_decode(s->ld->cfg, &s->op, s->ld->check, &s->arena,
		nng_msg_body(m), nng_msg_len(m), good);
}

static void
slot_cb(void *arg)
{
	struct slot *s = arg;
	struct load *ld = s->ld;
	int rv = nng_aio_result(s->aio);
	if (s->state == SENDING) {
		if (rv == 0) {
			s->state = RECEIVING;
			nng_ctx_recv(s->ctx, s->aio);
			return;
		}
		nng_msg_free(nng_aio_get_msg(s->aio));
	}
	uint64_t t1 = bench_now_ns();
	int code = -1;
	bool good = false;
	if (rv == 0) {
		nng_msg *m = nng_aio_get_msg(s->aio);
		code = slot_decode(s, m, &good);
		nng_msg_free(m);
		arena_reset(&s->arena);
	}
	bench_counts_add(
		&s->counts, s->op.kind, code, good, s->t0, t1, ld->m0, ld->m1);
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		slot_done(s);
		return;
	}
	slot_issue(s);
}

static int
dial(struct load *ld, const char *url)
{
	int rv = nng_req0_open(&ld->sock);
	if (rv != 0) {
		return rv;
	}
	nng_socket_set_ms(
		ld->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_size(ld->sock, NNG_OPT_RECVMAXSZ, MAX_MESSAGE);
	for (int i = 0; i < DIAL_TRIES; i++) {
		if ((rv = nng_dial(ld->sock, url, NULL, 0)) == 0) {
			return 0;
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return rv;
}

static int
open_slots(struct load *ld)
{
	int n = ld->cfg->inflight;
	ld->slots = calloc((size_t) n, sizeof(*ld->slots));
	if (ld->slots == NULL) {
		return NNG_ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct slot *s = &ld->slots[i];
		s->ld = ld;
		s->idx = i;
		bench_rng_init(
			&s->rng, ld->cfg->seed * 1000003u + (uint64_t) i);
		arena_init(&s->arena, 64 * 1024, 0);
		bench_counts_init(&s->counts);
		int rv = nng_ctx_open(&s->ctx, ld->sock);
		if (rv == 0) {
			rv = nng_aio_alloc(&s->aio, slot_cb, s);
		}
		if (rv != 0) {
			return rv;
		}
		nng_aio_set_timeout(s->aio, CALL_TIMEOUT_MS);
	}
	return 0;
}

/* Waits for every slot to stop, at most DRAIN_TIMEOUT_S. */
static void
wait_idle(struct load *ld)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += DRAIN_TIMEOUT_S;
	pthread_mutex_lock(&ld->mu);
	while (ld->active > 0) {
		if (pthread_cond_timedwait(&ld->cv, &ld->mu, &ts) != 0) {
			fprintf(stderr,
				"ozbench: %d calls still out after %d "
				"s; closing\n",
				ld->active, DRAIN_TIMEOUT_S);
			break;
		}
	}
	pthread_mutex_unlock(&ld->mu);
}

static void
close_slots(struct load *ld)
{
	if (ld->slots == NULL) {
		return;
	}
	for (int i = 0; i < ld->cfg->inflight; i++) {
		nng_aio_stop(ld->slots[i].aio);
	}
	for (int i = 0; i < ld->cfg->inflight; i++) {
		struct slot *s = &ld->slots[i];
		nng_aio_free(s->aio);
		arena_fini(&s->arena);
	}
	free(ld->slots);
}

static void
collect(struct load *ld, bench_result *res)
{
	bench_counts_init(&res->all);
	for (int i = 0; i < ld->cfg->inflight; i++) {
		bench_counts_merge(&res->all, &ld->slots[i].counts);
		if (ld->slots[i].reply_bytes > 0) {
			res->request_bytes = ld->slots[i].req_bytes;
			res->reply_bytes = ld->slots[i].reply_bytes;
		}
	}
	res->seconds = (double) (ld->m1 - ld->m0) / 1e9;
}

/* list_tasks_deep: asks once for the page 90 % of the way into all
 * tasks (skip, which costs a scan, before anything is measured) and keeps
 * its next_page_token in cfg; each measured call then asks for the page
 * after it, which keyset pagination finds with one index seek. Returns 0
 * or an nng error (NNG_EPROTO for a reply without a token). */
static int
deep_ask(nng_socket sock, bench_config *cfg)
{
	Oz__V1__ListTasksRequest in = OZ__V1__LIST_TASKS_REQUEST__INIT;
	int64_t depth = cfg->tasks / 10 * 9;
	in.page_size = BENCH_LIST_PAGE;
	in.skip = (int32_t) depth;
	uint8_t payload[64];
	nng_msg *m;
	int rv = request_msg("/oz.v1.TaskService/ListTasks", &in.base,
		DEEP_SETUP_TIMEOUT_MS, payload, sizeof(payload), &m);
	if (rv != 0) {
		return rv;
	}
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, DEEP_SETUP_TIMEOUT_MS);
	if ((rv = nng_sendmsg(sock, m, 0)) != 0) {
		nng_msg_free(m);
		return rv;
	}
	if ((rv = nng_recvmsg(sock, &m, 0)) != 0) {
		return rv;
	}
	Oz__Rpc__V1__Response *r = oz__rpc__v1__response__unpack(
		NULL, nng_msg_len(m), nng_msg_body(m));
	Oz__V1__ListTasksResponse *page =
		r != NULL && (r->status == NULL || r->status->code == OZ_OK)
			? oz__v1__list_tasks_response__unpack(
				  NULL, r->payload.len, r->payload.data)
			: NULL;
	rv = NNG_EPROTO;
	if (page != NULL && page->next_page_token[0] != '\0') {
		cfg->deep_token = strdup(page->next_page_token);
		cfg->deep_first = depth + BENCH_LIST_PAGE + 1;
		rv = cfg->deep_token != NULL ? 0 : NNG_ENOMEM;
	}
	oz__v1__list_tasks_response__free_unpacked(page, NULL);
	oz__rpc__v1__response__free_unpacked(r, NULL);
	nng_msg_free(m);
	return rv;
}

int
bench_deep_setup(const char *url, bench_config *cfg)
{
	struct load ld = {.cfg = cfg};
	int rv = dial(&ld, url);
	if (rv == 0) {
		rv = deep_ask(ld.sock, cfg);
		nng_close(ld.sock);
	}
	return rv;
}

int
bench_load_any(const bench_config *cfg, const char *url, bool check,
	bench_result *res)
{
	if (cfg->client == BENCH_CLIENT_RAW &&
		(strncmp(url, "tcp://", 6) == 0 ||
			strncmp(url, "ipc://", 6) == 0)) {
		return bench_load_raw(cfg, url, check, res);
	}
	return bench_load(cfg, url, check, res);
}

int
bench_load(const bench_config *cfg_in, const char *url, bool check,
	bench_result *res)
{
	bench_config deep = *cfg_in;
	const bench_config *cfg = &deep;
	struct load ld = {.cfg = cfg, .check = check};
	ld.run_tag = (uint32_t) (bench_now_ns() ^ (uint64_t) getpid() << 16);
	atomic_init(&ld.stop, false);
	pthread_mutex_init(&ld.mu, NULL);
	pthread_cond_init(&ld.cv, NULL);
	int rv = dial(&ld, url);
	if (rv == 0 && cfg->workload == BENCH_LIST_DEEP) {
		rv = deep_ask(ld.sock, &deep);
	}
	if (rv == 0) {
		rv = open_slots(&ld);
	}
	if (rv != 0) {
		fprintf(stderr, "ozbench: %s: %s\n", url, nng_strerror(rv));
		close_slots(&ld);
		nng_close(ld.sock);
		free((char *) deep.deep_token);
		return 1;
	}
	uint64_t start = bench_now_ns();
	ld.m0 = start + (uint64_t) (cfg->warmup_s * 1e9);
	ld.m1 = ld.m0 + (uint64_t) (cfg->duration_s * 1e9);
	ld.active = cfg->inflight;
	for (int i = 0; i < cfg->inflight; i++) {
		slot_issue(&ld.slots[i]);
	}
	long long cpu[2], self[2], wchar[2];
	for (int end = 0; end < 2; end++) {
		bench_sleep_until(end == 0 ? ld.m0 : ld.m1);
		cpu[end] = cfg->server_pid > 0
				   ? bench_proc_cpu_us(cfg->server_pid)
				   : -1;
		wchar[end] = cfg->server_pid > 0
				     ? bench_proc_wchar(cfg->server_pid)
				     : -1;
		self[end] = bench_self_cpu_us(false); /* nng threads too. */
	}
	atomic_store(&ld.stop, true);
	wait_idle(&ld);
	nng_close(ld.sock);
	collect(&ld, res);
	close_slots(&ld);
	bench_result_rates(res, cpu, self, wchar);
	bench_result_memory(res, cfg->server_pid);
	pthread_cond_destroy(&ld.cv);
	pthread_mutex_destroy(&ld.mu);
	free((char *) deep.deep_token);
	return 0;
}
