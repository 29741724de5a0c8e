/* bench/raw.c -- ozbench's default client: the closed loop of load.c
 * without nng on the client side. It speaks nng's SP wire protocol (req0,
 * over tcp:// or ipc://) itself, on ONE connection, from ONE thread:
 * every wake-up reads all the replies that arrived, decodes and checks
 * each, and answers each with that slot's next request, all written with
 * one write(). Read requests (GetUser, ListTasks) are encoded once before
 * the run, in a pool of framed requests that is cycled through; writes
 * are encoded per call (their names must be new). So the client costs a
 * decode and a check per call and a few syscalls per wake-up, and reports
 * that cost (its thread's CPU per call) beside the server's.
 *
 * Wire format (nng 1.5 tcp/ipc transports): an 8-byte handshake each way
 * (0 'S' 'P' 0, protocol id, 0 0); then messages of a 64-bit big-endian
 * length (ipc: after a type byte of 1) and a body that starts with the
 * 32-bit request id, high bit set, which the reply carries back. */
#define _GNU_SOURCE /* RUSAGE_THREAD (ops.c) */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "oz/rpc/v1/rpc.pb-c.h"
#include "ozbench.h"

#define POOL            4096 /* Pre-encoded read requests, cycled. */
#define CALL_TIMEOUT_MS 10000
#define DIAL_TRIES      100 /* 50 ms apart: at most 5 s. */
#define DRAIN_NS        (15ull * 1000000000ull)
#define REPLY_MAX       (16u << 20)
#define SCRATCH         (64 * 1024)
#define PROTO_REQ0      0x30
#define PROTO_REP0      0x31
#define ID_BIT          0x80000000u

struct pooled {
	bench_op_kind kind;
	int64_t id;
	size_t off, len; /* Envelope bytes in pool_buf. */
};

struct buf {
	uint8_t *p;
	size_t len, cap, off; /* off: bytes already consumed/written. */
};

struct rslot {
	bench_op op;
	uint64_t t0, seq;
	bench_rng rng;
	bool out;
};

struct raw {
	const bench_config *cfg;
	bench_config pure[OP_NKINDS]; /* cfg with the workload of one kind. */
	bool check, ipc;
	int fd;
	uint32_t run_tag;
	struct rslot *slots;
	struct pooled *pool;
	uint8_t *pool_buf;
	size_t npool, next;
	struct buf in, out;
	uint8_t *scratch;
	arena arena;
	bench_counts counts;
	int active;
	size_t req_bytes, reply_bytes;
};

static const bench_workload pure_workload[OP_NKINDS] = {
	[OP_GET_USER] = BENCH_GET_USER,
	[OP_LIST_TASKS] = BENCH_LIST_TASKS,
	[OP_CREATE_USER] = BENCH_CREATE_USER,
	[OP_UPDATE_TASK] = BENCH_UPDATE_TASK,
	[OP_LIST_DEEP] = BENCH_LIST_DEEP,
	[OP_CREATE_TASK] = BENCH_CREATE_TASK,
	[OP_BATCH_TASKS] = BENCH_BATCH_TASKS,
	[OP_UPDATE_USER] = BENCH_UPDATE_USER,
	[OP_DELETE_TASK] = BENCH_DELETE_TASK,
};

static bool
is_read(bench_op_kind k)
{
	return k == OP_GET_USER || k == OP_LIST_TASKS || k == OP_LIST_DEEP;
}

static int
buf_reserve(struct buf *b, size_t n)
{
	if (b->len + n <= b->cap) {
		return 0;
	}
	size_t cap = b->cap ? b->cap : 64 * 1024;
	while (cap < b->len + n) {
		cap *= 2;
	}
	uint8_t *p = realloc(b->p, cap);
	if (p == NULL) {
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Drops the consumed head of b. */
static void
buf_compact(struct buf *b)
{
	if (b->off > 0) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
}

static void
put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (uint8_t) v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++) {
		v = v << 8 | p[i];
	}
	return v;
}

/* Packs op's Request envelope into dst (cap bytes). Returns its length,
 * or 0 when it does not fit. */
