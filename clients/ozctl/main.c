/* clients/ozctl/main.c -- ozctl, the command-line client of oz: global
 * options, the verb table, --help and --version, and the exit status.
 *
 * Each verb lives in its own file; add one by adding a row to `verbs`.
 * No server logic and no SQL here. */
#include <stdlib.h>
#include <string.h>

#include "../c/url.h"
#include "ozctl.h"

static const char main_usage[] = "ozctl [GLOBAL OPTIONS] VERB [ARGS]";

static const char main_help[] =
	"ozctl -- command-line client of the oz service\n"
	"\n"
	"usage: ozctl [GLOBAL OPTIONS] VERB [ARGS]   (ozctl VERB --help for "
	"more)\n"
	"\n"
	"verbs:\n"
	"%s"
	"\n"
	"global options (accepted before or after the verb):\n"
	"  --url URL        server URL (env OZ_URL; default "
	"tcp://127.0.0.1:7878):\n"
	"                   tcp://HOST:PORT, tls+tcp://HOST:PORT, "
	"ipc:///PATH,\n"
	"                   ws://HOST:PORT/PATH, wss://HOST:PORT/PATH or "
	"inproc://NAME;\n"
	"                   several servers: repeat --url or give a comma "
	"list (calls\n"
	"                   are spread over them; see docs/protocol.md)\n"
	"  --timeout MS     deadline of each call in milliseconds, retries "
	"included\n"
	"                   (default 5000)\n"
	"  --token TOKEN    bearer token sent as authorization metadata (env "
	"OZ_TOKEN)\n"
	"  --tls-ca FILE    tls+tcp://: verify the server against this CA "
	"(env OZ_TLS_CA;\n"
	"                   without it the server is not verified)\n"
	"  --tls-server-name NAME  name expected in the server certificate\n"
	"  --tls-cert FILE  PEM file with this client's certificate and key, "
	"for servers\n"
	"                   that require one (env OZ_TLS_CERT)\n"
	"  --json           machine-readable JSON output (proto3 JSON "
	"mapping)\n"
	"  -q, --quiet      print only ids (a next-page token goes to "
	"stderr)\n"
	"  -h, --help       help of ozctl or of a verb\n"
	"  --version        print the version\n"
	"\n"
	"exit status:\n"
	"  0  success\n"
	"  1  other error (INTERNAL, UNKNOWN, UNIMPLEMENTED, DATA_LOSS, "
	"CANCELLED)\n"
	"  2  usage error (bad command line, malformed URL, bad JSON "
	"request)\n"
	"  3  NOT_FOUND\n"
	"  4  ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED\n"
	"  5  INVALID_ARGUMENT, OUT_OF_RANGE\n"
	"  6  UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED (and health "
	"NOT_SERVING)\n"
	"  7  UNAUTHENTICATED, PERMISSION_DENIED\n"
	"\n"
	"Errors are printed on stderr as \"ozctl: CODE: message\", followed "
	"by one\n"
	"\"  field: description\" line per invalid field. See ozctl(1).\n";

struct verb {
	const char *name;
	int (*run)(ozctl *ctl, int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{"users", ozctl_users, "create, get, list, update and delete users"},
	{"tasks", ozctl_tasks, "create, get, list, update and delete tasks"},
	{"health", ozctl_health, "ask whether the server is serving"},
	{"methods", ozctl_methods, "list the server's methods (reflection)"},
	{"call", ozctl_call, "call any method with a JSON request"},
	{"batch", ozctl_batch, "apply a file of writes all together or not"},
	{"import", ozctl_import,
		"create users or tasks from JSON Lines or CSV"},
	{"export", ozctl_export, "write users or tasks as JSON Lines or CSV"},
	{"sql", ozctl_sql, "run one read-only SQL statement (admin token)"},
	{"migrate", ozctl_migrate,
		"upgrade, downgrade or inspect the database schema"},
	{"backup", ozctl_backup, "copy the live database to a file"},
	{"restore", ozctl_restore, "replace the database with a backup"},
	{"optimize", ozctl_optimize, "run PRAGMA optimize on the server"},
	{"vacuum", ozctl_vacuum, "compact the database file (offline)"},
	{"stats", ozctl_stats, "show the server's call statistics"},
};

static void
print_help(void)
{
	char list[2048];
	size_t len = 0;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		len += (size_t) snprintf(list + len, sizeof(list) - len,
			"  %-9s%s\n", verbs[i].name, verbs[i].summary);
	}
	printf(main_help, list);
}

