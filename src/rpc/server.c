/* rpc/server.c -- the serving loop. Each worker owns one nng context, one
 * aio and one arena; each thread that runs reads owns one read connection
 * (read_conn), so the read path shares no lock with other requests. Reads
 * and no-db calls run in the worker's aio callback, on nng's threads: they
 * never wait -- a WAL reader takes no lock a writer holds, and those
 * connections have no busy timeout, so the rare SQLITE_BUSY is UNAVAILABLE
 * at once -- and not handing the call to a thread of ours halves the
 * server CPU of a GetUser (two thread wake-ups fewer per call; see
 * bench/RESULTS.md). A write is queued for the group-commit writer with
 * the worker's aio left pending; after the COMMIT the writer completes
 * that aio and nng's threads send the reply, so no nng thread ever waits
 * on a COMMIT and no thread of ours sits between the two. Admin calls
 * that touch the database (Backup, Optimize, Query: they may run for
 * long) are queued the same way for ONE admin thread, which runs them one
 * at a time: one read connection and one malloc arena for all of them.
 * When each worker's own thread ran them, every thread that ever ran a
 * backup kept its connection and its glibc arena, each arena the freed
 * pages of a full page cache: ozd's RssAnon grew with every backup that
 * landed on a new thread (bench/RESULTS.md, "Soak").
 *
 * Where a call runs is decided once, from its method's kind
 * (rpc/dispatch.h) and the backend's traits (store_traits): no-db calls
 * in the callback; writes on the writer; admin calls on the admin queue;
 * reads in the callback when the backend's reads never wait (SQLite),
 * else on the read queue: --read-threads threads of ours, each with its
 * own connection, served the same way as the admin queue (the aio left
 * pending, the thread finishes it, nng's threads send the reply), since
 * a PostgreSQL read is a round trip to another process and nng has only
 * a few callback threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/thread.h"
#include "rpc/auth.h"
#include "rpc/call.h"
#include "rpc/http.h"
#include "rpc/listener.h"
#include "rpc/server.h"
#include "rpc/stats.h"
#include "rpc/writer.h"

#define ADMIN_STACK (256 * 1024)

/* Admin calls waiting for the admin thread, beyond the one it runs; more
 * are RESOURCE_EXHAUSTED, so a burst of them cannot hold every slot of
 * --max-inflight while a backup runs. */
#define ADMIN_QUEUE_MAX 8

enum { W_RECV, W_WRITE, W_QUEUED, W_SEND };

/* A worker serves one call at a time: its aio callback receives, runs
 * no-db calls (and SQLite's reads) inline and sends. A write is queued
 * for the writer and the aio kept pending (W_WRITE) until the writer
 * finishes it after the COMMIT; an admin call likewise for the admin
 * thread, a PostgreSQL read for the read threads (W_QUEUED). The
 * callback then sends. */
struct worker {
	rpc_server *srv;
	nng_ctx ctx;
	nng_aio *aio;
	arena arena;
	int state;       /* W_RECV, W_WRITE, W_QUEUED or W_SEND: what the aio
			    waits for. */
	nng_msg *msg;    /* The request, reused for the reply. */
	rpc_call call;   /* The call being served. */
	rpc_write write; /* call, queued for the writer. */
	bool admitted;
	struct worker *next_queued; /* A work queue's link. */
};

/* Calls waiting for threads of ours, oldest first: the admin queue (one
 * thread) and, when the backend's reads block, the read queue. */
struct work_queue {
	rpc_server *srv;
	const char *thread_name;
	const char *full_message; /* Why a call is refused when full. */
	bool admin;               /* Its connections may wait for locks. */
	int max_waiting;
	int n_threads;
	int n_started;
	pthread_t threads[RPC_READ_THREADS_MAX];
	pthread_mutex_t mu; /* Guards the rest. */
	pthread_cond_t cv;
	struct worker *head, *tail;
	int n;
	bool exited; /* A thread has left: nothing more is queued. */
};

