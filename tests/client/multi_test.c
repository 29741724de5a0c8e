/* tests/client/multi_test.c -- one C client over three real ozd processes
 * ($OZD, else build/ozd), each on its own SQLite file in a temp dir and a
 * random loopback port.
 *
 * Proves: calls are spread over every server (each one's Stats counts
 * them); a server SIGKILLed in the middle of a stream of reads costs the
 * caller no error; an unkeyed write in flight on a killed server returns
 * UNAVAILABLE and reaches no other server (their databases do not have
 * it); a keyed write in flight there is finished by another server, once;
 * a killed server started again is used again.
 *
 * "In flight" is made deterministic with SIGSTOP: the stopped server's
 * kernel takes the request, the server never runs it, and the SIGKILL
 * that follows breaks the connection under the waiting call. Three calls
 * made at once go to the three servers (round-robin); the one on the
 * stopped server is the one still waiting once the other two returned.
 * Every wait is a bounded loop; no test measures time. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <fcntl.h>
#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "oz/client.h"

#define N_SERVERS 3

typedef struct ozd {
	pid_t pid;
	unsigned port;
	char url[64];
	char db[300];
	char log[300];
} ozd;

typedef struct fixture {
	char dir[256];
	ozd srv[N_SERVERS];
	char urls[N_SERVERS * 64];
	oz_client *multi;
} fixture;

static const char *
ozd_path(void)
{
	const char *p = getenv("OZD");
	return p != NULL && p[0] != '\0' ? p : "build/ozd";
}

/* Opens a client of one server only, to look at it. */
static oz_client *
client_of(const char *url)
{
	oz_client *c;
	oz_client_options o = {0};
	oz_status st;
	o.deadline_ms = 10000;
	assert_int_equal(oz_client_open(&c, url, &o, &st), OZ_OK);
	return c;
}

static bool
serving(const char *url)
{
	oz_client *c = client_of(url);
	Grpc__Health__V1__HealthCheckRequest hr =
		GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
	Grpc__Health__V1__HealthCheckResponse *h = NULL;
	oz_status st;
	oz_call_options co = {2000};
	oz_code rc = oz_client_call_with(c, "/grpc.health.v1.Health/Check",
		&hr.base, &grpc__health__v1__health_check_response__descriptor,
		(ProtobufCMessage **) &h, &co, &st);
	oz_message_free(h);
	oz_client_close(c);
	return rc == OZ_OK;
}

static pid_t
spawn(const ozd *d)
{
	char dburl[320];
	snprintf(dburl, sizeof(dburl), "sqlite:///%s", d->db);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execl(ozd_path(), "ozd", "--listen", d->url, "--database-url",
			dburl, (char *) NULL);
		_exit(127);
	}
	return pid;
}

/* Starts d (on d->port when set, else on a random free one) and waits,
 * bounded, until it answers Health. */
static void
ozd_start(ozd *d)
{
	bool fixed = d->port != 0;
	for (int try = 0; try < 5; try++) {
		if (!fixed) {
			d->port = 20000 + nng_random() % 12000;
		}
		snprintf(
			d->url, sizeof(d->url), "tcp://127.0.0.1:%u", d->port);
		d->pid = spawn(d);
		for (int i = 0; i < 400; i++) {
			if (serving(d->url)) {
				return;
			}
			if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
				break; /* The port was taken: another one. */
			}
			nng_msleep(25);
		}
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
	fail_msg("ozd (%s) did not start; see %s", ozd_path(), d->log);
}

