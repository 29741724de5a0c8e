/* tests/rpc/group_commit_test.c -- the group-commit writer's promises,
 * proven on a real migrated database file:
 *
 * - a failed COMMIT fails every call of its batch and acknowledges none
 *   (the COMMIT is made to fail through store_set_commit_hook);
 * - savepoint isolation: a call that wrote and then failed leaves nothing
 *   behind, while the calls batched with it keep their writes; when its
 *   ROLLBACK TO fails (store_set_tx_hook), its whole batch fails;
 * - read-your-writes: once a client has its OK, any read sees the write;
 * - the WAL stays short although the writer leaves checkpoints to another
 *   thread (a WAL only starts over when a write begins fully copied);
 * - health: a failed COMMIT makes the database's health UNAVAILABLE, and
 *   a later successful write (a call's, or the idle writer's own probe)
 *   makes it OK again; the writer goes on after the failure.
 *
 * The writer tests drive rpc_writer directly with test methods whose
 * handlers write through the store layer; which batch a call ran in is
 * read from the commit hook's counter, so no assertion depends on timing.
 * The last test runs the whole server over inproc://. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "rpc/writer.h"
#include "store/health.h"
#include "store/migrate.h"
#include "store/user_store.h"
#include "support/db.h"
#include "support/server.h"
#include "support/wire.h"

#define N_CALLS 24

/* --- a test method and its bookkeeping ---------------------------------- */

struct rec {
	long batch;          /* Commits seen before the call ran: its batch. */
	int depth;           /* store_tx_depth inside the handler. */
	int64_t id;          /* The user inserted (0 if none). */
	atomic_bool started; /* Set just before rpc_writer_run. */
};

static struct {
	atomic_long commits;  /* COMMITs attempted so far. */
	atomic_long fail_at;  /* Make COMMIT number fail_at fail; 0 none. */
	atomic_bool fail_all; /* Make every COMMIT fail. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool gate_in, gate_open;
	struct rec recs[N_CALLS + 1];
} g = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int
commit_hook(void *arg)
{
	(void) arg;
	long n = atomic_fetch_add(&g.commits, 1) + 1;
	return n == atomic_load(&g.fail_at) || atomic_load(&g.fail_all) ? 1
									: 0;
}

/* username "gate": holds the writer until gate_release; "fail-N": inserts
 * two users, then fails; "N": inserts one user. request_id is the index
 * of the call's record. */
static oz_code
test_handler(service_ctx *cx, const ProtobufCMessage *in,
	ProtobufCMessage *out, oz_status *st)
{
	const Oz__V1__CreateUserRequest *req = (const void *) in;
	struct rec *r = &g.recs[atoi(req->request_id)];
	r->batch = atomic_load(&g.commits);
	if (strcmp(req->username, "gate") == 0) {
		pthread_mutex_lock(&g.mu);
		g.gate_in = true;
		pthread_cond_broadcast(&g.cv);
		while (!g.gate_open) {
			pthread_cond_wait(&g.cv, &g.mu);
		}
		pthread_mutex_unlock(&g.mu);
	}
	oz_code rc = store_tx_begin(cx->db, STORE_TX_WRITE, st);
	if (rc != OZ_OK) {
		return rc;
	}
	r->depth = store_tx_depth(cx->db);
	store_user u = {.username = req->username,
		.email = req->email,
		.is_active = true,
		.create_us = 1};
	rc = store_user_insert(cx->db, &u, st);
	r->id = u.id;
	bool fail = strncmp(req->username, "fail-", 5) == 0;
	if (rc == OZ_OK && fail) {
		char name[64];
		snprintf(name, sizeof(name), "%s-second", req->username);
		store_user u2 = {.username = name,
			.email = name,
			.is_active = true,
			.create_us = 1};
		rc = store_user_insert(cx->db, &u2, st);
		if (rc == OZ_OK) {
			rc = oz_fail(st, OZ_ABORTED, "failed on purpose");
		}
	}
	rc = store_tx_end(cx->db, rc, st);
	Oz__V1__User *res = (void *) out;
	res->id = u.id;
	return rc;
}

static const rpc_method test_method = {
	.name = "/test/Write",
	.input = &oz__v1__create_user_request__descriptor,
	.output = &oz__v1__user__descriptor,
	.handler = test_handler,
	.kind = RPC_WRITE,
};

struct fixture {
	test_tmpdb db;
	store_config cfg;
	rpc_writer *w;
};

struct caller {
	struct fixture *f;
	int idx;
	char name[32], email[48], rid[8];
	arena a;
	rpc_call call;
	Oz__Rpc__V1__Request env;
	Oz__V1__CreateUserRequest in;
	pthread_t thread;
};

static void
caller_init(struct caller *c, struct fixture *f, int idx, const char *name)
{
	static const rpc_call_config ccfg = {
		.default_timeout_ms = 60000, .max_message_bytes = 1 << 20};
	memset(c, 0, sizeof(*c));
	c->f = f;
	c->idx = idx;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->email, sizeof(c->email), "%s@example.com", name);
	snprintf(c->rid, sizeof(c->rid), "%d", idx);
	arena_init(&c->a, 0, 0);
	oz__rpc__v1__request__init(&c->env);
	oz__v1__create_user_request__init(&c->in);
	c->in.username = c->name;
	c->in.email = c->email;
	c->in.request_id = c->rid;
	c->call.arena = &c->a;
	c->call.cfg = &ccfg;
	c->call.method = &test_method;
	c->call.req = &c->env;
	c->call.input = &c->in.base;
	c->call.output = arena_calloc(&c->a, sizeof(Oz__V1__User));
	oz__v1__user__init((Oz__V1__User *) c->call.output);
	c->call.start_us = oz_now_us();
	c->call.deadline_us = c->call.start_us + 60 * 1000000LL;
	oz_status_clear(&c->call.st);
}

