/* rpc/writer.c -- the group-commit writer thread. It owns the only write
 * connection; nothing else writes, so writers never meet SQLITE_BUSY. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/thread.h"
#include "rpc/checkpointer.h"
#include "rpc/idempotency.h"
#include "rpc/stats.h"
#include "rpc/writer.h"
#include "store/health.h"

#define BATCH_MAX        256
#define CHECKPOINT_PAGES 1000 /* SQLite's wal_autocheckpoint default. */
#define PROBE_MS         1000 /* While writes fail, retry this often. */
#define WRITE_RETRIES    10   /* Re-runs of calls a conflict rolled back. */
#define RETRY_PAUSE_US   5000 /* The longest pause before a re-run. */

struct rpc_writer {
	store_conn *db;
	rpc_checkpointer *checkpointer; /* NULL for :memory:. */
	bool group;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* Signals new items or stop. */
	rpc_write *head, *tail;
	bool stopping;
	long batches, calls;
	int optimize_ms;
	int64_t next_optimize_us; /* Monotonic. */
	store_health *health;     /* Told the outcome of every batch. */
	int64_t next_probe_us;    /* Monotonic; 0 while writes succeed. */
	/* The database is another process (PostgreSQL): probe it while
	 * idle too, so Health sees a lost server with no write to fail. */
	bool remote;
	_Atomic int64_t db_size; /* store_size at the last probe (remote). */
	struct rpc_stats *stats;
};

/* Fails every call in the batch that still looks successful: their work
 * was rolled back with the transaction. */
static void
fail_batch(rpc_write **batch, int n, const oz_status *why)
{
	for (int i = 0; i < n; i++) {
		rpc_call *call = batch[i]->call;
		if (rpc_call_ok(call)) {
			call->st = *why;
			call->st.n_violations = 0;
			call->output = NULL;
		}
	}
}

/* Fails the whole batch with st and tells health the database failed. */
static void
batch_failed(rpc_writer *w, rpc_write **batch, int n, oz_status *st)
{
	log_error("write batch of %d calls failed: %s", n, st->message);
	fail_batch(batch, n, st);
	store_health_note_write(w->health, st->code, st);
}

/* UNAVAILABLE when the database file was deleted or replaced: writes
 * would go to a file no one will open again. */
static oz_code
check_file(rpc_writer *w, oz_status *st)
{
	if (store_file_moved(w->db)) {
		return oz_fail(st, OZ_UNAVAILABLE,
			"database file was deleted or replaced under ozd; "
			"restart it");
	}
	return OZ_OK;
}

/* One transaction for the batch. Returns OK when it committed, ABORTED
 * when the COMMIT met a serialization failure or deadlock (everything
 * rolled back, every call failed ABORTED: run_batch may run them again),
 * else the failure every call was answered with. */
static oz_code
run_once(rpc_writer *w, rpc_write **batch, int n)
{
	oz_status st;
	oz_status_clear(&st);
	if (check_file(w, &st) != OZ_OK ||
		store_tx_begin(w->db, STORE_TX_WRITE, &st) != OZ_OK) {
		batch_failed(w, batch, n, &st);
		return st.code;
	}
	for (int i = 0; i < n; i++) {
		rpc_call_run(batch[i]->call, w->db, batch[i]->serving);
		if (!store_tx_intact(w->db)) {
			/* SQLite rolled the whole transaction back (I/O error,
			 * disk full): nothing of this batch survived. */
			oz_fail(&st, OZ_UNAVAILABLE,
				"write batch was rolled back; retry");
			fail_batch(batch, i + 1, &st);
			for (int j = i + 1; j < n; j++) {
				rpc_call_fail(batch[j]->call, OZ_UNAVAILABLE,
					"write batch was rolled back; retry");
			}
			if (store_tx_end(w->db, OZ_ABORTED, &st) !=
				OZ_ABORTED) {
				log_error("ending a rolled-back batch: %s",
					st.message);
			}
			/* The call that met it says why (e.g. disk full). */
			const oz_status *why = &batch[i]->call->st;
			store_health_note_write(w->health, OZ_UNAVAILABLE,
				why->code != OZ_OK ? why : &st);
			return OZ_UNAVAILABLE;
		}
	}
	if (store_tx_end(w->db, OZ_OK, &st) != OZ_OK) {
		if (st.code == OZ_ABORTED) {
			/* A conflict, not a database in trouble. */
			fail_batch(batch, n, &st);
			return OZ_ABORTED;
		}
		batch_failed(w, batch, n, &st);
		return st.code;
	}
	store_health_note_write(w->health, OZ_OK, &st);
	w->batches++;
	w->calls += n;
	return OZ_OK;
}

