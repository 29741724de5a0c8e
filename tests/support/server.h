/* tests/support/server.h -- start a real in-process ozd server on a
 * temporary, migrated database file for tests. */
#ifndef OZ_TESTS_SERVER_H
#define OZ_TESTS_SERVER_H

#include "rpc/server.h"
#include "support/db.h"

typedef struct test_server {
	test_tmpdb db;
	rpc_server_config cfg;
	rpc_server *srv;
	char url[128];
} test_server;

/* Fills t->cfg with defaults, a fresh migrated database file (or the
 * emptied PostgreSQL database of OZ_TEST_DATABASE_URL: support/db.h) and
 * a unique inproc:// URL. Adjust t->cfg, then call test_server_start. */
void test_server_init(test_server *t);

/* Starts the server; the test fails if it cannot. */
void test_server_start(test_server *t);

/* Stops the server and removes the database. */
void test_server_fini(test_server *t);

#endif /* OZ_TESTS_SERVER_H */