static void *
caller_main(void *arg)
{
	struct caller *c = arg;
	g.recs[c->idx].started = true;
	rpc_writer_run(c->f->w, &c->call, true);
	return NULL;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	oz_status st;
	test_tmpdb_init(&f->db);
	store_conn *c = test_db_file(&f->db);
	assert_int_equal(store_migrate_upgrade(c, "head", &st), OZ_OK);
	store_close(c);
	store_config_init(&f->cfg);
	snprintf(f->cfg.path, sizeof(f->cfg.path), "%s", f->db.path);
	atomic_store(&g.commits, 0);
	atomic_store(&g.fail_at, 0);
	atomic_store(&g.fail_all, false);
	g.gate_in = g.gate_open = false;
	memset(g.recs, 0, sizeof(g.recs));
	store_set_commit_hook(commit_hook, NULL);
	assert_int_equal(
		rpc_writer_start(&f->w, &f->cfg, true, 0, NULL, &st), OZ_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	rpc_writer_stop(f->w);
	store_set_commit_hook(NULL, NULL);
	test_tmpdb_fini(&f->db);
	free(f);
	return 0;
}

/* True when a user with this username is in the database. */
static bool
user_exists(struct fixture *f, const char *name)
{
	char sql[160];
	store_conn *c = test_db_file(&f->db);
	snprintf(sql, sizeof(sql),
		"SELECT count(*) FROM users WHERE username = '%s'", name);
	int64_t n = test_db_int(c, sql);
	store_close(c);
	return n == 1;
}

/* Runs a gate call, queues the callers behind it while it holds the
 * writer, then opens the gate and waits for everyone. */
static void
run_behind_gate(
	struct fixture *f, struct caller *gate, struct caller *cs, int n)
{
	pthread_create(&gate->thread, NULL, caller_main, gate);
	pthread_mutex_lock(&g.mu);
	while (!g.gate_in) {
		pthread_cond_wait(&g.cv, &g.mu);
	}
	pthread_mutex_unlock(&g.mu);
	for (int i = 0; i < n; i++) {
		pthread_create(&cs[i].thread, NULL, caller_main, &cs[i]);
	}
	/* Give the callers a moment to queue up (only makes the batch
	 * bigger; no assertion depends on it). */
	for (int i = 0; i < n; i++) {
		while (!g.recs[cs[i].idx].started) {
			sched_yield();
		}
	}
	struct timespec ts = {0, 50 * 1000 * 1000};
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&g.mu);
	g.gate_open = true;
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(gate->thread, NULL);
	for (int i = 0; i < n; i++) {
		pthread_join(cs[i].thread, NULL);
	}
	(void) f;
}

