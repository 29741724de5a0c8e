/* tests/rpc/admin_queue_test.c -- the admin calls that touch the database
 * run on ONE admin thread of the server (rpc/server.c): they share one
 * read connection however many of them come, Stats is answered at once
 * while a long admin call runs, at most ADMIN_QUEUE_MAX (8) more wait
 * behind it (the next is RESOURCE_EXHAUSTED), and the waiting ones are
 * answered once it ends. Through the real in-process server. The runaway
 * query has a 10 s limit so that the calls made meanwhile find it still
 * running; the test lasts that long. */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "oz/v1/admin_service.pb-c.h"
#include "support/server.h"
#include "support/wire.h"

#define QUERY   "/oz.v1.AdminService/Query"
#define BACKUP  "/oz.v1.AdminService/Backup"
#define STATS   "/oz.v1.AdminService/Stats"
#define ADMIN   "Bearer admin-secret"
#define WAITING 8 /* rpc/server.c ADMIN_QUEUE_MAX */

#define RUNAWAY                                                               \
	"WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "    \
	"SELECT max(x) FROM n"

/* A server with an admin token; backups go into the database's dir. */
static void
start(test_server *t)
{
	static _Thread_local char admins[400];
	test_server_init(t);
	snprintf(admins, sizeof(admins), "%s/admins", t->db.dir);
	FILE *f = fopen(admins, "w");
	assert_non_null(f);
	fputs("admin-secret\n", f);
	fclose(f);
	t->cfg.admin_token_file = admins;
	snprintf(t->cfg.store.backup_dir, sizeof(t->cfg.store.backup_dir),
		"%s", t->db.dir);
	test_server_start(t);
}

static void
finish(test_server *t)
{
	char p[400];
	snprintf(p, sizeof(p), "%s/admins", t->db.dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/copy.db", t->db.dir);
	unlink(p);
	test_server_fini(t);
}

/* Open descriptors of this process on the database file itself: one per
 * SQLite connection to it. */
static int
db_fds(const char *db)
{
	char want[PATH_MAX], link[320], got[PATH_MAX];
	assert_non_null(realpath(db, want));
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(link, got, sizeof(got) - 1);
		if (len > 0) {
			got[len] = '\0';
			n += strcmp(got, want) == 0;
		}
	}
	closedir(d);
	return n;
}

static oz_code
backup(nng_socket s, oz_status *st)
{
	Oz__V1__BackupRequest req = OZ__V1__BACKUP_REQUEST__INIT;
	req.path = "copy.db";
	req.overwrite = true;
	ProtobufCMessage *out = NULL;
	oz_code rc = wire_call_md(s, BACKUP, &req.base,
		&oz__v1__backup_response__descriptor, &out, "authorization",
		ADMIN, st);
	protobuf_c_message_free_unpacked(out, NULL);
	return rc;
}

static oz_code
query(nng_socket s, const char *sql, int timeout_ms, oz_status *st)
{
	Oz__V1__QueryRequest req = OZ__V1__QUERY_REQUEST__INIT;
	req.sql = (char *) sql;
	req.timeout_ms = timeout_ms;
	ProtobufCMessage *out = NULL;
	oz_code rc = wire_call_md(s, QUERY, &req.base,
		&oz__v1__query_response__descriptor, &out, "authorization",
		ADMIN, st);
	protobuf_c_message_free_unpacked(out, NULL);
	return rc;
}

/* Each call lands on whichever worker context receives it; on one admin
 * thread they all read through the same connection. (When each worker's
 * own thread ran them, every backup on a new thread opened one more.) */
static void
admin_calls_share_one_connection(void **state)
{
	(void) state;
	test_sqlite_only("counts the open descriptors of the SQLite file");
	test_server t;
	start(&t);
	nng_socket s;
	assert_int_equal(wire_open(&s, t.url), 0);
	oz_status st;
	assert_int_equal(backup(s, &st), OZ_OK);
	assert_int_equal(query(s, "SELECT 1", 0, &st), OZ_OK);
	int after_one = db_fds(t.db.path);
	for (int i = 0; i < 12; i++) {
		assert_int_equal(backup(s, &st), OZ_OK);
		assert_int_equal(
			query(s, "SELECT count(*) FROM users", 0, &st), OZ_OK);
	}
	assert_int_equal(db_fds(t.db.path), after_one);
	nng_close(s);
	finish(&t);
}

struct caller {
	const char *url;
	const char *sql;
	int timeout_ms;
	oz_code rc;
	atomic_bool done;
	pthread_t th;
};

static void *
call_query(void *arg)
{
	struct caller *c = arg;
	nng_socket s;
	oz_status st;
	c->rc = OZ_UNAVAILABLE;
	/* Longer than wire_open's 5 s: the call may wait for the runaway. */
	if (wire_open(&s, c->url) == 0 &&
		nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 30000) == 0) {
		c->rc = query(s, c->sql, c->timeout_ms, &st);
		nng_close(s);
	}
	atomic_store(&c->done, true);
	return NULL;
}

static void
spawn(struct caller *c, const char *url, const char *sql, int timeout_ms)
{
	*c = (struct caller) {
		.url = url, .sql = sql, .timeout_ms = timeout_ms};
	assert_int_equal(pthread_create(&c->th, NULL, call_query, c), 0);
}

/* Stats's in_flight (it counts itself), polled until it reaches want or
 * 2,000 polls have passed. */
static int64_t
wait_in_flight(nng_socket s, int64_t want)
{
	int64_t got = 0;
	for (int i = 0; i < 2000 && got < want; i++) {
		Oz__V1__StatsRequest req = OZ__V1__STATS_REQUEST__INIT;
		Oz__V1__StatsResponse *r = NULL;
		oz_status st;
		assert_int_equal(wire_call(s, STATS, &req.base,
					 &oz__v1__stats_response__descriptor,
					 (ProtobufCMessage **) &r, 0, &st),
			OZ_OK);
		got = r->in_flight;
		protobuf_c_message_free_unpacked(&r->base, NULL);
		if (got < want) {
			usleep(2000);
		}
	}
	return got;
}

static void
a_long_admin_call_keeps_stats_answered_and_bounds_the_queue(void **state)
{
	(void) state;
	test_server t;
	start(&t);
	nng_socket s;
	assert_int_equal(wire_open(&s, t.url), 0);
	struct caller runaway, waiting[WAITING];
	spawn(&runaway, t.url, RUNAWAY, 10000);
	/* Stats is answered while the runaway is in flight (in_flight counts
	 * both): it does not queue behind it. */
	assert_int_equal(wait_in_flight(s, 2), 2);
	for (int i = 0; i < WAITING; i++) {
		spawn(&waiting[i], t.url, "SELECT 1", 0);
	}
	assert_int_equal(wait_in_flight(s, 2 + WAITING), 2 + WAITING);
	oz_status st;
	assert_int_equal(query(s, "SELECT 2", 0, &st), OZ_RESOURCE_EXHAUSTED);
	assert_string_equal(st.message,
		"too many admin calls are waiting (they run one at a time); "
		"retry with backoff");
	pthread_join(runaway.th, NULL);
	assert_int_equal(runaway.rc, OZ_DEADLINE_EXCEEDED);
	for (int i = 0; i < WAITING; i++) {
		pthread_join(waiting[i].th, NULL);
		assert_int_equal(waiting[i].rc, OZ_OK);
	}
	nng_close(s);
	finish(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(admin_calls_share_one_connection),
		cmocka_unit_test(
			a_long_admin_call_keeps_stats_answered_and_bounds_the_queue),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
