/* rpc/server.c -- the serving loop. Each worker thread owns one nng
 * context, one aio, one arena and (lazily) one read connection, so the
 * read path shares no lock with other requests; writes go to the
 * group-commit writer. nng callbacks are never used: workers block on
 * their own aio, so no nng thread ever waits on SQLite. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "core/arena.h"
#include "core/log.h"
#include "rpc/auth.h"
#include "rpc/call.h"
#include "rpc/listener.h"
#include "rpc/server.h"
#include "rpc/stats.h"
#include "rpc/writer.h"

#define GUARD_INTERVAL_MS 1000
#define WORKER_STACK      (256 * 1024)

struct worker {
	rpc_server *srv;
	pthread_t thread;
	nng_ctx ctx;
	nng_aio *aio;
	arena arena;
	store_conn *db; /* Read connection, opened on first read. */
	bool started;
};

struct rpc_server {
	rpc_server_config cfg;
	rpc_call_config call_cfg;
	nng_socket sock;
	rpc_listener listeners[RPC_LISTEN_MAX];
	struct worker *workers;
	int n_workers;
	rpc_writer *writer;
	rpc_auth *auth;
	rpc_stats *stats;
	int64_t start_us; /* Monotonic time of start, for uptime. */
	bool memory;      /* :memory: -- every call goes through the writer. */
	atomic_bool serving;
	atomic_bool stopping;
	atomic_int running; /* Calls received and not yet answered. */
	atomic_int busy;    /* Workers between receive and reply sent. */
	atomic_long calls;
	pthread_t guard;
	bool guard_started;
	pthread_mutex_t mu; /* Guards listeners and the guard's sleep. */
	pthread_cond_t cv;
};

void
rpc_server_config_init(rpc_server_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen[0] = "tcp://127.0.0.1:7878";
	cfg->n_listen = 1;
	cfg->max_inflight = 64;
	cfg->max_message_bytes = 4u << 20;
	cfg->default_timeout_ms = 30000;
	cfg->ipc_mode = 0600;
	cfg->group_commit = true;
	cfg->optimize_interval_ms = 3600 * 1000;
	store_config_init(&cfg->store);
}

static void
log_call(const rpc_call *call)
{
	if (!log_enabled(LOG_INFO) || call->probe) {
		return;
	}
	log_info("rpc method=%s code=%s us=%lld request-id=%.64s",
		rpc_call_method_name(call), oz_code_name(call->st.code),
		(long long) (rpc_now_us() - call->start_us),
		call->request_id != NULL ? call->request_id : "-");
}

/* Runs one decoded call where its kind says. */
static void
execute(struct worker *w, rpc_call *call, bool admitted)
{
	rpc_server *s = w->srv;
	bool serving = atomic_load(&s->serving);
	if (!rpc_call_ok(call)) {
		return;
	}
	if (!serving && call->method->kind != RPC_NODB) {
		rpc_call_fail(call, OZ_UNAVAILABLE,
			"server is shutting down; retry on another server");
		return;
	}
	if (!admitted && call->method->kind != RPC_NODB) {
		rpc_call_fail(call, OZ_RESOURCE_EXHAUSTED,
			"server is at its limit of calls in flight; retry "
			"with backoff");
		return;
	}
	if (call->method->kind == RPC_WRITE ||
		(call->method->kind == RPC_READ && s->memory)) {
		rpc_writer_run(s->writer, call, serving);
		return;
	}
	if (call->method->kind == RPC_READ && w->db == NULL) {
		oz_status st;
		if (store_open(&w->db, &s->cfg.store, &st) != OZ_OK) {
			rpc_call_fail(call, st.code, st.message);
			return;
		}
	}
	rpc_call_run(
		call, call->method->kind == RPC_READ ? w->db : NULL, serving);
	if (call->method->kind == RPC_READ) {
		int64_t hits, misses;
		store_cache_counts(w->db, &hits, &misses);
		rpc_stats_cache(s->stats, hits, misses);
	}
}