static void
failed_commit_fails_every_call_of_its_batch_and_acks_none(void **state)
{
	struct fixture *f = *state;
	static struct caller gate, cs[N_CALLS];
	char name[32];
	caller_init(&gate, f, 0, "gate");
	for (int i = 0; i < N_CALLS; i++) {
		snprintf(name, sizeof(name), "u%d", i + 1);
		caller_init(&cs[i], f, i + 1, name);
	}
	/* The gate's batch commits (commit 1); the next one fails. */
	atomic_store(&g.fail_at, atomic_load(&g.commits) + 2);
	run_behind_gate(f, &gate, cs, N_CALLS);
	long failed_batch = atomic_load(&g.fail_at) - 1;

	assert_int_equal(gate.call.st.code, OZ_OK);
	assert_true(user_exists(f, "gate"));
	int in_failed = 0;
	for (int i = 0; i < N_CALLS; i++) {
		struct rec *r = &g.recs[cs[i].idx];
		/* Every call ran nested in the writer's transaction. */
		assert_true(r->depth >= 2);
		if (r->batch == failed_batch) {
			in_failed++;
			assert_int_not_equal(cs[i].call.st.code, OZ_OK);
			assert_false(user_exists(f, cs[i].name));
		} else {
			assert_int_equal(cs[i].call.st.code, OZ_OK);
			assert_true(user_exists(f, cs[i].name));
		}
	}
	assert_true(in_failed >= 1);
	long batches, calls;
	rpc_writer_counts(f->w, &batches, &calls);
	/* Only the committed calls are counted. */
	assert_int_equal(calls, 1 + N_CALLS - in_failed);
	print_message(
		"failed batch held %d of %d calls\n", in_failed, N_CALLS);
}

static void
failing_call_is_rolled_back_to_its_savepoint_only(void **state)
{
	struct fixture *f = *state;
	static struct caller gate, cs[N_CALLS];
	char name[32];
	caller_init(&gate, f, 0, "gate");
	for (int i = 0; i < N_CALLS; i++) {
		snprintf(name, sizeof(name), i % 3 == 1 ? "fail-%d" : "u%d",
			i + 1);
		caller_init(&cs[i], f, i + 1, name);
	}
	run_behind_gate(f, &gate, cs, N_CALLS);
	char second[64];
	int shared = 0;
	for (int i = 0; i < N_CALLS; i++) {
		struct rec *r = &g.recs[cs[i].idx];
		assert_true(r->depth >= 2);
		snprintf(second, sizeof(second), "%s-second", cs[i].name);
		if (i % 3 == 1) {
			/* Both of its inserts happened, then were undone. */
			assert_int_equal(cs[i].call.st.code, OZ_ABORTED);
			assert_true(r->id > 0);
			assert_false(user_exists(f, cs[i].name));
			assert_false(user_exists(f, second));
		} else {
			assert_int_equal(cs[i].call.st.code, OZ_OK);
			assert_true(user_exists(f, cs[i].name));
		}
		for (int j = 0; j < N_CALLS; j++) {
			shared +=
				j != i && g.recs[cs[j].idx].batch == r->batch;
		}
	}
	print_message("%d call pairs shared a batch\n", shared / 2);
}

/* The test fault of store_set_tx_hook: the first ROLLBACK TO once armed
 * fails; fault_batch records the batch it hit. */
static atomic_bool fault_armed;
static atomic_long fault_batch;

static int
fail_rollback_to(void *arg, const char *sql)
{
	(void) arg;
	if (strncmp(sql, "ROLLBACK TO", 11) == 0 &&
		atomic_exchange(&fault_armed, false)) {
		/* The failed batch never reaches COMMIT: count it here, so
		 * the batches after it have other numbers. */
		atomic_store(&fault_batch, atomic_fetch_add(&g.commits, 1));
		return 1;
	}
	return 0;
}

/* A failing call whose ROLLBACK TO fails could leave its writes in the
 * batch, to be committed with it although the call was answered with a
 * failure: instead the whole batch fails and none of it is committed. */
