/* core/env.c -- environment and .env lookup. Reads the file on each call:
 * it is used at start-up only, never on a request path. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/env.h"

static void
copy_out(char *out, size_t n, const char *s, size_t len)
{
	if (n == 0) {
		return;
	}
	if (len >= n) {
		len = n - 1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
}

/* Finds NAME in one .env line. Returns 1 and sets val and len if it is there.
 */
static int
dotenv_line(char *line, const char *name, const char **val, size_t *len)
{
	char *p = line;
	while (isspace((unsigned char) *p)) {
		p++;
	}
	if (strncmp(p, "export ", 7) == 0) {
		p += 7;
		while (isspace((unsigned char) *p)) {
			p++;
		}
	}
	size_t nl = strlen(name);
	if (strncmp(p, name, nl) != 0) {
		return 0;
	}
	p += nl;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	if (*p != '=') {
		return 0;
	}
	p++;
	while (*p == ' ' || *p == '\t') {
		p++;
	}
	size_t l = strcspn(p, "\r\n");
	/* A quoted value ends at its closing quote; a comment may follow. */
	const char *closing = l >= 2 && (p[0] == '"' || p[0] == '\'')
				      ? memchr(p + 1, p[0], l - 1)
				      : NULL;
	if (closing != NULL) {
		l = (size_t) (closing - p) - 1;
		p++;
	} else {
		/* An unquoted value ends at " #" (a trailing comment). */
		char *hash = strstr(p, " #");
		if (hash != NULL && (size_t) (hash - p) < l) {
			l = (size_t) (hash - p);
		}
		while (l > 0 && isspace((unsigned char) p[l - 1])) {
			l--;
		}
	}
	*val = p;
	*len = l;
	return 1;
}

int
env_get_from(const char *name, const char *dotenv_path, char *out, size_t n,
	const char *def)
{
	const char *v = getenv(name);
	if (v != NULL) {
		copy_out(out, n, v, strlen(v));
		return 1;
	}
	FILE *f = dotenv_path != NULL ? fopen(dotenv_path, "r") : NULL;
	if (f != NULL) {
		char line[4096];
		int found = 0;
		while (fgets(line, sizeof(line), f) != NULL) {
			const char *val;
			size_t len;
			if (dotenv_line(line, name, &val, &len)) {
				copy_out(out, n, val, len);
				found = 1; /* The last assignment wins. */
			}
		}
		fclose(f);
		if (found) {
			return 1;
		}
	}
	if (def != NULL) {
		copy_out(out, n, def, strlen(def));
	}
	return 0;
}

int
env_get(const char *name, char *out, size_t n, const char *def)
{
	return env_get_from(name, ".env", out, n, def);
}
