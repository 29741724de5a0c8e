/* bench/ozbench.c -- ozbench's command line: parse flags, seed if asked,
 * run one measurement (against ozd, or one of the two ceilings) and
 * report it; or turn a file of JSON results into the Markdown table.
 * Measurement lives in load.c/ceiling.c, output in report.c. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ozbench.h"

static const char usage[] =
	"usage: ozbench [options]\n"
	"       ozbench --report FILE    (JSON lines -> Markdown table)\n"
	"\n"
	"A closed-loop load generator for ozd: keeps --inflight calls out on\n"
	"async nng contexts, checks every reply, and reports calls/s, "
	"latency\n"
	"percentiles and errors by status code.\n"
	"\n"
	"  --url URL              server (or echo server) address. Default\n"
	"                         tcp://127.0.0.1:7878\n"
	"  --inflight N           calls kept in flight. Default 32\n"
	"  --duration SEC         measured seconds. Default 5\n"
	"  --warmup SEC           unmeasured seconds first. Default 1\n"
	"  --workload W           get_user, create_user, list_tasks,\n"
	"                         update_task, mixed (80% GetUser, 10%\n"
	"                         ListTasks of 20, 10% CreateUser) or\n"
	"                         list_tasks_deep (the page of all tasks 90%\n"
	"                         in, by its page token; servers only),\n"
	"                         create_task or batch_create_tasks (one\n"
	"                         Execute of 100 CreateTasks; servers only),\n"
	"                         update_user (a random user's email) or\n"
	"                         delete_task (each seeded task at most "
	"once;\n"
	"                         use a fresh database; servers only).\n"
	"                         Default get_user\n"
	"  --seed-users N         the database holds users 1..N (default\n"
	"                         10000); with --database-url, missing ones\n"
	"                         are inserted first\n"
	"  --seed-tasks M         ... and tasks 1..M in blocks of M/N per "
	"user\n"
	"                         (default 50000)\n"
	"  --database-url URL     sqlite:///path.db: seed it directly (one\n"
	"                         transaction, store layer) before "
	"measuring;\n"
	"                         needed by --ceiling-store\n"
	"  --seed-only            seed, then exit\n"
	"  --server-pid PID       report the server's CPU us per call and\n"
	"                         peak RSS (VmHWM) from /proc/PID\n"
	"  --ceiling-transport    measure an in-process nng echo server at\n"
	"                         --url with the same message sizes instead\n"
	"  --ceiling-store        call the service layer in-process on\n"
	"                         --database-url instead (one COMMIT per "
	"write)\n"
	"  --sync MODE            full or normal: used by --ceiling-store "
	"and\n"
	"                         recorded in the result. Default full\n"
	"  --label TEXT           recorded in the result\n"
	"  --run N                run number, recorded (for medians)\n"
	"  --seed N               random seed. Default 1\n"
	"  --client C             raw (default: ozbench speaks nng's wire\n"
	"                         protocol itself, one connection, one "
	"thread,\n"
	"                         several calls per wake-up; tcp:// and "
	"ipc://)\n"
	"                         or nng (nng contexts and aio callbacks)\n"
	"  --cdf FILE             write the latency CDF (us, fraction) to "
	"FILE\n"
	"  --json                 print one JSON line instead of text\n"
	"  --help\n";

enum {
	OPT_URL = 256,
	OPT_INFLIGHT,
	OPT_DURATION,
	OPT_WARMUP,
	OPT_WORKLOAD,
	OPT_USERS,
	OPT_TASKS,
	OPT_DB,
	OPT_SEED_ONLY,
	OPT_PID,
	OPT_CEIL_T,
	OPT_CEIL_S,
	OPT_SYNC,
	OPT_LABEL,
	OPT_RUN,
	OPT_SEED,
	OPT_JSON,
	OPT_CLIENT,
	OPT_CDF,
	OPT_REPORT,
	OPT_HELP,
};

static const struct option opts[] = {
	{"url", required_argument, NULL, OPT_URL},
	{"inflight", required_argument, NULL, OPT_INFLIGHT},
	{"duration", required_argument, NULL, OPT_DURATION},
	{"warmup", required_argument, NULL, OPT_WARMUP},
	{"workload", required_argument, NULL, OPT_WORKLOAD},
	{"seed-users", required_argument, NULL, OPT_USERS},
	{"seed-tasks", required_argument, NULL, OPT_TASKS},
	{"database-url", required_argument, NULL, OPT_DB},
	{"seed-only", no_argument, NULL, OPT_SEED_ONLY},
	{"server-pid", required_argument, NULL, OPT_PID},
	{"ceiling-transport", no_argument, NULL, OPT_CEIL_T},
	{"ceiling-store", no_argument, NULL, OPT_CEIL_S},
	{"sync", required_argument, NULL, OPT_SYNC},
	{"label", required_argument, NULL, OPT_LABEL},
	{"run", required_argument, NULL, OPT_RUN},
	{"seed", required_argument, NULL, OPT_SEED},
	{"json", no_argument, NULL, OPT_JSON},
	{"client", required_argument, NULL, OPT_CLIENT},
	{"cdf", required_argument, NULL, OPT_CDF},
	{"report", required_argument, NULL, OPT_REPORT},
	{"help", no_argument, NULL, OPT_HELP},
	{NULL, 0, NULL, 0},
};

static int
bad(const char *flag, const char *val)
{
	fprintf(stderr, "ozbench: bad %s %s\nTry 'ozbench --help'.\n", flag,
		val);
	return 2;
}

static int
num(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return -1;
	}
	*out = v;
	return 0;
}

/* Returns -1 to go on, else the exit status. */
static int
parse(bench_config *cfg, bool *seed_only, const char **report, int argc,
	char **argv)
{
	double v;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *a = optarg;
		switch (c) {
		case OPT_URL:
			cfg->url = a;
			break;
		case OPT_INFLIGHT:
			if (num(a, 1, 4096, &v) != 0) {
				return bad("--inflight", a);
			}
			cfg->inflight = (int) v;
			break;
		case OPT_DURATION:
			if (num(a, 0.01, 86400, &v) != 0) {
				return bad("--duration", a);
			}
			cfg->duration_s = v;
			break;
		case OPT_WARMUP:
			if (num(a, 0, 3600, &v) != 0) {
				return bad("--warmup", a);
			}
			cfg->warmup_s = v;
			break;
		case OPT_WORKLOAD:
			if (bench_workload_parse(a, &cfg->workload) != 0) {
				return bad("--workload", a);
			}
			break;
		case OPT_USERS:
			if (num(a, 1, 1e9, &v) != 0) {
				return bad("--seed-users", a);
			}
			cfg->users = (int64_t) v;
			break;
		case OPT_TASKS:
			if (num(a, 0, 1e10, &v) != 0) {
				return bad("--seed-tasks", a);
			}
			cfg->tasks = (int64_t) v;
			break;
		case OPT_DB:
			cfg->database_url = a;
			break;
		case OPT_SEED_ONLY:
			*seed_only = true;
			break;
		case OPT_PID:
			if (num(a, 1, 1e9, &v) != 0) {
				return bad("--server-pid", a);
			}
			cfg->server_pid = (int) v;
			break;
		case OPT_CEIL_T:
			cfg->mode = BENCH_CEILING_TRANSPORT;
			break;
		case OPT_CEIL_S:
			cfg->mode = BENCH_CEILING_STORE;
			break;
		case OPT_SYNC:
			if (strcmp(a, "full") != 0 &&
				strcmp(a, "normal") != 0) {
				return bad("--sync", a);
			}
			cfg->sync = strcmp(a, "full") == 0 ? "FULL" : "NORMAL";
			break;
		case OPT_LABEL:
			cfg->label = a;
			break;
		case OPT_RUN:
			if (num(a, 0, 1e6, &v) != 0) {
				return bad("--run", a);
			}
			cfg->run = (int) v;
			break;
		case OPT_SEED:
			if (num(a, 0, 1e18, &v) != 0) {
				return bad("--seed", a);
			}
			cfg->seed = (uint64_t) v;
			break;
		case OPT_JSON:
			cfg->json = true;
			break;
		case OPT_CLIENT:
			if (strcmp(a, "raw") != 0 && strcmp(a, "nng") != 0) {
				return bad("--client", a);
			}
			cfg->client = strcmp(a, "raw") == 0 ? BENCH_CLIENT_RAW
							    : BENCH_CLIENT_NNG;
			break;
		case OPT_CDF:
			cfg->cdf_path = a;
			break;
		case OPT_REPORT:
			*report = a;
			break;
		case OPT_HELP:
			fputs(usage, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		return bad("argument", argv[optind]);
	}
	if (cfg->tasks > 0 && cfg->users <= 0) {
		return bad("--seed-tasks without --seed-users", "");
	}
	if ((cfg->workload == BENCH_LIST_DEEP ||
		    cfg->workload == BENCH_CREATE_TASK ||
		    cfg->workload == BENCH_BATCH_TASKS ||
		    cfg->workload == BENCH_UPDATE_USER ||
		    cfg->workload == BENCH_DELETE_TASK) &&
		cfg->mode != BENCH_RPC) {
		return bad("--workload with a ceiling", "servers only");
	}
	return -1;
}

int
main(int argc, char **argv)
{
	bench_config cfg = {
		.url = "tcp://127.0.0.1:7878",
		.inflight = 32,
		.duration_s = 5,
		.warmup_s = 1,
		.workload = BENCH_GET_USER,
		.users = 10000,
		.tasks = 50000,
		.sync = "FULL",
		.label = "",
		.seed = 1,
	};
	bool seed_only = false;
	const char *report = NULL;
	int rc = parse(&cfg, &seed_only, &report, argc, argv);
	if (rc >= 0) {
		return rc;
	}
	if (report != NULL) {
		return bench_report_file(report);
	}
	signal(SIGPIPE, SIG_IGN);
	if (cfg.database_url != NULL && bench_seed(&cfg) != 0) {
		return 1;
	}
	if (seed_only) {
		return 0;
	}
	bench_result res;
	memset(&res, 0, sizeof(res));
	switch (cfg.mode) {
	case BENCH_CEILING_TRANSPORT:
		rc = bench_run_ceiling_transport(&cfg, &res);
		break;
	case BENCH_CEILING_STORE:
		rc = bench_run_ceiling_store(&cfg, &res);
		break;
	default:
		rc = bench_load_any(&cfg, cfg.url, true, &res);
		break;
	}
	if (rc != 0 || (cfg.cdf_path != NULL && bench_write_cdf(cfg.cdf_path,
							&res.all.lat) != 0)) {
		return 1;
	}
	bench_report_run(&cfg, &res);
	return 0;
}
