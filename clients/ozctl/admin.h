/* clients/ozctl/admin.h -- what admin.c, stats.c and dbfile.c share: the
 * database of the offline verbs and the output of a backup. Not used by
 * the other verbs. */
#ifndef OZ_OZCTL_ADMIN_H
#define OZ_OZCTL_ADMIN_H

#include "ozctl.h"
#include "store/store.h"

/* Fills cfg from the URL of url_opt when set (may be NULL), else
 * DATABASE_URL from the environment or ./.env, else STORE_DEFAULT_URL.
 * Returns 0, or an exit status after printing the error. */
int ozctl_db_config(const ozctl_opt *url_opt, store_config *cfg);

/* Prints a finished backup: the BackupResponse as JSON with --json, its
 * path with -q, else one line. Returns an exit status. */
int ozctl_show_backup(ozctl *ctl, const Oz__V1__BackupResponse *r);

/* `ozctl backup --database URL FILE`: backs cfg's database up to file
 * without a server, with a progress bar on stderr when it is a terminal
 * (and not -q). Returns an exit status (errors printed). */
int ozctl_backup_file(
	ozctl *ctl, const store_config *cfg, const char *file, bool overwrite);

#endif /* OZ_OZCTL_ADMIN_H */
