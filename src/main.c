/* main.c -- ozd: reads the configuration (flags, then environment, then
 * .env, then defaults), checks the database's migrations, starts the
 * server and stops it cleanly on SIGTERM/SIGINT. No request handling here. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/env.h"
#include "core/log.h"
#include "rpc/server.h"
#include "store/lock.h"
#include "store/migrate.h"

#define VALUE_MAX 4096

static const char usage[] =
	"usage: ozd [options]\n"
	"\n"
	"Serves oz.v1 (users, tasks), grpc.health.v1 and "
	"oz.rpc.v1.Reflection\n"
	"over nng req/rep. Each option may also come from the environment\n"
	"variable shown, or from a NAME=value line in ./.env; flags win.\n"
	"\n"
	"  --listen URL             listen here; repeatable. OZ_LISTEN "
	"(comma\n"
	"                           list). Default tcp://127.0.0.1:7878.\n"
	"                           tcp://, ipc://, tls+tcp://, ws://, "
	"inproc://\n"
	"  --database-url URL       DATABASE_URL. Default sqlite:///./app.db\n"
	"  --migrate                upgrade the database to the newest "
	"revision\n"
	"                           at start (a new database always is)\n"
	"  --synchronous MODE       OZ_SYNCHRONOUS: full (default; every\n"
	"                           acknowledged write survives power loss) "
	"or\n"
	"                           normal (survives a crash of ozd; the "
	"last\n"
	"                           commits may be lost on power loss)\n"
	"  --busy-timeout DUR       OZ_BUSY_TIMEOUT. Default 30s\n"
	"  --max-inflight N         OZ_MAX_INFLIGHT: calls run at once; more\n"
	"                           get RESOURCE_EXHAUSTED at once. Default "
	"64\n"
	"  --auth-token-file FILE   OZ_AUTH_TOKEN_FILE: require metadata\n"
	"                           \"authorization: Bearer TOKEN\" with a "
	"token\n"
	"                           of FILE (one per line) on every call but\n"
	"                           health\n"
	"  --backup-dir DIR         OZ_BACKUP_DIR: AdminService/Backup writes "
	"only\n"
	"                           plain file names into DIR. Default: "
	"backups/\n"
	"                           beside the database (created 0700)\n"
	"  --admin-token-file FILE  OZ_ADMIN_TOKEN_FILE: Backup and Optimize\n"
	"                           need \"authorization: Bearer TOKEN\" with "
	"a\n"
	"                           token of FILE; without it they are "
	"served\n"
	"                           to local callers only (ipc://, loopback)\n"
	"  --max-message-bytes N    OZ_MAX_MESSAGE_BYTES. Default 4194304\n"
	"  --default-timeout DUR    OZ_DEFAULT_TIMEOUT: deadline of calls "
	"that\n"
	"                           set none. Default 30s\n"
	"  --drain-timeout DUR      OZ_DRAIN_TIMEOUT: time running calls get\n"
	"                           to finish on SIGTERM. Default 10s\n"
	"  --no-group-commit        OZ_GROUP_COMMIT=0: one COMMIT per write\n"
	"  --optimize-interval DUR  OZ_OPTIMIZE_INTERVAL: run PRAGMA "
	"optimize\n"
	"                           this often (0: only at shutdown). Default "
	"1h\n"
	"  --tls-cert FILE          OZ_TLS_CERT: PEM certificate for "
	"tls+tcp://\n"
	"  --tls-key FILE           OZ_TLS_KEY: its PEM private key\n"
	"  --tls-ca FILE            OZ_TLS_CA: require client certificates\n"
	"                           signed by this CA\n"
	"  --ipc-mode MODE          OZ_IPC_MODE: ipc socket file mode. "
	"Default "
	"0600\n"
	"  --http HOST:PORT         OZ_HTTP: serve the web console at\n"
	"                           http://HOST:PORT/ and the RPC endpoint "
	"at\n"
	"                           ws://HOST:PORT/rpc. Off unless given\n"
	"  --ws-allowed-origin O    OZ_WS_ALLOWED_ORIGIN (comma list); "
	"repeatable:\n"
	"                           a browser page of origin O (e.g.\n"
	"                           http://localhost:7880) may call over "
	"ws://.\n"
	"                           The console's own origin always may; "
	"clients\n"
	"                           that send no Origin are always served\n"
	"  --log-level LEVEL        OZ_LOG_LEVEL: debug, info (default), "
	"warn,\n"
	"                           error, off\n"
	"  --help, --version\n"
	"\n"
	"Durations: 250ms, 30s, 2m, 1h; a bare number is seconds.\n";

struct options {
	rpc_server_config srv;
	bool migrate;
	int drain_timeout_ms;
	char url[VALUE_MAX];
	char listen_buf[VALUE_MAX]; /* OZ_LISTEN, split in place. */
	char tls_cert[VALUE_MAX], tls_key[VALUE_MAX], tls_ca[VALUE_MAX];
	char token_file[VALUE_MAX];
	char http_addr[VALUE_MAX];
	char origin_buf[VALUE_MAX]; /* --ws-allowed-origin values, split. */
	size_t origin_len;
	char admin_file[VALUE_MAX];
};

