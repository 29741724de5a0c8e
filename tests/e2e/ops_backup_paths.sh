#!/bin/sh
# tests/e2e/ops_backup_paths.sh -- issue 13 #5 against a real ozd:
# AdminService/Backup writes only plain file names inside the backup
# directory (default: backups/ beside the database), never onto the
# database, its -wal, -shm or lock files, a symbolic link, a device or
# anything not a regular file, and the database keeps serving after every
# refusal. Each refusal is INVALID_ARGUMENT or FAILED_PRECONDITION with a
# violation of field "path". Needs OZD, OZCTL, jq, sqlite3.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
NAME=ops_backup_paths.sh sqlite_only "Backup writes SQLite files (PostgreSQL: pg_dump/pg_basebackup)"

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-ops-bpaths.XXXXXX")
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL OZ_BACKUP_DIR OZ_ADMIN_TOKEN_FILE
cd "$TMP"

NAME=ops_backup_paths.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

DB="$TMP/app.db"
export DATABASE_URL="sqlite:///$DB"
ok migrate upgrade

n=0
# still_serving: a write and a read succeed and the file is sound.
still_serving() {
	n=$((n + 1))
	ok --json users create --username "u$n" --email "u$n@x.org"
	id=$(val .id)
	ok users get "$id"
	[ "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok ] ||
		fail "integrity_check after a refused backup"
}

# refused STATUS TEXT ARGS...: ozctl backup ARGS exits STATUS, its error
# says TEXT and names the field path; the server keeps serving.
refused() {
	want=$1
	text=$2
	shift 2
	status "$want" --json backup "$@"
	err "$text"
	err "  path: "
	still_serving
}

start_ozd "$DB"
export OZ_URL="$URL"
still_serving

# Paths that are not plain names: the issue's cases.
refused 5 INVALID_ARGUMENT "$DB-wal" --overwrite
refused 5 INVALID_ARGUMENT /dev/full --overwrite
refused 5 INVALID_ARGUMENT ../x
refused 5 INVALID_ARGUMENT "$TMP/abs.db"
refused 5 INVALID_ARGUMENT .hidden
refused 5 INVALID_ARGUMENT ..
[ ! -e "$TMP/x" ] && [ ! -e "$TMP/abs.db" ] || fail "a refused backup wrote"

# A good one goes into backups/ beside the database.
ok --json backup good.db
jqt ".path == \"$TMP/backups/good.db\""
[ "$(sqlite3 "$TMP/backups/good.db" 'PRAGMA integrity_check')" = ok ] ||
	fail "backup not sound"
ok backup good.db --overwrite
[ "$(stat -c %a "$TMP/backups")" = 700 ] || fail "backups/ is not 0700"

# Inside the directory: never through a symlink, never onto a non-file.
printf 'precious\n' >"$TMP/target"
ln -s "$TMP/target" "$TMP/backups/link.db"
refused 4 FAILED_PRECONDITION link.db --overwrite
[ "$(cat "$TMP/target")" = precious ] || fail "wrote through a symlink"
[ -L "$TMP/backups/link.db" ] || fail "the symlink was replaced"
ln -s /dev/full "$TMP/backups/full"
refused 4 FAILED_PRECONDITION full --overwrite
mkfifo "$TMP/backups/fifo"
refused 4 FAILED_PRECONDITION fifo --overwrite
[ -p "$TMP/backups/fifo" ] || fail "the fifo was replaced"
mkdir "$TMP/backups/dir.db"
refused 4 FAILED_PRECONDITION dir.db --overwrite
stop_ozd

# With the database's own directory as the backup directory, its files
# are refused by name, with and without --overwrite.
start_ozd "$DB" --backup-dir "$TMP"
export OZ_URL="$URL"
still_serving
for f in app.db app.db-wal app.db-shm app.db-journal app.db.lock; do
	refused 5 INVALID_ARGUMENT "$f" --overwrite
done
refused 5 INVALID_ARGUMENT app.db-wal
ok backup beside.db
[ -s "$TMP/beside.db" ] || fail "no backup in --backup-dir"
stop_ozd
[ "$(sqlite3 "$DB" 'SELECT count(*) FROM users')" = "$n" ] ||
	fail "rows lost"
echo "$NAME: ok"