/* A short random pause before a re-run (RETRY_PAUSE_US at most, growing
 * with the attempt), so the writers of several ozd that met in a conflict
 * do not meet again in lockstep. */
static void
pause_before_rerun(int attempt)
{
	static _Thread_local uint64_t seed;
	if (seed == 0) {
		seed = (uint64_t) oz_now_us() | 1u;
	}
	seed ^= seed << 13; /* xorshift64 */
	seed ^= seed >> 7;
	seed ^= seed << 17;
	int64_t cap = (int64_t) RETRY_PAUSE_US * (attempt + 1) / WRITE_RETRIES;
	int64_t us = cap / 2 + (int64_t) (seed % (uint64_t) (cap / 2 + 1));
	struct timespec ts = {.tv_sec = 0, .tv_nsec = (long) (us * 1000)};
	nanosleep(&ts, NULL);
}

/* Runs the batch; on PostgreSQL, calls that a serialization failure or
 * deadlock (SQLSTATE 40001, 40P01) rolled back run again in a new
 * transaction after a short random pause, at most WRITE_RETRIES times,
 * then stay ABORTED: every call of the batch when the transaction failed
 * so (at its COMMIT, or doomed by a conflict inside one call's savepoint:
 * its answers came from a transaction that did not commit), else those
 * whose own savepoint did. Only a definite rollback is re-run: a call
 * whose outcome is unknown (a connection lost at COMMIT) is never re-run
 * (store/postgres/pg_tx.c answers it UNKNOWN). */
static void
run_batch(rpc_writer *w, rpc_write **batch, int n)
{
	rpc_write *todo[BATCH_MAX];
	memcpy(todo, batch, (size_t) n * sizeof(*todo));
	for (int attempt = 0;; attempt++) {
		oz_code rc = run_once(w, todo, n);
		if (!w->remote || attempt == WRITE_RETRIES ||
			(rc != OZ_OK && rc != OZ_ABORTED)) {
			return;
		}
		int m = 0;
		for (int i = 0; i < n; i++) {
			if (rc == OZ_ABORTED ||
				todo[i]->call->st.code == OZ_ABORTED) {
				rpc_call_reset(todo[i]->call);
				todo[m++] = todo[i];
			}
		}
		if (m == 0) {
			return;
		}
		log_debug("write conflict: running %d call(s) again", m);
		pause_before_rerun(attempt);
		n = m;
	}
}

static void
report_cache(rpc_writer *w)
{
	if (w->stats != NULL) {
		int64_t hits, misses;
		store_cache_counts(w->db, &hits, &misses);
		rpc_stats_cache(w->stats, hits, misses);
	}
}

/* Keeps the WAL short without making writes wait for the bulk of a
 * checkpoint (see rpc/checkpointer.h). */
static void
checkpoint(rpc_writer *w)
{
	if (w->checkpointer == NULL) {
		return;
	}
	if (rpc_checkpointer_caught_up(w->checkpointer)) {
		oz_status st;
		if (store_checkpoint_passive(w->db, &st) != OZ_OK) {
			log_warn("WAL checkpoint: %s", st.message);
		}
	} else if (store_wal_pages(w->db) >= CHECKPOINT_PAGES) {
		rpc_checkpointer_kick(w->checkpointer);
	}
}