static void
failed_rollback_to_fails_the_whole_batch(void **state)
{
	struct fixture *f = *state;
	static struct caller gate, cs[N_CALLS];
	char name[32], second[64];
	caller_init(&gate, f, 0, "gate");
	for (int i = 0; i < N_CALLS; i++) {
		snprintf(name, sizeof(name), i % 3 == 1 ? "fail-%d" : "u%d",
			i + 1);
		caller_init(&cs[i], f, i + 1, name);
	}
	atomic_store(&fault_batch, -1);
	atomic_store(&fault_armed, true);
	store_set_tx_hook(fail_rollback_to, NULL);
	run_behind_gate(f, &gate, cs, N_CALLS);
	store_set_tx_hook(NULL, NULL);
	assert_false(atomic_load(&fault_armed));
	int in_failed = 0;
	for (int i = 0; i < N_CALLS; i++) {
		struct rec *r = &g.recs[cs[i].idx];
		snprintf(second, sizeof(second), "%s-second", cs[i].name);
		assert_false(user_exists(f, second));
		/* In the failed batch: ran in it, or queued after the call
		 * that failed and never run. */
		if (!cs[i].call.ran || r->batch == atomic_load(&fault_batch)) {
			in_failed++;
			assert_int_not_equal(cs[i].call.st.code, OZ_OK);
			assert_false(user_exists(f, cs[i].name));
		} else if (i % 3 == 1) {
			assert_int_equal(cs[i].call.st.code, OZ_ABORTED);
			assert_false(user_exists(f, cs[i].name));
		} else {
			assert_int_equal(cs[i].call.st.code, OZ_OK);
			assert_true(user_exists(f, cs[i].name));
		}
	}
	assert_true(in_failed >= 1);
	print_message(
		"the failed batch held %d of %d calls\n", in_failed, N_CALLS);
}

/* One of the writers that keep the group-commit writer busy. */
static void *
busy_writer(void *arg)
{
	struct caller *c = arg;
	char name[32];
	for (int i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "t%d-%d", c->idx, i);
		caller_init(c, c->f, c->idx, name);
		c->in.request_id = ""; /* Unkeyed: every call runs. */
		rpc_writer_run(c->f->w, &c->call, true);
		arena_fini(&c->a);
		if (c->call.st.code != OZ_OK) {
			return c;
		}
	}
	return NULL;
}

/* 16 threads keep the writer busy, so there is always a write transaction
 * to begin right after a commit. Each commit adds a row to the five
 * b-trees of users (the table and its four indexes): at least five WAL
 * frames. A WAL that never started over would hold them all; it stays at
 * a fraction. */
