/* clients/ozctl/dbfile.c -- the verbs that work on the database file
 * without a server: `ozctl backup --database URL FILE` (with a progress
 * bar on a terminal), `ozctl restore FILE` and `ozctl vacuum`.
 *
 * Uses only store/backup.h and store/store.h: no SQL here. The database
 * comes from --database-url (or --database), else DATABASE_URL
 * (environment, then ./.env), else sqlite:///./app.db: the rules of
 * `ozctl migrate` and ozd. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/env.h"
#include "admin.h"
#include "store/backup.h"
#include "store/store.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

int
ozctl_db_config(const ozctl_opt *url_opt, store_config *cfg)
{
	oz_status st;
	char url[STORE_PATH_MAX + 16];
	oz_status_clear(&st);
	store_config_init(cfg);
	if (url_opt != NULL && url_opt->set) {
		snprintf(url, sizeof(url), "%s", url_opt->value);
	} else {
		env_get("DATABASE_URL", url, sizeof(url), STORE_DEFAULT_URL);
	}
	if (store_url_parse(url, cfg, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	return OZCTL_EXIT_OK;
}

/* The option naming the database: --database-url, or --database. */
static const ozctl_opt *
db_opt(ozctl_opt *opts, size_t n)
{
	ozctl_opt *u = ozctl_opt_get(opts, n, "database-url");
	ozctl_opt *d = ozctl_opt_get(opts, n, "database");
	return u->set ? u : d;
}

/* Prints j (then frees it) as indented JSON. */
static int
print_json_obj(json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_INDENT(2)) : NULL;
	if (s == NULL) {
		json_decref(j);
		fprintf(stderr, "ozctl: out of memory\n");
		return OZCTL_EXIT_OTHER;
	}
	puts(s);
	free(s);
	json_decref(j);
	return OZCTL_EXIT_OK;
}

/* --- backup --database ---------------------------------------------------
 */

/* Progress bar state: redrawn only when the shown percentage changes. */
struct bar {
	int shown; /* Last percentage drawn, -1 before the first. */
};

static void
bar_cb(int64_t done, int64_t total, void *arg)
{
	struct bar *b = arg;
	int pct = total > 0 ? (int) (done * 100 / total) : 100;
	if (pct == b->shown) {
		return;
	}
	b->shown = pct;
	char line[41];
	int fill = pct * 40 / 100;
	memset(line, '#', (size_t) fill);
	memset(line + fill, '-', (size_t) (40 - fill));
	line[40] = '\0';
	fprintf(stderr, "\rbackup [%s] %3d%%  %lld/%lld pages", line, pct,
		(long long) done, (long long) total);
	fflush(stderr);
}

int
ozctl_backup_file(
	ozctl *ctl, const store_config *cfg, const char *file, bool overwrite)
{
	store_backup_stats bs;
	oz_status st;
	struct bar b = {.shown = -1};
	bool show = !ctl->quiet && isatty(STDERR_FILENO);
	oz_status_clear(&st);
	oz_code rc = store_backup_file(
		cfg, file, overwrite, show ? bar_cb : NULL, &b, &bs, &st);
	if (show && b.shown >= 0) {
		fputc('\n', stderr);
	}
	if (rc != OZ_OK) {
		return ozctl_fail(&st);
	}
	Oz__V1__BackupResponse r = OZ__V1__BACKUP_RESPONSE__INIT;
	r.path = (char *) file;
	r.size_bytes = bs.size_bytes;
	r.pages = bs.pages;
	r.duration_us = bs.duration_us;
	return ozctl_show_backup(ctl, &r);
}

/* --- restore --------------------------------------------------------------
 */

static void
print_restored(ozctl *ctl, const store_config *cfg, const char *file,
	const store_restore_result *r)
{
	if (ctl->quiet) {
		printf("%s\n", r->revision);
		return;
	}
	printf("restored %s into %s (revision %s", file, cfg->path,
		r->revision);
	if (r->n_pending > 0) {
		printf(", %d pending: run `ozctl migrate upgrade head`)\n",
			r->n_pending);
	} else {
		printf(", head)\n");
	}
	if (r->moved_aside) {
		printf("the previous database is kept as %s\n", r->aside);
	}
}

int
ozctl_restore(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl restore FILE [--database-url URL]";
	static const char help[] =
		"Replaces the database with the backup FILE, offline. FILE is "
		"checked first\n"
		"(it opens, PRAGMA integrity_check is ok, its schema revision "
		"is known to\n"
		"this build); a running ozd on the database refuses it (exit "
		"4). The old\n"
		"database, with its -wal and -shm files, is moved to\n"
		"DB.before-restore-<UTC time> and stays there. A backup at an "
		"older revision\n"
		"is restored as it is: upgrade it with `ozctl migrate upgrade "
		"head`.\n"
		"  --database-url URL   database (default: DATABASE_URL from "
		"the environment\n"
		"                       or ./.env, else sqlite:///./app.db); "
		"--database too\n"
		"With --json prints {path, database, revision, pending, "
		"movedAside}.\n";
	ozctl_opt o[] = {
		OZCTL_OPT("database-url", true), OZCTL_OPT("database", true)};
	store_config cfg;
	store_restore_result r;
	oz_status st;
	const char *pos[1];
	int n_pos, rc;
	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (n_pos != 1) {
		return ozctl_usage_error(usage, "FILE is required");
	}
	if ((rc = ozctl_db_config(db_opt(o, N(o)), &cfg)) != 0) {
		return rc;
	}
	oz_status_clear(&st);
	if (store_restore(&cfg, pos[0], &r, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	if (!ctl->json) {
		print_restored(ctl, &cfg, pos[0], &r);
		return OZCTL_EXIT_OK;
	}
	return print_json_obj(json_pack("{s:s, s:s, s:s, s:i, s:s?}", "path",
		pos[0], "database", cfg.path, "revision", r.revision,
		"pending", r.n_pending, "movedAside",
		r.moved_aside ? r.aside : NULL));
}

/* --- vacuum ---------------------------------------------------------------
 */

int
ozctl_vacuum(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl vacuum [--database-url URL]";
	static const char help[] =
		"Rebuilds the database file with VACUUM (giving free pages "
		"back to the file\n"
		"system), then truncates the WAL. Offline: refused while ozd "
		"runs on the\n"
		"database (exit 4), since VACUUM would hold its write lock "
		"throughout.\n"
		"  --database-url URL   database (default: DATABASE_URL from "
		"the environment\n"
		"                       or ./.env, else sqlite:///./app.db); "
		"--database too\n"
		"With --json prints {database, sizeBefore, sizeAfter} (bytes)."
		"\n";
	ozctl_opt o[] = {
		OZCTL_OPT("database-url", true), OZCTL_OPT("database", true)};
	store_config cfg;
	oz_status st;
	int64_t before = 0, after = 0;
	const char *pos[1];
	int n_pos, rc;
	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = ozctl_db_config(db_opt(o, N(o)), &cfg)) != 0) {
		return rc;
	}
	oz_status_clear(&st);
	if (store_vacuum(&cfg, &before, &after, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	if (ctl->json) {
		return print_json_obj(json_pack("{s:s, s:I, s:I}", "database",
			cfg.path, "sizeBefore", (json_int_t) before,
			"sizeAfter", (json_int_t) after));
	}
	if (!ctl->quiet) {
		printf("vacuumed %s: %lld -> %lld bytes\n", cfg.path,
			(long long) before, (long long) after);
	}
	return OZCTL_EXIT_OK;
}
