/* bench/ceiling.c -- the two reference modes, measured like a real run so
 * every figure can be quoted as a ratio taken in one run:
 *
 * --ceiling-transport: an nng rep0 echo server, ozbench's own code in a
 *   forked child process (so it has nng threads of its own, as ozd has),
 *   listening on --url with as many contexts as calls in flight, each
 *   served by aio callbacks. It answers each
 *   request with a canned reply of the size the real server would send
 *   for that method (built from records shaped like the seeded ones), and
 *   the client side is the same closed loop as a real run (replies are
 *   decoded; only the content checks are skipped).
 * --ceiling-store: the same workload calling the service handlers in this
 *   process on the database file, no RPC. Reads run on min(inflight,
 *   cores) threads, each with its own connection; writes are serialized
 *   by a mutex and each runs in its own transaction: one COMMIT per write,
 *   i.e. what SQLite does without group commit.
 *
 * Must not be used to score the server: it never talks to ozd. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "core/arena.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "ozbench.h"
#include "rpc/dispatch.h"
#include "store/store.h"

#define MAX_MESSAGE (16u << 20)
#define REPLY_MAX   (64 * 1024)

/* --- transport ---------------------------------------------------------- */

struct canned {
	uint8_t *buf[OP_NKINDS];
	size_t len[OP_NKINDS];
};

struct echo_ctx {
	nng_ctx ctx;
	nng_aio *aio;
	bool sending;
	const struct canned *c;
};

static Google__Protobuf__Timestamp ts = {
	PROTOBUF_C_MESSAGE_INIT(&google__protobuf__timestamp__descriptor),
	1764000000, 123456000};

static void
fake_user(Oz__V1__User *u, int64_t id, const char *name, const char *email)
{
	oz__v1__user__init(u);
	u->id = id;
	u->username = (char *) name;
	u->email = (char *) email;
	u->is_active = true;
	u->create_time = &ts;
	u->update_time = &ts;
	u->etag = "1-64a3f2b1c0d9e";
}

static void
fake_task(Oz__V1__Task *t, int64_t id, int64_t user, const char *title)
{
	oz__v1__task__init(t);
	t->id = id;
	t->title = (char *) title;
	t->description = "";
	t->user_id = user;
	t->status = OZ__V1__TASK_STATUS__TASK_STATUS_PENDING;
	t->create_time = &ts;
	t->update_time = &ts;
	t->etag = "1-64a3f2b1c0d9e";
}

/* Packs Response{status{}, payload: msg}, as ozd does for an OK call. */
static void
can(struct canned *c, bench_op_kind k, const ProtobufCMessage *msg)
{
	static uint8_t payload[REPLY_MAX];
	Oz__Rpc__V1__Status st = OZ__RPC__V1__STATUS__INIT;
	Oz__Rpc__V1__Response r = OZ__RPC__V1__RESPONSE__INIT;
	r.status = &st;
	r.payload.len = protobuf_c_message_pack(msg, payload);
	r.payload.data = payload;
	c->len[k] = oz__rpc__v1__response__get_packed_size(&r);
	c->buf[k] = malloc(c->len[k]);
	oz__rpc__v1__response__pack(&r, c->buf[k]);
}

static void
canned_build(struct canned *c, const bench_config *cfg)
{
	char name[BENCH_NAME_MAX], email[BENCH_NAME_MAX];
	char title[BENCH_NAME_MAX];
	int64_t id = cfg->users > 0 ? cfg->users : 1;
	Oz__V1__User u;
	snprintf(name, sizeof(name), "user%09lld", (long long) id);
	snprintf(email, sizeof(email), "user%09lld@bench.example",
		(long long) id);
	fake_user(&u, id, name, email);
	can(c, OP_GET_USER, &u.base);
	snprintf(
		name, sizeof(name), "b%08x_%d_%llu", 0x5eed5eedu, 31, 4321ull);
	snprintf(email, sizeof(email), "b%08x.%d.%llu@bench.example",
		0x5eed5eedu, 31, 4321ull);
	fake_user(&u, id + 12345, name, email);
	can(c, OP_CREATE_USER, &u.base);

	int64_t per = bench_tasks_per_user(cfg);
	size_t n = per < 20 ? (size_t) per : 20;
	Oz__V1__Task tasks[20], *tp[20];
	snprintf(title, sizeof(title), "task %010lld", (long long) id);
	for (size_t i = 0; i < n; i++) {
		fake_task(&tasks[i], cfg->tasks - (int64_t) i, id, title);
		tp[i] = &tasks[i];
	}
	Oz__V1__ListTasksResponse list = OZ__V1__LIST_TASKS_RESPONSE__INIT;
	list.tasks = tp;
	list.n_tasks = n;
	list.total_size = (int32_t) per;
	can(c, OP_LIST_TASKS, &list.base);
	Oz__V1__Task t;
	snprintf(title, sizeof(title), "t%08x %d %llu", 0x5eed5eedu, 31,
		4321ull);
	fake_task(&t, cfg->tasks > 0 ? cfg->tasks : 1, id, title);
	can(c, OP_UPDATE_TASK, &t.base);
}

