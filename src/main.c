/* main.c -- ozd: reads the configuration (flags, then environment, then
 * .env, then defaults), checks the database's migrations, starts the
 * server and stops it cleanly on SIGTERM/SIGINT. No request handling here.
 * Every setting is one row of settings[] below: its flag, environment
 * name, parser, range, field and help; --help, getopt_long, the
 * environment lookup and the checks are all derived from that table. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
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

struct options {
	rpc_server_config srv;
	bool migrate;
	int drain_timeout_ms;
	char url[VALUE_MAX];
	char listen_buf[VALUE_MAX]; /* OZ_LISTEN, split in place. */
	size_t n_flag_listen;       /* --listen values so far. */
	char tls_cert[VALUE_MAX], tls_key[VALUE_MAX], tls_ca[VALUE_MAX];
	char token_file[VALUE_MAX];
	char http_addr[VALUE_MAX];
	char origin_buf[VALUE_MAX]; /* --ws-allowed-origin values, split. */
	size_t origin_len;
	char admin_file[VALUE_MAX];
};

/* How a setting's value is parsed and stored. */
enum kind {
	TEXT,     /* copied into field; ptr (if set) points at the copy */
	DURATION, /* "250ms", "30s", "2m", "1h", bare seconds; >= min ms */
	NUMBER,   /* integer (0x, 0 octal prefixes) in min..max */
	CUSTOM,   /* set() */
	FLAG,     /* no argument; set() with val NULL */
};

/* A parser for CUSTOM and FLAG settings. VAL is NULL for a flag without
 * argument; FROM_FLAG tells a flag from the environment. Returns 0, -1
 * for a bad value (the caller says so) or an exit status it reported. */
typedef int setter(struct options *o, const char *val, bool from_flag);

struct setting {
	const char *flag; /* long option without "--" */
	const char *env;  /* environment and .env name, or NULL */
	const char *arg;  /* argument name in --help; NULL: no argument */
	enum kind kind;
	long min, max;    /* NUMBER range; DURATION minimum in ms */
	size_t off, size; /* the field in struct options */
	size_t ptr;       /* TEXT: offset of a const char * set to the
			   * copy, 0 for none */
	setter *set;
	const char *hint; /* appended to "bad --flag VALUE" */
	const char *help;
};

#define FIELD(m)                                                              \
	.off = offsetof(struct options, m),                                   \
	.size = sizeof(((struct options *) NULL)->m)

static setter set_listen, set_migrate, set_synchronous, set_backup_dir,
	set_group_commit, set_http, set_origins, set_log_level;

/* In the order the environment is read: of several bad values there, the
 * first one in this table is the one reported. */
