/* bench/report.c -- output: one run as text or one JSON line, and a file
 * of JSON lines as the Markdown table with the target ratios.
 * Ratios are taken within one run (same --run number) and the median over
 * runs is shown. Reads only the file it is given. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ozbench.h"

static const char *const workload_names[BENCH_NWORKLOADS] = {"get_user",
	"create_user", "list_tasks", "update_task", "mixed", "list_tasks_deep",
	"create_task", "batch_create_tasks", "update_user", "delete_task"};
static const char *const mode_names[] = {
	"rpc", "ceiling-transport", "ceiling-store"};

const char *
bench_workload_name(bench_workload w)
{
	return workload_names[w];
}

int
bench_workload_parse(const char *s, bench_workload *out)
{
	for (int i = 0; i < BENCH_NWORKLOADS; i++) {
		if (strcmp(s, workload_names[i]) == 0) {
			*out = (bench_workload) i;
			return 0;
		}
	}
	return -1;
}

const char *
bench_mode_name(bench_mode m)
{
	return mode_names[m];
}

static const char *
transport_of(const bench_config *cfg)
{
	if (cfg->mode == BENCH_CEILING_STORE) {
		return "none";
	}
	const char *p = strstr(cfg->url, "://");
	static char buf[16];
	size_t n = p != NULL ? (size_t) (p - cfg->url) : 0;
	if (n == 0 || n >= sizeof(buf)) {
		return "?";
	}
	memcpy(buf, cfg->url, n);
	buf[n] = '\0';
	return buf;
}

static double
us(uint64_t ns)
{
	return (double) ns / 1000.0;
}

static uint64_t
total_calls(const bench_counts *c)
{
	uint64_t n = 0;
	for (int k = 0; k < OP_NKINDS; k++) {
		n += c->by_kind[k];
	}
	return n;
}

static json_t *
run_json(const bench_config *cfg, const bench_result *res)
{
	const bench_counts *c = &res->all;
	const hist *h = &c->lat;
	uint64_t calls = total_calls(c);
	json_t *errs = json_object();
	for (int i = 1; i < OZ_CODE_COUNT; i++) {
		if (c->by_code[i] > 0) {
			json_object_set_new(errs, oz_code_name(i),
				json_integer((json_int_t) c->by_code[i]));
		}
	}
	json_t *o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:s, s:I, s:I}",
		"label", cfg->label, "run", cfg->run, "workload",
		bench_workload_name(cfg->workload), "mode",
		bench_mode_name(cfg->mode), "transport", transport_of(cfg),
		"inflight", cfg->inflight, "sync",
		cfg->mode == BENCH_CEILING_TRANSPORT ? "-" : cfg->sync,
		"users", (json_int_t) cfg->users, "tasks",
		(json_int_t) cfg->tasks);
	json_object_set_new(o, "seconds", json_real(res->seconds));
	json_object_set_new(o, "calls", json_integer((json_int_t) calls));
	json_object_set_new(o, "ok", json_integer((json_int_t) c->ok));
	json_object_set_new(o, "calls_per_s",
		json_real(
			res->seconds > 0 ? (double) calls / res->seconds : 0));
	json_object_set_new(o, "ok_per_s",
		json_real(
			res->seconds > 0 ? (double) c->ok / res->seconds : 0));
	json_object_set_new(o, "p50_us", json_real(us(hist_quantile(h, .5))));
	json_object_set_new(o, "p90_us", json_real(us(hist_quantile(h, .9))));
	json_object_set_new(o, "p99_us", json_real(us(hist_quantile(h, .99))));
	json_object_set_new(
		o, "p999_us", json_real(us(hist_quantile(h, .999))));
	json_object_set_new(o, "max_us", json_real(us(h->count ? h->max : 0)));
	json_object_set_new(o, "errors", errs);
	json_object_set_new(o, "transport_errors",
		json_integer((json_int_t) c->transport));
	json_object_set_new(
		o, "wrong_replies", json_integer((json_int_t) c->wrong));
	json_object_set_new(o, "server_cpu_us_per_call",
		res->server_cpu_us_per_call >= 0
			? json_real(res->server_cpu_us_per_call)
			: json_null());
	json_object_set_new(o, "client_cpu_us_per_call",
		res->client_cpu_us_per_call >= 0
			? json_real(res->client_cpu_us_per_call)
			: json_null());
	json_object_set_new(o, "server_write_bytes_per_call",
		res->server_wchar_per_call >= 0
			? json_real(res->server_wchar_per_call)
			: json_null());
	json_object_set_new(o, "client",
		cfg->client == BENCH_CLIENT_RAW ? json_string("raw")
						: json_string("nng"));
	json_object_set_new(o, "server_rss_mib",
		res->server_rss_kib >= 0
			? json_real((double) res->server_rss_kib / 1024.0)
			: json_null());
	json_object_set_new(o, "server_rss_anon_mib",
		res->server_anon_kib >= 0
			? json_real((double) res->server_anon_kib / 1024.0)
			: json_null());
	json_object_set_new(o, "server_rss_file_mib",
		res->server_file_kib >= 0
			? json_real((double) res->server_file_kib / 1024.0)
			: json_null());
	json_object_set_new(o, "request_bytes",
		json_integer((json_int_t) res->request_bytes));
	json_object_set_new(
		o, "reply_bytes", json_integer((json_int_t) res->reply_bytes));
	return o;
}

void
bench_report_run(const bench_config *cfg, const bench_result *res)
{
	json_t *o = run_json(cfg, res);
	if (cfg->json) {
		char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
		printf("%s\n", s);
		free(s);
		json_decref(o);
		return;
	}
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
						JSON_REAL_PRECISION(6));
		printf("%-24s %s\n", k, s);
		free(s);
	}
	json_decref(o);
}

/* --- the table of a results file ---------------------------------------- */