/* Which canned reply a request gets: its method, read from the envelope's
 * first field without decoding the rest (an echo server does no work). */
static int
kind_of_request(nng_msg *m)
{
	const uint8_t *b = nng_msg_body(m);
	size_t len = nng_msg_len(m);
	if (len < 2 || b[0] != 0x0a || b[1] >= 0x80 ||
		(size_t) b[1] + 2 > len) {
		return -1;
	}
	for (int k = 0; k < OP_NKINDS; k++) {
		bench_op op = {.kind = (bench_op_kind) k};
		const char *name = bench_op_method(&op);
		if (strlen(name) == b[1] && memcmp(name, b + 2, b[1]) == 0) {
			return k;
		}
	}
	return -1;
}

static void
echo_cb(void *arg)
{
	struct echo_ctx *e = arg;
	int rv = nng_aio_result(e->aio);
	if (e->sending) {
		e->sending = false;
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(e->aio));
		}
		nng_ctx_recv(e->ctx, e->aio);
		return;
	}
	if (rv != 0) {
		if (rv != NNG_ECLOSED && rv != NNG_ECANCELED) {
			nng_ctx_recv(e->ctx, e->aio);
		}
		return;
	}
	nng_msg *m = nng_aio_get_msg(e->aio);
	int k = kind_of_request(m);
	nng_msg_clear(m);
	if (k >= 0) {
		nng_msg_append(m, e->c->buf[k], e->c->len[k]);
	}
	e->sending = true;
	nng_aio_set_msg(e->aio, m);
	nng_ctx_send(e->ctx, e->aio);
}

/* Serves canned replies on cfg->url until SIGTERM (or the parent's death).
 * Runs in a child process, so it has nng threads of its own, as ozd does. */
static int
echo_main(const bench_config *cfg)
{
	struct canned c;
	nng_socket sock;
	int n = cfg->inflight, rv;
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	canned_build(&c, cfg);
	struct echo_ctx *ecs = calloc((size_t) n, sizeof(*ecs));
	if ((rv = nng_rep0_open(&sock)) != 0) {
		goto out;
	}
	nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, MAX_MESSAGE);
	for (int i = 0; i < n && rv == 0; i++) {
		ecs[i].c = &c;
		if ((rv = nng_ctx_open(&ecs[i].ctx, sock)) == 0) {
			rv = nng_aio_alloc(&ecs[i].aio, echo_cb, &ecs[i]);
		}
	}
	if (rv == 0 && (rv = nng_listen(sock, cfg->url, NULL, 0)) == 0) {
		for (int i = 0; i < n; i++) {
			nng_ctx_recv(ecs[i].ctx, ecs[i].aio);
		}
		int sig;
		sigwait(&sigs, &sig);
	}
out:
	if (rv != 0) {
		fprintf(stderr, "ozbench: echo server on %s: %s\n", cfg->url,
			nng_strerror(rv));
	}
	_exit(rv != 0);
}

int
bench_run_ceiling_transport(const bench_config *cfg, bench_result *res)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("ozbench: fork");
		return 1;
	}
	if (pid == 0) {
		echo_main(cfg);
	}
	bench_config client = *cfg;
	client.server_pid = (int) pid; /* CPU and RSS of the echo server. */
	int rc = bench_load_any(&client, cfg->url, false, res);
	kill(pid, SIGTERM);
	int status;
	waitpid(pid, &status, 0);
	return rc;
}

/* --- store -------------------------------------------------------------- */

struct store_run {
	const bench_config *cfg;
	store_config scfg;
	uint64_t m0, m1;
	uint32_t run_tag;
	pthread_mutex_t write_mu; /* One writer at a time, as in SQLite. */
	int failed;
};

struct store_thread {
	struct store_run *sr;
	int idx;
	pthread_t thread;
	bench_counts counts;
};

