/* bench/seed.c -- fills a database file with the records the workloads
 * expect, before the server starts (or while it is idle): users 1..N named
 * user%09d, tasks 1..M given out to users in blocks of ceil(M/N), all in
 * ONE transaction through the store layer's prepared inserts, with
 * synchronous=OFF (a seed that dies half-way is simply re-run on a fresh
 * file). Keys grow monotonically in every index, so each insert appends.
 *
 * Must not run against a database that holds other data: it assumes ids
 * 1..N and 1..M are its own. */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "ozbench.h"
#include "store/migrate.h"
#include "store/task_store.h"
#include "store/user_store.h"

#define BASE_US 1764000000000000LL /* 2025-11-24T16:00:00Z */

static oz_code
seed_users(store_conn *db, int64_t from, int64_t to, oz_status *st)
{
	char name[32], email[64];
	for (int64_t i = from; i <= to; i++) {
		snprintf(name, sizeof(name), "user%09lld", (long long) i);
		snprintf(email, sizeof(email), "%s@bench.example", name);
		store_user u = {.username = name,
			.email = email,
			.is_active = true,
			.create_us = BASE_US + i};
		oz_code rc = store_user_insert(db, &u, st);
		if (rc != OZ_OK) {
			return rc;
		}
		if (u.id != i) {
			return oz_fail(st, OZ_FAILED_PRECONDITION,
				"user %lld got id %lld: the database holds "
				"other users; seed a fresh file",
				(long long) i, (long long) u.id);
		}
	}
	return OZ_OK;
}

static oz_code
seed_tasks(store_conn *db, const bench_config *cfg, int64_t from, int64_t to,
	oz_status *st)
{
	char title[32];
	int64_t per = bench_tasks_per_user(cfg);
	for (int64_t i = from; i <= to; i++) {
		snprintf(title, sizeof(title), "task %010lld", (long long) i);
		store_task t = {.title = title,
			.description = "",
			.user_id = (i - 1) / per + 1,
			.status = 1,
			.create_us = BASE_US + i};
		oz_code rc = store_task_insert(db, &t, st);
		if (rc != OZ_OK) {
			return rc;
		}
		if (t.id != i) {
			return oz_fail(st, OZ_FAILED_PRECONDITION,
				"task %lld got id %lld: the database holds "
				"other tasks; seed a fresh file",
				(long long) i, (long long) t.id);
		}
	}
	return OZ_OK;
}

static oz_code
seed(store_conn *db, const bench_config *cfg, oz_status *st)
{
	int64_t have_users = 0, have_tasks = 0;
	store_user_filter uf = {0};
	store_task_filter tf = {0};
	oz_code rc = store_migrate_upgrade(db, "head", st);
	if (rc != OZ_OK ||
		(rc = store_user_count(db, &uf, &have_users, st)) != OZ_OK ||
		(rc = store_task_count(db, &tf, &have_tasks, st)) != OZ_OK) {
		return rc;
	}
	if (have_users >= cfg->users && have_tasks >= cfg->tasks) {
		fprintf(stderr,
			"ozbench: database already holds %lld users, %lld "
			"tasks\n",
			(long long) have_users, (long long) have_tasks);
		return OZ_OK;
	}
	uint64_t t0 = bench_now_ns();
	if ((rc = store_tx_begin(db, STORE_TX_WRITE, st)) != OZ_OK) {
		return rc;
	}
	rc = seed_users(db, have_users + 1, cfg->users, st);
	if (rc == OZ_OK) {
		rc = seed_tasks(db, cfg, have_tasks + 1, cfg->tasks, st);
	}
	if ((rc = store_tx_end(db, rc, st)) != OZ_OK) {
		return rc;
	}
	fprintf(stderr, "ozbench: seeded %lld users, %lld tasks in %.1f s\n",
		(long long) (cfg->users - have_users),
		(long long) (cfg->tasks - have_tasks),
		(double) (bench_now_ns() - t0) / 1e9);
	return OZ_OK;
}

int
bench_seed(const bench_config *cfg)
{
	store_config scfg;
	store_conn *db = NULL;
	oz_status st;
	oz_status_clear(&st);
	store_config_init(&scfg);
	scfg.synchronous = STORE_SYNC_OFF;
	oz_code rc = store_url_parse(cfg->database_url, &scfg, &st);
	if (rc == OZ_OK) {
		rc = store_open(&db, &scfg, &st);
	}
	if (rc == OZ_OK) {
		rc = seed(db, cfg, &st);
	}
	if (rc == OZ_OK) {
		rc = store_checkpoint(db, &st);
	}
	store_close(db);
	if (rc != OZ_OK) {
		fprintf(stderr, "ozbench: seeding %s: %s\n", cfg->database_url,
			st.message);
		return 1;
	}
	return 0;
}
