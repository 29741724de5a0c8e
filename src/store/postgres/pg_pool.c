/* store/postgres/pg_pool.c -- connections on threads of their own and one
 * queue of jobs (pg_pool.h). One mutex guards the queue and the counts;
 * a thread holds it only to take a job or update a count, never while a
 * job or a reconnect runs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/thread.h"
#include "store/postgres/pg_impl.h"
#include "store/postgres/pg_pool.h"

struct job {
	pg_job_fn fn;
	void *arg;
};

struct worker {
	pg_pool *pool;
	pthread_t thread;
	pg_conn *conn; /* Never NULL once the pool is open. */
	int backoff_ms;
};

struct pg_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* A job was queued, or the pool is closing. */
	struct job queue[PG_QUEUE_MAX];
	int head, len;
	bool closing;
	int size, busy, connected, started;
	struct worker workers[PG_POOL_MAX];
};

/* Takes the next job. An up worker (down false) waits as long as it
 * takes; a down one waits at most wait_ms and takes a job only while no
 * connection works (the job then fails fast, UNAVAILABLE, instead of
 * waiting for a reconnect). Returns false when the pool closes (an up
 * worker first runs out the queue); true with job->fn NULL on time-out. */
static bool
take(pg_pool *p, struct job *job, bool down, int wait_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += wait_ms / 1000;
	until.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	job->fn = NULL;
	pthread_mutex_lock(&p->mu);
	int rc = 0;
	while (!p->closing && rc == 0 &&
		(p->len == 0 || (down && p->connected > 0))) {
		rc = down ? pthread_cond_timedwait(&p->cv, &p->mu, &until)
			  : pthread_cond_wait(&p->cv, &p->mu);
	}
	bool more = !p->closing || (!down && p->len > 0);
	if (more && p->len > 0 && (!down || p->connected == 0)) {
		*job = p->queue[p->head];
		p->head = (p->head + 1) % PG_QUEUE_MAX;
		p->len--;
		p->busy++;
	}
	pthread_mutex_unlock(&p->mu);
	return more;
}

static void
count_connected(pg_pool *p, int delta)
{
	pthread_mutex_lock(&p->mu);
	p->connected += delta;
	pthread_mutex_unlock(&p->mu);
}

static void
run(pg_pool *p, const struct job *job, pg_conn *c)
{
	job->fn(c, job->arg);
	pthread_mutex_lock(&p->mu);
	p->busy--;
	pthread_mutex_unlock(&p->mu);
}

/* One reconnect attempt of a worker whose connection is down. */
static void
reconnect(struct worker *w)
{
	oz_status st;
	if (pg_reconnect(w->conn, &st) == OZ_OK) {
		log_info("postgres: pool connection back");
		w->backoff_ms = PG_BACKOFF_MS;
		count_connected(w->pool, 1);
		return;
	}
	w->backoff_ms *= 2;
	if (w->backoff_ms > PG_BACKOFF_MAX_MS) {
		w->backoff_ms = PG_BACKOFF_MAX_MS;
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	pg_pool *p = w->pool;
	struct job job;
	oz_thread_name("oz-pg");
	for (;;) {
		bool up = pg_connected(w->conn);
		if (!take(p, &job, !up, w->backoff_ms)) {
			break;
		}
		if (job.fn != NULL) {
			run(p, &job, w->conn);
		}
		/* Idle, a down worker retries after its back-off; under load
		 * (jobs failing fast while nothing works) after each job. */
		if (!up) {
			reconnect(w);
		}
		if (up && !pg_connected(w->conn)) {
			count_connected(p, -1);
		}
	}
	return NULL;
}

/* Makes worker i's connection; when it cannot connect it stays down, for
 * its thread to retry, except the first: UNAVAILABLE. */
static oz_code
open_worker(pg_pool *p, int i, const char *url, oz_status *st)
{
	struct worker *w = &p->workers[i];
	w->pool = p;
	w->backoff_ms = PG_BACKOFF_MS;
	oz_code rc = pg_conn_alloc(&w->conn, url, st);
	if (rc != OZ_OK) {
		return rc;
	}
	rc = pg_reconnect(w->conn, st);
	if (rc == OZ_OK) {
		p->connected++;
	}
	return i == 0 || rc != OZ_UNAVAILABLE ? rc : OZ_OK;
}

oz_code
pg_pool_open(pg_pool **out, const char *url, int size, oz_status *st)
{
	*out = NULL;
	if (size < 1 || size > PG_POOL_MAX) {
		return oz_fail(st, OZ_INVALID_ARGUMENT,
			"pool size must be 1..%d", PG_POOL_MAX);
	}
	pg_pool *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->size = size;
	oz_code rc = OZ_OK;
	for (int i = 0; rc == OZ_OK && i < size; i++) {
		rc = open_worker(p, i, url, st);
	}
	for (int i = 0; rc == OZ_OK && i < size; i++) {
		if (pthread_create(&p->workers[i].thread, NULL, worker_main,
			    &p->workers[i]) != 0) {
			rc = oz_fail(st, OZ_RESOURCE_EXHAUSTED,
				"cannot start a pool thread");
			break;
		}
		p->started++;
	}
	if (rc != OZ_OK) {
		pg_pool_close(p);
		return rc;
	}
	*out = p;
	return OZ_OK;
}

void
pg_pool_close(pg_pool *p)
{
	if (p == NULL) {
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->started; i++) {
		pthread_join(p->workers[i].thread, NULL);
	}
	/* Jobs left when every connection was down: each runs once, and
	 * fails UNAVAILABLE on a down connection. */
	struct job job;
	while (p->started > 0 && p->len > 0) {
		job = p->queue[p->head];
		p->head = (p->head + 1) % PG_QUEUE_MAX;
		p->len--;
		p->busy++;
		run(p, &job, p->workers[0].conn);
	}
	for (int i = 0; i < p->size; i++) {
		pg_close(p->workers[i].conn);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

oz_code
pg_pool_submit(pg_pool *p, pg_job_fn fn, void *arg, oz_status *st)
{
	pthread_mutex_lock(&p->mu);
	if (p->len == PG_QUEUE_MAX) {
		pthread_mutex_unlock(&p->mu);
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED,
			"too many database calls waiting");
	}
	p->queue[(p->head + p->len) % PG_QUEUE_MAX] = (struct job) {fn, arg};
	p->len++;
	/* All: a down worker may wake and leave the job to an up one. */
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return OZ_OK;
}

void
pg_pool_counts(pg_pool *p, int *size, int *busy, int *connected)
{
	pthread_mutex_lock(&p->mu);
	*size = p->size;
	*busy = p->busy;
	*connected = p->connected;
	pthread_mutex_unlock(&p->mu);
}

bool
pg_pool_serving(pg_pool *p)
{
	pthread_mutex_lock(&p->mu);
	bool ok = p->connected > 0;
	pthread_mutex_unlock(&p->mu);
	return ok;
}