static int
fail_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "ozd: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'ozd --help'.\n");
	return 2;
}

/* Parses "250ms", "30s", "2m" or a bare number of seconds. */
static int
parse_duration_ms(const char *s, int *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0) {
		return -1;
	}
	double ms;
	if (strcmp(end, "ms") == 0) {
		ms = v;
	} else if (*end == '\0' || strcmp(end, "s") == 0) {
		ms = v * 1000;
	} else if (strcmp(end, "m") == 0) {
		ms = v * 60000;
	} else if (strcmp(end, "h") == 0) {
		ms = v * 3600000;
	} else {
		return -1;
	}
	if (ms > 24.0 * 3600 * 1000) {
		return -1;
	}
	*out = (int) ms;
	return 0;
}

static int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		return -1;
	}
	*out = v;
	return 0;
}

/* Adds a comma list of allowed WebSocket origins. */
static int
add_origins(struct options *o, const char *val)
{
	size_t n = strlen(val) + 1;
	if (o->origin_len + n > sizeof(o->origin_buf)) {
		return fail_usage("--ws-allowed-origin %s: too long", val);
	}
	char *copy = o->origin_buf + o->origin_len;
	memcpy(copy, val, n);
	o->origin_len += n;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t != NULL;
		t = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char) *t)) {
			t++;
		}
		if (*t == '\0') {
			continue;
		}
		if (o->srv.n_ws_origins == 16) {
			return fail_usage(
				"too many --ws-allowed-origin (max %s)", "16");
		}
		o->srv.ws_origins[o->srv.n_ws_origins++] = t;
	}
	return 0;
}