/* The value of environment variable name, or NULL when unset or empty. */
static const char *
env_set(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

oz_client *
ozctl_client(ozctl *ctl, int *exit_code)
{
	oz_client_options o;
	oz_status st;
	if (ctl->client != NULL) {
		return ctl->client;
	}
	/* A malformed URL is a mistake on the command line (or in OZ_URL),
	 * not an answer of the server. */
	const char *urls[CLIENT_MAX_URLS];
	char *copy;
	size_t n;
	if (client_url_split(
		    ctl->url != NULL ? ctl->url : OZ_CLIENT_DEFAULT_URL, &copy,
		    urls, &n, &st) != OZ_OK) {
		*exit_code = ozctl_usage_error(
			main_usage, "%s (--url or OZ_URL)", st.message);
		return NULL;
	}
	free(copy);
	memset(&o, 0, sizeof(o));
	o.deadline_ms = ctl->timeout_ms;
	o.auth_token = ctl->token;
	o.tls_ca_file = ctl->tls_ca;
	o.tls_server_name = ctl->tls_server_name;
	o.tls_cert_key_file = ctl->tls_cert;
	if (oz_client_open(&ctl->client, ctl->url, &o, &st) != OZ_OK) {
		*exit_code = ozctl_fail(&st);
		return NULL;
	}
	return ctl->client;
}

/* Everything main does but freeing the --url list. */
static int
run(ozctl *ctl, int argc, char **argv)
{
	int i, rc;

	ctl->url = env_set("OZ_URL");
	ctl->token = env_set("OZ_TOKEN");
	ctl->tls_ca = env_set("OZ_TLS_CA");
	ctl->tls_cert = env_set("OZ_TLS_CERT");
	/* Global options before the verb; the verb parses the rest. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("ozctl %s\n", OZ_VERSION);
			return OZCTL_EXIT_OK;
		}
		const char *pos[1];
		int n_pos, end = i + 1;
		/* Options with a value consume the next word too. */
		if (strchr(argv[i], '=') == NULL &&
			(strcmp(argv[i], "--url") == 0 ||
				strcmp(argv[i], "--token") == 0 ||
				strcmp(argv[i], "--timeout") == 0 ||
				strncmp(argv[i], "--tls-", 6) == 0)) {
			end = i + 2 <= argc ? i + 2 : argc;
		}
		if ((rc = ozctl_parse(ctl, end - i, argv + i, NULL, 0, pos, 0,
			     &n_pos, main_usage)) != 0) {
			return rc;
		}
		i = end - 1;
	}
	if (i >= argc) {
		if (ctl->help) {
			print_help();
			return OZCTL_EXIT_OK;
		}
		return ozctl_usage_error(main_usage, "no verb given");
	}
	for (size_t v = 0; v < sizeof(verbs) / sizeof(verbs[0]); v++) {
		if (strcmp(argv[i], verbs[v].name) == 0) {
			rc = verbs[v].run(ctl, argc - i - 1, argv + i + 1);
			oz_client_close(ctl->client);
			return rc;
		}
	}
	if (strcmp(argv[i], "help") == 0) {
		print_help();
		return OZCTL_EXIT_OK;
	}
	return ozctl_usage_error(main_usage, "unknown verb \"%s\"", argv[i]);
}

int
main(int argc, char **argv)
{
	ozctl ctl;
	memset(&ctl, 0, sizeof(ctl));
	int rc = run(&ctl, argc, argv);
	free(ctl.url_list);
	return rc;
}
