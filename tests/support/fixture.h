/* tests/support/fixture.h -- a migrated database plus a service context,
 * for store and service tests; helpers that call handlers the way the rpc
 * layer does and check statuses. Test code only: helpers fail the running
 * cmocka test instead of returning errors. */
#ifndef OZ_TESTS_SUPPORT_FIXTURE_H
#define OZ_TESTS_SUPPORT_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "oz/v1/task_service.pb-c.h"
#include "oz/v1/user_service.pb-c.h"
#include "service/service.h"
#include "store/list.h"
#include "db.h"

typedef struct fixture {
	store_conn *db;
	bool on_file;
	test_tmpdb tmp;
	arena arena; /* Every reply of a helper lives here until reset. */
	service_ctx cx;
	oz_status st; /* Status of the last fx_call. */
} fixture;

/* cmocka setup/teardown: a database migrated to head, on :memory: or on a
 * temporary file (removed by the teardown); both are the emptied
 * PostgreSQL database of OZ_TEST_DATABASE_URL when it names one
 * (support/db.h). *state is the fixture. */
int fx_setup_memory(void **state);
int fx_setup_file(void **state);
int fx_teardown(void **state);

/* Another connection to the fixture's database (a file fixture's, or
 * the PostgreSQL one), closed by the caller with store_close. */
store_conn *fx_connect(fixture *fx);

/* Releases every reply (the arena). */
void fx_reset(fixture *fx);

/* Calls fn(in) with out (a message initialised by the caller) the way the
 * rpc layer does, with a cleared status; checks that the handler's code
 * equals fx->st.code and that no transaction is left open. */
oz_code fx_call(fixture *fx, service_fn fn, const void *in, void *out);

/* Fails the test unless the last call ended with code and message. */
void fx_expect(fixture *fx, oz_code code, const char *message);

/* Fails the test unless the last status has exactly the violations for
 * the n fields given (in order). */
void fx_expect_fields(fixture *fx, int n, ...);

/* Creates a user (is_active true); fails the test on error. The reply
 * lives in the arena. */
Oz__V1__User *fx_user(fixture *fx, const char *username, const char *email);

/* Creates a task; fails the test on error. */
Oz__V1__Task *fx_task(
	fixture *fx, int64_t user_id, const char *title, int status);

/* GetUser; returns the code (reply in *out, initialised here). */
oz_code fx_get_user(fixture *fx, int64_t id, int view, Oz__V1__User *out);

/* GetTask; returns the code (reply in *out, initialised here). */
oz_code fx_get_task(fixture *fx, int64_t id, Oz__V1__Task *out);

/* True unless plan (EXPLAIN QUERY PLAN lines) reads table without an index,
 * as fx_expect_indexed explains. */
bool fx_plan_indexed(const char *plan, const char *table, bool rowid_order);

/* Runs EXPLAIN QUERY PLAN for sql and fails the test when the plan reads
 * table without an index: a line "SCAN <table>" with no "USING ... INDEX"
 * is allowed only when rowid_order (the query walks the table in id
 * order, which the rowid b-tree serves) and the plan sorts nothing in a
 * temporary b-tree. Returns the plan (in the arena). */
const char *fx_expect_indexed(
	fixture *fx, const char *sql, const char *table, bool rowid_order);

/* Writes the list SQL of one filter variant (0..n_filters-1) for p. */
typedef oz_code (*fx_list_sql_fn)(
	int filter, const store_page *p, char *buf, size_t cap, oz_status *st);

/* Runs fx_expect_indexed on the list query of every filter variant x
 * every order of one sortable column or two (then id), both ways, x first
 * page and after a cursor. Returns the number of shapes checked. */
int fx_expect_list_shapes(fixture *fx, const char *table, int n_filters,
	int n_cols, fx_list_sql_fn sql);

/* Returns n copies of unit, from the arena. */
const char *fx_repeat(fixture *fx, const char *unit, int n);

#endif /* OZ_TESTS_SUPPORT_FIXTURE_H */