static const struct setting settings[] = {
	{.flag = "listen",
		.env = "OZ_LISTEN",
		.arg = "URL",
		.kind = CUSTOM,
		.set = set_listen,
		.help = "listen here; repeatable (a comma list in the "
			"environment). Default tcp://127.0.0.1:7878. "
			"tcp://, ipc://, tls+tcp://, ws://, inproc://"},
	{.flag = "database-url",
		.env = "DATABASE_URL",
		.arg = "URL",
		.kind = TEXT,
		FIELD(url),
		.help = "Default sqlite:///./app.db"},
	{.flag = "migrate",
		.kind = FLAG,
		.set = set_migrate,
		.help = "upgrade the database to the newest revision at "
			"start (a new database always is)"},
	{.flag = "synchronous",
		.env = "OZ_SYNCHRONOUS",
		.arg = "MODE",
		.kind = CUSTOM,
		.set = set_synchronous,
		.help = "full (default; every acknowledged write survives "
			"power loss) or normal (survives a crash of ozd; the "
			"last commits may be lost on power loss)"},
	{.flag = "busy-timeout",
		.env = "OZ_BUSY_TIMEOUT",
		.arg = "DUR",
		.kind = DURATION,
		FIELD(srv.store.busy_timeout_ms),
		.help = "Default 30s"},
	{.flag = "max-inflight",
		.env = "OZ_MAX_INFLIGHT",
		.arg = "N",
		.kind = NUMBER,
		.min = 1,
		.max = 1024,
		FIELD(srv.max_inflight),
		.hint = " (1..1024)",
		.help = "calls run at once; more get RESOURCE_EXHAUSTED at "
			"once. Default 64"},
	{.flag = "read-threads",
		.env = "OZ_READ_THREADS",
		.arg = "N",
		.kind = NUMBER,
		.min = 1,
		.max = RPC_READ_THREADS_MAX,
		FIELD(srv.read_threads),
		.hint = " (1..64)",
		.help = "PostgreSQL: threads (each with its own connection) "
			"that run reads, so no nng thread waits on the "
			"network. Default 4; unused on SQLite"},
	{.flag = "auth-token-file",
		.env = "OZ_AUTH_TOKEN_FILE",
		.arg = "FILE",
		.kind = TEXT,
		FIELD(token_file),
		.ptr = offsetof(struct options, srv.auth_token_file),
		.help = "require metadata \"authorization: Bearer TOKEN\" "
			"with a token of FILE (one per line) on every call "
			"but health"},
	{.flag = "admin-token-file",
		.env = "OZ_ADMIN_TOKEN_FILE",
		.arg = "FILE",
		.kind = TEXT,
		FIELD(admin_file),
		.ptr = offsetof(struct options, srv.admin_token_file),
		.help = "Backup and Optimize need \"authorization: Bearer "
			"TOKEN\" with a token of FILE; without it they are "
			"served to local callers only (ipc://, loopback)"},
	{.flag = "backup-dir",
		.env = "OZ_BACKUP_DIR",
		.arg = "DIR",
		.kind = CUSTOM,
		.set = set_backup_dir,
		.help = "AdminService/Backup writes only plain file names "
			"into DIR. Default: backups/ beside the database "
			"(created 0700)"},
	{.flag = "max-message-bytes",
		.env = "OZ_MAX_MESSAGE_BYTES",
		.arg = "N",
		.kind = NUMBER,
		.min = 1024,
		.max = 1L << 30,
		FIELD(srv.max_message_bytes),
		.help = "Default 4194304"},
	{.flag = "default-timeout",
		.env = "OZ_DEFAULT_TIMEOUT",
		.arg = "DUR",
		.kind = DURATION,
		.min = 1,
		FIELD(srv.default_timeout_ms),
		.help = "deadline of calls that set none. Default 30s"},
	{.flag = "drain-timeout",
		.env = "OZ_DRAIN_TIMEOUT",
		.arg = "DUR",
		.kind = DURATION,
		FIELD(drain_timeout_ms),
		.help = "time running calls get to finish on SIGTERM. "
			"Default 10s"},
	{.flag = "no-group-commit",
		.env = "OZ_GROUP_COMMIT",
		.kind = FLAG,
		.set = set_group_commit,
		.help = "one COMMIT per write (environment: 0, false or "
			"off)"},
	{.flag = "optimize-interval",
		.env = "OZ_OPTIMIZE_INTERVAL",
		.arg = "DUR",
		.kind = DURATION,
		FIELD(srv.optimize_interval_ms),
		.help = "run PRAGMA optimize this often (0: only at "
			"shutdown). Default 1h"},
	{.flag = "tls-cert",
		.env = "OZ_TLS_CERT",
		.arg = "FILE",
		.kind = TEXT,
		FIELD(tls_cert),
		.ptr = offsetof(struct options, srv.tls_cert),
		.help = "PEM certificate for tls+tcp://"},
	{.flag = "tls-key",
		.env = "OZ_TLS_KEY",
		.arg = "FILE",
		.kind = TEXT,
		FIELD(tls_key),
		.ptr = offsetof(struct options, srv.tls_key),
		.help = "its PEM private key"},
	{.flag = "tls-ca",
		.env = "OZ_TLS_CA",
		.arg = "FILE",
		.kind = TEXT,
		FIELD(tls_ca),
		.ptr = offsetof(struct options, srv.tls_ca),
		.help = "require client certificates signed by this CA"},
	{.flag = "ipc-mode",
		.env = "OZ_IPC_MODE",
		.arg = "MODE",
		.kind = NUMBER,
		.min = 0,
		.max = 0777,
		FIELD(srv.ipc_mode),
		.hint = " (octal, e.g. 0600)",
		.help = "ipc socket file mode. Default 0600"},
	{.flag = "log-level",
		.env = "OZ_LOG_LEVEL",
		.arg = "LEVEL",
		.kind = CUSTOM,
		.set = set_log_level,
		.help = "debug, info (default), warn, error, off"},
	{.flag = "http",
		.env = "OZ_HTTP",
		.arg = "HOST:PORT",
		.kind = CUSTOM,
		.set = set_http,
		.help = "serve the web console at http://HOST:PORT/ and the "
			"RPC endpoint at ws://HOST:PORT/rpc. Off unless "
			"given"},
	{.flag = "ws-allowed-origin",
		.env = "OZ_WS_ALLOWED_ORIGIN",
		.arg = "O",
		.kind = CUSTOM,
		.set = set_origins,
		.help = "repeatable, a comma list: a browser page of origin "
			"O (e.g. http://localhost:7880) may call over ws://. "
			"The console's own origin always may; clients that "
			"send no Origin are always served"},
};

#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

static int fail_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int
fail_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "ozd: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry 'ozd --help'.\n");
	va_end(ap);
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

