/* clients/ozctl/sql.c -- `ozctl sql 'SELECT ...' [--param VALUE]...`: one
 * read-only statement through /oz.v1.AdminService/Query (it needs the
 * admin token: --token or OZ_TOKEN), printed as a table, CSV or JSON.
 *
 * Talks to ozd only through the C client library; the statement is the
 * server's to check. */
#include <stdlib.h>
#include <string.h>

#include "bulk.h"
#include "ozctl.h"

#define N(a)       (sizeof(a) / sizeof((a)[0]))
#define MAX_PARAMS 100
#define CELL_MAX   200

/* Formats value v for a table or CSV cell. NULL is "NULL" in a table and
 * empty in CSV; a blob is x'hex'. */
static const char *
cell(const Oz__V1__QueryValue *v, bool csv, char *buf, size_t n)
{
	switch (v->value_case) {
	case OZ__V1__QUERY_VALUE__VALUE_INTEGER:
		snprintf(buf, n, "%lld", (long long) v->integer);
		return buf;
	case OZ__V1__QUERY_VALUE__VALUE_REAL:
		snprintf(buf, n, "%.17g", v->real);
		return buf;
	case OZ__V1__QUERY_VALUE__VALUE_TEXT:
		return v->text;
	case OZ__V1__QUERY_VALUE__VALUE_BLOB: {
		size_t o = (size_t) snprintf(buf, n, "x'");
		for (size_t i = 0; i < v->blob.len && o + 4 < n; i++) {
			o += (size_t) snprintf(
				buf + o, n - o, "%02x", v->blob.data[i]);
		}
		snprintf(buf + o, n - o, "'");
		return buf;
	}
	default:
		return csv ? "" : "NULL";
	}
}

static void
print_csv(const Oz__V1__QueryResponse *r)
{
	char buf[CELL_MAX];
	for (size_t c = 0; c < r->n_columns; c++) {
		fputs(c > 0 ? "," : "", stdout);
		bulk_csv_field(stdout, r->columns[c]->name);
	}
	fputc('\n', stdout);
	for (size_t i = 0; i < r->n_rows; i++) {
		for (size_t c = 0; c < r->rows[i]->n_values; c++) {
			fputs(c > 0 ? "," : "", stdout);
			bulk_csv_field(
				stdout, cell(r->rows[i]->values[c], true, buf,
						sizeof(buf)));
		}
		fputc('\n', stdout);
	}
}

/* Prints s padded to width w (counting UTF-8 characters, not bytes);
 * control characters as '?'. */
static void
pad(const char *s, size_t w)
{
	size_t chars = 0;
	for (const char *p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char) *p;
		fputc(ch < 0x20 ? '?' : ch, stdout);
		chars += (ch & 0xc0) != 0x80;
	}
	for (; chars < w; chars++) {
		fputc(' ', stdout);
	}
}

static size_t
width(const char *s)
{
	size_t n = 0;
	for (; *s != '\0'; s++) {
		n += ((unsigned char) *s & 0xc0) != 0x80;
	}
	return n;
}

static void
print_table(const Oz__V1__QueryResponse *r)
{
	char buf[CELL_MAX];
	size_t *w = calloc(r->n_columns + 1, sizeof(*w));
	if (w == NULL) {
		return;
	}
	for (size_t c = 0; c < r->n_columns; c++) {
		w[c] = width(r->columns[c]->name);
		for (size_t i = 0; i < r->n_rows; i++) {
			size_t cw = width(cell(r->rows[i]->values[c], false,
				buf, sizeof(buf)));
			w[c] = cw > w[c] ? cw : w[c];
		}
	}
	for (size_t c = 0; c < r->n_columns; c++) {
		pad(r->columns[c]->name, c + 1 < r->n_columns ? w[c] + 2 : 0);
	}
	fputc('\n', stdout);
	for (size_t i = 0; i < r->n_rows; i++) {
		for (size_t c = 0; c < r->n_columns; c++) {
			pad(cell(r->rows[i]->values[c], false, buf,
				    sizeof(buf)),
				c + 1 < r->n_columns ? w[c] + 2 : 0);
		}
		fputc('\n', stdout);
	}
	free(w);
	fprintf(stderr, "(%zu row%s%s)\n", r->n_rows,
		r->n_rows == 1 ? "" : "s",
		r->truncated ? ", truncated: more rows than --max-rows" : "");
}

