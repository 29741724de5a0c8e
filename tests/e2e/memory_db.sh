#!/bin/sh
# tests/e2e/memory_db.sh -- the real ozd on sqlite:///:memory: serves one
# in-memory database for the life of the process: the schema the start-up
# migration made is the one the writer, the readers and Backup use. Writes
# and reads through ozctl (one at a time and concurrent, so group commit
# runs), constraint errors, Health SERVING, Stats, a Backup of the memory
# database to a file; no file is created; a new process starts empty.
# Needs OZD, OZCTL, jq, sqlite3. Touches nothing outside its temporary
# directory.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
NAME=memory_db.sh sqlite_only "sqlite:///:memory:"

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-memory.XXXXXX")
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
mkdir "$TMP/cwd"
cd "$TMP/cwd"

NAME=memory_db.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

mkdir "$TMP/backups"
start_ozd ":memory:" --backup-dir "$TMP/backups"
export OZ_URL="$URL"

ok health
out_is SERVING
ok users create --username ann --email ann@example.com --json
jqt '.id == "1" and .username == "ann"'
ok tasks create --user-id 1 --title "write the README" --json
ok tasks create --user-id 1 --title "ship it" --status in_progress --json
ok tasks list --user-id 1 --json
jqt '(.tasks | map(.title)) == ["write the README", "ship it"] and .totalSize == 2'
ok users get 1 --with-tasks --json
jqt '(.tasks | length) == 2'
# The unique and foreign-key constraints of the migrated schema hold.
status 4 users create --username ann2 --email ANN@example.com
err "ALREADY_EXISTS: Email already registered"
status 4 users delete 1
status 3 users get 99
ok tasks update 2 --status done --json
jqt '.status == "TASK_STATUS_DONE"'
ok tasks delete 1

# Concurrent writes: group commit batches them in one transaction.
i=0
pids=""
while [ $i -lt 16 ]; do
	"$OZCTL" -q users create --username "u$i" --email "u$i@example.com" \
		>"$TMP/c$i.out" 2>"$TMP/c$i.err" &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do
	wait "$p" || true
done
i=0
while [ $i -lt 16 ]; do
	[ -s "$TMP/c$i.out" ] || fail "concurrent create u$i: $(cat "$TMP/c$i.err")"
	i=$((i + 1))
done
ok users list --all --json
jqt '(.users | length) == 17 and .totalSize == 17'

# Backup copies the in-memory database to a file in --backup-dir.
ok backup copy.db --json
[ "$(sqlite3 "$TMP/backups/copy.db" 'SELECT count(*) FROM users')" = 17 ] ||
	fail "backup of the memory database lacks users"
[ "$(sqlite3 "$TMP/backups/copy.db" 'SELECT title FROM tasks')" = "ship it" ] ||
	fail "backup of the memory database lacks the task"
ok stats --json
jqt '(.callsTotal | tonumber) > 0'
ok health
out_is SERVING
grep -q "no such table" "$TMP/ozd.log" && fail "ozd logged a missing table"
grep -q "INTERNAL" "$TMP/ozd.log" && fail "ozd answered INTERNAL"
[ -z "$(ls -A "$TMP/cwd")" ] ||
	fail "ozd on :memory: created files: $(ls -A "$TMP/cwd")"
stop_ozd

# A new process has a new, empty (but migrated) database.
start_ozd ":memory:"
export OZ_URL="$URL"
ok users list --json
jqt '.totalSize == 0 or .totalSize == null'
ok users create --username ann --email ann@example.com -q
out_is 1
# Without --backup-dir an in-memory database has nowhere to back up to.
status 4 backup copy.db
err "start ozd with --backup-dir"
stop_ozd
echo "memory_db.sh: ok"
