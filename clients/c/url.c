/* clients/c/url.c -- checks server URLs before nng sees them (url.h).
 *
 * Parsing only: no I/O, no nng. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

enum kind { HOST_PORT, HOST_OPT_PORT_PATH, NAME };

static const struct scheme {
	const char *prefix;
	enum kind kind;
} schemes[] = {
	{"tcp://", HOST_PORT},
	{"tcp4://", HOST_PORT},
	{"tcp6://", HOST_PORT},
	{"tls+tcp://", HOST_PORT},
	{"tls+tcp4://", HOST_PORT},
	{"tls+tcp6://", HOST_PORT},
	{"ws://", HOST_OPT_PORT_PATH},
	{"ws4://", HOST_OPT_PORT_PATH},
	{"ws6://", HOST_OPT_PORT_PATH},
	{"wss://", HOST_OPT_PORT_PATH},
	{"wss4://", HOST_OPT_PORT_PATH},
	{"wss6://", HOST_OPT_PORT_PATH},
	{"ipc://", NAME},
	{"abstract://", NAME},
	{"inproc://", NAME},
};

static const struct scheme *
scheme_of(const char *url)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strncmp(url, schemes[i].prefix,
			    strlen(schemes[i].prefix)) == 0) {
			return &schemes[i];
		}
	}
	return NULL;
}

static oz_code
bad(const char *url, const char *why, oz_status *st)
{
	return oz_fail(st, OZ_INVALID_ARGUMENT,
		"malformed URL \"%s\": %s; expected " CLIENT_URL_FORMS, url,
		why);
}

/* The end of the host of "HOST[:PORT]..." (a bracketed IPv6 address
 * included), or NULL when a '[' is not closed. */
static const char *
host_end(const char *h)
{
	if (h[0] == '[') {
		const char *e = strchr(h, ']');
		return e != NULL ? e + 1 : NULL;
	}
	return h + strcspn(h, ":/");
}

/* Checks the decimal port at p, up to the first '/' or the end. */
static bool
port_ok(const char *p)
{
	size_t n = strcspn(p, "/");
	if (n == 0 || n > 5 || strspn(p, "0123456789") != n) {
		return false;
	}
	long v = strtol(p, NULL, 10);
	return v >= 1 && v <= 65535;
}

static oz_code
check_host_port(const char *url, const char *rest, enum kind k, oz_status *st)
{
	const char *e = host_end(rest);
	if (e == NULL) {
		return bad(url, "unclosed [ in the host", st);
	}
	if (e == rest) {
		return bad(url, "no host", st);
	}
	if (*e == ':') {
		if (!port_ok(e + 1)) {
			return bad(url,
				"the port must be a number from 1 to 65535",
				st);
		}
		e += 1 + strcspn(e + 1, "/");
	} else if (k == HOST_PORT) {
		return bad(url, "no port", st);
	}
	if (*e != '\0' && (k == HOST_PORT || *e != '/')) {
		return bad(url, "unexpected text after the port", st);
	}
	return OZ_OK;
}

oz_code
client_url_check(const char *url, oz_status *st)
{
	if (url == NULL || url[0] == '\0') {
		return bad("", "empty", st);
	}
	const struct scheme *s = scheme_of(url);
	if (s == NULL) {
		return bad(url,
			strstr(url, "://") != NULL ? "unsupported scheme"
						   : "no scheme",
			st);
	}
	const char *rest = url + strlen(s->prefix);
	if (s->kind == NAME) {
		return rest[0] != '\0' ? OZ_OK
				       : bad(url, "no path or name", st);
	}
	return check_host_port(url, rest, s->kind, st);
}

bool
client_url_is_local(const char *url)
{
	static const char *const local[] = {"ipc://", "abstract://",
		"inproc://", "tcp://127.",
		"tcp://localhost:", "tcp://[::1]:", "tcp4://127.",
		"tcp4://localhost:", "tcp6://[::1]:", "tls+tcp://127.",
		"tls+tcp://localhost:", "tls+tcp://[::1]:"};
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		if (strncmp(url, local[i], strlen(local[i])) == 0) {
			return true;
		}
	}
	return false;
}

/* Drops blanks at both ends of s, in place; returns the new start. */
static char *
trim(char *s)
{
	while (*s == ' ' || *s == '\t') {
		s++;
	}
	size_t len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
		s[--len] = '\0';
	}
	return s;
}

oz_code
client_url_split(const char *list, char **copy,
	const char *urls[CLIENT_MAX_URLS], size_t *n, oz_status *st)
{
	oz_code rc = OZ_OK;

	*n = 0;
	*copy = NULL;
	if (list == NULL || list[0] == '\0') {
		return bad("", "empty", st);
	}
	char *buf = strdup(list);
	if (buf == NULL) {
		return oz_fail(st, OZ_RESOURCE_EXHAUSTED, "out of memory");
	}
	/* strsep, not strtok: "a,,b" has an empty element to report. */
	for (char *p = buf; p != NULL && rc == OZ_OK;) {
		char *u = trim(strsep(&p, ","));
		if (*n == CLIENT_MAX_URLS) {
			rc = oz_fail(st, OZ_INVALID_ARGUMENT,
				"more than %d URLs in \"%s\"", CLIENT_MAX_URLS,
				list);
		} else if ((rc = client_url_check(u, st)) == OZ_OK) {
			urls[(*n)++] = u;
		}
	}
	if (rc != OZ_OK) {
		free(buf);
		*n = 0;
		return rc;
	}
	*copy = buf;
	return OZ_OK;
}