static void
ozd_kill(ozd *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		kill(d->pid, SIGCONT);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");
	snprintf(f->dir, sizeof(f->dir), "%s/oz-multi.XXXXXX",
		tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	/* A copy: GCC's -Wrestrict (at -O1) takes f->dir for a part of the
	 * d->db being written, d being inside f too. */
	char dir[sizeof(f->dir)];
	memcpy(dir, f->dir, sizeof(dir));
	size_t len = 0;
	for (int i = 0; i < N_SERVERS; i++) {
		ozd *d = &f->srv[i];
		snprintf(d->db, sizeof(d->db), "%s/oz%d.db", dir, i);
		snprintf(d->log, sizeof(d->log), "%s/ozd%d.log", dir, i);
		ozd_start(d);
		len += (size_t) snprintf(f->urls + len, sizeof(f->urls) - len,
			"%s%s", i > 0 ? "," : "", d->url);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;
	char cmd[300];
	oz_client_close(f->multi);
	for (int i = 0; i < N_SERVERS; i++) {
		ozd_kill(&f->srv[i]);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "could not remove %s\n", f->dir);
	}
	free(f);
	return 0;
}

static oz_client *
open_multi(fixture *f, bool auto_id)
{
	oz_client_options o = {0};
	oz_status st;
	o.deadline_ms = 60000; /* Calls end by the test's doing, not time. */
	o.no_auto_request_id = !auto_id;
	assert_int_equal(oz_client_open(&f->multi, f->urls, &o, &st), OZ_OK);
	return f->multi;
}

/* Calls of method server url has counted since it started. */
static int64_t
method_calls(const char *url, const char *method)
{
	oz_client *c = client_of(url);
	Oz__V1__StatsRequest sr = OZ__V1__STATS_REQUEST__INIT;
	Oz__V1__StatsResponse *s = NULL;
	oz_status st;
	int64_t n = 0;
	assert_int_equal(oz_admin_stats(c, &sr, &s, &st), OZ_OK);
	for (size_t i = 0; i < s->n_methods; i++) {
		if (strcmp(s->methods[i]->method, method) == 0) {
			n = s->methods[i]->calls;
		}
	}
	oz_message_free(s);
	oz_client_close(c);
	return n;
}

#define LIST_USERS "/oz.v1.UserService/ListUsers"

static oz_code
list_users(oz_client *c, oz_status *st)
{
	Oz__V1__ListUsersRequest lr = OZ__V1__LIST_USERS_REQUEST__INIT;
	Oz__V1__ListUsersResponse *l = NULL;
	oz_code rc = oz_user_list(c, &lr, &l, st);
	oz_message_free(l);
	return rc;
}

/* Whether server url has a user with this email. */
static bool
has_email(const char *url, const char *email)
{
	oz_client *c = client_of(url);
	Oz__V1__GetUserByEmailRequest gr =
		OZ__V1__GET_USER_BY_EMAIL_REQUEST__INIT;
	Oz__V1__User *u = NULL;
	oz_status st;
	gr.email = (char *) email;
	oz_code rc = oz_user_get_by_email(c, &gr, &u, &st);
	oz_message_free(u);
	oz_client_close(c);
	if (rc != OZ_OK && rc != OZ_NOT_FOUND) {
		fail_msg("GetUserByEmail on %s: %s", url, st.message);
	}
	return rc == OZ_OK;
}

static void
calls_are_spread_over_every_server(void **state)
{
	fixture *f = *state;
	const char *urls[N_SERVERS];
	oz_status st;
	for (int i = 0; i < N_SERVERS; i++) {
		urls[i] = f->srv[i].url;
	}
	assert_int_equal(
		oz_client_open_urls(&f->multi, urls, N_SERVERS, NULL, &st),
		OZ_OK);
	oz_client *c = f->multi;
	for (int i = 0; i < 30; i++) {
		assert_int_equal(list_users(c, &st), OZ_OK);
	}
	/* Round-robin over three connected servers: ten each. */
	for (int i = 0; i < N_SERVERS; i++) {
		assert_int_equal(method_calls(f->srv[i].url, LIST_USERS), 10);
	}
}

/* --- a stream of reads ---------------------------------------------------
 */

typedef struct reader {
	oz_client *c;
	atomic_int done;
	int errors;
	char error[OZ_STATUS_MESSAGE_MAX + 32];
} reader;

#define READS 400

static void *
reader_main(void *arg)
{
	reader *r = arg;
	for (int i = 0; i < READS; i++) {
		oz_status st;
		if (list_users(r->c, &st) != OZ_OK) {
			r->errors++;
			snprintf(r->error, sizeof(r->error), "%s: %s",
				oz_code_name(st.code), st.message);
		}
		atomic_fetch_add(&r->done, 1);
	}
	return NULL;
}

/* Waits, bounded, until *counter reaches want. */
static void
wait_count(atomic_int *counter, int want, const char *what)
{
	for (int i = 0; atomic_load(counter) < want; i++) {
		if (i >= 6000) {
			fail_msg("%s: %d of %d", what, atomic_load(counter),
				want);
		}
		nng_msleep(10);
	}
}

static void
killed_server_costs_a_stream_of_reads_nothing(void **state)
{
	fixture *f = *state;
	reader r = {.c = open_multi(f, true)};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	wait_count(&r.done, READS / 4, "reads before the kill");
	ozd_kill(&f->srv[1]);
	pthread_join(th, NULL);
	if (r.errors != 0) {
		fail_msg("%d reads failed, the last: %s", r.errors, r.error);
	}
	assert_int_equal(atomic_load(&r.done), READS);
	/* The other two took the reads the dead one could not. */
	assert_true(method_calls(f->srv[0].url, LIST_USERS) +
			    method_calls(f->srv[2].url, LIST_USERS) >
		    READS / 2);
}

static void
restarted_server_is_used_again(void **state)
{
	fixture *f = *state;
	oz_client *c = open_multi(f, true);
	oz_status st;
	ozd_kill(&f->srv[2]);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(list_users(c, &st), OZ_OK);
	}
	ozd_start(&f->srv[2]); /* Same port, same database. */
	/* The client redials by itself; calls reach it again. */
	for (int i = 0; method_calls(f->srv[2].url, LIST_USERS) == 0; i++) {
		if (i >= 500) {
			fail_msg("no call reached the restarted server");
		}
		assert_int_equal(list_users(c, &st), OZ_OK);
		nng_msleep(10);
	}
}

