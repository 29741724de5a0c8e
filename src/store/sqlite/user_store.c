/* store/sqlite/user_store.c -- SQL for the users table. Records in, records
 * out: no protobuf here. Every value is bound; the only SQL text assembled at
 * run time is a list query made from the fixed pieces below (keyset.h). */
#include <string.h>

#include "store/sqlite/keyset.h"
#include "store/user_store.h"

#define USER_COLS                                                             \
	"id, username, email, is_active, create_time, update_time, version"

const store_column store_user_columns[STORE_USER_NCOLS] = {
	[STORE_USER_ID] = {"id", "id", STORE_INT},
	[STORE_USER_USERNAME] = {"username", "username", STORE_TEXT},
	[STORE_USER_EMAIL] = {"email", "email COLLATE NOCASE", STORE_TEXT},
	[STORE_USER_CREATE_TIME] = {"create_time", "create_time", STORE_INT},
};

static const char sql_insert[] =
	"INSERT INTO users (username, email, is_active, create_time, "
	"update_time, version) VALUES (?2, ?3, ?4, ?5, ?5, ?6)";
static const char sql_get[] = "SELECT " USER_COLS " FROM users WHERE id = ?1";
static const char sql_get_by_email[] =
	"SELECT " USER_COLS " FROM users WHERE email = ?1 COLLATE NOCASE";
static const char sql_email_taken[] =
	"SELECT EXISTS (SELECT 1 FROM users WHERE email = ?1 COLLATE NOCASE "
	"AND id <> ?2)";
/* UPDATE by the columns that change (index: the STORE_USER_SAME_* bits
 * NOT set): every index on a column named in SET is rewritten even when
 * the value stays, and username and email have unique indexes, is_active
 * one (see the same in task_store.c). */
#define UPD(cols)                                                             \
	"UPDATE users SET " cols "update_time = ?5, version = ?6 WHERE id = " \
	"?1"
static const char sql_update0[] = UPD("");
static const char sql_update1[] = UPD("username = ?2, ");
static const char sql_update2[] = UPD("email = ?3, ");
static const char sql_update3[] = UPD("username = ?2, email = ?3, ");
static const char sql_update4[] = UPD("is_active = ?4, ");
static const char sql_update5[] = UPD("username = ?2, is_active = ?4, ");
static const char sql_update6[] = UPD("email = ?3, is_active = ?4, ");
static const char sql_update7[] =
	UPD("username = ?2, email = ?3, is_active = ?4, ");
static const char *const sql_update[8] = {sql_update0, sql_update1,
	sql_update2, sql_update3, sql_update4, sql_update5, sql_update6,
	sql_update7};
static const char sql_delete[] = "DELETE FROM users WHERE id = ?1";
static const char sql_count_all[] = "SELECT count(*) FROM users";
static const char sql_count_active[] =
	"SELECT count(*) FROM users WHERE is_active = ?1";

static const char *const statements[] = {sql_insert, sql_get, sql_get_by_email,
	sql_email_taken, sql_update0, sql_update1, sql_update2, sql_update3,
	sql_update4, sql_update5, sql_update6, sql_update7, sql_delete,
	sql_count_all, sql_count_active, NULL};

const char *const *
store_user_statements(void)
{
	return statements;
}

