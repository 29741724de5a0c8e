/* store/url.c -- database URLs, shared by the backends: the one parser
 * (its scheme chooses the backend), the backends' traits, and the one
 * masker: whatever echoes or logs a URL (a refused DATABASE_URL, a
 * PostgreSQL connection that failed) passes it through store_url_mask
 * first. */
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

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* INVALID_ARGUMENT naming url (masked) and the accepted forms. */
static oz_code
refuse(const char *url, oz_status *st)
{
	char shown[512];
	store_url_mask(url, shown, sizeof(shown));
	return oz_fail(st, OZ_INVALID_ARGUMENT,
		"unsupported DATABASE_URL \"%s\": expected "
		"sqlite:///relative.db, sqlite:////absolute/path.db, "
		"sqlite:///:memory: or postgresql://user@host/dbname",
		shown);
}

oz_code
store_url_parse(const char *url, store_config *cfg, oz_status *st)
{
	static const char sqlite[] = "sqlite:///";
	size_t pl = sizeof(sqlite) - 1;
	if (strlen(url) >= sizeof(cfg->url)) {
		return refuse(url, st);
	}
	if (has_prefix(url, "postgresql://") ||
		has_prefix(url, "postgres://")) {
		cfg->backend = STORE_BACKEND_POSTGRES;
		snprintf(cfg->url, sizeof(cfg->url), "%s", url);
		cfg->path[0] = '\0';
		return OZ_OK;
	}
	if (!has_prefix(url, sqlite) || url[pl] == '\0' ||
		strlen(url + pl) >= sizeof(cfg->path)) {
		return refuse(url, st);
	}
	/* "sqlite:///x" names x relative to the working directory and
	 * "sqlite:////x" the absolute /x, as in SQLAlchemy. */
	cfg->backend = STORE_BACKEND_SQLITE;
	snprintf(cfg->url, sizeof(cfg->url), "%s", url);
	snprintf(cfg->path, sizeof(cfg->path), "%s", url + pl);
	return OZ_OK;
}

static const store_traits traits[] = {
	[STORE_BACKEND_SQLITE] =
		{
			.name = "sqlite",
			.reads_block = false,
			.has_wal = true,
			.server_lock = true,
			.backup = true,
		},
	[STORE_BACKEND_POSTGRES] =
		{
			.name = "postgres",
			.reads_block = true,
			.has_wal = false,
			.server_lock = false,
			.backup = false,
		},
};

const store_traits *
store_backend_traits(store_backend b)
{
	return b == STORE_BACKEND_POSTGRES ? &traits[STORE_BACKEND_POSTGRES]
					   : &traits[STORE_BACKEND_SQLITE];
}

const store_traits *
store_traits_of(const store_config *cfg)
{
	return store_backend_traits(cfg->backend);
}

oz_code
store_backup_supported(store_backend b, oz_status *st)
{
	if (store_backend_traits(b)->backup) {
		return OZ_OK;
	}
	return oz_fail(st, OZ_FAILED_PRECONDITION,
		"backups of a PostgreSQL database are the server's: use "
		"pg_dump (a logical copy) or pg_basebackup (a physical one "
		"for a standby or point-in-time recovery)");
}

bool
store_reads_block(const store_config *cfg)
{
	return store_traits_of(cfg)->reads_block;
}

void
store_config_name(const store_config *cfg, char *out, size_t n)
{
	if (cfg->backend == STORE_BACKEND_POSTGRES) {
		store_url_mask(cfg->url, out, n);
	} else {
		snprintf(out, n, "%s", cfg->path);
	}
}
