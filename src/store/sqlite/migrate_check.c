/* store/sqlite/migrate_check.c -- drift detection: compares the live schema
 * with the one the migrations produce in a fresh in-memory database. It reads
 * both schemas and changes neither the live database nor its revision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/db.h"
#include "store/migrate_impl.h"

/* --- Drift check -------------------------------------------------------- */

struct schema_row {
	const char *type, *name, *sql;
};

/* Collapses runs of blanks to one space, drops blanks next to "(),;" and
 * at both ends, and drops the double quotes around identifiers (ALTER TABLE
 * RENAME writes CREATE TABLE "t"), so layout alone is never drift. Text in
 * single-quoted literals is kept as it is. */
static char *
normalize_sql(arena *a, const char *sql)
{
	char *out = arena_alloc(a, strlen(sql) + 1);
	size_t o = 0;
	bool blank = false, literal = false;
	if (out == NULL) {
		return NULL;
	}
	for (const char *p = sql; *p != '\0'; p++) {
		if (literal) {
			out[o++] = *p;
			literal = *p != '\'';
			continue;
		}
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			blank = true;
			continue;
		}
		if (*p == '"') {
			continue;
		}
		bool tight = strchr("(),;", *p) != NULL ||
			     (o > 0 && strchr("(),;", out[o - 1]) != NULL);
		if (blank && o > 0 && !tight) {
			out[o++] = ' ';
		}
		blank = false;
		out[o++] = *p;
		literal = *p == '\'';
	}
	out[o] = '\0';
	return out;
}

/* OUT: *rows, the schema of c without the version table, from a. */
static oz_code
schema_read(store_conn *c, arena *a, struct schema_row **rows, size_t *n,
	oz_status *st)
{
	sqlite3_stmt *s;
	*rows = NULL;
	*n = 0;
	oz_code rc = store_stmt(c,
		"SELECT type, name || ' ON ' || tbl_name, coalesce(sql, ''), "
		"(SELECT count(*) FROM sqlite_master) FROM sqlite_master "
		"WHERE name <> 'oz_migrations' "
		"AND name NOT GLOB 'sqlite_autoindex_oz_migrations_*' "
		"AND name NOT GLOB 'sqlite_stat*' "
		/* SQLite's own, made by AUTOINCREMENT (0004) and never
		 * dropped: its presence is not schema drift. */
		"AND name <> 'sqlite_sequence' ORDER BY type, name",
		&s, st);
	if (rc != OZ_OK) {
		return rc;
	}
	int src;
	size_t i = 0;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		if (*rows == NULL) {
			*rows = arena_alloc(
				a, (size_t) sqlite3_column_int64(s, 3) *
					   sizeof(**rows));
		}
		struct schema_row *r = *rows != NULL ? &(*rows)[i] : NULL;
		if (r == NULL ||
			(r->type = store_column_text(s, 0, a)) == NULL ||
			(r->name = store_column_text(s, 1, a)) == NULL ||
			(r->sql = normalize_sql(a,
				 (const char *) sqlite3_column_text(s, 2))) ==
				NULL) {
			store_stmt_done(s);
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
		i++;
	}
	store_stmt_done(s);
	*n = i;
	return src == SQLITE_DONE ? OZ_OK : store_error(c, src, st);
}

static int
row_cmp(const struct schema_row *a, const struct schema_row *b)
{
	int d = strcmp(a->type, b->type);
	return d != 0 ? d : strcmp(a->name, b->name);
}

/* Compares the live schema with the expected one (both sorted). */
static oz_code
schema_compare(const struct schema_row *live, size_t nl,
	const struct schema_row *want, size_t nw, const char *rev,
	oz_status *st)
{
	char first[160] = "";
	size_t i = 0, j = 0, diffs = 0;
	while (i < nl || j < nw) {
		int d = i == nl   ? 1
			: j == nw ? -1
				  : row_cmp(&live[i], &want[j]);
		const struct schema_row *r = d < 0 ? &live[i] : &want[j];
		const char *what = d < 0   ? "the database has an extra"
				   : d > 0 ? "the database lacks"
				   : strcmp(live[i].sql, want[j].sql) != 0
					   ? "the database has a different"
					   : NULL;
		if (what != NULL && diffs++ == 0) {
			snprintf(first, sizeof(first), "%s %s %s", what,
				r->type, r->name);
		}
		i += d <= 0;
		j += d >= 0;
	}
	if (diffs == 0) {
		return OZ_OK;
	}
	return oz_fail(st, OZ_FAILED_PRECONDITION,
		"schema drift at revision %s: %zu difference(s); first: %s",
		rev, diffs, first);
}

static oz_code
check_against(store_conn *c, const struct migset *ms, size_t cur, arena *a,
	oz_status *st)
{
	store_config cfg;
	store_conn *mem = NULL;
	struct schema_row *live, *want;
	size_t nl, nw;
	oz_code rc;
	store_config_init(&cfg);
	snprintf(cfg.path, sizeof(cfg.path), ":memory:");
	if ((rc = store_open(&mem, &cfg, st)) != OZ_OK) {
		return rc;
	}
	if ((rc = migrate_to(mem, ms, cur, st)) == OZ_OK &&
		(rc = schema_read(c, a, &live, &nl, st)) == OZ_OK &&
		(rc = schema_read(mem, a, &want, &nw, st)) == OZ_OK) {
		rc = schema_compare(
			live, nl, want, nw, migrate_rev_at(ms, cur), st);
	}
	store_close(mem);
	return rc;
}

oz_code
store_migrate_check_set(
	store_conn *c, const struct embed_file *set, size_t n, oz_status *st)
{
	struct migset ms;
	size_t cur;
	arena a;
	oz_code rc;
	if ((rc = migrate_not_in_tx(c, st)) != OZ_OK ||
		(rc = migrate_set_parse(set, n, &ms, st)) != OZ_OK) {
		return rc;
	}
	arena_init(&a, 0, 0);
	if ((rc = migrate_load_state(c, &ms, &cur, st)) == OZ_OK) {
		rc = check_against(c, &ms, cur, &a, st);
	}
	arena_fini(&a);
	migrate_set_free(&ms);
	return rc;
}

oz_code
sqlite_migrate_check(store_conn *c, oz_status *st)
{
	return store_migrate_check_set(
		c, embed_migrations, embed_n_migrations, st);
}