/* Applies one setting by name; used for flags and for the environment. */
static int
apply(struct options *o, const char *name, const char *val)
{
	long n;
	int ms;
	if (strcmp(name, "database-url") == 0) {
		snprintf(o->url, sizeof(o->url), "%s", val);
	} else if (strcmp(name, "synchronous") == 0) {
		if (store_sync_parse(val, &o->srv.store.synchronous) != 0) {
			return fail_usage("bad --synchronous %s", val);
		}
	} else if (strcmp(name, "busy-timeout") == 0) {
		if (parse_duration_ms(val, &ms) != 0) {
			return fail_usage("bad --busy-timeout %s", val);
		}
		o->srv.store.busy_timeout_ms = ms;
	} else if (strcmp(name, "max-inflight") == 0) {
		if (parse_long(val, 1, 1024, &n) != 0) {
			return fail_usage(
				"bad --max-inflight %s (1..1024)", val);
		}
		o->srv.max_inflight = (int) n;
	} else if (strcmp(name, "auth-token-file") == 0) {
		snprintf(o->token_file, sizeof(o->token_file), "%s", val);
		o->srv.auth_token_file = o->token_file;
	} else if (strcmp(name, "backup-dir") == 0) {
		if (strlen(val) >= sizeof(o->srv.store.backup_dir)) {
			return fail_usage("--backup-dir %s is too long", val);
		}
		snprintf(o->srv.store.backup_dir,
			sizeof(o->srv.store.backup_dir), "%s", val);
	} else if (strcmp(name, "admin-token-file") == 0) {
		snprintf(o->admin_file, sizeof(o->admin_file), "%s", val);
		o->srv.admin_token_file = o->admin_file;
	} else if (strcmp(name, "max-message-bytes") == 0) {
		if (parse_long(val, 1024, 1L << 30, &n) != 0) {
			return fail_usage("bad --max-message-bytes %s", val);
		}
		o->srv.max_message_bytes = (size_t) n;
	} else if (strcmp(name, "default-timeout") == 0) {
		if (parse_duration_ms(val, &ms) != 0 || ms == 0) {
			return fail_usage("bad --default-timeout %s", val);
		}
		o->srv.default_timeout_ms = (uint32_t) ms;
	} else if (strcmp(name, "drain-timeout") == 0) {
		if (parse_duration_ms(val, &ms) != 0) {
			return fail_usage("bad --drain-timeout %s", val);
		}
		o->drain_timeout_ms = ms;
	} else if (strcmp(name, "optimize-interval") == 0) {
		if (parse_duration_ms(val, &ms) != 0) {
			return fail_usage("bad --optimize-interval %s", val);
		}
		o->srv.optimize_interval_ms = ms;
	} else if (strcmp(name, "group-commit") == 0) {
		o->srv.group_commit = strcmp(val, "0") != 0 &&
				      strcmp(val, "false") != 0 &&
				      strcmp(val, "off") != 0;
	} else if (strcmp(name, "tls-cert") == 0) {
		snprintf(o->tls_cert, sizeof(o->tls_cert), "%s", val);
		o->srv.tls_cert = o->tls_cert;
	} else if (strcmp(name, "tls-key") == 0) {
		snprintf(o->tls_key, sizeof(o->tls_key), "%s", val);
		o->srv.tls_key = o->tls_key;
	} else if (strcmp(name, "tls-ca") == 0) {
		snprintf(o->tls_ca, sizeof(o->tls_ca), "%s", val);
		o->srv.tls_ca = o->tls_ca;
	} else if (strcmp(name, "ipc-mode") == 0) {
		if (parse_long(val, 0, 0777, &n) != 0) {
			return fail_usage(
				"bad --ipc-mode %s (octal, e.g. 0600)", val);
		}
		o->srv.ipc_mode = (int) n;
	} else if (strcmp(name, "http") == 0) {
		snprintf(o->http_addr, sizeof(o->http_addr), "%s", val);
		o->srv.http_addr =
			o->http_addr[0] != '\0' ? o->http_addr : NULL;
	} else if (strcmp(name, "ws-allowed-origin") == 0) {
		return add_origins(o, val);
	} else if (strcmp(name, "log-level") == 0) {
		log_level lv;
		if (log_level_parse(val, &lv) != 0) {
			return fail_usage("bad --log-level %s", val);
		}
		log_set_level(lv);
	}
	return 0;
}

/* Settings read from the environment or .env, by option name. */
static const struct {
	const char *option;
	const char *env;
} env_names[] = {
	{"database-url", "DATABASE_URL"},
	{"synchronous", "OZ_SYNCHRONOUS"},
	{"busy-timeout", "OZ_BUSY_TIMEOUT"},
	{"max-inflight", "OZ_MAX_INFLIGHT"},
	{"auth-token-file", "OZ_AUTH_TOKEN_FILE"},
	{"admin-token-file", "OZ_ADMIN_TOKEN_FILE"},
	{"backup-dir", "OZ_BACKUP_DIR"},
	{"max-message-bytes", "OZ_MAX_MESSAGE_BYTES"},
	{"default-timeout", "OZ_DEFAULT_TIMEOUT"},
	{"drain-timeout", "OZ_DRAIN_TIMEOUT"},
	{"group-commit", "OZ_GROUP_COMMIT"},
	{"optimize-interval", "OZ_OPTIMIZE_INTERVAL"},
	{"tls-cert", "OZ_TLS_CERT"},
	{"tls-key", "OZ_TLS_KEY"},
	{"tls-ca", "OZ_TLS_CA"},
	{"ipc-mode", "OZ_IPC_MODE"},
	{"log-level", "OZ_LOG_LEVEL"},
	{"http", "OZ_HTTP"},
	{"ws-allowed-origin", "OZ_WS_ALLOWED_ORIGIN"},
};