struct rpc_server {
	rpc_server_config cfg;
	rpc_call_config call_cfg;
	nng_socket sock;
	rpc_listener listeners[RPC_LISTEN_MAX];
	rpc_http *http;       /* The web console, if --http. */
	rpc_listener http_ws; /* ws://ADDR/rpc beside it. */
	char http_ws_url[RPC_HTTP_URL_MAX];
	rpc_origins origins; /* Browser origins allowed on ws://. */
	struct worker *workers;
	int n_workers;
	struct work_queue admin_q;
	struct work_queue read_q; /* Used when reads_inline is false. */
	bool reads_inline;        /* The backend's reads never wait. */
	atomic_int db_busy;       /* Calls running on a read connection. */
	atomic_int n_conns;       /* Read connections open. */
	rpc_writer *writer;
	long gen;                 /* Tells this server's read connections. */
	pthread_mutex_t conns_mu; /* Guards conns (taken at open only). */
	struct read_conn *conns;  /* Every read connection, for stop. */
	rpc_auth *auth;
	rpc_auth *admin; /* --admin-token-file, or NULL. */
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
	cfg->read_threads = RPC_READ_THREADS_DEFAULT;
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
		(long long) (oz_now_us() - call->start_us),
		call->request_id != NULL ? call->request_id : "-");
}

/* Read connections belong to threads, not to workers: reads run on the
 * few threads of nng's pool (and, for admin calls, on the admin thread), so
 * a handful of connections serve every read, each with a warm page cache
 * and its prepared statements, instead of one per worker. A thread's
 * connection is found without a lock; the list exists only so that
 * rpc_server_stop can close them once no callback can run. */
struct read_conn {
	store_conn *db;
	struct read_conn *next;
};

static atomic_long next_gen;
static _Thread_local long tl_gen; /* Server generation tl_db belongs to. */
static _Thread_local store_conn *tl_db;
static _Thread_local bool tl_admin; /* The admin thread. */

/* This thread's read connection to s, opened on first use. NULL with st
 * set when it cannot be opened. */