/* Copies the current row of a USER_COLS statement into *u. */
static oz_code
read_user(sqlite3_stmt *s, arena *a, void *row, oz_status *st)
{
	store_user *u = row;
	u->id = sqlite3_column_int64(s, 0);
	u->username = store_column_text(s, 1, a);
	u->email = store_column_text(s, 2, a);
	u->is_active = sqlite3_column_int(s, 3) != 0;
	u->create_us = sqlite3_column_int64(s, 4);
	u->update_us = sqlite3_column_int64(s, 5);
	u->version = sqlite3_column_int64(s, 6);
	u->same = 0;
	if (u->username == NULL || u->email == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	return OZ_OK;
}

static void
bind_id(sqlite_binder *b, const void *arg)
{
	sqlite_bind_int(b, 1, *(const int64_t *) arg);
}

static void
bind_text(sqlite_binder *b, const void *arg)
{
	sqlite_bind_text(b, 1, arg);
}

static void
bind_filter(sqlite_binder *b, const void *arg)
{
	const store_user_filter *f = arg;
	if (f->by_active) {
		sqlite_bind_int(b, 1, f->is_active ? 1 : 0);
	}
}

/* ?1 id, ?2 username, ?3 email, ?4 is_active, ?5 update (and, on insert,
 * create) time, ?6 version; the insert does not use ?1. */
static void
bind_user(sqlite_binder *b, const void *arg)
{
	const store_user *u = arg;
	sqlite_bind_text(b, 2, u->username);
	sqlite_bind_text(b, 3, u->email);
	sqlite_bind_int(b, 4, u->is_active ? 1 : 0);
	sqlite_bind_int(b, 5, u->update_us);
	sqlite_bind_int(b, 6, u->version);
	sqlite_bind_int(b, 1, u->id);
}

static void
bind_conflict(sqlite_binder *b, const void *arg)
{
	const store_user *u = arg;
	sqlite_bind_text(b, 1, u->email);
	sqlite_bind_int(b, 2, u->id);
}

/* Runs a lookup of at most one row. */
static oz_code
get_one(store_conn *c, const char *sql, sqlite_bind_fn bind, const void *arg,
	arena *a, store_user *out, oz_status *st)
{
	void *rows;
	size_t n;
	oz_code rc = sqlite_query_rows(c, sql, bind, arg, 1, sizeof(*out),
		read_user, a, &rows, &n, st);
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
sqlite_user_get(
	store_conn *c, int64_t id, arena *a, store_user *out, oz_status *st)
{
	return get_one(c, sql_get, bind_id, &id, a, out, st);
}

oz_code
sqlite_user_get_by_email(store_conn *c, const char *email, arena *a,
	store_user *out, oz_status *st)
{
	return get_one(c, sql_get_by_email, bind_text, email, a, out, st);
}

/* Runs an insert or update of u; a unique violation is reported as the
 * column that collided (the email first). */
static oz_code
write_user(store_conn *c, const char *sql, const store_user *u,
	int64_t *changes, oz_status *st)
{
	oz_code rc = sqlite_query_exec(c, sql, bind_user, u, changes, st);
	if (rc != OZ_ALREADY_EXISTS) {
		return rc;
	}
	int64_t taken = 0;
	if ((rc = sqlite_query_int(c, sql_email_taken, bind_conflict, u,
		     &taken, st)) != OZ_OK) {
		return rc;
	}
	return taken ? oz_fail(st, OZ_ALREADY_EXISTS,
			       "Email already registered")
		     : oz_fail(st, OZ_ALREADY_EXISTS,
			       "Username already taken");
}

oz_code
sqlite_user_insert(store_conn *c, store_user *u, oz_status *st)
{
	u->id = 0;
	u->update_us = u->create_us;
	u->version = 1;
	oz_code rc = write_user(c, sql_insert, u, NULL, st);
	if (rc == OZ_OK) {
		u->id = sqlite3_last_insert_rowid(c->db);
	}
	return rc;
}

oz_code
sqlite_user_update(store_conn *c, const store_user *u, oz_status *st)
{
	int64_t changes = 0;
	oz_code rc = write_user(c, sql_update[~u->same & 7u], u, &changes, st);
	if (rc == OZ_OK && changes == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "User not found");
	}
	return rc;
}

oz_code
sqlite_user_delete(store_conn *c, int64_t id, oz_status *st)
{
	int64_t changes = 0;
	oz_code rc =
		sqlite_query_exec(c, sql_delete, bind_id, &id, &changes, st);
	if (rc == OZ_OK && changes == 0) {
		return oz_fail(st, OZ_NOT_FOUND, "User not found");
	}
	return rc;
}

oz_code
sqlite_user_count(
	store_conn *c, const store_user_filter *f, int64_t *n, oz_status *st)
{
	return sqlite_query_int(c,
		f->by_active ? sql_count_active : sql_count_all, bind_filter,
		f, n, st);
}

static const keyset_table table = {
	"users", USER_COLS, store_user_columns, STORE_USER_NCOLS};

/* The list filter. is_active has two values, so its index narrows little:
 * when the order starts with another column, "+is_active" keeps SQLite
 * off the users_active index and walking the order's own index instead
 * (filtering as it goes) rather than sorting every active user for each
 * page. Ordered by id, users_active (is_active, id) is exact. */
static const char *
list_filter(const store_user_filter *f, const store_page *p)
{
	if (!f->by_active) {
		return "";
	}
	return p->order->n > 0 && p->order->keys[0].col != STORE_USER_ID
		       ? "+is_active = ?1"
		       : "is_active = ?1";
}

oz_code
store_user_list_sql(const store_user_filter *f, const store_page *p, char *buf,
	size_t cap, oz_status *st)
{
	return keyset_sql(buf, cap, &table, list_filter(f, p), p, st);
}

oz_code
sqlite_user_list(store_conn *c, const store_user_filter *f,
	const store_page *p, arena *a, store_user **rows, size_t *n_rows,
	oz_status *st)
{
	return keyset_list(c, &table, list_filter(f, p), bind_filter, f, p,
		sizeof(**rows), read_user, a, (void **) rows, n_rows, st);
}

void
store_user_key(const store_user *u, int col, store_value *v)
{
	v->type = store_user_columns[col].type;
	v->i = 0;
	v->s = NULL;
	switch (col) {
	case STORE_USER_USERNAME:
		v->s = u->username;
		break;
	case STORE_USER_EMAIL:
		v->s = u->email;
		break;
	case STORE_USER_CREATE_TIME:
		v->i = u->create_us;
		break;
	default:
		v->i = u->id;
		break;
	}
}