#define ROWS_MAX 4096
#define KEY_MAX  256

struct rows {
	json_t *row[ROWS_MAX];
	size_t n;
	int64_t users; /* Of the first unlabelled row: the standard table. */
};

static const char *
sget(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s != NULL ? s : "";
}

static double
dget(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void
key_of(json_t *o, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s|%s|%s|%s|%g|%s|%g", sget(o, "label"),
		sget(o, "workload"), sget(o, "mode"), sget(o, "transport"),
		dget(o, "inflight"), sget(o, "sync"), dget(o, "users"));
}

static int
load_rows(const char *path, struct rows *r)
{
	FILE *f = fopen(path, "r");
	char line[8192];
	if (f == NULL) {
		perror(path);
		return -1;
	}
	r->users = -1;
	while (fgets(line, sizeof(line), f) != NULL && r->n < ROWS_MAX) {
		json_t *o = json_loads(line, 0, NULL);
		if (!json_is_object(o) ||
			json_object_get(o, "calls_per_s") == NULL) {
			json_decref(o);
			continue;
		}
		r->row[r->n++] = o;
		if (r->users < 0 && sget(o, "label")[0] == '\0') {
			r->users = (int64_t) dget(o, "users");
		}
	}
	fclose(f);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	if (n == 0) {
		return NAN;
	}
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
cell(double v, const char *fmt)
{
	if (isnan(v)) {
		printf(" - |");
	} else {
		printf(" ");
		printf(fmt, v);
		printf(" |");
	}
}

static void
errors_cell(json_t *o)
{
	const char *k;
	json_t *v;
	int n = 0;
	printf(" ");
	json_object_foreach(json_object_get(o, "errors"), k, v)
	{
		printf("%s%s %lld", n++ ? ", " : "", k,
			(long long) json_integer_value(v));
	}
	double t = dget(o, "transport_errors"), w = dget(o, "wrong_replies");
	if (t > 0) {
		printf("%stransport %g", n++ ? ", " : "", t);
	}
	if (w > 0) {
		printf("%swrong %g", n++ ? ", " : "", w);
	}
	printf("%s |", n ? "" : "0");
}

/* Prints the row of the group whose calls/s is the median of its runs. */
static void
print_group(struct rows *r, size_t first, bool *done)
{
	char key[KEY_MAX], k2[KEY_MAX];
	size_t idx[64], n = 0;
	key_of(r->row[first], key, sizeof(key));
	for (size_t i = first; i < r->n && n < 64; i++) {
		key_of(r->row[i], k2, sizeof(k2));
		if (strcmp(key, k2) == 0) {
			idx[n++] = i;
			done[i] = true;
		}
	}
	for (size_t i = 1; i < n; i++) { /* Insertion sort by calls/s. */
		for (size_t j = i;
			j > 0 && dget(r->row[idx[j - 1]], "calls_per_s") >
					 dget(r->row[idx[j]], "calls_per_s");
			j--) {
			size_t t = idx[j];
			idx[j] = idx[j - 1];
			idx[j - 1] = t;
		}
	}
	json_t *o = r->row[idx[(n - 1) / 2]];
	const char *label = sget(o, "label");
	printf("| %.0f | %s | %s | %s | %g | %s | %s |", dget(o, "users"),
		sget(o, "workload"), sget(o, "mode"), sget(o, "transport"),
		dget(o, "inflight"), sget(o, "sync"), label[0] ? label : "-");
	cell(dget(o, "calls_per_s"), "%.0f");
	cell(dget(o, "p50_us"), "%.0f");
	cell(dget(o, "p90_us"), "%.0f");
	cell(dget(o, "p99_us"), "%.0f");
	cell(dget(o, "p999_us"), "%.0f");
	cell(dget(o, "max_us"), "%.0f");
	errors_cell(o);
	cell(dget(o, "server_cpu_us_per_call"), "%.1f");
	cell(dget(o, "client_cpu_us_per_call"), "%.1f");
	cell(dget(o, "server_write_bytes_per_call") / 1024, "%.1f");
	cell(dget(o, "server_rss_mib"), "%.1f");
	printf(" %zu |\n", n);
}

/* The last row of run `run` of the standard table matching the fields
 * given (NULL matches anything): the one measured nearest to the rows
 * that follow it, such as the writes measured after the sweep. */
static json_t *
find(struct rows *r, double run, const char *workload, const char *mode,
	const char *transport, int inflight, const char *sync)
{
	for (size_t i = r->n; i-- > 0;) {
		json_t *o = r->row[i];
		if (dget(o, "run") == run && sget(o, "label")[0] == '\0' &&
			dget(o, "users") == (double) r->users &&
			strcmp(sget(o, "workload"), workload) == 0 &&
			strcmp(sget(o, "mode"), mode) == 0 &&
			(transport == NULL || strcmp(sget(o, "transport"),
						      transport) == 0) &&
			dget(o, "inflight") == inflight &&
			(sync == NULL || strcmp(sget(o, "sync"), sync) == 0)) {
			return o;
		}
	}
	return NULL;
}

struct side {
	const char *workload, *mode, *transport, *sync, *field;
};

/* Median over runs of a.field / b.field (or of a.field alone when b has
 * no workload), each run's pair taken from that run. */
static double
ratio(struct rows *r, struct side a, struct side b, int *runs)
{
	double v[64];
	size_t n = 0;
	double seen[64];
	size_t ns = 0;
	for (size_t i = 0; i < r->n && n < 64; i++) {
		double run = dget(r->row[i], "run");
		bool dup = false;
		for (size_t j = 0; j < ns; j++) {
			dup = dup || seen[j] == run;
		}
		if (dup || ns == 64) {
			continue;
		}
		seen[ns++] = run;
		json_t *x = find(
			r, run, a.workload, a.mode, a.transport, 32, a.sync);
		json_t *y = b.workload == NULL
				    ? NULL
				    : find(r, run, b.workload, b.mode,
					      b.transport, 32, b.sync);
		if (x == NULL || (b.workload != NULL && y == NULL)) {
			continue;
		}
		v[n++] = y == NULL ? dget(x, a.field)
				   : dget(x, a.field) / dget(y, b.field);
	}
	*runs = (int) n;
	return median(v, n);
}

static void
target(struct rows *r, const char *what, struct side a, struct side b,
	double goal, bool at_most, const char *unit)
{
	int runs;
	double v = ratio(r, a, b, &runs);
	printf("| %s | ", what);
	if (isnan(v)) {
		printf("not measured | %s %g%s | - |\n",
			at_most ? "<=" : ">=", goal, unit);
		return;
	}
	bool met = at_most ? v <= goal : v >= goal;
	printf("%.2f%s (median of %d) | %s %g%s | %s |\n", v, unit, runs,
		at_most ? "<=" : ">=", goal, unit, met ? "yes" : "**no**");
}

/* The largest value of field over the rpc rows. */
static double
rpc_max(struct rows *r, const char *field)
{
	double m = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(sget(r->row[i], "mode"), "rpc") == 0 &&
			dget(r->row[i], field) > m) {
			m = dget(r->row[i], field);
		}
	}
	return m;
}