static size_t
envelope(struct raw *r, const bench_op *op, uint8_t *dst, size_t cap)
{
	Oz__Rpc__V1__Request req = OZ__RPC__V1__REQUEST__INIT;
	req.method = (char *) bench_op_method(op);
	req.timeout_ms = CALL_TIMEOUT_MS;
	req.payload.len =
		protobuf_c_message_get_packed_size(bench_op_input(op));
	if (req.payload.len > SCRATCH) {
		return 0;
	}
	req.payload.data = r->scratch;
	protobuf_c_message_pack(bench_op_input(op), r->scratch);
	size_t n = oz__rpc__v1__request__get_packed_size(&req);
	if (n > cap) {
		return 0;
	}
	return oz__rpc__v1__request__pack(&req, dst);
}

/* Appends the frame header of a body of n bytes (request id included). */
static void
frame_head(struct raw *r, size_t n, uint32_t id)
{
	uint8_t *p = r->out.p + r->out.len;
	if (r->ipc) {
		*p++ = 1;
		r->out.len++;
	}
	put_be(p, n + 4, 8);
	put_be(p + 8, id | ID_BIT, 4);
	r->out.len += 12;
}

static int
build_pool(struct raw *r)
{
	bench_rng rng;
	size_t used = 0, cap = (size_t) POOL * 128;
	bench_rng_init(&rng, r->cfg->seed * 7919u + 17u);
	r->pool = calloc(POOL, sizeof(*r->pool));
	r->pool_buf = malloc(cap);
	bench_op *op = calloc(1, sizeof(*op));
	if (r->pool == NULL || r->pool_buf == NULL || op == NULL) {
		free(op);
		return -1;
	}
	for (size_t i = 0; i < POOL; i++) {
		bench_op_next(op, r->cfg, &rng, r->run_tag, -1, i);
		struct pooled *e = &r->pool[i];
		e->kind = op->kind;
		e->id = op->id;
		if (!is_read(op->kind)) {
			continue;
		}
		if (cap - used < SCRATCH + 64) {
			uint8_t *nb = realloc(r->pool_buf, cap * 2);
			if (nb == NULL) {
				free(op);
				return -1;
			}
			r->pool_buf = nb;
			cap *= 2;
		}
		e->off = used;
		e->len = envelope(r, op, r->pool_buf + used, cap - used);
		used += e->len;
	}
	r->npool = POOL;
	free(op);
	return 0;
}

/* Appends slot i's next request to the output. */
static int
issue(struct raw *r, int i, uint64_t now)
{
	struct rslot *s = &r->slots[i];
	const struct pooled *e = &r->pool[r->next++ % r->npool];
	size_t n;
	if (buf_reserve(&r->out, 13 + SCRATCH + 1024) != 0) {
		return -1;
	}
	uint8_t *body = r->out.p + r->out.len + (r->ipc ? 13 : 12);
	if (is_read(e->kind)) {
		s->op.kind = e->kind;
		s->op.id = e->id;
		memcpy(body, r->pool_buf + e->off, e->len);
		n = e->len;
	} else {
		bench_op_next(&s->op, &r->pure[e->kind], &s->rng, r->run_tag,
			i, s->seq++);
		n = envelope(r, &s->op, body, SCRATCH + 1024);
		if (n == 0) {
			return -1;
		}
	}
	frame_head(r, n, (uint32_t) i);
	r->out.len += n;
	r->req_bytes = n;
	s->t0 = now;
	s->out = true;
	return 0;
}

/* Handles one reply body (request id first). */
static void
reply(struct raw *r, const uint8_t *b, size_t n, uint64_t now, uint64_t m0,
	uint64_t m1, bool stop)
{
	uint32_t id = n >= 4 ? (uint32_t) get_be(b, 4) & ~ID_BIT : UINT32_MAX;
	if (id >= (uint32_t) r->cfg->inflight || !r->slots[id].out) {
		r->counts.wrong++; /* Not a call of ours. */
		return;
	}
	struct rslot *s = &r->slots[id];
	bool good;
	int code = bench_reply_decode(
		r->cfg, &s->op, r->check, &r->arena, b + 4, n - 4, &good);
	arena_reset(&r->arena);
	r->reply_bytes = n - 4;
	s->out = false;
	bench_counts_add(
		&r->counts, s->op.kind, code, good, s->t0, now, m0, m1);
	if (stop || issue(r, (int) id, now) != 0) {
		r->active--;
	}
}