static store_conn *
read_conn(rpc_server *s, oz_status *st)
{
	if (tl_gen == s->gen && tl_db != NULL) {
		return tl_db;
	}
	struct read_conn *rc = calloc(1, sizeof(*rc));
	if (rc == NULL) {
		oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	/* On nng's threads (aio callbacks) a read must never sleep: with no
	 * busy timeout, the rare SQLITE_BUSY of a WAL reader (recovery, a
	 * checkpoint restarting the log) becomes UNAVAILABLE at once, which
	 * clients retry for reads. The admin thread may wait as usual. */
	store_config cfg = s->cfg.store;
	if (!tl_admin) {
		cfg.busy_timeout_ms = 0;
	}
	if (store_open(&rc->db, &cfg, st) != OZ_OK) {
		free(rc);
		return NULL;
	}
	pthread_mutex_lock(&s->conns_mu);
	rc->next = s->conns;
	s->conns = rc;
	pthread_mutex_unlock(&s->conns_mu);
	atomic_fetch_add(&s->n_conns, 1);
	tl_gen = s->gen;
	tl_db = rc->db;
	return rc->db;
}

/* True for the calls the writer runs: writes, and on an in-memory
 * database (no WAL, so readers beside the writer would wait for its
 * locks) the reads too. Admin calls are not among them: a Backup cannot
 * copy the database from inside the writer's transaction, so it reads on
 * a connection of its own to the same shared in-memory database. */
static bool
writer_runs(const rpc_server *s, const rpc_call *call)
{
	return call->method->kind == RPC_WRITE ||
	       (call->method->kind == RPC_READ && s->memory);
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
	if (writer_runs(s, call)) {
		rpc_writer_run(s->writer, call, serving);
		return;
	}
	store_conn *db = NULL;
	if (call->method->kind == RPC_READ ||
		call->method->kind == RPC_LONG_READ) {
		oz_status st;
		if ((db = read_conn(s, &st)) == NULL) {
			rpc_call_fail(call, st.code, st.message);
			return;
		}
		atomic_fetch_add(&s->db_busy, 1);
	}
	rpc_call_run(call, db, serving);
	if (db != NULL) {
		atomic_fetch_sub(&s->db_busy, 1);
		int64_t hits, misses;
		store_cache_counts(db, &hits, &misses);
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

/* True for calls the writer runs: writes (and, on :memory:, where the
 * writer's is the only connection, reads). */
static bool
via_writer(const rpc_server *s, const rpc_call *call)
{
	return rpc_call_ok(call) && writer_runs(s, call);
}

/* The queue of threads of ours that runs call, or NULL when it runs in
 * the callback or on the writer: admin calls (they may run long: a
 * backup) on the admin thread; reads on the read threads when the
 * backend's reads wait on the network. Stats is no-db: it is answered in
 * the callback, so a dashboard polling it is not kept waiting behind a
 * backup. */
static struct work_queue *
queue_for(rpc_server *s, const rpc_call *call)
{
	if (!rpc_call_ok(call)) {
		return NULL;
	}
	if (call->method->kind == RPC_LONG_READ) {
		return &s->admin_q;
	}
	if (call->method->kind == RPC_READ && !s->reads_inline && !s->memory) {
		return &s->read_q;
	}
	return NULL;
}

/* Counts the call in the statistics. Done before its reply is sent, so a
 * client that has its reply sees it counted. */
static void
count(struct worker *w)
{
	rpc_server *s = w->srv;
	if (!w->call.probe) {
		rpc_stats_record(s->stats, w->call.method, w->call.st.code,
			oz_now_us() - w->call.start_us);
		atomic_fetch_add(&s->calls, 1);
	}
	/* Answered: a client that sends its next call as soon as it has
	 * this reply must find the slot free (--max-inflight). */
	atomic_fetch_sub(&s->running, 1);
}

/* The reply has left (or could not): the call no longer runs, so a drain
 * may now stop the server. */
static void
finish(struct worker *w)
{
	arena_reset(&w->arena);
	atomic_fetch_sub(&w->srv->busy, 1);
}

static void
post_recv(struct worker *w)
{
	if (atomic_load(&w->srv->stopping)) {
		return;
	}
	w->state = W_RECV;
	nng_ctx_recv(w->ctx, w->aio);
}

/* Encodes the reply and sends it; the aio callback finishes the call. */
static void
reply(struct worker *w)
{
	int rv = fill_reply(w->msg, &w->call);
	log_call(&w->call);
	count(w);
	if (rv == 0) {
		w->state = W_SEND;
		nng_aio_set_msg(w->aio, w->msg);
		nng_ctx_send(w->ctx, w->aio);
		return;
	}
	log_debug("reply not sent: %s", nng_strerror(rv));
	nng_msg_free(w->msg);
	finish(w);
	post_recv(w);
}

/* The writer has run w's call (on the writer's thread): completing the
 * pending aio runs worker_cb on nng's threads, which sends the reply. */
static void
written(rpc_write *wr)
{
	struct worker *w = wr->arg;
	nng_aio_finish(w->aio, 0);
}

/* Queues w's call for the writer. The aio stays pending until written()
 * finishes it, so the reply is sent by worker_cb in state W_WRITE. */
static void
submit_write(struct worker *w)
{
	w->state = W_WRITE;
	if (!nng_aio_begin(w->aio)) {
		return; /* Stopping: worker_cb gets NNG_ECANCELED. */
	}
	w->write = (rpc_write) {
		.call = &w->call, .serving = true, .done = written, .arg = w};
	rpc_writer_submit(w->srv->writer, &w->write);
}

/* Queues w's call on q, the aio left pending until one of q's threads
 * finishes it (W_QUEUED). OK, or the code w's call fails with at once:
 * UNAVAILABLE once a thread has left (stopping), RESOURCE_EXHAUSTED when
 * q->max_waiting calls already wait. Never waits but for the queue's
 * lock, which no one holds while a call runs. */
static oz_code
enqueue(struct work_queue *q, struct worker *w)
{
	oz_code rc = OZ_OK;
	pthread_mutex_lock(&q->mu);
	if (q->exited) {
		rc = OZ_UNAVAILABLE;
	} else if (q->n >= q->max_waiting) {
		rc = OZ_RESOURCE_EXHAUSTED;
	} else {
		w->state = W_QUEUED;
		/* Under the lock, so the threads cannot leave between the
		 * check and the push: what is queued is run. */
		if (nng_aio_begin(w->aio)) {
			w->next_queued = NULL;
			if (q->tail != NULL) {
				q->tail->next_queued = w;
			} else {
				q->head = w;
			}
			q->tail = w;
			q->n++;
			pthread_cond_signal(&q->cv);
		} /* Else stopping: worker_cb gets NNG_ECANCELED. */
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

/* Hands w's call to q's threads; true if the callback is done with it,
 * else w's call has failed and the callback answers it. */
static bool
hand_to(struct work_queue *q, struct worker *w)
{
	oz_code rc = enqueue(q, w);
	if (rc == OZ_UNAVAILABLE) {
		rpc_call_fail(&w->call, rc,
			"server is shutting down; retry on another server");
	} else if (rc == OZ_RESOURCE_EXHAUSTED) {
		rpc_call_fail(&w->call, rc, q->full_message);
	}
	return rc == OZ_OK;
}

static bool
peer_is_local(void *msg)
{
	return rpc_listener_peer_is_local(msg);
}

static void
received(struct worker *w, nng_msg *msg)
{
	rpc_server *s = w->srv;
	w->msg = msg;
	atomic_fetch_add(&s->busy, 1);
	w->admitted = atomic_fetch_add(&s->running, 1) < s->cfg.max_inflight;
	rpc_peer peer = {.is_local = peer_is_local, .arg = msg};
	rpc_call_begin(&w->call, &s->call_cfg, &w->arena, nng_msg_body(msg),
		nng_msg_len(msg), &peer);
	if (w->admitted && atomic_load(&s->serving)) {
		struct work_queue *q = queue_for(s, &w->call);
		if (q != NULL) {
			if (hand_to(q, w)) {
				return;
			}
		} else if (via_writer(s, &w->call)) {
			submit_write(w);
			return;
		}
	}
	execute(w, &w->call, w->admitted);
	reply(w);
}

static void
worker_cb(void *arg)
{
	struct worker *w = arg;
	int rv = nng_aio_result(w->aio);
	if (w->state == W_WRITE || w->state == W_QUEUED) {
		if (rv != 0) { /* Stopped before the call was queued. */
			rpc_call_fail(&w->call, OZ_UNAVAILABLE,
				"server is shutting down");
			count(w);
			nng_msg_free(w->msg);
			finish(w);
			return;
		}
		reply(w);
		return;
	}
	if (w->state == W_SEND) {
		if (rv != 0) {
			/* The peer went away or the socket closed. */
			log_debug("reply not sent: %s", nng_strerror(rv));
			nng_msg_free(nng_aio_get_msg(w->aio));
		}
		finish(w);
		post_recv(w);
		return;
	}
	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		return;
	}
	if (rv != 0) {
		log_debug("receive failed: %s", nng_strerror(rv));
		post_recv(w);
		return;
	}
	received(w, nng_aio_get_msg(w->aio));
}

/* A thread of a work queue: runs the queued calls, oldest first, and
 * completes each worker's pending aio, whose callback sends the reply. A
 * call whose deadline passed while it waited is answered
 * DEADLINE_EXCEEDED without running (rpc_call_run). Once stopping, the
 * threads run what is queued and leave. */
static void *
queue_main(void *arg)
{
	struct work_queue *q = arg;
	rpc_server *s = q->srv;
	tl_admin = q->admin;
	oz_thread_name(q->thread_name);
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->head == NULL && !atomic_load(&s->stopping)) {
			pthread_cond_wait(&q->cv, &q->mu);
		}
		struct worker *w = q->head;
		if (w == NULL) {
			break;
		}
		q->head = w->next_queued;
		if (q->head == NULL) {
			q->tail = NULL;
		}
		q->n--;
		pthread_mutex_unlock(&q->mu);
		execute(w, &w->call, w->admitted);
		nng_aio_finish(w->aio, 0);
		pthread_mutex_lock(&q->mu);
	}
	q->exited = true;
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static void
queue_init(struct work_queue *q, rpc_server *s, int n_threads)
{
	q->srv = s;
	q->n_threads = n_threads;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

static oz_code
queue_start(struct work_queue *q, oz_status *st)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, ADMIN_STACK);
	while (q->n_started < q->n_threads &&
		pthread_create(&q->threads[q->n_started], &attr, queue_main,
			q) == 0) {
		q->n_started++;
	}
	pthread_attr_destroy(&attr);
	if (q->n_started < q->n_threads) {
		pthread_mutex_lock(&q->mu);
		q->exited = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		return oz_fail(st, OZ_INTERNAL, "cannot start the %s threads",
			q->thread_name);
	}
	return OZ_OK;
}

/* Wakes q's threads (stopping is set), joins them, frees q. */
static void
queue_stop(struct work_queue *q)
{
	if (q->srv == NULL) {
		return;
	}
	pthread_mutex_lock(&q->mu);
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->n_started; i++) {
		pthread_join(q->threads[i], NULL);
	}
	q->n_started = 0;
}

static void
queue_fini(struct work_queue *q)
{
	if (q->srv != NULL) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
	}
}

