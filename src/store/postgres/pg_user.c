/* store/postgres/pg_user.c -- SQL for the users table in PostgreSQL,
 * with the contract of store/user_store.h. Emails compare through
 * lower() on "C"-collated text, which folds ASCII only, as SQLite's
 * NOCASE does; the unique index users_email is on lower(email).
 *
 * A failed statement spoils a PostgreSQL transaction, so unique
 * conflicts are avoided rather than caught: the insert is ON CONFLICT DO
 * NOTHING and the update carries its own NOT EXISTS guard; when no row
 * changed, one more query says why. Under SERIALIZABLE a conflict with a
 * concurrent transaction becomes a retried 40001, not a wrong answer. */

#include "store/postgres/pg_impl.h"

#define USER_COLS                                                             \
	"id, username, email, is_active, create_time, update_time, version"
#define SAME_EMAIL(p) "lower(email) = lower(" p " COLLATE \"C\")"

/* The API columns of store_user_columns, with PostgreSQL expressions. */
static const store_column columns[STORE_USER_NCOLS] = {
	[STORE_USER_ID] = {"id", "id", STORE_INT},
	[STORE_USER_USERNAME] = {"username", "username", STORE_TEXT},
	[STORE_USER_EMAIL] = {"email", "lower(email)", STORE_TEXT},
	[STORE_USER_CREATE_TIME] = {"create_time", "create_time", STORE_INT},
};

static const char sql_insert[] =
	"INSERT INTO users (username, email, is_active, create_time, "
	"update_time, version) VALUES ($1, $2, $3, $4, $4, 1) "
	"ON CONFLICT DO NOTHING RETURNING id";
static const char sql_get[] = "SELECT " USER_COLS " FROM users WHERE id = $1";
static const char sql_get_by_email[] =
	"SELECT " USER_COLS " FROM users WHERE " SAME_EMAIL("$1");
static const char sql_update[] =
	"UPDATE users SET username = $2, email = $3, is_active = $4, "
	"update_time = $5, version = $6 WHERE id = $1 AND NOT EXISTS "
	"(SELECT 1 FROM users WHERE id <> $1 AND (username = $2 OR "
	"lower(email) = lower($3 COLLATE \"C\")))";
/* Why a write changed nothing: does the row exist, is the email taken. */
static const char sql_why[] =
	"SELECT EXISTS (SELECT 1 FROM users WHERE id = $1), "
	"EXISTS (SELECT 1 FROM users WHERE " SAME_EMAIL("$2") " AND id <> $1)";
static const char sql_delete[] = "DELETE FROM users WHERE id = $1";
static const char sql_count_all[] = "SELECT count(*) FROM users";
static const char sql_count_active[] =
	"SELECT count(*) FROM users WHERE is_active = $1";

