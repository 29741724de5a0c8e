/* store/postgres/pg_list.c -- one page of a keyset-paginated list on
 * PostgreSQL: the SQL from store/keyset_sql.c with $N parameters, the
 * cursor bound with the types of its columns. */
#include <string.h>

#include "store/postgres/pg_impl.h"

/* Binds the cursor, limit and offset of page p into pp; the value of
 * column fold_col is folded to ASCII lower case (it is compared with
 * lower(column)). */
static oz_code
page_params(const store_page *p, int fold_col, pg_params *pp, arena *a,
	oz_status *st)
{
	for (int k = 0; p->after != NULL && k < p->order->n; k++) {
		const store_value *v = &p->after[k];
		int i = KEYSET_PARAM_AFTER + k;
		if (v->type == STORE_INT) {
			pg_param_int(pp, i, v->i);
			continue;
		}
		if (p->order->keys[k].col != fold_col) {
			pg_param_text(pp, i, v->s);
			continue;
		}
		char *low = arena_strndup(a, v->s, strlen(v->s));
		if (low == NULL) {
			return oz_fail(
				st, OZ_RESOURCE_EXHAUSTED, "out of memory");
		}
		for (char *q = low; *q != '\0'; q++) {
			if (*q >= 'A' && *q <= 'Z') {
				*q = (char) (*q - 'A' + 'a');
			}
		}
		pg_param_text(pp, i, low);
	}
	pg_param_int(pp, KEYSET_PARAM_LIMIT, p->limit);
	pg_param_int(pp, KEYSET_PARAM_OFFSET, p->offset);
	return OZ_OK;
}

oz_code
pg_list_rows(pg_conn *c, const keyset_table *t, const char *filter,
	pg_params *pp, const store_page *p, int fold_col, size_t elem,
	pg_read_fn read, arena *a, void **rows, size_t *n_rows, oz_status *st)
{
	char sql[KEYSET_SQL_MAX];
	oz_code rc;
	if (p->limit < 1 || p->limit > STORE_LIMIT_MAX || p->offset < 0) {
		return oz_fail(st, OZ_INVALID_ARGUMENT, "bad page bounds");
	}
	if ((rc = keyset_sql_build(sql, sizeof(sql), '$', t, filter, p, st)) !=
		OZ_OK) {
		return rc;
	}
	if ((rc = page_params(p, fold_col, pp, a, st)) != OZ_OK) {
		return rc;
	}
	return pg_query_rows(c, sql, pp, elem, read, a, rows, n_rows, st);
}