/* The admin queue always; the read queue when reads block. */
static oz_code
start_queues(rpc_server *s, oz_status *st)
{
	struct work_queue *a = &s->admin_q;
	a->thread_name = "ozd:admin";
	a->admin = true;
	a->max_waiting = ADMIN_QUEUE_MAX;
	a->full_message = "too many admin calls are waiting (they run one "
			  "at a time); retry with backoff";
	oz_code rc = queue_start(a, st);
	if (rc != OZ_OK || s->reads_inline || s->memory) {
		return rc;
	}
	struct work_queue *r = &s->read_q;
	r->thread_name = "ozd:reader";
	/* Admission (--max-inflight) bounds the reads in flight already. */
	r->max_waiting = s->cfg.max_inflight + RPC_SPARE_WORKERS;
	r->full_message = "too many reads are waiting; retry with backoff";
	return queue_start(r, st);
}

/* Probes ipc listeners every RPC_GUARD_INTERVAL_MS (see rpc/listener.h). */
static void *
guard_main(void *arg)
{
	rpc_server *s = arg;
	oz_thread_name("ozd:guard");
	pthread_mutex_lock(&s->mu);
	while (!atomic_load(&s->stopping)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += RPC_GUARD_INTERVAL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
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
	oz_code rc = start_queues(s, st);
	for (int i = 0; rc == OZ_OK && i < s->n_workers; i++) {
		struct worker *w = &s->workers[i];
		w->srv = s;
		arena_init(&w->arena, 0, s->cfg.max_message_bytes * 4);
		int rv = nng_ctx_open(&w->ctx, s->sock);
		if (rv == 0) {
			rv = nng_aio_alloc(&w->aio, worker_cb, w);
		}
		if (rv != 0) {
			rc = nng_fail(st, "cannot create worker context", rv);
			break;
		}
		post_recv(w);
	}
	return rc;
}

/* Counts the pipes each listener hands to the socket, for the guard. */
static void
pipe_added_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	rpc_server *s = arg;
	(void) ev;
	rpc_listener_pipe_added(s->listeners, s->cfg.n_listen, p);
}