static int
store_one(struct store_run *sr, store_conn *db, arena *a, bench_op *op)
{
	const rpc_method *m = dispatch_find(bench_op_method(op));
	oz_status st;
	oz_status_clear(&st);
	ProtobufCMessage *out = arena_alloc(a, m->output->sizeof_message);
	protobuf_c_message_init(m->output, out);
	service_ctx cx = {.db = db, .arena = a, .serving = true};
	bool write = m->kind == RPC_WRITE;
	if (write) {
		pthread_mutex_lock(&sr->write_mu);
	}
	oz_code rc = m->handler(&cx, bench_op_input(op), out, &st);
	if (write) {
		pthread_mutex_unlock(&sr->write_mu);
	}
	if (rc == OZ_OK && !bench_op_check(op, sr->cfg, out)) {
		return -2;
	}
	return (int) rc;
}

static void *
store_main(void *arg)
{
	struct store_thread *t = arg;
	struct store_run *sr = t->sr;
	store_conn *db;
	oz_status st;
	arena a;
	bench_rng rng;
	bench_op op;
	if (store_open(&db, &sr->scfg, &st) != OZ_OK) {
		fprintf(stderr, "ozbench: %s\n", st.message);
		sr->failed = 1;
		return NULL;
	}
	arena_init(&a, 64 * 1024, 0);
	bench_rng_init(&rng, sr->cfg->seed * 1000003u + (uint64_t) t->idx);
	for (uint64_t seq = 0;; seq++) {
		uint64_t t0 = bench_now_ns();
		if (t0 >= sr->m1) {
			break;
		}
		bench_op_next(&op, sr->cfg, &rng, sr->run_tag, t->idx, seq);
		int rc = store_one(sr, db, &a, &op);
		arena_reset(&a);
		bench_counts_add(&t->counts, op.kind, rc == -2 ? OZ_OK : rc,
			rc != -2, t0, bench_now_ns(), sr->m0, sr->m1);
	}
	arena_fini(&a);
	store_close(db);
	return NULL;
}

int
bench_run_ceiling_store(const bench_config *cfg, bench_result *res)
{
	struct store_run sr = {.cfg = cfg};
	oz_status st;
	if (cfg->database_url == NULL) {
		fprintf(stderr, "ozbench: --ceiling-store needs "
				"--database-url\n");
		return 1;
	}
	store_config_init(&sr.scfg);
	if (store_url_parse(cfg->database_url, &sr.scfg, &st) != OZ_OK ||
		store_sync_parse(cfg->sync, &sr.scfg.synchronous) != 0) {
		fprintf(stderr, "ozbench: bad --database-url or --sync\n");
		return 1;
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cfg->inflight < cores ? cfg->inflight : (int) cores;
	n = n < 1 ? 1 : n;
	struct store_thread *th = calloc((size_t) n, sizeof(*th));
	pthread_mutex_init(&sr.write_mu, NULL);
	sr.run_tag = (uint32_t) (bench_now_ns() ^ (uint64_t) getpid() << 16);
	sr.m0 = bench_now_ns() + (uint64_t) (cfg->warmup_s * 1e9);
	sr.m1 = sr.m0 + (uint64_t) (cfg->duration_s * 1e9);
	long long cpu0 = -1;
	for (int i = 0; i < n; i++) {
		th[i].sr = &sr;
		th[i].idx = i;
		bench_counts_init(&th[i].counts);
		pthread_create(&th[i].thread, NULL, store_main, &th[i]);
	}
	bench_sleep_until(sr.m0);
	cpu0 = bench_proc_cpu_us(getpid());
	bench_sleep_until(sr.m1);
	long long cpu1 = bench_proc_cpu_us(getpid());
	bench_counts_init(&res->all);
	for (int i = 0; i < n; i++) {
		pthread_join(th[i].thread, NULL);
		bench_counts_merge(&res->all, &th[i].counts);
	}
	uint64_t calls = 0;
	for (int k = 0; k < OP_NKINDS; k++) {
		calls += res->all.by_kind[k];
	}
	res->seconds = (double) (sr.m1 - sr.m0) / 1e9;
	res->server_cpu_us_per_call =
		calls > 0 ? (double) (cpu1 - cpu0) / (double) calls : -1;
	res->client_cpu_us_per_call = -1; /* Client and server are one. */
	res->server_wchar_per_call = -1;
	bench_result_memory(res, getpid());
	pthread_mutex_destroy(&sr.write_mu);
	free(th);
	return sr.failed;
}
