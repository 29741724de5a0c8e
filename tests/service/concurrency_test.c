/* tests/service/concurrency_test.c -- handlers on several connections to
 * one database (a file, or PostgreSQL) at once: writers never see
 * "database is locked" (busy_timeout + BEGIN IMMEDIATE; PostgreSQL's
 * retries), readers see consistent snapshots
 * (total_size and the rows of one ListUsers call agree), and every write
 * lands. Threads only record results; the main thread asserts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../support/fixture.h"
#include "store/migrate.h"

#define WRITERS    3
#define PER_WRITER 150
#define READS      200

typedef struct worker {
	store_conn *c; /* Opened by the main thread, closed by the worker. */
	int index;
	int failures; /* Calls that did not return OK. */
	int inconsistent;
	char first_error[OZ_STATUS_MESSAGE_MAX + 32];
} worker;

/* Another connection to fx's database; on SQLite with synchronous
 * NORMAL, as ozd's readers. */
static store_conn *
open_db(fixture *fx)
{
	store_config cfg;
	store_conn *c = NULL;
	oz_status st;
	if (test_db_postgres_url() != NULL) {
		return fx_connect(fx);
	}
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", fx->tmp.path);
	cfg.synchronous = STORE_SYNC_NORMAL;
	return store_open(&c, &cfg, &st) == OZ_OK ? c : NULL;
}

static void
record(worker *w, oz_code rc, const oz_status *st)
{
	if (rc != OZ_OK && w->failures++ == 0) {
		snprintf(w->first_error, sizeof(w->first_error), "%s: %s",
			oz_code_name(rc), st->message);
	}
}

static void *
writer_main(void *arg)
{
	worker *w = arg;
	store_conn *c = w->c;
	arena a;
	oz_status st;
	arena_init(&a, 0, 0);
	service_ctx cx = {.db = c, .arena = &a};
	for (int i = 0; c != NULL && i < PER_WRITER; i++) {
		char name[32], email[48];
		snprintf(name, sizeof(name), "w%d-%d", w->index, i);
		snprintf(email, sizeof(email), "w%d-%d@example.com", w->index,
			i);
		Oz__V1__CreateUserRequest req =
			OZ__V1__CREATE_USER_REQUEST__INIT;
		Oz__V1__User u = OZ__V1__USER__INIT;
		req.username = name;
		req.email = email;
		oz_status_clear(&st);
		oz_code rc = service_user_create(&cx, &req.base, &u.base, &st);
		record(w, rc, &st);
		if (rc == OZ_OK) {
			Oz__V1__CreateTaskRequest treq =
				OZ__V1__CREATE_TASK_REQUEST__INIT;
			Oz__V1__Task t = OZ__V1__TASK__INIT;
			treq.user_id = u.id;
			treq.title = name;
			oz_status_clear(&st);
			record(w,
				service_task_create(
					&cx, &treq.base, &t.base, &st),
				&st);
		}
		arena_reset(&a);
	}
	w->failures += c == NULL;
	arena_fini(&a);
	store_close(c);
	return NULL;
}

static void *
reader_main(void *arg)
{
	worker *w = arg;
	store_conn *c = w->c;
	arena a;
	oz_status st;
	arena_init(&a, 0, 0);
	service_ctx cx = {.db = c, .arena = &a};
	for (int i = 0; c != NULL && i < READS; i++) {
		Oz__V1__ListUsersRequest req =
			OZ__V1__LIST_USERS_REQUEST__INIT;
		Oz__V1__ListUsersResponse res =
			OZ__V1__LIST_USERS_RESPONSE__INIT;
		req.page_size = 1000;
		oz_status_clear(&st);
		oz_code rc = service_user_list(&cx, &req.base, &res.base, &st);
		record(w, rc, &st);
		/* One transaction: the count and the rows agree. */
		if (rc == OZ_OK && (size_t) res.total_size != res.n_users) {
			w->inconsistent++;
		}
		arena_reset(&a);
	}
	w->failures += c == NULL;
	arena_fini(&a);
	store_close(c);
	return NULL;
}

static void
concurrent_writers_never_see_locked_and_readers_see_snapshots(void **state)
{
	fixture *fx = *state;
	pthread_t th[WRITERS + 1];
	worker w[WRITERS + 1];
	memset(w, 0, sizeof(w));
	for (int i = 0; i <= WRITERS; i++) {
		w[i].c = open_db(fx);
		w[i].index = i;
		assert_int_equal(
			pthread_create(&th[i], NULL,
				i < WRITERS ? writer_main : reader_main,
				&w[i]),
			0);
	}
	for (int i = 0; i <= WRITERS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
	}
	for (int i = 0; i <= WRITERS; i++) {
		if (w[i].failures != 0) {
			fail_msg("worker %d: %d failures, first %s", i,
				w[i].failures, w[i].first_error);
		}
		assert_int_equal(w[i].inconsistent, 0);
	}
	Oz__V1__ListUsersRequest req = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse res = OZ__V1__LIST_USERS_RESPONSE__INIT;
	assert_int_equal(fx_call(fx, service_user_list, &req, &res), OZ_OK);
	assert_int_equal(res.total_size, WRITERS * PER_WRITER);
	Oz__V1__ListTasksRequest treq = OZ__V1__LIST_TASKS_REQUEST__INIT;
	Oz__V1__ListTasksResponse tres = OZ__V1__LIST_TASKS_RESPONSE__INIT;
	assert_int_equal(fx_call(fx, service_task_list, &treq, &tres), OZ_OK);
	assert_int_equal(tres.total_size, WRITERS * PER_WRITER);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			concurrent_writers_never_see_locked_and_readers_see_snapshots,
			fx_setup_file, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