static int
apply_env(struct options *o)
{
	char val[VALUE_MAX];
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++) {
		if (env_get(env_names[i].env, val, sizeof(val), NULL)) {
			int rc = apply(o, env_names[i].option, val);
			if (rc != 0) {
				return rc;
			}
		}
	}
	if (env_get("OZ_LISTEN", o->listen_buf, sizeof(o->listen_buf), NULL)) {
		o->srv.n_listen = 0;
		char *save = NULL;
		for (char *t = strtok_r(o->listen_buf, ",", &save);
			t != NULL && o->srv.n_listen < RPC_LISTEN_MAX;
			t = strtok_r(NULL, ",", &save)) {
			while (isspace((unsigned char) *t)) {
				t++;
			}
			o->srv.listen[o->srv.n_listen++] = t;
		}
	}
	return 0;
}

static const struct option long_opts[] = {
	{"listen", required_argument, NULL, 'l'},
	{"migrate", no_argument, NULL, 'M'},
	{"no-group-commit", no_argument, NULL, 'G'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"database-url", required_argument, NULL, 1},
	{"synchronous", required_argument, NULL, 1},
	{"busy-timeout", required_argument, NULL, 1},
	{"max-inflight", required_argument, NULL, 1},
	{"auth-token-file", required_argument, NULL, 1},
	{"admin-token-file", required_argument, NULL, 1},
	{"backup-dir", required_argument, NULL, 1},
	{"max-message-bytes", required_argument, NULL, 1},
	{"default-timeout", required_argument, NULL, 1},
	{"drain-timeout", required_argument, NULL, 1},
	{"optimize-interval", required_argument, NULL, 1},
	{"tls-cert", required_argument, NULL, 1},
	{"tls-key", required_argument, NULL, 1},
	{"tls-ca", required_argument, NULL, 1},
	{"ipc-mode", required_argument, NULL, 1},
	{"log-level", required_argument, NULL, 1},
	{"http", required_argument, NULL, 1},
	{"ws-allowed-origin", required_argument, NULL, 1},
	{NULL, 0, NULL, 0},
};

/* Returns -1 to go on, else the exit status. */
static int
parse_args(struct options *o, int argc, char **argv)
{
	rpc_server_config_init(&o->srv);
	o->drain_timeout_ms = 10000;
	snprintf(o->url, sizeof(o->url), "%s", STORE_DEFAULT_URL);
	int rc = apply_env(o);
	if (rc != 0) {
		return rc;
	}
	size_t n_flag_listen = 0;
	int c, idx;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, &idx)) != -1) {
		switch (c) {
		case 'l':
			if (n_flag_listen == RPC_LISTEN_MAX) {
				return fail_usage(
					"too many --listen (max %s)", "16");
			}
			o->srv.listen[n_flag_listen++] = optarg;
			o->srv.n_listen = n_flag_listen;
			break;
		case 'M':
			o->migrate = true;
			break;
		case 'G':
			o->srv.group_commit = false;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("ozd %s\n", OZ_VERSION);
			return 0;
		case 1:
			if ((rc = apply(o, long_opts[idx].name, optarg)) !=
				0) {
				return rc;
			}
			break;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		return fail_usage("unexpected argument %s", argv[optind]);
	}
	oz_status st;
	if (store_url_parse(o->url, &o->srv.store, &st) != OZ_OK) {
		fprintf(stderr, "ozd: %s\n", st.message);
		return 2;
	}
	/* sqlite:///:memory: is one database for the life of the process,
	 * the same for the migration step and every connection after it. */
	store_config_share_memory(&o->srv.store);
	return -1;
}

/* Brings a new database to head; refuses an old one unless --migrate.
 * OUT: *keep, for an in-memory database, the connection that made it: it
 * must stay open while the server runs, or the database would vanish
 * (closed with store_close after the server stops). */
