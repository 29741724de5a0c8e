/* tests/support/server.c -- see server.h. Tests only. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "store/migrate.h"
#include "support/server.h"

void
test_server_init(test_server *t)
{
	static int seq;
	memset(t, 0, sizeof(*t));
	oz_status st;
	test_tmpdb_init(&t->db);
	rpc_server_config_init(&t->cfg);
	if (test_db_postgres_url() != NULL) {
		store_close(test_db_postgres_fresh()); /* At head. */
		assert_int_equal(store_url_parse(test_db_postgres_url(),
					 &t->cfg.store, &st),
			OZ_OK);
	} else {
		store_conn *c = test_db_file(&t->db);
		assert_int_equal(store_migrate_upgrade(c, "head", &st), OZ_OK);
		store_close(c);
		snprintf(t->cfg.store.path, sizeof(t->cfg.store.path), "%s",
			t->db.path);
	}
	log_set_level(
		LOG_WARN); /* One line per call would drown the output. */
	snprintf(t->url, sizeof(t->url), "inproc://oz-test-%d-%d",
		(int) getpid(), ++seq);
	t->cfg.listen[0] = t->url;
	t->cfg.n_listen = 1;
}

void
test_server_start(test_server *t)
{
	oz_status st;
	if (rpc_server_start(&t->srv, &t->cfg, &st) != OZ_OK) {
		fail_msg("server did not start: %s", st.message);
	}
}

void
test_server_fini(test_server *t)
{
	rpc_server_stop(t->srv);
	t->srv = NULL;
	test_tmpdb_fini(&t->db);
}
