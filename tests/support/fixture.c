/* tests/support/fixture.c -- migrated database + service context for
 * store and service tests (see fixture.h). Fails the running test on any
 * unexpected error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/list.h"
#include "store/migrate.h"
#include "fixture.h"

static int
setup(void **state, bool on_file)
{
	fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	fx->on_file = on_file && test_db_postgres_url() == NULL;
	if (test_db_postgres_url() != NULL) {
		fx->db = test_db_postgres_fresh(); /* At head already. */
	} else if (on_file) {
		test_tmpdb_init(&fx->tmp);
		fx->db = test_db_file(&fx->tmp);
	} else {
		fx->db = test_db_memory();
	}
	if (test_db_postgres_url() == NULL &&
		store_migrate_upgrade(fx->db, "head", &fx->st) != OZ_OK) {
		fail_msg("migrate: %s", fx->st.message);
	}
	arena_init(&fx->arena, 0, 0);
	fx->cx.db = fx->db;
	fx->cx.arena = &fx->arena;
	fx->cx.serving = true;
	*state = fx;
	return 0;
}

int
fx_setup_memory(void **state)
{
	return setup(state, false);
}

int
fx_setup_file(void **state)
{
	return setup(state, true);
}

int
fx_teardown(void **state)
{
	fixture *fx = *state;
	assert_int_equal(store_tx_depth(fx->db), 0);
	store_close(fx->db);
	if (fx->on_file) {
		test_tmpdb_fini(&fx->tmp);
	}
	arena_fini(&fx->arena);
	free(fx);
	return 0;
}

store_conn *
fx_connect(fixture *fx)
{
	if (test_db_postgres_url() != NULL) {
		return test_db_postgres_open();
	}
	assert_true(fx->on_file);
	return test_db_file(&fx->tmp);
}

void
fx_reset(fixture *fx)
{
	arena_reset(&fx->arena);
}

oz_code
fx_call(fixture *fx, service_fn fn, const void *in, void *out)
{
	oz_status_clear(&fx->st);
	oz_code rc = fn(&fx->cx, in, out, &fx->st);
	assert_int_equal(rc, fx->st.code);
	assert_int_equal(store_tx_depth(fx->db), 0);
	if (rc == OZ_OK) {
		assert_int_equal(fx->st.n_violations, 0);
	}
	return rc;
}

void
fx_expect(fixture *fx, oz_code code, const char *message)
{
	if (fx->st.code != code || strcmp(fx->st.message, message) != 0) {
		fail_msg("expected %s \"%s\", got %s \"%s\"",
			oz_code_name(code), message, oz_code_name(fx->st.code),
			fx->st.message);
	}
}

void
fx_expect_fields(fixture *fx, int n, ...)
{
	va_list ap;
	va_start(ap, n);
	assert_int_equal(fx->st.n_violations, (size_t) n);
	for (int i = 0; i < n; i++) {
		const char *field = va_arg(ap, const char *);
		assert_string_equal(fx->st.violations[i].field, field);
		assert_true(fx->st.violations[i].description[0] != '\0');
	}
	va_end(ap);
}

Oz__V1__User *
fx_user(fixture *fx, const char *username, const char *email)
{
	Oz__V1__CreateUserRequest req = OZ__V1__CREATE_USER_REQUEST__INIT;
	Oz__V1__User *out = arena_alloc(&fx->arena, sizeof(*out));
	assert_non_null(out);
	oz__v1__user__init(out);
	req.username = (char *) username;
	req.email = (char *) email;
	if (fx_call(fx, service_user_create, &req, out) != OZ_OK) {
		fail_msg("create %s: %s", username, fx->st.message);
	}
	return out;
}

Oz__V1__Task *
fx_task(fixture *fx, int64_t user_id, const char *title, int status)
{
	Oz__V1__CreateTaskRequest req = OZ__V1__CREATE_TASK_REQUEST__INIT;
	Oz__V1__Task *out = arena_alloc(&fx->arena, sizeof(*out));
	assert_non_null(out);
	oz__v1__task__init(out);
	req.user_id = user_id;
	req.title = (char *) title;
	req.status = (Oz__V1__TaskStatus) status;
	if (fx_call(fx, service_task_create, &req, out) != OZ_OK) {
		fail_msg("create task %s: %s", title, fx->st.message);
	}
	return out;
}