static int
check_schema(const struct options *o, store_conn **keep)
{
	store_conn *c = NULL;
	oz_status st;
	char rev[STORE_REV_MAX];
	int pending = 0;
	int rc = 1;
	if (store_open(&c, &o->srv.store, &st) != OZ_OK ||
		store_migrate_pending(c, &pending, &st) != OZ_OK ||
		store_migrate_current(c, rev, sizeof(rev), &st) != OZ_OK) {
		log_error("database %s: %s", o->srv.store.path, st.message);
		goto out;
	}
	if (pending > 0 && !o->migrate && strcmp(rev, "base") != 0) {
		log_error(
			"database %s is at revision %s, %d revision(s) "
			"behind this build: run `ozctl migrate upgrade head` "
			"(same DATABASE_URL) or start ozd with --migrate",
			o->srv.store.path, rev, pending);
		goto out;
	}
	if (pending > 0) {
		if (store_migrate_upgrade(c, "head", &st) != OZ_OK) {
			log_error("migrating %s: %s", o->srv.store.path,
				st.message);
			goto out;
		}
		if (store_migrate_current(c, rev, sizeof(rev), &st) != OZ_OK) {
			log_error("database %s: %s", o->srv.store.path,
				st.message);
			goto out;
		}
		log_info("database %s migrated to revision %s",
			o->srv.store.path, rev);
	}
	rc = 0;
	if (store_config_is_memory(&o->srv.store)) {
		*keep = c;
		c = NULL;
	}
out:
	store_close(c);
	return rc;
}

static void
log_config(const struct options *o)
{
	const rpc_server_config *s = &o->srv;
	for (size_t i = 0; i < s->n_listen; i++) {
		log_info("config listen=%s", s->listen[i]);
	}
	log_info("config database=%s synchronous=%s busy_timeout_ms=%d "
		 "max_inflight=%d max_message_bytes=%zu default_timeout_ms=%u "
		 "drain_timeout_ms=%d optimize_interval_ms=%d group_commit=%s "
		 "ipc_mode=%04o tls=%s "
		 "client_certs=%s auth=%s admin=%s",
		s->store.path, store_sync_name(s->store.synchronous),
		s->store.busy_timeout_ms, s->max_inflight,
		s->max_message_bytes, s->default_timeout_ms,
		o->drain_timeout_ms, s->optimize_interval_ms,
		s->group_commit ? "on" : "off", s->ipc_mode,
		s->tls_cert != NULL ? "on" : "off",
		s->tls_ca != NULL ? "required" : "off",
		s->auth_token_file != NULL ? "tokens" : "off",
		s->admin_token_file != NULL ? "token" : "local-only");
}

static void
exit_now(int sig)
{
	(void) sig;
	_exit(1);
}

int
main(int argc, char **argv)
{
	static struct options o;
	int rc = parse_args(&o, argc, argv);
	if (rc >= 0) {
		return rc;
	}
	/* Signals are taken by sigwait below, never by other threads. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	log_config(&o);
	/* Held until exit: `ozctl restore` refuses to run meanwhile. */
	store_lock *lock = NULL;
	oz_status st;
	if (store_lock_acquire(&o.srv.store, "a running server", &lock, &st) !=
		OZ_OK) {
		log_error("%s", st.message);
		return 1;
	}
	store_conn *memory = NULL;
	if (check_schema(&o, &memory) != 0) {
		store_lock_release(lock);
		return 1;
	}
	rpc_server *srv;
	if (rpc_server_start(&srv, &o.srv, &st) != OZ_OK) {
		log_error("cannot start: %s", st.message);
		store_close(memory);
		store_lock_release(lock);
		return 1;
	}
	log_info("ozd %s serving", OZ_VERSION);
	int sig;
	sigwait(&sigs, &sig);

	/* A second signal exits at once. */
	struct sigaction sa = {.sa_handler = exit_now};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);

	log_info("signal %d: draining (up to %d ms)", sig, o.drain_timeout_ms);
	rpc_server_drain(srv);
	if (!rpc_server_wait_idle(srv, o.drain_timeout_ms)) {
		log_warn("drain timeout: stopping with calls still running");
	}
	long calls = rpc_server_calls(srv);
	rpc_server_stop(srv);
	store_close(memory);
	store_lock_release(lock);
	log_info("stopped after %ld calls", calls);
	return 0;
}