/* Moves every "--param V" / "--param=V" of argv into values (at most
 * MAX_PARAMS); the rest stay in argv, in order. OUT: *argc, *n. Returns
 * false when one has no value or there are too many. */
static bool
take_params(int *argc, char **argv, const char **values, size_t *n)
{
	int out = 0;
	*n = 0;
	for (int i = 0; i < *argc; i++) {
		const char *v = NULL;
		if (strcmp(argv[i], "--param") == 0) {
			if (i + 1 >= *argc) {
				return false;
			}
			v = argv[++i];
		} else if (strncmp(argv[i], "--param=", 8) == 0) {
			v = argv[i] + 8;
		} else {
			argv[out++] = argv[i];
			continue;
		}
		if (*n == MAX_PARAMS) {
			return false;
		}
		values[(*n)++] = v;
	}
	*argc = out;
	return true;
}

/* A parameter: an integer when it reads as one, else text. */
static void
param_value(const char *s, Oz__V1__QueryValue *v)
{
	oz__v1__query_value__init(v);
	int64_t i;
	if (ozctl_int64(s, &i)) {
		v->value_case = OZ__V1__QUERY_VALUE__VALUE_INTEGER;
		v->integer = i;
	} else {
		v->value_case = OZ__V1__QUERY_VALUE__VALUE_TEXT;
		v->text = (char *) s;
	}
}

int
ozctl_sql(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl sql 'SELECT ...' [--param VALUE]... [--csv] "
		"[--max-rows N] [--limit-ms MS]";
	static const char help[] =
		"Runs one read-only SQL statement on the server's database "
		"through\n"
		"/oz.v1.AdminService/Query and prints the rows as a table "
		"(--csv: CSV with a\n"
		"header; --json: the reply). It needs the admin token "
		"(--token or OZ_TOKEN)\n"
		"of an ozd started with --admin-token-file. Each --param "
		"binds ?1, ?2, ...\n"
		"in order: an integer when it reads as one, else text. ozd "
		"refuses anything\n"
		"but one SELECT / WITH / VALUES / reading PRAGMA, returns at "
		"most --max-rows\n"
		"rows (default 1000) and stops the statement after "
		"--limit-ms (default 5000).\n";
	ozctl_opt opts[] = {OZCTL_OPT("csv", false),
		OZCTL_OPT("max-rows", true), OZCTL_OPT("limit-ms", true)};
	const char *values[MAX_PARAMS], *pos[1];
	Oz__V1__QueryValue pv[MAX_PARAMS], *pp[MAX_PARAMS];
	Oz__V1__QueryRequest req = OZ__V1__QUERY_REQUEST__INIT;
	Oz__V1__QueryResponse *r = NULL;
	oz_client *c;
	oz_status st;
	size_t n_params;
	int n_pos, rc;

	if (!take_params(&argc, argv, values, &n_params)) {
		return ozctl_usage_error(
			usage, "--param needs a value (at most 100 of them)");
	}
	if (!ozctl_begin(ctl, argc, argv, opts, N(opts), pos, 1, &n_pos, usage,
		    help, &rc)) {
		return rc;
	}
	if (n_pos != 1) {
		return ozctl_usage_error(
			usage, "the SQL statement is required");
	}
	if ((opts[1].set && !ozctl_int32(opts[1].value, &req.max_rows)) ||
		(opts[2].set &&
			!ozctl_int32(opts[2].value, &req.timeout_ms))) {
		return ozctl_usage_error(
			usage, "--max-rows and --limit-ms take integers");
	}
	for (size_t i = 0; i < n_params; i++) {
		param_value(values[i], &pv[i]);
		pp[i] = &pv[i];
	}
	req.sql = (char *) pos[0];
	req.params = pp;
	req.n_params = n_params;
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	/* The statement's own limit, plus time for the reply. */
	oz_call_options co = {
		.deadline_ms = ctl->timeout_ms > 0
				       ? ctl->timeout_ms
				       : (req.timeout_ms > 0 ? req.timeout_ms
							     : 5000) +
						 5000};
	if (oz_client_call_with(c, "/oz.v1.AdminService/Query", &req.base,
		    &oz__v1__query_response__descriptor,
		    (ProtobufCMessage **) &r, &co, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	if (ctl->json) {
		rc = ozctl_print_json(&r->base);
	} else if (opts[0].set) {
		print_csv(r);
	} else {
		print_table(r);
	}
	oz_message_free(r);
	return rc;
}