/* Reads what is there and handles every complete reply. -1 on EOF or an
 * error. */
static int
drain_in(struct raw *r, uint64_t now, uint64_t m0, uint64_t m1, bool stop)
{
	size_t hl = r->ipc ? 9 : 8;
	for (;;) {
		if (buf_reserve(&r->in, 256 * 1024) != 0) {
			return -1;
		}
		ssize_t got = read(
			r->fd, r->in.p + r->in.len, r->in.cap - r->in.len);
		if (got == 0) {
			return -1;
		}
		if (got < 0) {
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		}
		r->in.len += (size_t) got;
		while (r->in.len - r->in.off >= hl) {
			const uint8_t *h = r->in.p + r->in.off;
			uint64_t n = get_be(h + hl - 8, 8);
			if (n > REPLY_MAX) {
				return -1;
			}
			if (r->in.len - r->in.off < hl + n) {
				break;
			}
			r->in.off += hl + n;
			reply(r, h + hl, n, now, m0, m1, stop);
		}
		buf_compact(&r->in);
	}
}

static int
flush_out(struct raw *r)
{
	while (r->out.off < r->out.len) {
		ssize_t n = write(
			r->fd, r->out.p + r->out.off, r->out.len - r->out.off);
		if (n < 0) {
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		}
		r->out.off += (size_t) n;
	}
	r->out.off = r->out.len = 0;
	return 0;
}

static int
connect_url(const char *url, bool *ipc)
{
	*ipc = strncmp(url, "ipc://", 6) == 0;
	if (*ipc) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		if (strlen(url + 6) >= sizeof(sa.sun_path)) {
			return -1;
		}
		strcpy(sa.sun_path, url + 6);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *) &sa,
				       sizeof(sa)) != 0) {
			close(fd);
			fd = -1;
		}
		return fd;
	}
	char host[256];
	const char *hp = url + 6, *colon = strrchr(hp, ':');
	if (colon == NULL || (size_t) (colon - hp) >= sizeof(host)) {
		return -1;
	}
	memcpy(host, hp, (size_t) (colon - hp));
	host[colon - hp] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0) {
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd >= 0) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	return fd;
}

static int
full_io(int fd, uint8_t *p, size_t n, bool wr)
{
	while (n > 0) {
		ssize_t k = wr ? write(fd, p, n) : read(fd, p, n);
		if (k <= 0) {
			return -1;
		}
		p += k;
		n -= (size_t) k;
	}
	return 0;
}

