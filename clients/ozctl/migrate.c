/* clients/ozctl/migrate.c -- `ozctl migrate upgrade|downgrade|current|
 * history|stamp|check|revision`, run directly on DATABASE_URL.
 *
 * Uses only store/migrate.h and store/store.h: no SQL here. The URL comes
 * from --database-url, else DATABASE_URL (environment, then ./.env), else
 * sqlite:///./app.db, the same rules as ozd. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/env.h"
#include "ozctl.h"
#include "store/migrate.h"
#include "store/store.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define DB_HELP                                                               \
	"  --database-url URL   database (default: DATABASE_URL from the "    \
	"environment or\n"                                                    \
	"                       ./.env, else sqlite:///./app.db)\n"

/* Opens the database named by --database-url or DATABASE_URL. Unless
 * create is true, a database file that does not exist is NOT_FOUND and is
 * not created (reading the revision of nothing must leave nothing behind). */
static int
open_db(const ozctl_opt *url_opt, bool create, store_conn **db)
{
	struct stat sb;
	store_config cfg;
	oz_status st;
	char url[STORE_PATH_MAX + 16];

	oz_status_clear(&st);
	store_config_init(&cfg);
	if (url_opt->set) {
		snprintf(url, sizeof(url), "%s", url_opt->value);
	} else {
		env_get("DATABASE_URL", url, sizeof(url), STORE_DEFAULT_URL);
	}
	if (store_url_parse(url, &cfg, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	if (!create && cfg.backend == STORE_BACKEND_SQLITE &&
		!store_config_is_memory(&cfg) && stat(cfg.path, &sb) != 0) {
		oz_fail(&st, OZ_NOT_FOUND,
			"there is no database at %s (`ozctl migrate upgrade "
			"head` or starting ozd creates it)",
			cfg.path);
		return ozctl_fail(&st);
	}
	if (store_open(db, &cfg, &st) != OZ_OK) {
		char name[512], why[OZ_STATUS_MESSAGE_MAX];
		store_config_name(&cfg, name, sizeof(name));
		snprintf(why, sizeof(why), "%s", st.message);
		oz_fail(&st, st.code, "database %s: %s", name, why);
		return ozctl_fail(&st);
	}
	return OZCTL_EXIT_OK;
}

/* Prints the revision the database is at now, in the chosen format. */
static int
print_current(ozctl *ctl, store_conn *db)
{
	char rev[STORE_REV_MAX];
	int pending = 0;
	oz_status st;
	oz_status_clear(&st);
	if (store_migrate_current(db, rev, sizeof(rev), &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	/* A database newer than the build has no pending count: -1. */
	if (store_migrate_pending(db, &pending, &st) != OZ_OK) {
		pending = -1;
	}
	if (ctl->json) {
		json_t *j = json_pack("{s:s, s:i, s:b}", "revision", rev,
			"pending", pending, "head", pending == 0);
		char *s = j != NULL ? json_dumps(j, JSON_INDENT(2)) : NULL;
		puts(s != NULL ? s : "{}");
		free(s);
		json_decref(j);
	} else if (ctl->quiet || pending == 0) {
		printf(ctl->quiet ? "%s\n" : "%s (head)\n", rev);
	} else if (pending > 0) {
		printf("%s (%d pending)\n", rev, pending);
	} else {
		printf("%s (unknown to this build)\n", rev);
	}
	return OZCTL_EXIT_OK;
}

/* Shared shape of upgrade, downgrade and stamp: one optional TARGET. */
static int
run_target(ozctl *ctl, int argc, char **argv, const char *usage,
	const char *help, const char *def,
	oz_code (*fn)(store_conn *, const char *, oz_status *))
{
	ozctl_opt o[] = {OZCTL_OPT("database-url", true)};
	store_conn *db = NULL;
	oz_status st;
	const char *pos[1];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (n_pos == 0 && def == NULL) {
		return ozctl_usage_error(usage, "TARGET is required");
	}
	if ((rc = open_db(&o[0], fn != store_migrate_downgrade, &db)) != 0) {
		return rc;
	}
	oz_status_clear(&st);
	if (fn(db, n_pos == 1 ? pos[0] : def, &st) != OZ_OK) {
		rc = ozctl_fail(&st);
	} else {
		rc = print_current(ctl, db);
	}
	store_close(db);
	return rc;
}

static int
migrate_upgrade(ozctl *ctl, int argc, char **argv)
{
	static const char help[] =
		"Applies migrations up to TARGET: head (default), +N, or a "
		"revision id\n"
		"such as 0002. Prints the revision reached.\n" DB_HELP;
	return run_target(ctl, argc, argv,
		"ozctl migrate upgrade [TARGET] [--database-url URL]", help,
		"head", store_migrate_upgrade);
}

static int
migrate_downgrade(ozctl *ctl, int argc, char **argv)
{
	static const char help[] =
		"Undoes migrations down to TARGET: -N (default -1), base, or "
		"a "
		"revision id\n"
		"(which stays applied). Prints the revision "
		"reached.\n" DB_HELP;
	return run_target(ctl, argc, argv,
		"ozctl migrate downgrade [TARGET] [--database-url URL]", help,
		"-1", store_migrate_downgrade);
}

static int
migrate_stamp(ozctl *ctl, int argc, char **argv)
{
	static const char help[] =
		"Records the database as being at TARGET (head, base or a "
		"revision id)\n"
		"without running any migration.\n" DB_HELP;
	return run_target(ctl, argc, argv,
		"ozctl migrate stamp TARGET [--database-url URL]", help, NULL,
		store_migrate_stamp);
}

static int
migrate_current(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl migrate current [--database-url URL]";
	static const char help[] = "Prints the database's revision and how "
				   "many are pending.\n" DB_HELP;
	ozctl_opt o[] = {OZCTL_OPT("database-url", true)};
	store_conn *db = NULL;
	const char *pos[1];
	int n_pos, rc;
	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = open_db(&o[0], false, &db)) != 0) {
		return rc;
	}
	rc = print_current(ctl, db);
	store_close(db);
	return rc;
}

static void
format_us(int64_t us, char *buf, size_t n)
{
	time_t t = (time_t) (us / 1000000);
	struct tm tm;
	if (us == 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, n, "-");
		return;
	}
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
print_history(ozctl *ctl, const store_migrate_rev *revs, size_t n)
{
	static const char *const head[] = {
		"REVISION", "APPLIED", "APPLIED_AT", "FILE", "MESSAGE"};
	json_t *arr = ctl->json ? json_array() : NULL;
	ozctl_table *t = ctl->json || ctl->quiet
				 ? NULL
				 : ozctl_table_new(N(head), head);
	for (size_t i = 0; i < n; i++) {
		char at[40];
		format_us(revs[i].applied_at, at, sizeof(at));
		if (arr != NULL) {
			json_array_append_new(arr,
				json_pack("{s:s, s:b, s:b, s:s, s:s, s:s}",
					"revision", revs[i].rev, "applied",
					revs[i].applied, "known",
					revs[i].known, "appliedAt", at, "file",
					revs[i].file, "message",
					revs[i].message));
		} else if (ctl->quiet) {
			if (revs[i].applied) {
				printf("%s\n", revs[i].rev);
			}
		} else {
			const char *row[] = {revs[i].rev,
				revs[i].applied ? "yes" : "no", at,
				revs[i].known ? revs[i].file : "(unknown)",
				revs[i].message};
			ozctl_table_add(t, row);
		}
	}
	if (arr != NULL) {
		json_t *o = json_pack("{s:o}", "revisions", arr);
		char *s = o != NULL ? json_dumps(o, JSON_INDENT(2)) : NULL;
		puts(s != NULL ? s : "{}");
		free(s);
		json_decref(o);
	}
	ozctl_table_print(t, stdout);
	return OZCTL_EXIT_OK;
}

static int
migrate_history(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl migrate history [--database-url URL]";
	static const char help[] =
		"Lists every revision of this build, applied or not, and any "
		"the database\n"
		"records that this build does not know. -q: applied revisions "
		"only.\n" DB_HELP;
	ozctl_opt o[] = {OZCTL_OPT("database-url", true)};
	store_conn *db = NULL;
	store_migrate_rev *revs;
	size_t n;
	arena a;
	oz_status st;
	const char *pos[1];
	int n_pos, rc;
	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = open_db(&o[0], false, &db)) != 0) {
		return rc;
	}
	arena_init(&a, 0, 0);
	oz_status_clear(&st);
	if (store_migrate_history(db, &a, &revs, &n, &st) != OZ_OK) {
		rc = ozctl_fail(&st);
	} else {
		rc = print_history(ctl, revs, n);
	}
	arena_fini(&a);
	store_close(db);
	return rc;
}