static void
wal_stays_short_with_checkpoints_off_the_writer(void **state)
{
	struct fixture *f = *state;
	enum { THREADS = 16 };
	oz_status st;
	rpc_writer_stop(f->w);
	f->cfg.synchronous = STORE_SYNC_OFF; /* Only for speed. */
	assert_int_equal(
		rpc_writer_start(&f->w, &f->cfg, true, 0, NULL, &st), OZ_OK);
	static struct caller cs[THREADS];
	pthread_t threads[THREADS]; /* caller_init clears cs[i].thread. */
	for (int i = 0; i < THREADS; i++) {
		cs[i].f = f;
		cs[i].idx = i;
		pthread_create(&threads[i], NULL, busy_writer, &cs[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		void *failed = NULL;
		pthread_join(threads[i], &failed);
		assert_null(failed);
	}
	long batches, calls;
	rpc_writer_counts(f->w, &batches, &calls);
	int64_t db, wal;
	store_file_sizes(&f->cfg, &db, &wal);
	int64_t unbounded = (int64_t) batches * 5 * (4096 + 24);
	print_message("WAL %lld bytes after %ld calls in %ld commits (at "
		      "least %lld if it never started over)\n",
		(long long) wal, calls, batches, (long long) unbounded);
	assert_int_equal(calls, THREADS * 1500);
	assert_true(wal > 0);
	assert_true(wal < unbounded / 3);
}

/* --- health after a failed COMMIT ---------------------------------------- */

/* Every COMMIT fails: the call fails and health says why. */
static void
fail_one_write(struct fixture *f, struct caller *c, int idx)
{
	oz_status st;
	caller_init(c, f, idx, idx == 1 ? "h1" : "h2");
	atomic_store(&g.fail_all, true);
	rpc_writer_run(f->w, &c->call, true);
	assert_int_not_equal(c->call.st.code, OZ_OK);
	assert_int_equal(store_health_check(rpc_writer_health(f->w), &st),
		OZ_UNAVAILABLE);
	assert_non_null(strstr(st.message, "writes fail"));
}

static void
failed_commit_makes_health_unavailable_until_a_write_succeeds(void **state)
{
	struct fixture *f = *state;
	static struct caller a, b;
	oz_status st;
	assert_int_equal(
		store_health_check(rpc_writer_health(f->w), &st), OZ_OK);
	fail_one_write(f, &a, 1);
	atomic_store(&g.fail_all, false);
	caller_init(&b, f, 2, "h3");
	rpc_writer_run(f->w, &b.call, true);
	assert_int_equal(b.call.st.code, OZ_OK);
	assert_true(user_exists(f, "h3"));
	assert_false(user_exists(f, "h1"));
	assert_int_equal(
		store_health_check(rpc_writer_health(f->w), &st), OZ_OK);
}

/* With no call to show it, the idle writer's own probe finds that writes
 * work again (a full disk got room). Waits at most 20 s for it. */
static void
idle_writer_finds_writes_work_again(void **state)
{
	struct fixture *f = *state;
	static struct caller a;
	oz_status st;
	fail_one_write(f, &a, 1);
	atomic_store(&g.fail_all, false);
	oz_code rc = OZ_UNAVAILABLE;
	for (int i = 0; i < 400 && rc != OZ_OK; i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
		rc = store_health_check(rpc_writer_health(f->w), &st);
	}
	assert_int_equal(rc, OZ_OK);
}

/* --- read-your-writes through the whole server -------------------------- */

static void
ok_write_is_visible_to_the_next_read_on_any_connection(void **state)
{
	(void) state;
	test_server t;
	test_server_init(&t);
	t.cfg.max_inflight = 8;
	test_server_start(&t);
	nng_socket a, b;
	assert_int_equal(wire_open(&a, t.url), 0);
	assert_int_equal(wire_open(&b, t.url), 0);
	for (int i = 0; i < 200; i++) {
		char name[32], email[48];
		snprintf(name, sizeof(name), "ryw%d", i);
		snprintf(email, sizeof(email), "ryw%d@example.com", i);
		Oz__V1__CreateUserRequest in =
			OZ__V1__CREATE_USER_REQUEST__INIT;
		in.username = name;
		in.email = email;
		Oz__V1__User *u = NULL;
		oz_status st;
		assert_int_equal(wire_call(i % 2 ? a : b,
					 "/oz.v1.UserService/CreateUser",
					 &in.base, &oz__v1__user__descriptor,
					 (ProtobufCMessage **) &u, 0, &st),
			OZ_OK);
		int64_t id = u->id;
		oz__v1__user__free_unpacked(u, NULL);
		/* Read on both connections: different workers, different
		 * read connections, both must see it. */
		for (int k = 0; k < 2; k++) {
			Oz__V1__GetUserRequest get =
				OZ__V1__GET_USER_REQUEST__INIT;
			get.id = id;
			assert_int_equal(
				wire_call(k ? a : b,
					"/oz.v1.UserService/GetUser",
					&get.base, &oz__v1__user__descriptor,
					(ProtobufCMessage **) &u, 0, &st),
				OZ_OK);
			assert_string_equal(u->username, name);
			oz__v1__user__free_unpacked(u, NULL);
		}
	}
	nng_close(a);
	nng_close(b);
	test_server_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			failed_commit_fails_every_call_of_its_batch_and_acks_none,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			failing_call_is_rolled_back_to_its_savepoint_only,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			failed_rollback_to_fails_the_whole_batch, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			wal_stays_short_with_checkpoints_off_the_writer, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			failed_commit_makes_health_unavailable_until_a_write_succeeds,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			idle_writer_finds_writes_work_again, setup, teardown),
		cmocka_unit_test(
			ok_write_is_visible_to_the_next_read_on_any_connection),
	};
	return cmocka_run_group_tests_name(
		"rpc/group_commit", tests, NULL, NULL);
}
