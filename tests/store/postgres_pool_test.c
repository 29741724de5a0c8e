/* tests/store/postgres_pool_test.c -- the PostgreSQL connection pool
 * (store/postgres/pg_pool.h) against a real server: jobs run on the
 * pool's own threads, on every connection at once, each exactly once
 * (also when the pool closes with jobs queued); killed connections fail
 * their jobs UNAVAILABLE and the pool reconnects by itself.
 *
 * Needs OZ_TEST_POSTGRES_URL (make test-postgres); skips without it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/postgres/pg.h"
#include "store/postgres/pg_pool.h"

static const char *url;

/* Counts finished jobs; the test waits on it (bounded). */
typedef struct tally {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, ok, unavailable, on_caller;
	int arrived; /* For the all-at-once job. */
	int pids[8];
	pthread_t caller;
} tally;

static void
tally_init(tally *t)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	t->caller = pthread_self();
}

static void
tally_fini(tally *t)
{
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
}

static struct timespec
in_seconds(int s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += s;
	return ts;
}

/* Waits (at most 60 s) until n jobs are done. */
static void
tally_wait(tally *t, int n)
{
	struct timespec until = in_seconds(60);
	pthread_mutex_lock(&t->mu);
	while (t->done < n &&
		pthread_cond_timedwait(&t->cv, &t->mu, &until) == 0) { }
	int done = t->done;
	pthread_mutex_unlock(&t->mu);
	assert_int_equal(done, n);
}

static void
tally_add(tally *t, oz_code rc)
{
	pthread_mutex_lock(&t->mu);
	t->done++;
	t->ok += rc == OZ_OK;
	t->unavailable += rc == OZ_UNAVAILABLE;
	t->on_caller += pthread_equal(pthread_self(), t->caller) != 0;
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
}

static pg_pool *
open_pool(int size)
{
	pg_pool *p = NULL;
	oz_status st;
	assert_int_equal(pg_pool_open(&p, url, size, &st), OZ_OK);
	return p;
}

/* A job: one round trip. */
static void
ping_job(pg_conn *c, void *arg)
{
	oz_status st;
	tally_add(arg, pg_exec_script(c, "SELECT 1", &st));
}

/* A job that waits (at most 30 s) until `want` such jobs run at once,
 * records its connection's server process, then makes one round trip:
 * so `want` of them use `want` different connections. */
struct meet {
	tally *t;
	int want;
};

static void
meet_job(pg_conn *c, void *arg)
{
	struct meet *m = arg;
	tally *t = m->t;
	struct timespec until = in_seconds(30);
	pthread_mutex_lock(&t->mu);
	t->pids[t->arrived % 8] = pg_backend_pid(c);
	t->arrived++;
	pthread_cond_broadcast(&t->cv);
	while (t->arrived < m->want &&
		pthread_cond_timedwait(&t->cv, &t->mu, &until) == 0) { }
	bool met = t->arrived >= m->want;
	pthread_mutex_unlock(&t->mu);
	oz_status st;
	oz_code rc = pg_exec_script(c, "SELECT 1", &st);
	tally_add(t, met ? rc : OZ_DEADLINE_EXCEEDED);
}

static void
bad_sizes_and_unreachable_servers_fail(void **state)
{
	(void) state;
	pg_pool *p = NULL;
	oz_status st;
	assert_int_equal(pg_pool_open(&p, url, 0, &st), OZ_INVALID_ARGUMENT);
	assert_int_equal(pg_pool_open(&p, url, PG_POOL_MAX + 1, &st),
		OZ_INVALID_ARGUMENT);
	assert_int_equal(
		pg_pool_open(&p, "postgresql://oz@/oz?host=/nonexistent-oz", 2,
			&st),
		OZ_UNAVAILABLE);
	assert_null(p);
}

static void
jobs_run_on_pool_threads_on_every_connection_at_once(void **state)
{
	(void) state;
	tally t;
	tally_init(&t);
	pg_pool *p = open_pool(4);
	struct meet m = {&t, 4};
	oz_status st;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pg_pool_submit(p, meet_job, &m, &st), OZ_OK);
	}
	tally_wait(&t, 4);
	assert_int_equal(t.ok, 4);
	for (int i = 0; i < 4; i++) {
		for (int j = i + 1; j < 4; j++) {
			assert_int_not_equal(t.pids[i], t.pids[j]);
		}
	}
	for (int i = 0; i < 200; i++) {
		assert_int_equal(pg_pool_submit(p, ping_job, &t, &st), OZ_OK);
	}
	tally_wait(&t, 204);
	assert_int_equal(t.ok, 204);
	assert_int_equal(t.on_caller, 0);
	/* A job counts as done just before its thread counts it idle. */
	int size, busy = -1, connected;
	for (int i = 0; i < 5000 && busy != 0; i++) {
		pg_pool_counts(p, &size, &busy, &connected);
		if (busy != 0) {
			usleep(1000);
		}
	}
	assert_int_equal(size, 4);
	assert_int_equal(busy, 0);
	assert_int_equal(connected, 4);
	pg_pool_close(p);
	tally_fini(&t);
}

static void
close_runs_every_queued_job_once(void **state)
{
	(void) state;
	tally t;
	tally_init(&t);
	pg_pool *p = open_pool(2);
	oz_status st;
	for (int i = 0; i < 100; i++) {
		assert_int_equal(pg_pool_submit(p, ping_job, &t, &st), OZ_OK);
	}
	pg_pool_close(p);
	assert_int_equal(t.done, 100);
	assert_int_equal(t.ok, 100);
	tally_fini(&t);
}

static void
killed_connections_fail_then_the_pool_reconnects(void **state)
{
	(void) state;
	tally t;
	tally_init(&t);
	pg_pool *p = open_pool(2);
	pg_conn *admin = NULL;
	oz_status st;
	struct meet m = {&t, 2};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pg_pool_submit(p, meet_job, &m, &st), OZ_OK);
	}
	tally_wait(&t, 2);
	assert_int_equal(pg_open(&admin, url, &st), OZ_OK);
	for (int i = 0; i < 2; i++) {
		char sql[64];
		snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%d)",
			t.pids[i]);
		assert_int_equal(pg_exec_script(admin, sql, &st), OZ_OK);
	}
	pg_close(admin);
	/* Both connections are dead: the two jobs in flight on them fail. */
	t.arrived = 0;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pg_pool_submit(p, meet_job, &m, &st), OZ_OK);
	}
	tally_wait(&t, 4);
	assert_int_equal(t.unavailable, 2);
	/* Then the pool reconnects by itself (bounded: 400 tries). */
	int n = 4;
	for (int i = 0; i < 400 && t.ok < 3; i++) {
		assert_int_equal(pg_pool_submit(p, ping_job, &t, &st), OZ_OK);
		tally_wait(&t, ++n);
		usleep(10000);
	}
	assert_int_equal(t.ok, 3);
	assert_true(pg_pool_serving(p));
	pg_pool_close(p);
	tally_fini(&t);
}

int
main(void)
{
	url = getenv("OZ_TEST_POSTGRES_URL");
	if (url == NULL || url[0] == '\0') {
		printf("postgres_pool_test: skipped (OZ_TEST_POSTGRES_URL "
		       "unset; run make test-postgres)\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_sizes_and_unreachable_servers_fail),
		cmocka_unit_test(
			jobs_run_on_pool_threads_on_every_connection_at_once),
		cmocka_unit_test(close_runs_every_queued_job_once),
		cmocka_unit_test(
			killed_connections_fail_then_the_pool_reconnects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
