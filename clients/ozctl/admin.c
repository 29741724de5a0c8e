/* clients/ozctl/admin.c -- the verbs of oz.v1.AdminService: `ozctl
 * backup FILE` (on the server; with --database it goes to dbfile.c
 * instead), `ozctl optimize` and `ozctl stats [--watch]`.
 *
 * Talks to ozd only through the C client library; no SQL here. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A server-side backup of a big database takes longer than the usual
 * call: without --timeout it gets this deadline. */
#define BACKUP_DEADLINE_MS (10 * 60 * 1000)

int
ozctl_show_backup(ozctl *ctl, const Oz__V1__BackupResponse *r)
{
	if (ctl->json) {
		return ozctl_print_json(&r->base);
	}
	if (ctl->quiet) {
		printf("%s\n", r->path);
	} else {
		printf("backup written to %s: %lld pages, %lld bytes, %.1f "
		       "ms\n",
			r->path, (long long) r->pages,
			(long long) r->size_bytes,
			(double) r->duration_us / 1e3);
	}
	return OZCTL_EXIT_OK;
}

static int
backup_server(ozctl *ctl, const char *file, bool overwrite)
{
	Oz__V1__BackupRequest req = OZ__V1__BACKUP_REQUEST__INIT;
	ProtobufCMessage *out = NULL;
	oz_call_options co = {.deadline_ms = ctl->timeout_ms > 0
						     ? ctl->timeout_ms
						     : BACKUP_DEADLINE_MS};
	oz_status st;
	oz_client *c;
	int rc;
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	req.path = (char *) file;
	req.overwrite = overwrite;
	if (oz_client_call_with(c, "/oz.v1.AdminService/Backup", &req.base,
		    &oz__v1__backup_response__descriptor, &out, &co,
		    &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	rc = ozctl_show_backup(ctl, (Oz__V1__BackupResponse *) out);
	oz_message_free(out);
	return rc;
}

int
ozctl_backup(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl backup FILE [--overwrite] "
				    "[--database URL]";
	static const char help[] =
		"Writes a consistent copy of the database to FILE while the "
		"server keeps\n"
		"serving (SQLite's online backup API, one read snapshot). "
		"The copy passes\n"
		"PRAGMA integrity_check before it gets the name FILE.\n"
		"Without --database the server does it (AdminService/Backup): "
		"FILE is a\n"
		"plain file name (no '/', not starting with '.') inside the "
		"server's\n"
		"backup directory (ozd --backup-dir; default backups/ beside "
		"the database).\n"
		"  --overwrite         replace an existing regular FILE (else "
		"exit 4,\n"
		"                      ALREADY_EXISTS)\n"
		"  --database URL      copy the database file URL "
		"(sqlite:///app.db) directly,\n"
		"                      no server needed; shows a progress bar "
		"on a terminal\n"
		"                      (--database-url too)\n"
		"Prints the path, pages, bytes and duration; --json the "
		"BackupResponse; -q\n"
		"the path. Without --timeout a server backup may take 10 "
		"minutes.\n";
	ozctl_opt o[] = {OZCTL_OPT("overwrite", false),
		OZCTL_OPT("database", true), OZCTL_OPT("database-url", true)};
	const char *pos[1];
	int n_pos, rc;
	if (!ozctl_begin(ctl, argc, argv, o, N(o), pos, 1, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if (n_pos != 1) {
		return ozctl_usage_error(usage, "FILE is required");
	}
	if (!o[1].set && !o[2].set) {
		return backup_server(ctl, pos[0], o[0].set);
	}
	store_config cfg;
	if ((rc = ozctl_db_config(o[2].set ? &o[2] : &o[1], &cfg)) != 0) {
		return rc;
	}
	return ozctl_backup_file(ctl, &cfg, pos[0], o[0].set);
}

int
ozctl_optimize(ozctl *ctl, int argc, char **argv)
{
	static const char usage[] = "ozctl optimize";
	static const char help[] =
		"Runs PRAGMA optimize on the server's database now "
		"(AdminService/Optimize);\n"
		"ozd also runs it periodically (--optimize-interval) and at "
		"shutdown.\n"
		"Prints how long it took; --json the OptimizeResponse.\n";
	Oz__V1__OptimizeRequest req = OZ__V1__OPTIMIZE_REQUEST__INIT;
	Oz__V1__OptimizeResponse *r = NULL;
	oz_status st;
	oz_client *c;
	const char *pos[1];
	int n_pos, rc;
	if (!ozctl_begin(ctl, argc, argv, NULL, 0, pos, 0, &n_pos, usage, help,
		    &rc)) {
		return rc;
	}
	if ((c = ozctl_client(ctl, &rc)) == NULL) {
		return rc;
	}
	if (oz_admin_optimize(c, &req, &r, &st) != OZ_OK) {
		return ozctl_fail(&st);
	}
	if (ctl->json) {
		rc = ozctl_print_json(&r->base);
	} else if (!ctl->quiet) {
		printf("optimized in %.1f ms\n",
			(double) r->duration_us / 1e3);
	}
	oz_message_free(r);
	return rc;
}