/* Connects (retrying while the server starts) and shakes hands. */
static int
dial(struct raw *r, const char *url)
{
	uint8_t hs[8] = {0, 'S', 'P', 0, 0, PROTO_REQ0, 0, 0}, peer[8];
	for (int i = 0; i < DIAL_TRIES; i++) {
		r->fd = connect_url(url, &r->ipc);
		if (r->fd >= 0) {
			break;
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	if (r->fd < 0 || full_io(r->fd, hs, 8, true) != 0 ||
		full_io(r->fd, peer, 8, false) != 0 ||
		memcmp(peer, "\0SP\0", 4) != 0 || peer[5] != PROTO_REP0) {
		return -1;
	}
	int fl = fcntl(r->fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(r->fd, F_SETFL, fl | O_NONBLOCK);
}

/* Milliseconds to wait in poll: until the next edge of the window, at
 * most 100. */
static int
wait_ms(uint64_t now, uint64_t edge)
{
	if (edge <= now) {
		return 100;
	}
	uint64_t ms = (edge - now) / 1000000u + 1;
	return ms < 100 ? (int) ms : 100;
}

/* Server and client counters at one edge of the window. */
static void
sample(const bench_config *cfg, long long *cpu, long long *self,
	long long *wchar)
{
	*cpu = cfg->server_pid > 0 ? bench_proc_cpu_us(cfg->server_pid) : -1;
	*wchar = cfg->server_pid > 0 ? bench_proc_wchar(cfg->server_pid) : -1;
	*self = bench_self_cpu_us(true);
}

/* The loop: returns 0, or -1 when the connection failed. */
static int
run(struct raw *r, bench_result *res)
{
	const bench_config *cfg = r->cfg;
	long long cpu[2], self[2], wchar[2];
	uint64_t now = bench_now_ns();
	uint64_t m0 = now + (uint64_t) (cfg->warmup_s * 1e9);
	uint64_t m1 = m0 + (uint64_t) (cfg->duration_s * 1e9);
	int edge = 0, rc = 0;
	bool stop = false;
	r->active = cfg->inflight;
	for (int i = 0; i < cfg->inflight; i++) {
		if (issue(r, i, now) != 0) {
			return -1;
		}
	}
	while (r->active > 0) {
		if (flush_out(r) != 0) {
			rc = -1;
			break;
		}
		struct pollfd p = {r->fd, POLLIN, 0};
		p.events |= r->out.len > r->out.off ? POLLOUT : 0;
		poll(&p, 1, wait_ms(now, edge == 0 ? m0 : m1));
		now = bench_now_ns();
		while (edge < 2 && now >= (edge == 0 ? m0 : m1)) {
			sample(cfg, &cpu[edge], &self[edge], &wchar[edge]);
			stop = edge++ == 1;
		}
		if (now > m1 + DRAIN_NS) {
			fprintf(stderr,
				"ozbench: %d calls still out; closing\n",
				r->active);
			break;
		}
		if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
			drain_in(r, now, m0, m1, stop) != 0) {
			rc = -1;
			break;
		}
	}
	res->seconds = (double) (m1 - m0) / 1e9;
	res->all = r->counts;
	res->all.transport += rc != 0 ? (uint64_t) r->active : 0;
	res->request_bytes = r->req_bytes;
	res->reply_bytes = r->reply_bytes;
	if (edge < 2) {
		cpu[0] = cpu[1] = self[0] = self[1] = wchar[0] = wchar[1] = -1;
	}
	bench_result_rates(res, cpu, self, wchar);
	bench_result_memory(res, cfg->server_pid);
	return rc;
}

static void
raw_free(struct raw *r)
{
	if (r->fd >= 0) {
		close(r->fd);
	}
	free(r->slots);
	free(r->pool);
	free(r->pool_buf);
	free(r->in.p);
	free(r->out.p);
	free(r->scratch);
	arena_fini(&r->arena);
}

int
bench_load_raw(const bench_config *cfg_in, const char *url, bool check,
	bench_result *res)
{
	bench_config cfg = *cfg_in;
	struct raw r = {.cfg = &cfg, .check = check, .fd = -1};
	r.run_tag = (uint32_t) (bench_now_ns() ^ (uint64_t) getpid() << 16);
	arena_init(&r.arena, 64 * 1024, 0);
	bench_counts_init(&r.counts);
	int rv = cfg.workload == BENCH_LIST_DEEP ? bench_deep_setup(url, &cfg)
						 : 0;
	for (int k = 0; k < OP_NKINDS; k++) {
		r.pure[k] = cfg;
		r.pure[k].workload = pure_workload[k];
	}
	r.slots = calloc((size_t) cfg.inflight, sizeof(*r.slots));
	r.scratch = malloc(SCRATCH);
	if (rv != 0 || r.slots == NULL || r.scratch == NULL ||
		build_pool(&r) != 0 || dial(&r, url) != 0) {
		fprintf(stderr, "ozbench: %s: cannot connect or set up\n",
			url);
		raw_free(&r);
		free((char *) cfg.deep_token);
		return 1;
	}
	for (int i = 0; i < cfg.inflight; i++) {
		bench_rng_init(
			&r.slots[i].rng, cfg.seed * 1000003u + (uint64_t) i);
	}
	rv = run(&r, res);
	if (rv != 0) {
		fprintf(stderr, "ozbench: %s: connection lost\n", url);
	}
	raw_free(&r);
	free((char *) cfg.deep_token);
	return 0;
}