/* Encodes the reply into msg (reusing the request's message). */
static int
fill_reply(nng_msg *msg, rpc_call *call)
{
	void *out;
	size_t len;
	rpc_call_reply(call, &out, &len);
	nng_msg_clear(msg);
	if (out == NULL) {
		/* The arena could not hold even the status: send a fixed
		 * RESOURCE_EXHAUSTED (Response{status{code: 8}}). */
		static const unsigned char oom[] = {0x0a, 0x02, 0x08, 0x08};
		return nng_msg_append(msg, oom, sizeof(oom));
	}
	return nng_msg_append(msg, out, len);
}

static void
serve_one(struct worker *w, nng_msg *msg)
{
	rpc_server *s = w->srv;
	rpc_call call;
	atomic_fetch_add(&s->busy, 1);
	bool admitted = atomic_fetch_add(&s->running, 1) < s->cfg.max_inflight;
	rpc_call_begin(&call, &s->call_cfg, &w->arena, nng_msg_body(msg),
		nng_msg_len(msg));
	execute(w, &call, admitted);
	int rv = fill_reply(msg, &call);
	log_call(&call);
	/* Counted before the reply goes out, so a client that has its answer
	 * sees its call in the statistics. */
	if (!call.probe) {
		rpc_stats_record(s->stats, call.method, call.st.code,
			rpc_now_us() - call.start_us);
		atomic_fetch_add(&s->calls, 1);
	}
	atomic_fetch_sub(&s->running, 1);
	if (rv == 0) {
		nng_aio_set_msg(w->aio, msg);
		nng_ctx_send(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		rv = nng_aio_result(w->aio);
	}
	if (rv != 0) {
		/* The peer went away or the socket closed: nobody to answer.
		 */
		log_debug("reply not sent: %s", nng_strerror(rv));
		nng_msg_free(msg);
	}
	arena_reset(&w->arena);
	atomic_fetch_sub(&s->busy, 1);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	rpc_server *s = w->srv;
	while (!atomic_load(&s->stopping)) {
		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		int rv = nng_aio_result(w->aio);
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
			break;
		}
		if (rv != 0) {
			log_debug("receive failed: %s", nng_strerror(rv));
			continue;
		}
		serve_one(w, nng_aio_get_msg(w->aio));
	}
	return NULL;
}

/* Probes ipc listeners every second (see rpc/listener.h). */
static void *
guard_main(void *arg)
{
	rpc_server *s = arg;
	pthread_mutex_lock(&s->mu);
	while (!atomic_load(&s->stopping)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += GUARD_INTERVAL_MS / 1000;
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (atomic_load(&s->stopping) || !atomic_load(&s->serving)) {
			continue;
		}
		for (size_t i = 0; i < s->cfg.n_listen; i++) {
			rpc_listener_guard(&s->listeners[i], s->sock, &s->cfg);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static oz_code
nng_fail(oz_status *st, const char *what, int rv)
{
	return oz_fail(st, OZ_UNAVAILABLE, "%s: %s", what, nng_strerror(rv));
}

static oz_code
start_workers(rpc_server *s, oz_status *st)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, WORKER_STACK);
	oz_code rc = OZ_OK;
	for (int i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];
		w->srv = s;
		arena_init(&w->arena, 0, s->cfg.max_message_bytes * 4);
		int rv = nng_ctx_open(&w->ctx, s->sock);
		if (rv == 0) {
			rv = nng_aio_alloc(&w->aio, NULL, NULL);
		}
		if (rv != 0) {
			rc = nng_fail(st, "cannot create worker context", rv);
			break;
		}
		if (pthread_create(&w->thread, &attr, worker_main, w) != 0) {
			rc = oz_fail(st, OZ_INTERNAL, "cannot start worker");
			break;
		}
		w->started = true;
	}
	pthread_attr_destroy(&attr);
	return rc;
}

static oz_code
open_listeners(rpc_server *s, oz_status *st)
{
	for (size_t i = 0; i < s->cfg.n_listen; i++) {
		oz_code rc = rpc_listener_open(&s->listeners[i], s->sock,
			s->cfg.listen[i], &s->cfg, st);
		if (rc != OZ_OK) {
			return rc;
		}
		log_info("listening on %s", s->cfg.listen[i]);
	}
	return OZ_OK;
}