static int
migrate_check(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl migrate check [--database-url URL]";
	static const char help[] =
		"Checks that the database's schema is exactly what its "
		"migrations make\n"
		"(no drift). Exit status 0 when it is, 4 "
		"(FAILED_PRECONDITION) "
		"when not.\n" DB_HELP;
	ozctl_opt o[] = {OZCTL_OPT("database-url", true)};
	store_conn *db = NULL;
	oz_status st;
	const char *pos[1];
	int n_pos, rc;
	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((rc = open_db(&o[0], false, &db)) != 0) {
		return rc;
	}
	oz_status_clear(&st);
	if (store_migrate_check(db, &st) != OZ_OK) {
		rc = ozctl_fail(&st);
	} else if (ctl->json) {
		printf("{\n  \"ok\": true\n}\n");
	} else if (!ctl->quiet) {
		printf("schema matches its migrations\n");
	}
	store_close(db);
	return rc;
}

static int
migrate_revision(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] =
		"ozctl migrate revision -m MESSAGE [--dir DIR]";
	static const char help[] =
		"Writes the next empty migration file NNNN_slug.sql (with -- "
		"+oz Up and\n"
		"-- +oz Down parts) into DIR (default ./migrations) and "
		"prints "
		"its path.\n"
		"  -m, --message MESSAGE   what the migration does\n"
		"  --dir DIR               where the migrations live\n";
	ozctl_opt o[] = {OZCTL_OPT("m", true), OZCTL_OPT("message", true),
		OZCTL_OPT("dir", true)};
	oz_status st;
	const char *pos[1];
	char path[4096];
	int n_pos, rc;

	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	const char *msg = o[0].set ? o[0].value : o[1].value;
	if (msg == NULL) {
		return ozctl_usage_error(usage, "-m MESSAGE is required");
	}
	oz_status_clear(&st);
	if (store_migrate_revision(o[2].set ? o[2].value : "migrations", msg,
		    path, sizeof(path), &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	printf("%s\n", path);
	return OZCTL_EXIT_OK;
}

int
ozctl_migrate(ozctl *ctl, int argc, char **argv)
{
	static const ozctl_sub subs[] = {{"upgrade", migrate_upgrade},
		{"downgrade", migrate_downgrade}, {"current", migrate_current},
		{"history", migrate_history}, {"stamp", migrate_stamp},
		{"check", migrate_check}, {"revision", migrate_revision}};
	static const char usage[] = "ozctl migrate "
				    "upgrade|downgrade|current|history|stamp|"
				    "check|revision ...";
	static const char help[] =
		"Runs schema migrations directly on the database (no server "
		"needed):\n"
		"  migrate upgrade [head|+N|REV]     apply migrations\n"
		"  migrate downgrade [-N|base|REV]   undo migrations\n"
		"  migrate current                   print the revision\n"
		"  migrate history                   list revisions\n"
		"  migrate stamp head|base|REV       record a revision, run "
		"nothing\n"
		"  migrate check                     detect schema drift\n"
		"  migrate revision -m MESSAGE       write a new migration "
		"file\n"
		"The database is --database-url URL, else DATABASE_URL "
		"(environment, then\n"
		"./.env), else sqlite:///./app.db.\n";
	return ozctl_dispatch(ctl, argc, argv, subs, N(subs), usage, help);
}
