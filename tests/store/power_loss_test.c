/* tests/store/power_loss_test.c -- power loss, simulated: the store's real
 * write path (a group of inserts, each in its SAVEPOINT, in one BEGIN
 * IMMEDIATE ... COMMIT, as rpc/writer.c runs them; WAL checkpoints taken
 * by hand every CKPT_EVERY batches, as ozd's checkpointer does) runs on a
 * file database through the crashvfs shim. At I/O points chosen at random
 * (every write, truncate and sync is one) the files are written out as a
 * power cut there could leave them (unsynced writes lost, kept or torn)
 * and reopened with the real VFS. Checked at every cut:
 * - integrity_check is ok and the rows form whole batches, in order (no
 *   batch half there, none missing before one that is);
 * - synchronous=FULL: every acknowledged batch is there (the one being
 *   committed may or may not be);
 * - synchronous=NORMAL: what the README promises, every batch acknowledged
 *   before the last completed checkpoint is there; the loss after it is
 *   counted and printed.
 * Seeded: the seed is printed and OZ_CRASH_SEED sets it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/migrate.h"
#include "store/user_store.h"
#include "support/crashvfs.h"
#include "support/db.h"

#define BATCHES    300 /* Transactions per run. */
#define PER_BATCH  4   /* Inserts per transaction. */
#define CKPT_EVERY 40  /* Batches between checkpoints. */
#define CUT_PER_K  100 /* Chance per I/O point of a cut, in 1/1000. */
#define CUTS_MAX   400 /* Cuts per run, at most. */

struct run {
	test_tmpdb db;
	char img[320];
	uint64_t seed, rng;
	store_sync sync;
	int acked;        /* Batches whose COMMIT returned OK. */
	int checkpointed; /* Batches acknowledged before the last checkpoint.
			   */
	int points, cuts, max_lost, lost_cuts;
};

static uint64_t
seed_from_env(void)
{
	const char *s = getenv("OZ_CRASH_SEED");
	if (s != NULL && *s != '\0') {
		return strtoull(s, NULL, 10);
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t) ts.tv_sec * 1000003u) ^ (uint64_t) ts.tv_nsec ^
	       (uint64_t) getpid();
}

static void
remove_image(const struct run *r)
{
	static const char *const ext[] = {"", "-wal", "-shm"};
	char path[400];
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/test.db%s", r->img, ext[i]);
		unlink(path);
	}
}

/* One power cut, now: write the image and check it. */
static void
cut(struct run *r)
{
	char path[400], why[256];
	r->cuts++;
	assert_true(crashvfs_image(r->img, &r->rng) >= 1);
	snprintf(path, sizeof(path), "%s/test.db", r->img);
	if (crashvfs_integrity(path, why, sizeof(why)) != 0) {
		fail_msg("seed %llu cut %d: integrity_check: %s",
			(unsigned long long) r->seed, r->cuts, why);
	}
	int64_t rows = crashvfs_query_int(path, "SELECT count(*) FROM users");
	int64_t batches = crashvfs_query_int(path,
		"SELECT coalesce(max(CAST(substr(username, 2, 6) AS "
		"INTEGER)) + 1, 0) FROM users");
	if (rows != batches * PER_BATCH) {
		fail_msg("seed %llu cut %d: %lld rows for %lld batches: a "
			 "batch is half there or one is missing",
			(unsigned long long) r->seed, r->cuts,
			(long long) rows, (long long) batches);
	}
	int floor = r->sync == STORE_SYNC_FULL ? r->acked : r->checkpointed;
	if (batches < floor || batches > r->acked + 1) {
		fail_msg("seed %llu cut %d (%s): %lld batches there, %d "
			 "acknowledged, %d checkpointed",
			(unsigned long long) r->seed, r->cuts,
			store_sync_name(r->sync), (long long) batches,
			r->acked, r->checkpointed);
	}
	if (batches < r->acked) {
		r->lost_cuts++;
		if (r->acked - batches > r->max_lost) {
			r->max_lost = r->acked - (int) batches;
		}
	}
	remove_image(r);
}

static void
at_point(void *arg)
{
	struct run *r = arg;
	r->points++;
	if (r->cuts < CUTS_MAX &&
		crashvfs_rand(&r->rng) % 1000 < (uint64_t) CUT_PER_K) {
		cut(r);
	}
}

/* One batch as the writer runs it: each insert in its savepoint. */
static void
write_batch(store_conn *c, int b)
{
	char name[32], email[48];
	oz_status st;
	assert_int_equal(store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
	for (int i = 0; i < PER_BATCH; i++) {
		snprintf(name, sizeof(name), "b%06d_%d", b, i);
		snprintf(email, sizeof(email), "%s@example.com", name);
		store_user u = {.username = name,
			.email = email,
			.is_active = true,
			.create_us = store_now_us()};
		assert_int_equal(
			store_tx_begin(c, STORE_TX_WRITE, &st), OZ_OK);
		oz_code rc = store_user_insert(c, &u, &st);
		assert_int_equal(store_tx_end(c, rc, &st), OZ_OK);
	}
	assert_int_equal(store_tx_end(c, OZ_OK, &st), OZ_OK);
}

static void
run_cuts(store_sync sync)
{
	struct run r = {.sync = sync};
	oz_status st;
	store_conn *c = NULL;
	r.seed = seed_from_env();
	r.rng = r.seed != 0 ? r.seed : 1;
	test_tmpdb_init(&r.db);
	snprintf(r.img, sizeof(r.img), "%s/cut", r.db.dir);
	assert_int_equal(mkdir(r.img, 0700), 0);
	assert_int_equal(crashvfs_register(r.db.dir), 0);

	store_config cfg;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), "%s", r.db.path);
	cfg.synchronous = sync;
	assert_int_equal(store_open(&c, &cfg, &st), OZ_OK);
	assert_int_equal(store_migrate_upgrade(c, "head", &st), OZ_OK);
	/* The schema durable first, as a deployed database's is (under
	 * NORMAL a fresh one's migration is not synced until a checkpoint). */
	assert_int_equal(store_checkpoint(c, &st), OZ_OK);
	store_manual_checkpoints(c);
	crashvfs_set_point(at_point, &r);
	for (int b = 0; b < BATCHES; b++) {
		write_batch(c, b);
		r.acked = b + 1;
		if (r.acked % CKPT_EVERY == 0) {
			assert_int_equal(
				store_checkpoint_passive(c, &st), OZ_OK);
			r.checkpointed = r.acked;
		}
	}
	crashvfs_set_point(NULL, NULL);
	store_close(c);
	crashvfs_unregister();
	printf("power_loss %s: seed %llu (OZ_CRASH_SEED), %d I/O points, "
	       "%d cuts, %d with acknowledged batches lost (at most %d)\n",
		store_sync_name(sync), (unsigned long long) r.seed, r.points,
		r.cuts, r.lost_cuts, r.max_lost);
	assert_true(r.cuts >= 100);
	if (sync == STORE_SYNC_FULL) {
		assert_int_equal(r.lost_cuts, 0);
	}
	rmdir(r.img);
	test_tmpdb_fini(&r.db);
}

static void
full_keeps_every_acknowledged_write(void **state)
{
	(void) state;
	run_cuts(STORE_SYNC_FULL);
}

static void
normal_loses_only_writes_after_the_last_checkpoint(void **state)
{
	(void) state;
	run_cuts(STORE_SYNC_NORMAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_keeps_every_acknowledged_write),
		cmocka_unit_test(
			normal_loses_only_writes_after_the_last_checkpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