/* Runs PRAGMA optimize when it is due (the writer is idle then). */
static void
maybe_optimize(rpc_writer *w)
{
	if (w->optimize_ms <= 0 || oz_now_us() < w->next_optimize_us) {
		return;
	}
	oz_status st;
	if (rpc_idem_purge(w->db, &st) != OZ_OK) {
		log_warn("purging old request_id outcomes: %s", st.message);
	}
	if (store_optimize(w->db, &st) != OZ_OK) {
		log_warn("periodic PRAGMA optimize: %s", st.message);
	} else {
		log_debug("periodic PRAGMA optimize done");
	}
	w->next_optimize_us = oz_now_us() + (int64_t) w->optimize_ms * 1000;
}

/* While writes fail and no call comes to show they work again (a full
 * disk that got room), a write that changes nothing tells health. */
static void
probe_writes(rpc_writer *w)
{
	oz_status st;
	oz_status_clear(&st);
	oz_code rc = check_file(w, &st);
	if (rc == OZ_OK) {
		rc = store_write_probe(w->db, &st);
	}
	store_health_note_write(w->health, rc, &st);
	if (rc == OZ_OK && w->remote) {
		int64_t db = 0, wal = 0;
		if (store_size(w->db, &db, &wal, &st) == OZ_OK) {
			atomic_store(&w->db_size, db);
		}
	}
	w->next_probe_us =
		rc == OZ_OK && !w->remote ? 0 : oz_now_us() + PROBE_MS * 1000;
}

/* The next time the idle writer has something to do (0: none). */
static int64_t
next_wake_us(rpc_writer *w)
{
	int64_t t = w->optimize_ms > 0 ? w->next_optimize_us : 0;
	if (w->next_probe_us != 0 && (t == 0 || w->next_probe_us < t)) {
		t = w->next_probe_us;
	}
	return t;
}