oz_code
fx_get_user(fixture *fx, int64_t id, int view, Oz__V1__User *out)
{
	Oz__V1__GetUserRequest req = OZ__V1__GET_USER_REQUEST__INIT;
	req.id = id;
	req.view = (Oz__V1__UserView) view;
	oz__v1__user__init(out);
	return fx_call(fx, service_user_get, &req, out);
}

oz_code
fx_get_task(fixture *fx, int64_t id, Oz__V1__Task *out)
{
	Oz__V1__GetTaskRequest req = OZ__V1__GET_TASK_REQUEST__INIT;
	req.id = id;
	oz__v1__task__init(out);
	return fx_call(fx, service_task_get, &req, out);
}

bool
fx_plan_indexed(const char *plan, const char *table, bool rowid_order)
{
	char bare[64];
	snprintf(bare, sizeof(bare), "SCAN %s", table);
	size_t blen = strlen(bare);
	for (const char *line = plan; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len =
			end != NULL ? (size_t) (end - line) : strlen(line);
		char copy[512];
		snprintf(copy, sizeof(copy), "%.*s", (int) len, line);
		bool scan = strncmp(copy, bare, blen) == 0 &&
			    (copy[blen] == '\0' || copy[blen] == ' ');
		if (scan && strstr(copy, "INDEX") == NULL &&
			(!rowid_order ||
				strstr(plan, "TEMP B-TREE") != NULL)) {
			return false;
		}
		line += len + (end != NULL);
	}
	return true;
}

const char *
fx_expect_indexed(
	fixture *fx, const char *sql, const char *table, bool rowid_order)
{
	char *plan = NULL;
	oz_status st;
	test_sqlite_only("query plans are SQLite's EXPLAIN QUERY PLAN");
	if (store_explain(fx->db, sql, &fx->arena, &plan, &st) != OZ_OK) {
		fail_msg("explain %s: %s", sql, st.message);
	}
	if (!fx_plan_indexed(plan, table, rowid_order)) {
		fail_msg(
			"full scan of %s in\n%s\nplan:\n%s", table, sql, plan);
	}
	return plan;
}

int
fx_expect_list_shapes(fixture *fx, const char *table, int n_filters,
	int n_cols, fx_list_sql_fn sql)
{
	store_value after[STORE_ORDER_MAX];
	char buf[8192];
	oz_status st;
	int shapes = 0;
	for (int k = 0; k < STORE_ORDER_MAX; k++) {
		after[k] = (store_value) {STORE_INT, 1, NULL};
	}
	/* col2 > 0 adds a second sort key (in the other direction). */
	for (int f = 0; f < n_filters; f++) {
		for (int col = 0; col < n_cols * n_cols; col++) {
			int col1 = col % n_cols, col2 = col / n_cols;
			if (col2 != 0 && (col1 == 0 || col1 == col2)) {
				continue;
			}
			for (int shape = 0; shape < 4; shape++) {
				bool desc = shape & 1, cursor = shape & 2;
				store_order o = {0};
				if (col1 != 0) {
					o.keys[o.n].col = col1;
					o.keys[o.n++].desc = desc;
				}
				if (col2 != 0) {
					o.keys[o.n].col = col2;
					o.keys[o.n++].desc = !desc;
				}
				o.keys[o.n].col = 0;
				o.keys[o.n++].desc = desc;
				store_page p = {
					&o, cursor ? after : NULL, 51, 7};
				assert_int_equal(
					sql(f, &p, buf, sizeof(buf), &st),
					OZ_OK);
				fx_expect_indexed(fx, buf, table, col1 == 0);
				shapes++;
			}
		}
	}
	return shapes;
}

const char *
fx_repeat(fixture *fx, const char *unit, int n)
{
	size_t len = strlen(unit);
	char *s = arena_alloc(&fx->arena, len * (size_t) n + 1);
	assert_non_null(s);
	for (int i = 0; i < n; i++) {
		memcpy(s + len * (size_t) i, unit, len);
	}
	s[len * (size_t) n] = '\0';
	return s;
}