/* Copies row r of a USER_COLS result into *row. */
static oz_code
read_user(const PGresult *res, int r, arena *a, void *row, oz_status *st)
{
	store_user *u = row;
	u->id = pg_get_int(res, r, 0);
	u->username = pg_get_text(res, r, 1, a);
	u->email = pg_get_text(res, r, 2, a);
	u->is_active = pg_get_bool(res, r, 3);
	u->create_us = pg_get_int(res, r, 4);
	u->update_us = pg_get_int(res, r, 5);
	u->version = pg_get_int(res, r, 6);
	if (u->username == NULL || u->email == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

static oz_code
get_one(pg_conn *c, const char *sql, const pg_params *p, arena *a,
	store_user *out, oz_status *st)
{
	void *rows;
	size_t n;
	oz_code rc = pg_query_rows(
		c, sql, p, sizeof(*out), read_user, a, &rows, &n, st);
	if (rc != OZ_OK) {
		return rc;
	}
	if (n == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "User not found");
	}
	*out = *(store_user *) rows;
	return OZ_OK;
}

oz_code
pg_user_get(pg_conn *c, int64_t id, arena *a, store_user *out, oz_status *st)
{
	pg_params p;
	pg_params_init(&p);
	pg_param_int(&p, 1, id);
	return get_one(c, sql_get, &p, a, out, st);
}

oz_code
pg_user_get_by_email(pg_conn *c, const char *email, arena *a, store_user *out,
	oz_status *st)
{
	pg_params p;
	pg_params_init(&p);
	pg_param_text(&p, 1, email);
	return get_one(c, sql_get_by_email, &p, a, out, st);
}

/* After a write of u that changed no row: NOT_FOUND when u->id names no
 * user (updates only), else which unique column collided, the email
 * first (as on SQLite). */
static oz_code
why_unchanged(pg_conn *c, const store_user *u, bool update, oz_status *st)
{
	pg_params p;
	PGresult *res;
	pg_params_init(&p);
	pg_param_int(&p, 1, update ? u->id : 0);
	pg_param_text(&p, 2, u->email);
	oz_code rc = pg_query(c, sql_why, &p, &res, st);
	if (rc != OZ_OK) {
		return rc;
	}
	bool exists = pg_get_bool(res, 0, 0);
	bool email_taken = pg_get_bool(res, 0, 1);
	PQclear(res);
	if (update && !exists) {
		return oz_fail(st, OZ_NOT_FOUND, "User not found");
	}
	return email_taken ? oz_fail(st, OZ_ALREADY_EXISTS,
				     "Email already registered")
			   : oz_fail(st, OZ_ALREADY_EXISTS,
				     "Username already taken");
}

oz_code
pg_user_insert(pg_conn *c, store_user *u, oz_status *st)
{
	pg_params p;
	PGresult *res;
	u->id = 0;
	u->update_us = u->create_us;
	u->version = 1;
	pg_params_init(&p);
	pg_param_text(&p, 1, u->username);
	pg_param_text(&p, 2, u->email);
	pg_param_bool(&p, 3, u->is_active);
	pg_param_int(&p, 4, u->create_us);
	oz_code rc = pg_query(c, sql_insert, &p, &res, st);
	if (rc != OZ_OK) {
		return rc;
	}
	bool inserted = PQntuples(res) == 1;
	if (inserted) {
		u->id = pg_get_int(res, 0, 0);
	}
	PQclear(res);
	return inserted ? OZ_OK : why_unchanged(c, u, false, st);
}

oz_code
pg_user_update(pg_conn *c, const store_user *u, oz_status *st)
{
	pg_params p;
	int64_t changes = 0;
	pg_params_init(&p);
	pg_param_int(&p, 1, u->id);
	pg_param_text(&p, 2, u->username);
	pg_param_text(&p, 3, u->email);
	pg_param_bool(&p, 4, u->is_active);
	pg_param_int(&p, 5, u->update_us);
	pg_param_int(&p, 6, u->version);
	oz_code rc = pg_query_exec(c, sql_update, &p, &changes, st);
	if (rc == OZ_OK && changes == 0) {
		return why_unchanged(c, u, true, st);
	}
	return rc;
}

oz_code
pg_user_delete(pg_conn *c, int64_t id, oz_status *st)
{
	pg_params p;
	int64_t changes = 0;
	pg_params_init(&p);
	pg_param_int(&p, 1, id);
	oz_code rc = pg_query_exec(c, sql_delete, &p, &changes, st);
	if (rc == OZ_OK && changes == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "User not found");
	}
	return rc;
}

/* $1 is_active when the filter has it. */
static void
filter_params(const store_user_filter *f, pg_params *p)
{
	pg_params_init(p);
	if (f->by_active) {
		pg_param_bool(p, 1, f->is_active);
	}
}

oz_code
pg_user_count(
	pg_conn *c, const store_user_filter *f, int64_t *n, oz_status *st)
{
	pg_params p;
	filter_params(f, &p);
	return pg_query_int(
		c, f->by_active ? sql_count_active : sql_count_all, &p, n, st);
}

static const keyset_table table = {
	"users", USER_COLS, columns, STORE_USER_NCOLS};

oz_code
pg_user_list(pg_conn *c, const store_user_filter *f, const store_page *p,
	arena *a, store_user **rows, size_t *n_rows, oz_status *st)
{
	pg_params pp;
	filter_params(f, &pp);
	return pg_list_rows(c, &table, f->by_active ? "is_active = $1" : "",
		&pp, p, STORE_USER_EMAIL, sizeof(**rows), read_user, a,
		(void **) rows, n_rows, st);
}
