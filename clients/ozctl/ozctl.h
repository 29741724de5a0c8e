/* clients/ozctl/ozctl.h -- what the files of ozctl share: the global
 * options, the exit statuses, option parsing and output helpers.
 *
 * ozctl talks to ozd only through the C client library (oz/client.h) and
 * to the database only through store/migrate.h; no nng, no SQL here. */
#ifndef OZ_OZCTL_H
#define OZ_OZCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "oz/client.h"

/* Exit statuses, one per error class (documented in --help and ozctl(1)). */
enum {
	OZCTL_EXIT_OK = 0,
	OZCTL_EXIT_OTHER = 1,       /* INTERNAL, UNKNOWN, UNIMPLEMENTED, ... */
	OZCTL_EXIT_USAGE = 2,       /* Bad command line. */
	OZCTL_EXIT_NOT_FOUND = 3,   /* NOT_FOUND. */
	OZCTL_EXIT_CONFLICT = 4,    /* ALREADY_EXISTS, FAILED_PRECONDITION,
				       ABORTED. */
	OZCTL_EXIT_INVALID = 5,     /* INVALID_ARGUMENT, OUT_OF_RANGE. */
	OZCTL_EXIT_UNAVAILABLE = 6, /* UNAVAILABLE, DEADLINE_EXCEEDED,
				       RESOURCE_EXHAUSTED, NOT_SERVING. */
	OZCTL_EXIT_AUTH = 7,        /* UNAUTHENTICATED, PERMISSION_DENIED. */
};

/* Global options and the lazily opened client. */
typedef struct ozctl {
	/* One URL or a comma list (OZ_URL); --url replaces it, and each
	 * further --url adds one to the list held in url_list. */
	const char *url;
	char *url_list; /* Owned: the --url values joined by commas. */
	const char *token;
	const char *tls_ca;          /* --tls-ca / OZ_TLS_CA */
	const char *tls_server_name; /* --tls-server-name */
	const char *tls_cert;        /* --tls-cert / OZ_TLS_CERT */
	int timeout_ms;
	bool json;
	bool quiet;
	bool help;
	oz_client *client;
} ozctl;

/* One option of a verb. Parsing fills value/set. */
typedef struct ozctl_opt {
	const char *name; /* Long name without "--". */
	bool has_value;
	const char *value; /* OUT: the value; NULL for a flag. */
	bool set;          /* OUT: given on the command line. */
} ozctl_opt;

/* Parses argv (after the verb words) against opts and the global options
 * (--url, --timeout, --token, --tls-*, --json, -q/--quiet, -h/--help), which
 * may appear anywhere. OUT: pos/n_pos, the positional arguments (pointers into
 * argv, at most max_pos). Returns 0, or OZCTL_EXIT_USAGE after printing the
 * problem and the hint to use --help. */
int ozctl_parse(ozctl *ctl, int argc, char **argv, ozctl_opt *opts,
	size_t n_opts, const char **pos, int max_pos, int *n_pos,
	const char *usage);

/* Initialiser of one ozctl_opt. */
#define OZCTL_OPT(name, has_value)                                            \
	{                                                                     \
		(name), (has_value), NULL, false                              \
	}

/* ozctl_parse, then --help: returns true when the verb should run; else
 * *exit_code is set (0 after printing usage and help on stdout). */
bool ozctl_begin(ozctl *ctl, int argc, char **argv, ozctl_opt *opts,
	size_t n_opts, const char **pos, int max_pos, int *n_pos,
	const char *usage, const char *help, int *exit_code);

/* Runs the sub-verb of argv[0] among subs (name, function); prints the
 * group's help for --help or no sub-verb. Returns an exit status. */
typedef struct ozctl_sub {
	const char *name;
	int (*run)(ozctl *ctl, int argc, char **argv);
} ozctl_sub;
int ozctl_dispatch(ozctl *ctl, int argc, char **argv, const ozctl_sub *subs,
	size_t n_subs, const char *usage, const char *help);

/* Returns the option named name of opts (it must exist). */
ozctl_opt *ozctl_opt_get(ozctl_opt *opts, size_t n_opts, const char *name);

/* Prints "ozctl: MESSAGE" and the usage line to stderr; returns
 * OZCTL_EXIT_USAGE. */