static oz_code
open_listeners(rpc_server *s, oz_status *st)
{
	int rv = nng_pipe_notify(
		s->sock, NNG_PIPE_EV_ADD_POST, pipe_added_cb, s);
	if (rv != 0) {
		return nng_fail(st, "cannot watch the socket's pipes", rv);
	}
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

/* The Origin rule for every WebSocket pipe, then, with --http, the console
 * and ws://ADDR/rpc on one port. */
static oz_code
open_console(rpc_server *s, oz_status *st)
{
	rpc_origins *o = &s->origins;
	for (size_t i = 0; i < s->cfg.n_ws_origins && o->n < RPC_ORIGIN_MAX;
		i++) {
		o->allowed[o->n++] = s->cfg.ws_origins[i];
	}
	if (s->cfg.http_addr != NULL && o->n < RPC_ORIGIN_MAX) {
		snprintf(
			o->own, sizeof(o->own), "http://%s", s->cfg.http_addr);
		o->allowed[o->n++] = o->own;
	}
	oz_code rc = rpc_origins_install(s->sock, o, st);
	if (rc != OZ_OK || s->cfg.http_addr == NULL) {
		return rc;
	}
	rc = rpc_http_start(&s->http, s->cfg.http_addr, s->http_ws_url, st);
	if (rc == OZ_OK) {
		rc = rpc_listener_open(
			&s->http_ws, s->sock, s->http_ws_url, &s->cfg, st);
	}
	if (rc == OZ_OK) {
		log_info("web console on http://%s/ (RPC on %s)",
			s->cfg.http_addr, s->http_ws_url);
	}
	return rc;
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
	pthread_mutex_init(&s->conns_mu, NULL);
	s->reads_inline = !store_reads_block(&cfg->store);
	if (s->cfg.read_threads < 1 ||
		s->cfg.read_threads > RPC_READ_THREADS_MAX) {
		s->cfg.read_threads = RPC_READ_THREADS_DEFAULT;
	}
	queue_init(&s->admin_q, s, 1);
	queue_init(&s->read_q, s,
		s->reads_inline || s->memory ? 0 : s->cfg.read_threads);
	s->gen = atomic_fetch_add(&next_gen, 1) + 1;
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
	if (cfg->admin_token_file != NULL &&
		(rc = rpc_auth_load(cfg->admin_token_file, &s->admin, st)) !=
			OZ_OK) {
		goto fail;
	}
	s->call_cfg.auth = s->auth;
	s->call_cfg.admin = s->admin;
	s->call_cfg.server = s;
	s->start_us = oz_now_us();
	if ((s->stats = rpc_stats_new()) == NULL) {
		rc = oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	rc = rpc_writer_start(&s->writer, &cfg->store, cfg->group_commit,
		cfg->optimize_interval_ms, s->stats, st);
	if (rc != OZ_OK) {
		goto fail;
	}
	s->call_cfg.health = rpc_writer_health(s->writer);
	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		rc = nng_fail(st, "cannot open rep0 socket", rv);
		goto fail;
	}
	if ((rv = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ,
		     cfg->max_message_bytes)) != 0) {
		rc = nng_fail(st, "cannot set the message limit", rv);
		goto fail;
	}
	if ((rc = start_workers(s, st)) != OZ_OK ||
		(rc = open_console(s, st)) != OZ_OK ||
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
	int64_t end = oz_now_us() + (int64_t) timeout_ms * 1000;
	while (atomic_load(&s->busy) > 0) {
		if (oz_now_us() >= end) {
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
	return oz_now_us() - s->start_us;
}

const store_config *
rpc_server_store_config(rpc_server *s)
{
	return &s->cfg.store;
}

void
rpc_server_db_sizes(rpc_server *s, int64_t *db, int64_t *wal)
{
	store_file_sizes(&s->cfg.store, db, wal);
	if (store_reads_block(&s->cfg.store)) {
		*db = rpc_writer_db_size(s->writer);
	}
}

void
rpc_server_db_conns(rpc_server *s, int32_t *open, int32_t *busy)
{
	*open = atomic_load(&s->n_conns) + 1;
	*busy = atomic_load(&s->db_busy);
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
	 * worker leaves its loop; the admin thread runs what is queued and
	 * leaves; then join, then free (STYLE.md §4). */
	for (int i = 0; i < s->n_workers; i++) {
		if (s->workers[i].aio != NULL) {
			nng_ctx_close(s->workers[i].ctx);
		}
	}
	queue_stop(&s->admin_q);
	queue_stop(&s->read_q);
	for (int i = 0; i < s->n_workers; i++) {
		if (s->workers[i].aio != NULL) {
			nng_aio_stop(s->workers[i].aio); /* Waits for its
							    callback. */
		}
	}
	for (int i = 0; i < s->n_workers; i++) {
		nng_aio_free(s->workers[i].aio);
		arena_fini(&s->workers[i].arena);
	}
	queue_fini(&s->admin_q);
	queue_fini(&s->read_q);
	for (size_t i = 0; i < s->cfg.n_listen; i++) {
		rpc_listener_close(&s->listeners[i]);
	}
	rpc_listener_close(&s->http_ws);
	nng_close(s->sock);
	rpc_http_stop(s->http);
	/* No callback or worker runs any more: close the read connections. */
	while (s->conns != NULL) {
		struct read_conn *rc = s->conns;
		s->conns = rc->next;
		store_close(rc->db);
		free(rc);
	}
	pthread_mutex_destroy(&s->conns_mu);
	rpc_writer_stop(s->writer);
	rpc_auth_free(s->auth);
	rpc_auth_free(s->admin);
	rpc_stats_free(s->stats);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->workers);
	free(s);
}