/* Stores V in a numeric field of SIZE bytes (int, uint32_t or size_t). */
static void
store_number(void *field, size_t size, long v)
{
	if (size == sizeof(int)) {
		int x = (int) v;
		memcpy(field, &x, sizeof(x));
	} else {
		size_t x = (size_t) v;
		memcpy(field, &x, sizeof(x));
	}
}

/* --listen values replace OZ_LISTEN's; OZ_LISTEN is a comma list. */
static int
set_listen(struct options *o, const char *val, bool from_flag)
{
	if (from_flag) {
		if (o->n_flag_listen == RPC_LISTEN_MAX) {
			return fail_usage(
				"too many --listen (max %d)", RPC_LISTEN_MAX);
		}
		o->srv.listen[o->n_flag_listen++] = val;
		o->srv.n_listen = o->n_flag_listen;
		return 0;
	}
	snprintf(o->listen_buf, sizeof(o->listen_buf), "%s", val);
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
	return 0;
}

static int
set_migrate(struct options *o, const char *val, bool from_flag)
{
	(void) val;
	(void) from_flag;
	o->migrate = true;
	return 0;
}

static int
set_synchronous(struct options *o, const char *val, bool from_flag)
{
	(void) from_flag;
	return store_sync_parse(val, &o->srv.store.synchronous) != 0 ? -1 : 0;
}

static int
set_backup_dir(struct options *o, const char *val, bool from_flag)
{
	(void) from_flag;
	if (strlen(val) >= sizeof(o->srv.store.backup_dir)) {
		return fail_usage("--backup-dir %s is too long", val);
	}
	snprintf(o->srv.store.backup_dir, sizeof(o->srv.store.backup_dir),
		"%s", val);
	return 0;
}

/* --no-group-commit, or OZ_GROUP_COMMIT=0/false/off. */
static int
set_group_commit(struct options *o, const char *val, bool from_flag)
{
	(void) from_flag;
	o->srv.group_commit = val != NULL && strcmp(val, "0") != 0 &&
			      strcmp(val, "false") != 0 &&
			      strcmp(val, "off") != 0;
	return 0;
}

static int
set_http(struct options *o, const char *val, bool from_flag)
{
	(void) from_flag;
	snprintf(o->http_addr, sizeof(o->http_addr), "%s", val);
	o->srv.http_addr = o->http_addr[0] != '\0' ? o->http_addr : NULL;
	return 0;
}

/* Adds a comma list of allowed WebSocket origins. */
static int
set_origins(struct options *o, const char *val, bool from_flag)
{
	(void) from_flag;
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
				"too many --ws-allowed-origin (max %d)", 16);
		}
		o->srv.ws_origins[o->srv.n_ws_origins++] = t;
	}
	return 0;
}

static int
set_log_level(struct options *o, const char *val, bool from_flag)
{
	(void) o;
	(void) from_flag;
	log_level lv;
	if (log_level_parse(val, &lv) != 0) {
		return -1;
	}
	log_set_level(lv);
	return 0;
}

/* Parses VAL into the field of S. Returns 0, -1 if VAL is bad, or an exit
 * status already reported. */
static int
parse_setting(struct options *o, const struct setting *s, const char *val,
	bool from_flag)
{
	char *base = (char *) o;
	long n;
	int ms;
	switch (s->kind) {
	case TEXT:
		snprintf(base + s->off, s->size, "%s", val);
		if (s->ptr != 0) {
			const char *copy = base + s->off;
			memcpy(base + s->ptr, &copy, sizeof(copy));
		}
		return 0;
	case DURATION:
		if (parse_duration_ms(val, &ms) != 0 || ms < s->min) {
			return -1;
		}
		store_number(base + s->off, s->size, ms);
		return 0;
	case NUMBER:
		if (parse_long(val, s->min, s->max, &n) != 0) {
			return -1;
		}
		store_number(base + s->off, s->size, n);
		return 0;
	case CUSTOM:
	case FLAG:
		return s->set(o, val, from_flag);
	}
	return -1;
}

/* Applies one setting from a flag or the environment. */
static int
apply(struct options *o, const struct setting *s, const char *val,
	bool from_flag)
{
	int rc = parse_setting(o, s, val, from_flag);
	if (rc == -1) {
		return fail_usage("bad --%s %s%s", s->flag, val,
			s->hint != NULL ? s->hint : "");
	}
	return rc;
}

static int
apply_env(struct options *o)
{
	char val[VALUE_MAX];
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		if (s->env != NULL &&
			env_get(s->env, val, sizeof(val), NULL)) {
			int rc = apply(o, s, val, false);
			if (rc != 0) {
				return rc;
			}
		}
	}
	return 0;
}

/* Prints TEXT wrapped to 78 columns, each line after the first indented
 * to column COL (the cursor is at COL already). */
