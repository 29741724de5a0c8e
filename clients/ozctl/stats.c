/* clients/ozctl/stats.c -- `ozctl stats [--json] [--watch [--count N]]`:
 * AdminService/Stats as text tables or JSON, once or every second.
 *
 * Talks to ozd only through the C client library. The watch loop ends on
 * SIGINT or SIGTERM (or after --count refreshes), never on its own. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ozctl.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static volatile sig_atomic_t stop_watch;

static void
on_signal(int sig)
{
	(void) sig;
	stop_watch = 1;
}

static int64_t
error_total(Oz__V1__CodeCount **e, size_t n)
{
	int64_t sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += e[i]->count;
	}
	return sum;
}

static void
print_tables(const Oz__V1__StatsResponse *r)
{
	static const char *const mh[] = {"METHOD", "CALLS", "ERRORS", "P50_US",
		"P90_US", "P99_US", "MAX_US"};
	static const char *const eh[] = {"CODE", "COUNT"};
	char v[7][32];
	const char *cells[7];
	printf("uptime %lld s, %lld in flight, %lld calls, %lld errors\n",
		(long long) r->uptime_s, (long long) r->in_flight,
		(long long) r->calls_total,
		(long long) error_total(r->errors, r->n_errors));
	if (r->backend != NULL && r->backend[0] != '\0') {
		printf("backend %s, %d database connection(s), %d busy\n",
			r->backend, (int) r->db_connections,
			(int) r->db_connections_busy);
	}
	printf("database %lld bytes, WAL %lld bytes, cache hit ratio %.1f%% "
	       "(%lld hits, %lld misses)\n\n",
		(long long) r->database_size_bytes,
		(long long) r->wal_size_bytes, r->cache_hit_ratio * 100.0,
		(long long) r->cache_hits, (long long) r->cache_misses);
	ozctl_table *t = ozctl_table_new(7, mh);
	for (size_t i = 0; i < r->n_methods; i++) {
		const Oz__V1__MethodStats *m = r->methods[i];
		int64_t nums[6] = {m->calls,
			error_total(m->errors, m->n_errors), m->p50_us,
			m->p90_us, m->p99_us, m->max_us};
		cells[0] = m->method;
		for (int k = 0; k < 6; k++) {
			snprintf(v[k], sizeof(v[k]), "%lld",
				(long long) nums[k]);
			cells[k + 1] = v[k];
		}
		ozctl_table_add(t, cells);
	}
	ozctl_table_print(t, stdout);
	if (r->n_errors == 0) {
		return;
	}
	putchar('\n');
	t = ozctl_table_new(2, eh);
	for (size_t i = 0; i < r->n_errors; i++) {
		cells[0] = r->errors[i]->code;
		snprintf(v[0], sizeof(v[0]), "%lld",
			(long long) r->errors[i]->count);
		cells[1] = v[0];
		ozctl_table_add(t, cells);
	}
	ozctl_table_print(t, stdout);
}

/* One Stats call, shown. */
static int
show_once(ozctl *ctl, oz_client *c, bool clear)
{
	Oz__V1__StatsRequest req = OZ__V1__STATS_REQUEST__INIT;
	Oz__V1__StatsResponse *r = NULL;
	oz_status st;
	int rc = OZCTL_EXIT_OK;
	if (oz_admin_stats(c, &req, &r, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	if (clear) {
		fputs("\033[H\033[2J", stdout);
	}
	if (ctl->json) {
		rc = ozctl_print_json(&r->base);
	} else {
		print_tables(r);
	}
	fflush(stdout);
	oz_message_free(r);
	return rc;
}

/* Sleeps one second unless a signal comes first. */
static void
pause_1s(void)
{
	struct timespec ts = {1, 0};
	while (!stop_watch && nanosleep(&ts, &ts) != 0 && errno == EINTR) { }
}

int
ozctl_stats(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl stats [--json] [--watch [--count N]]";
	static const char help[] =
		"Shows the server's statistics since it started "
		"(AdminService/Stats): calls,\n"
		"errors by code and latency percentiles per method, calls in "
		"flight, uptime,\n"
		"database and WAL size, page cache hit ratio.\n"
		"  --json      the StatsResponse as JSON\n"
		"  --watch     refresh every second until interrupted (Ctrl-C)"
		"\n"
		"  --count N   with --watch: stop after N refreshes\n";
	ozctl_opt o[] = {OZCTL_OPT("watch", false), OZCTL_OPT("count", true)};
	const char *pos[1];
	int64_t count = -1;
	int n_pos, rc;
	oz_client *c;
	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (o[1].set &&
		(!o[0].set || !ozctl_int64(o[1].value, &count) || count < 1)) {
		return ozctl_usage_error(usage,
			"--count takes a number >= 1 and needs --watch");
	}
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	if (!o[0].set) {
		return show_once(ctl, c, false);
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	bool clear = !ctl->json && isatty(STDOUT_FILENO);
	for (int64_t i = 0; !stop_watch && (count < 0 || i < count); i++) {
		if (i > 0) {
			pause_1s();
			if (stop_watch) {
				break;
			}
		}
		if ((rc = show_once(ctl, c, clear)) != OZCTL_EXIT_OK) {
			return rc;
		}
	}
	return OZCTL_EXIT_OK;
}
