/* store/url.c -- the one masker of database URLs, shared by the backends:
 * whatever echoes or logs a URL (a refused DATABASE_URL, a PostgreSQL
 * connection that failed) passes it through store_url_mask first. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"

#define MASK "***"

/* Appends s[0..len) to out (size n) at *at, cut short when full. */
static void
put(char *out, size_t n, size_t *at, const char *s, size_t len)
{
	size_t room = *at < n ? n - 1 - *at : 0;
	size_t k = len < room ? len : room;
	memcpy(out + *at, s, k);
	*at += k;
	out[*at] = '\0';
}

/* True when key[0..len), percent-decoded, is "password" in any case. */
static bool
is_password_key(const char *key, size_t len)
{
	static const char want[] = "password";
	size_t j = 0;
	for (size_t i = 0; i < len; i++, j++) {
		int c = (unsigned char) key[i];
		if (c == '%' && i + 2 < len &&
			isxdigit((unsigned char) key[i + 1]) &&
			isxdigit((unsigned char) key[i + 2])) {
			unsigned v = 0;
			sscanf(key + i + 1, "%2x", &v);
			c = (int) v;
			i += 2;
		}
		if (j >= sizeof(want) - 1 || tolower(c) != want[j]) {
			return false;
		}
	}
	return j == sizeof(want) - 1;
}

/* Length of the value at v: a 'quoted' conninfo value (backslash
 * escapes) or up to the next separator. */
static size_t
value_len(const char *v)
{
	if (*v != '\'') {
		return strcspn(v, "& \t#");
	}
	size_t i = 1;
	while (v[i] != '\0' && v[i] != '\'') {
		i += v[i] == '\\' && v[i + 1] != '\0' ? 2 : 1;
	}
	return v[i] == '\'' ? i + 1 : i;
}

/* Length of the "scheme://user:" prefix when url holds a password in its
 * authority (written as MASK up to the last '@'), else 0. OUT: *rest, that
 * '@'. */
static size_t
userinfo_password(const char *url, const char **rest)
{
	const char *auth = strstr(url, "://");
	if (auth == NULL) {
		return 0;
	}
	auth += 3;
	size_t len = strcspn(auth, "/?#");
	/* The userinfo ends at the authority's last '@' (as URL parsers
	 * read it), so a password holding an '@' is masked whole. */
	const char *at = NULL;
	for (size_t i = 0; i < len; i++) {
		at = auth[i] == '@' ? auth + i : at;
	}
	const char *colon =
		at != NULL ? memchr(auth, ':', (size_t) (at - auth)) : NULL;
	if (colon == NULL) {
		return 0;
	}
	*rest = at;
	return (size_t) (colon - url) + 1;
}

void
store_url_mask(const char *url, char *out, size_t n)
{
	size_t at = 0;
	const char *p = url;
	out[0] = '\0';
	size_t head = userinfo_password(url, &p);
	if (head > 0) {
		put(out, n, &at, url, head);
		put(out, n, &at, MASK, strlen(MASK));
	}
	bool start = p == url;
	while (*p != '\0') {
		size_t key = strcspn(p, "=&? \t#");
		size_t eq = key + strspn(p + key, " \t");
		if (start && key > 0 && p[eq] == '=' &&
			is_password_key(p, key)) {
			size_t v = eq + 1 + strspn(p + eq + 1, " \t");
			put(out, n, &at, p, eq + 1);
			put(out, n, &at, MASK, strlen(MASK));
			p += v + value_len(p + v);
			start = false;
			continue;
		}
		start = strchr("?& \t", *p) != NULL;
		put(out, n, &at, p, 1);
		p++;
	}
}