int ozctl_usage_error(const char *usage, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* Parses a decimal int64 / int32; false when s is not one. */
bool ozctl_int64(const char *s, int64_t *v);
bool ozctl_int32(const char *s, int32_t *v);

/* Returns the client, opening it on first use. On failure prints the
 * error and returns NULL with *exit_code set. */
oz_client *ozctl_client(ozctl *ctl, int *exit_code);

/* Maps a code to the exit status of its class. */
int ozctl_exit_code(oz_code code);

/* Prints "ozctl: CODE: message" and each violation to stderr; returns the
 * exit status of st->code. */
int ozctl_fail(const oz_status *st);

/* Prints msg as pretty JSON (defaults included) on stdout. Returns an
 * exit status. */
int ozctl_print_json(const ProtobufCMessage *msg);

/* Formats a timestamp as "2024-01-02T03:04:05Z", or "-" when absent. */
const char *ozctl_time(
	const Google__Protobuf__Timestamp *t, char *buf, size_t n);

/* An aligned text table. Cells are copied. */
typedef struct ozctl_table ozctl_table;
ozctl_table *ozctl_table_new(size_t n_cols, const char *const *headers);
void ozctl_table_add(ozctl_table *t, const char *const *cells);
/* Prints and frees the table. */
void ozctl_table_print(ozctl_table *t, FILE *f);

/* Prints n messages (users, tasks, ...) as a table. */
typedef void (*ozctl_table_fn)(void *const *items, size_t n);

/* Prints msg (a resource with an int64 id) as JSON with --json, its id
 * with -q, else with table; then frees it. Returns an exit status. */
int ozctl_show(ozctl *ctl, ProtobufCMessage *msg, ozctl_table_fn table);

/* Calls the List method with req page by page (every page when all is
 * true, else one), then prints the items of all pages as one list: one
 * JSON object with the last next_page_token and total_size, ids, or a
 * table. req's page_token and skip are changed while walking. Returns an
 * exit status (errors printed). */
int ozctl_list(ozctl *ctl, const char *method, ProtobufCMessage *req, bool all,
	ozctl_table_fn table);

/* Calls method with req and shows the reply with ozctl_show. Returns an
 * exit status (errors printed). */
int ozctl_call_show(ozctl *ctl, const char *method,
	const ProtobufCMessage *req, ozctl_table_fn table);

/* Calls a Delete method (Empty reply) with req, a request with an int64
 * id, and confirms: {} with --json, nothing with -q, else "deleted WHAT
 * ID". Returns an exit status (errors printed). */
int ozctl_call_delete(ozctl *ctl, const char *method,
	const ProtobufCMessage *req, const char *what);

/* Checks that exactly one positional argument was given and is an
 * integer id. Returns 0 or OZCTL_EXIT_USAGE (printed). */
int ozctl_one_id(int n_pos, const char **pos, int64_t *id, const char *usage);

/* Verbs: each returns an exit status. argv[0] is the verb's first
 * argument after its name. */
int ozctl_users(ozctl *ctl, int argc, char **argv);
int ozctl_tasks(ozctl *ctl, int argc, char **argv);
int ozctl_health(ozctl *ctl, int argc, char **argv);
int ozctl_methods(ozctl *ctl, int argc, char **argv);
int ozctl_call(ozctl *ctl, int argc, char **argv);
int ozctl_migrate(ozctl *ctl, int argc, char **argv);
int ozctl_backup(ozctl *ctl, int argc, char **argv);   /* admin.c */
int ozctl_optimize(ozctl *ctl, int argc, char **argv); /* admin.c */
int ozctl_stats(ozctl *ctl, int argc, char **argv);    /* stats.c */
int ozctl_restore(ozctl *ctl, int argc, char **argv);  /* dbfile.c */
int ozctl_vacuum(ozctl *ctl, int argc, char **argv);   /* dbfile.c */
int ozctl_batch(ozctl *ctl, int argc, char **argv);    /* batch.c */
int ozctl_import(ozctl *ctl, int argc, char **argv);   /* import.c */
int ozctl_export(ozctl *ctl, int argc, char **argv);   /* export.c */
int ozctl_sql(ozctl *ctl, int argc, char **argv);      /* sql.c */

/* Task status names as on the command line: "pending", "in_progress",
 * "done". Parse returns false for another word. */
bool ozctl_task_status_parse(const char *s, Oz__V1__TaskStatus *out);
const char *ozctl_task_status_name(Oz__V1__TaskStatus s);

/* Prints a task table (used by users get --with-tasks too). */
void ozctl_print_tasks(void *const *tasks, size_t n);

#endif /* OZ_OZCTL_H */