oz_code
rpc_server_start(rpc_server **out, const rpc_server_config *cfg, oz_status *st)
{
	oz_code rc;
	int rv;
	rpc_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	s->cfg = *cfg;
	s->call_cfg.default_timeout_ms = cfg->default_timeout_ms;
	s->call_cfg.max_message_bytes = cfg->max_message_bytes;
	s->memory = store_config_is_memory(&cfg->store);
	if (s->cfg.max_inflight < 1) {
		s->cfg.max_inflight = 1;
	}
	s->n_workers = s->cfg.max_inflight + RPC_SPARE_WORKERS;
	atomic_init(&s->serving, true);
	atomic_init(&s->stopping, false);
	atomic_init(&s->running, 0);
	atomic_init(&s->busy, 0);
	atomic_init(&s->calls, 0);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->workers = calloc((size_t) s->n_workers, sizeof(*s->workers));
	if (s->workers == NULL) {
		free(s);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	if (cfg->auth_token_file != NULL &&
		(rc = rpc_auth_load(cfg->auth_token_file, &s->auth, st)) !=
			OZ_OK) {
		goto fail;
	}
	s->call_cfg.auth = s->auth;
	s->call_cfg.server = s;
	s->start_us = rpc_now_us();
	if ((s->stats = rpc_stats_new()) == NULL) {
		rc = oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	rc = rpc_writer_start(&s->writer, &cfg->store, cfg->group_commit,
		cfg->optimize_interval_ms, s->stats, st);
	if (rc != OZ_OK) {
		goto fail;
	}
	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		rc = nng_fail(st, "cannot open rep0 socket", rv);
		goto fail;
	}
	nng_socket_set_size(
		s->sock, NNG_OPT_RECVMAXSZ, cfg->max_message_bytes);
	if ((rc = start_workers(s, st)) != OZ_OK ||
		(rc = open_listeners(s, st)) != OZ_OK) {
		goto fail;
	}
	if (pthread_create(&s->guard, NULL, guard_main, s) == 0) {
		s->guard_started = true;
	}
	*out = s;
	return OZ_OK;
fail:
	rpc_server_stop(s);
	return rc;
}

void
rpc_server_drain(rpc_server *s)
{
	/* Listeners stay open until stop: closing one closes its pipes, and
	 * the calls running on them could not be answered. */
	atomic_store(&s->serving, false);
}

bool
rpc_server_wait_idle(rpc_server *s, int timeout_ms)
{
	int64_t end = rpc_now_us() + (int64_t) timeout_ms * 1000;
	while (atomic_load(&s->busy) > 0) {
		if (rpc_now_us() >= end) {
			return false;
		}
		struct timespec ts = {0, 5 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return true;
}

struct rpc_stats *
rpc_server_stats(rpc_server *s)
{
	return s->stats;
}

int64_t
rpc_server_uptime_us(rpc_server *s)
{
	return rpc_now_us() - s->start_us;
}

const store_config *
rpc_server_store_config(rpc_server *s)
{
	return &s->cfg.store;
}

int
rpc_server_inflight(rpc_server *s)
{
	return atomic_load(&s->running);
}

long
rpc_server_calls(rpc_server *s)
{
	return atomic_load(&s->calls);
}

void
rpc_server_commit_counts(rpc_server *s, long *batches, long *calls)
{
	rpc_writer_counts(s->writer, batches, calls);
}

void
rpc_server_stop(rpc_server *s)
{
	if (s == NULL) {
		return;
	}
	atomic_store(&s->stopping, true);
	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->guard_started) {
		pthread_join(s->guard, NULL);
	}
	/* Closing a context aborts its pending receive or send, so every
	 * worker leaves its loop; then join, then free (STYLE.md §4). */
	for (int i = 0; i < s->n_workers; i++) {
		if (s->workers[i].aio != NULL) {
			nng_ctx_close(s->workers[i].ctx);
		}
	}
	for (int i = 0; i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];
		if (w->started) {
			pthread_join(w->thread, NULL);
		}
		nng_aio_free(w->aio);
		store_close(w->db);
		arena_fini(&w->arena);
	}
	for (size_t i = 0; i < s->cfg.n_listen; i++) {
		rpc_listener_close(&s->listeners[i]);
	}
	nng_close(s->sock);
	rpc_writer_stop(s->writer);
	rpc_auth_free(s->auth);
	rpc_stats_free(s->stats);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->workers);
	free(s);
}