/* p99 and p99.9 of an rpc workload at 32 in flight over tcp. */
static void
tail_targets(struct rows *r, const char *workload, const char *name)
{
	char what[96];
	struct side a = {workload, "rpc", "tcp", "FULL", "p99_us"};
	struct side none = {NULL, NULL, NULL, NULL, NULL};
	snprintf(what, sizeof(what), "%s p99 (tcp)", name);
	target(r, what, a, none, 1000, true, " us");
	a.field = "p999_us";
	snprintf(what, sizeof(what), "%s p99.9 (tcp)", name);
	target(r, what, a, none, 3000, true, " us");
}

static void
print_targets(struct rows *r)
{
	struct side get = {"get_user", "rpc", "tcp", NULL, "calls_per_s"};
	struct side echo = {
		"get_user", "ceiling-transport", "tcp", NULL, "calls_per_s"};
	struct side cu = {"create_user", "rpc", "tcp", "FULL", "calls_per_s"};
	struct side cu_store = {
		"create_user", "ceiling-store", NULL, "FULL", "calls_per_s"};
	static const char *const writes[][2] = {{"create_task", "CreateTask"},
		{"update_task", "UpdateTask"}, {"update_user", "UpdateUser"},
		{"delete_task", "DeleteTask"}};
	char what[96];
	printf("\nTargets of issue 18 (%lld users, 32 in flight; ratios taken "
	       "within each run, median over runs):\n\n",
		(long long) r->users);
	printf("| target | measured | goal | met |\n| --- | --- | --- | --- "
	       "|\n");
	target(r, "GetUser / nng echo ceiling (tcp)", get, echo, 0.8, false,
		"");
	get.field = echo.field = "server_cpu_us_per_call";
	target(r, "server CPU per GetUser / echo server's", get, echo, 1.3,
		true, "x");
	tail_targets(r, "get_user", "GetUser");
	tail_targets(r, "create_user", "CreateUser FULL");
	tail_targets(r, "mixed", "mixed");
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
		struct side w = {
			writes[i][0], "rpc", "tcp", "FULL", "calls_per_s"};
		snprintf(what, sizeof(what), "%s / CreateUser (FULL, tcp)",
			writes[i][1]);
		target(r, what, w, cu, 0.8, false, "");
	}
	target(r, "CreateUser FULL / one-commit-per-write store (FULL)", cu,
		cu_store, 15, false, "x");
	printf("| server RssAnon at the end of a row, max over rpc rows | "
	       "%.1f MiB (RssFile %.1f MiB, VmHWM %.1f MiB) | <= 64 MiB | "
	       "%s |\n",
		rpc_max(r, "server_rss_anon_mib"),
		rpc_max(r, "server_rss_file_mib"),
		rpc_max(r, "server_rss_mib"),
		rpc_max(r, "server_rss_anon_mib") <= 64 ? "yes" : "**no**");
}

int
bench_report_file(const char *path)
{
	static struct rows r;
	static bool done[ROWS_MAX];
	if (load_rows(path, &r) != 0) {
		return 1;
	}
	printf("| users | workload | mode | transport | in flight | sync | "
	       "label | calls/s | p50 us | p90 us | p99 us | p99.9 us | max "
	       "us | errors | server CPU us/call | client CPU us/call | "
	       "server KiB written/call | server RSS MiB | runs |\n");
	printf("| ---: | --- | --- | --- | ---: | --- | --- | ---: | ---: | "
	       "---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | "
	       "---: |\n");
	for (size_t i = 0; i < r.n; i++) {
		if (!done[i]) {
			print_group(&r, i, done);
		}
	}
	if (r.users > 0) {
		print_targets(&r);
	}
	for (size_t i = 0; i < r.n; i++) {
		json_decref(r.row[i]);
	}
	return 0;
}