static void
print_wrapped(const char *text, int col)
{
	int at = col;
	while (*text != '\0') {
		size_t w = strcspn(text, " ");
		if (at > col && at + 1 + (int) w > 78) {
			printf("\n%*s", col, "");
			at = col;
		} else if (at > col) {
			putchar(' ');
			at++;
		}
		printf("%.*s", (int) w, text);
		at += (int) w;
		text += w;
		text += strspn(text, " ");
	}
	putchar('\n');
}

static void
print_usage(void)
{
	fputs("usage: ozd [options]\n"
	      "\n"
	      "Serves oz.v1 (users, tasks), grpc.health.v1 and "
	      "oz.rpc.v1.Reflection\n"
	      "over nng req/rep. Each option may also come from the "
	      "environment\n"
	      "variable shown, or from a NAME=value line in ./.env; flags "
	      "win.\n\n",
		stdout);
	enum { COL = 27 };
	char line[VALUE_MAX];
	for (size_t i = 0; i < N_SETTINGS; i++) {
		const struct setting *s = &settings[i];
		int w = printf("  --%s%s%s", s->flag,
			s->arg != NULL ? " " : "",
			s->arg != NULL ? s->arg : "");
		if (w >= COL) {
			printf("\n%*s", COL, "");
		} else {
			printf("%*s", COL - w, "");
		}
		snprintf(line, sizeof(line), "%s%s%s",
			s->env != NULL ? s->env : "",
			s->env != NULL ? ": " : "", s->help);
		print_wrapped(line, COL);
	}
	fputs("  --help, --version\n"
	      "\n"
	      "Durations: 250ms, 30s, 2m, 1h; a bare number is seconds.\n",
		stdout);
}

enum { OPT_HELP = 'h', OPT_VERSION = 'V', OPT_SETTING = 256 };

/* getopt_long's options: one per setting, then --help and --version. */
static void
build_long_opts(struct option *opts)
{
	for (size_t i = 0; i < N_SETTINGS; i++) {
		opts[i] = (struct option) {
			.name = settings[i].flag,
			.has_arg = settings[i].arg != NULL ? required_argument
							   : no_argument,
			.val = OPT_SETTING + (int) i,
		};
	}
	opts[N_SETTINGS] = (struct option) {.name = "help", .val = OPT_HELP};
	opts[N_SETTINGS + 1] =
		(struct option) {.name = "version", .val = OPT_VERSION};
	opts[N_SETTINGS + 2] = (struct option) {0};
}

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
	static struct option long_opts[N_SETTINGS + 3];
	build_long_opts(long_opts);
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			print_usage();
			return 0;
		}
		if (c == OPT_VERSION) {
			printf("ozd %s\n", OZ_VERSION);
			return 0;
		}
		if (c < OPT_SETTING || c >= OPT_SETTING + (int) N_SETTINGS) {
			return 2;
		}
		rc = apply(o, &settings[c - OPT_SETTING], optarg, true);
		if (rc != 0) {
			return rc;
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
	char db[1024];
	store_config_name(&o->srv.store, db, sizeof(db));
	if (store_open(&c, &o->srv.store, &st) != OZ_OK ||
		store_migrate_pending(c, &pending, &st) != OZ_OK ||
		store_migrate_current(c, rev, sizeof(rev), &st) != OZ_OK) {
		log_error("database %s: %s", db, st.message);
		goto out;
	}
	if (pending > 0 && !o->migrate && strcmp(rev, "base") != 0) {
		log_error(
			"database %s is at revision %s, %d revision(s) "
			"behind this build: run `ozctl migrate upgrade head` "
			"(same DATABASE_URL) or start ozd with --migrate",
			db, rev, pending);
		goto out;
	}
	if (pending > 0) {
		if (store_migrate_upgrade(c, "head", &st) != OZ_OK) {
			log_error("migrating %s: %s", db, st.message);
			goto out;
		}
		if (store_migrate_current(c, rev, sizeof(rev), &st) != OZ_OK) {
			log_error("database %s: %s", db, st.message);
			goto out;
		}
		log_info("database %s migrated to revision %s", db, rev);
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
	char db[1024];
	store_config_name(&s->store, db, sizeof(db));
	for (size_t i = 0; i < s->n_listen; i++) {
		log_info("config listen=%s", s->listen[i]);
	}
	log_info("config database=%s backend=%s synchronous=%s "
		 "busy_timeout_ms=%d "
		 "max_inflight=%d read_threads=%d max_message_bytes=%zu "
		 "default_timeout_ms=%u "
		 "drain_timeout_ms=%d optimize_interval_ms=%d group_commit=%s "
		 "ipc_mode=%04o tls=%s "
		 "client_certs=%s auth=%s admin=%s",
		db, store_traits_of(&s->store)->name,
		store_sync_name(s->store.synchronous),
		s->store.busy_timeout_ms, s->max_inflight, s->read_threads,
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