/* --- writes in flight on a killed server ---------------------------------
 */

typedef struct writer {
	oz_client *c;
	atomic_int *done;
	char email[64];
	oz_code rc;
	char message[OZ_STATUS_MESSAGE_MAX];
} writer;

static void *
writer_main(void *arg)
{
	writer *w = arg;
	Oz__V1__CreateUserRequest cr = OZ__V1__CREATE_USER_REQUEST__INIT;
	Oz__V1__User *u = NULL;
	oz_status st;
	cr.username = w->email;
	cr.email = w->email;
	w->rc = oz_user_create(w->c, &cr, &u, &st);
	snprintf(w->message, sizeof(w->message), "%s", st.message);
	oz_message_free(u);
	atomic_fetch_add(w->done, 1);
	return NULL;
}

/* Stops server 0, makes three creates at once (one per server), kills
 * server 0 once the two others answered, and starts it again on its
 * database. OUT: w[3], the writes; returns the index of the one that was
 * on server 0. */
static int
writes_with_server_0_killed(fixture *f, bool auto_id, writer w[3])
{
	oz_client *c = open_multi(f, auto_id);
	pthread_t th[3];
	atomic_int done = 0;
	oz_status st;
	/* Connected to all three before the stop. */
	for (int i = 0; i < N_SERVERS; i++) {
		assert_int_equal(list_users(c, &st), OZ_OK);
	}
	kill(f->srv[0].pid, SIGSTOP);
	for (int i = 0; i < 3; i++) {
		w[i].c = c;
		w[i].done = &done;
		snprintf(w[i].email, sizeof(w[i].email), "w%d-%s@example.com",
			i, auto_id ? "keyed" : "unkeyed");
		assert_int_equal(
			pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	wait_count(&done, 2, "writes answered by the running servers");
	ozd_kill(&f->srv[0]);
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
	}
	int stuck = -1;
	for (int i = 0; i < 3; i++) {
		if (!has_email(f->srv[1].url, w[i].email) &&
			!has_email(f->srv[2].url, w[i].email)) {
			assert_int_equal(stuck, -1); /* At most one. */
			stuck = i;
		}
	}
	ozd_start(&f->srv[0]);
	for (int i = 0; i < 3; i++) {
		/* Stopped before it read the request: it never ran it. */
		assert_false(has_email(f->srv[0].url, w[i].email));
	}
	return stuck;
}

static void
unkeyed_write_on_a_killed_server_is_unavailable_and_not_resent(void **state)
{
	fixture *f = *state;
	writer w[3] = {0};
	int stuck = writes_with_server_0_killed(f, false, w);
	/* It is on no server, and the caller was told UNAVAILABLE. */
	assert_int_not_equal(stuck, -1);
	for (int i = 0; i < 3; i++) {
		if (i == stuck) {
			assert_int_equal(w[i].rc, OZ_UNAVAILABLE);
		} else {
			assert_int_equal(w[i].rc, OZ_OK);
		}
	}
}

static void
keyed_write_on_a_killed_server_is_finished_by_another(void **state)
{
	fixture *f = *state;
	writer w[3] = {0};
	assert_int_equal(writes_with_server_0_killed(f, true, w), -1);
	for (int i = 0; i < 3; i++) {
		if (w[i].rc != OZ_OK) {
			fail_msg("%s: %s: %s", w[i].email,
				oz_code_name(w[i].rc), w[i].message);
		}
		/* On exactly one of the running servers. */
		assert_true(has_email(f->srv[1].url, w[i].email) !=
			    has_email(f->srv[2].url, w[i].email));
	}
}

/* Every server refused: the one message names them all, at once. */
static void
nothing_listening_anywhere_fails_at_once(void **state)
{
	fixture *f = *state;
	char want[OZ_STATUS_MESSAGE_MAX];
	oz_status st;
	for (int i = 0; i < N_SERVERS; i++) {
		ozd_kill(&f->srv[i]);
	}
	oz_client *c = open_multi(f, true);
	assert_int_equal(list_users(c, &st), OZ_UNAVAILABLE);
	snprintf(want, sizeof(want),
		"nothing is listening on %s, %s, %s \xe2\x80\x94 is ozd "
		"running?",
		f->srv[0].url, f->srv[1].url, f->srv[2].url);
	assert_string_equal(st.message, want);
	ozd_start(&f->srv[1]);
	assert_int_equal(list_users(c, &st), OZ_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			calls_are_spread_over_every_server, setup, teardown),
		cmocka_unit_test_setup_teardown(
			killed_server_costs_a_stream_of_reads_nothing, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			restarted_server_is_used_again, setup, teardown),
		cmocka_unit_test_setup_teardown(
			unkeyed_write_on_a_killed_server_is_unavailable_and_not_resent,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			keyed_write_on_a_killed_server_is_finished_by_another,
			setup, teardown),
		cmocka_unit_test_setup_teardown(
			nothing_listening_anywhere_fails_at_once, setup,
			teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
