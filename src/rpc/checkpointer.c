/* rpc/checkpointer.c -- the thread that checkpoints the WAL for the
 * writer (see checkpointer.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/thread.h"
#include "rpc/checkpointer.h"

struct rpc_checkpointer {
	store_conn *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool wanted; /* A kick since the last checkpoint began. */
	bool stopping;
	atomic_bool done; /* A run finished since caught_up last said so. */
	long runs;
};

static void *
checkpointer_main(void *arg)
{
	rpc_checkpointer *c = arg;
	oz_thread_name("ozd:checkpoint");
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->wanted && !c->stopping) {
			pthread_cond_wait(&c->cv, &c->mu);
		}
		if (c->stopping) {
			break;
		}
		c->wanted = false;
		pthread_mutex_unlock(&c->mu);
		oz_status st;
		if (store_checkpoint_passive(c->db, &st) != OZ_OK) {
			log_warn("WAL checkpoint: %s", st.message);
		}
		atomic_store(&c->done, true);
		pthread_mutex_lock(&c->mu);
		c->runs++;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

oz_code
rpc_checkpointer_start(
	rpc_checkpointer **out, const store_config *cfg, oz_status *st)
{
	rpc_checkpointer *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	oz_code rc = store_open(&c->db, cfg, st);
	if (rc != OZ_OK) {
		free(c);
		return rc;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		store_close(c->db);
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		free(c);
		return oz_fail(
			st, OZ_INTERNAL, "cannot start checkpointer thread");
	}
	*out = c;
	return OZ_OK;
}

void
rpc_checkpointer_kick(rpc_checkpointer *c)
{
	pthread_mutex_lock(&c->mu);
	if (!c->wanted) {
		c->wanted = true;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

bool
rpc_checkpointer_caught_up(rpc_checkpointer *c)
{
	return atomic_load_explicit(&c->done, memory_order_relaxed) &&
	       atomic_exchange(&c->done, false);
}

void
rpc_checkpointer_stop(rpc_checkpointer *c)
{
	if (c == NULL) {
		return;
	}
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	log_debug("%ld WAL checkpoints off the write path", c->runs);
	store_close(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
