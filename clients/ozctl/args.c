/* clients/ozctl/args.c -- command-line parsing shared by every verb: the
 * verb's own options, the global ones wherever they appear, numbers.
 *
 * Parsing only: nothing here talks to a server or prints results. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ozctl.h"

int
ozctl_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	fputs("ozctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n(try --help)\n", usage);
	return OZCTL_EXIT_USAGE;
}

bool
ozctl_int64(const char *s, int64_t *v)
{
	char *end;
	if (s == NULL) {
		return false;
	}
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0) {
		return false;
	}
	*v = x;
	return true;
}

bool
ozctl_int32(const char *s, int32_t *v)
{
	int64_t x;
	if (!ozctl_int64(s, &x) || x < INT32_MIN || x > INT32_MAX) {
		return false;
	}
	*v = (int32_t) x;
	return true;
}

ozctl_opt *
ozctl_opt_get(ozctl_opt *opts, size_t n_opts, const char *name)
{
	for (size_t i = 0; i < n_opts; i++) {
		if (strcmp(opts[i].name, name) == 0) {
			return &opts[i];
		}
	}
	abort(); /* A verb asked for an option it did not declare. */
}

/* --url: the first replaces OZ_URL, the next ones add servers. Returns
 * false when memory runs out. */
static bool
add_url(ozctl *ctl, const char *value)
{
	size_t had = ctl->url_list != NULL ? strlen(ctl->url_list) : 0;
	size_t add = value != NULL ? strlen(value) : 0;
	char *list = realloc(ctl->url_list, had + add + 2);
	if (list == NULL) {
		return false;
	}
	snprintf(list + had, add + 2, "%s%s", had > 0 ? "," : "",
		value != NULL ? value : "");
	ctl->url_list = list;
	ctl->url = list;
	return true;
}

/* Applies a global option; returns 1 if name is one, 0 if not, -1 on a
 * bad value. */
static int
global_opt(ozctl *ctl, const char *name, const char *value, const char *usage)
{
	if (strcmp(name, "json") == 0) {
		ctl->json = true;
	} else if (strcmp(name, "quiet") == 0 || strcmp(name, "q") == 0) {
		ctl->quiet = true;
	} else if (strcmp(name, "help") == 0 || strcmp(name, "h") == 0) {
		ctl->help = true;
	} else if (strcmp(name, "url") == 0) {
		if (!add_url(ctl, value)) {
			fputs("ozctl: out of memory\n", stderr);
			return -1;
		}
	} else if (strcmp(name, "token") == 0) {
		ctl->token = value;
	} else if (strcmp(name, "tls-ca") == 0) {
		ctl->tls_ca = value;
	} else if (strcmp(name, "tls-server-name") == 0) {
		ctl->tls_server_name = value;
	} else if (strcmp(name, "tls-cert") == 0) {
		ctl->tls_cert = value;
	} else if (strcmp(name, "timeout") == 0) {
		int32_t ms;
		if (!ozctl_int32(value, &ms) || ms <= 0) {
			ozctl_usage_error(usage,
				"--timeout takes milliseconds > 0, not \"%s\"",
				value);
			return -1;
		}
		ctl->timeout_ms = ms;
	} else {
		return 0;
	}
	return 1;
}

static bool
global_has_value(const char *name)
{
	return strcmp(name, "url") == 0 || strcmp(name, "token") == 0 ||
	       strcmp(name, "timeout") == 0 || strncmp(name, "tls-", 4) == 0;
}

static bool
is_global(const char *name)
{
	static const char *const names[] = {"json", "quiet", "q", "help", "h",
		"url", "token", "timeout", "tls-ca", "tls-server-name",
		"tls-cert"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i], name) == 0) {
			return true;
		}
	}
	return false;
}

int
ozctl_parse(ozctl *ctl, int argc, char **argv, ozctl_opt *opts, size_t n_opts,
	const char **pos, int max_pos, int *n_pos, const char *usage)
{
	bool only_pos = false;
	*n_pos = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == '\0' ||
			(a[1] >= '0' && a[1] <= '9')) {
			if (*n_pos >= max_pos) {
				return ozctl_usage_error(usage,
					"unexpected argument \"%s\"", a);
			}
			pos[(*n_pos)++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		char name[64];
		const char *value = NULL;
		const char *n = a + (a[1] == '-' ? 2 : 1);
		const char *eq = strchr(n, '=');
		size_t len = eq != NULL ? (size_t) (eq - n) : strlen(n);
		if (len >= sizeof(name)) {
			return ozctl_usage_error(
				usage, "unknown option %s", a);
		}
		memcpy(name, n, len);
		name[len] = '\0';
		ozctl_opt *o = NULL;
		for (size_t k = 0; k < n_opts; k++) {
			if (strcmp(opts[k].name, name) == 0) {
				o = &opts[k];
			}
		}
		bool needs = o != NULL ? o->has_value : global_has_value(name);
		if (o == NULL && !is_global(name)) {
			return ozctl_usage_error(
				usage, "unknown option %s", a);
		}
		if (needs) {
			if (eq != NULL) {
				value = eq + 1;
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				return ozctl_usage_error(usage,
					"option --%s needs a value", name);
			}
		} else if (eq != NULL) {
			return ozctl_usage_error(
				usage, "option --%s takes no value", name);
		}
		if (o != NULL) {
			o->value = value;
			o->set = true;
		} else if (global_opt(ctl, name, value, usage) < 0) {
			return OZCTL_EXIT_USAGE;
		}
	}
	return 0;
}

bool
ozctl_begin(ozctl *ctl, int argc, char **argv, ozctl_opt *opts, size_t n_opts,
	const char **pos, int max_pos, int *n_pos, const char *usage,
	const char *help, int *exit_code)
{
	*exit_code = ozctl_parse(
		ctl, argc, argv, opts, n_opts, pos, max_pos, n_pos, usage);
	if (*exit_code != 0) {
		return false;
	}
	if (ctl->help) {
		printf("usage: %s\n\n%s", usage, help);
		return false;
	}
	return true;
}

int
ozctl_dispatch(ozctl *ctl, int argc, char **argv, const ozctl_sub *subs,
	size_t n_subs, const char *usage, const char *help)
{
	if (argc > 0 && argv[0][0] != '-') {
		for (size_t i = 0; i < n_subs; i++) {
			if (strcmp(argv[0], subs[i].name) == 0) {
				return subs[i].run(ctl, argc - 1, argv + 1);
			}
		}
		return ozctl_usage_error(
			usage, "unknown sub-command \"%s\"", argv[0]);
	}
	if (ctl->help || (argc > 0 && (strcmp(argv[0], "--help") == 0 ||
					      strcmp(argv[0], "-h") == 0))) {
		printf("usage: %s\n\n%s", usage, help);
		return OZCTL_EXIT_OK;
	}
	return ozctl_usage_error(usage, "a sub-command is needed");
}

int
ozctl_one_id(int n_pos, const char **pos, int64_t *id, const char *usage)
{
	if (n_pos != 1) {
		return ozctl_usage_error(usage, "ID is required");
	}
	if (!ozctl_int64(pos[0], id)) {
		return ozctl_usage_error(
			usage, "ID must be an integer, not \"%s\"", pos[0]);
	}
	return 0;
}