/* Waits for work, waking for the next optimize or write probe. */
static void
wait_for_work(rpc_writer *w)
{
	int64_t wake = next_wake_us(w);
	if (wake == 0) {
		pthread_cond_wait(&w->cv, &w->mu);
		return;
	}
	int64_t left = wake - oz_now_us();
	if (left <= 0) {
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ns = ts.tv_nsec + (left % 1000000) * 1000;
	ts.tv_sec += (time_t) (left / 1000000 + ns / 1000000000);
	ts.tv_nsec = (long) (ns % 1000000000);
	pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

static void *
writer_main(void *arg)
{
	rpc_writer *w = arg;
	rpc_write *batch[BATCH_MAX];
	oz_thread_name("ozd:writer");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->head == NULL && !w->stopping) {
			if (w->optimize_ms > 0 &&
				oz_now_us() >= w->next_optimize_us) {
				pthread_mutex_unlock(&w->mu);
				maybe_optimize(w);
				pthread_mutex_lock(&w->mu);
				continue;
			}
			if (w->next_probe_us != 0 &&
				oz_now_us() >= w->next_probe_us) {
				pthread_mutex_unlock(&w->mu);
				probe_writes(w);
				pthread_mutex_lock(&w->mu);
				continue;
			}
			wait_for_work(w);
		}
		if (w->head == NULL) {
			break; /* Stopping and nothing left. */
		}
		int max = w->group ? BATCH_MAX : 1;
		int n = 0;
		while (w->head != NULL && n < max) {
			batch[n++] = w->head;
			w->head = w->head->next;
		}
		if (w->head == NULL) {
			w->tail = NULL;
		}
		pthread_mutex_unlock(&w->mu);
		run_batch(w, batch, n);
		if (store_health_write_failed(w->health) || w->remote) {
			/* A probe already due stays due: on a remote store
			 * the first one (at start) measures the size Stats
			 * reports, and calls arriving every < PROBE_MS must
			 * not put it off for good. */
			int64_t next = oz_now_us() + PROBE_MS * 1000;
			if (w->next_probe_us == 0 || w->next_probe_us > next) {
				w->next_probe_us = next;
			}
		} else {
			w->next_probe_us = 0;
		}
		report_cache(w);
		checkpoint(w);
		for (int i = 0; i < n; i++) {
			batch[i]->done(batch[i]); /* May reuse batch[i]. */
		}
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

oz_code
rpc_writer_start(rpc_writer **out, const store_config *cfg, bool group,
	int optimize_ms, struct rpc_stats *stats, oz_status *st)
{
	rpc_writer *w = calloc(1, sizeof(*w));
	if (w == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz_code rc = store_open(&w->db, cfg, st);
	if (rc == OZ_OK) {
		rc = store_health_new(&w->health, cfg, st);
	}
	if (rc != OZ_OK) {
		store_close(w->db);
		free(w);
		return rc;
	}
	w->remote = store_reads_block(cfg);
	if (store_traits_of(cfg)->has_wal && !store_config_is_memory(cfg)) {
		rc = rpc_checkpointer_start(&w->checkpointer, cfg, st);
		if (rc != OZ_OK) {
			store_health_free(w->health);
			store_close(w->db);
			free(w);
			return rc;
		}
		store_manual_checkpoints(w->db);
	}
	w->group = group;
	w->optimize_ms = optimize_ms;
	w->next_optimize_us = oz_now_us() + (int64_t) optimize_ms * 1000;
	w->stats = stats;
	w->next_probe_us = w->remote ? oz_now_us() : 0;
	if (w->remote) {
		/* Stats has the size from the first call on, not from the
		 * first idle probe (a busy writer may have none for long). */
		int64_t db = 0, wal = 0;
		oz_status size_st;
		if (store_size(w->db, &db, &wal, &size_st) == OZ_OK) {
			atomic_store(&w->db_size, db);
		}
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		rpc_checkpointer_stop(w->checkpointer);
		store_health_free(w->health);
		store_close(w->db);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return oz_fail(st, OZ_INTERNAL, "cannot start writer thread");
	}
	*out = w;
	return OZ_OK;
}

void
rpc_writer_submit(rpc_writer *w, rpc_write *wr)
{
	wr->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->tail != NULL) {
		w->tail->next = wr;
	} else {
		w->head = wr;
	}
	w->tail = wr;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* rpc_writer_run's waiter: done on the writer's thread wakes it. */
struct waiter {
	rpc_write wr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

static void
wake_waiter(rpc_write *wr)
{
	struct waiter *wt = wr->arg;
	pthread_mutex_lock(&wt->mu);
	wt->done = true;
	pthread_cond_signal(&wt->cv);
	pthread_mutex_unlock(&wt->mu);
}

void
rpc_writer_run(rpc_writer *w, rpc_call *call, bool serving)
{
	struct waiter wt = {.wr = {.call = call,
				    .serving = serving,
				    .done = wake_waiter,
				    .arg = &wt}};
	pthread_mutex_init(&wt.mu, NULL);
	pthread_cond_init(&wt.cv, NULL);
	rpc_writer_submit(w, &wt.wr);
	pthread_mutex_lock(&wt.mu);
	while (!wt.done) {
		pthread_cond_wait(&wt.cv, &wt.mu);
	}
	pthread_mutex_unlock(&wt.mu);
	pthread_cond_destroy(&wt.cv);
	pthread_mutex_destroy(&wt.mu);
}

void
rpc_writer_counts(rpc_writer *w, long *batches, long *calls)
{
	pthread_mutex_lock(&w->mu);
	*batches = w->batches;
	*calls = w->calls;
	pthread_mutex_unlock(&w->mu);
}

void
rpc_writer_stop(rpc_writer *w)
{
	if (w == NULL) {
		return;
	}
	pthread_mutex_lock(&w->mu);
	w->stopping = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	rpc_checkpointer_stop(w->checkpointer);
	/* PRAGMA optimize is cheap; a PostgreSQL server's ANALYZE of a big
	 * database is not, and the periodic one covers it. */
	oz_status st;
	if ((!w->remote && store_optimize(w->db, &st) != OZ_OK) ||
		store_checkpoint(w->db, &st) != OZ_OK) {
		log_warn("at close: %s", st.message);
	}
	store_close(w->db);
	store_health_free(w->health);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

store_health *
rpc_writer_health(rpc_writer *w)
{
	return w->health;
}

int64_t
rpc_writer_db_size(rpc_writer *w)
{
	return atomic_load(&w->db_size);
}
