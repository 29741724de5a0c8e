#!/bin/sh
# tests/e2e/ops_restore.sh -- `ozctl restore` and `ozctl vacuum` on
# temporary databases: a round trip gives the backup's rows back row for
# row (sqlite3 dumps of users and tasks compared) and keeps the old
# database beside it; restore and vacuum are refused while ozd runs on the
# database (exit 4, naming ozd's pid) and while a sqlite3 shell has it
# open; bad backups are refused before anything changes; a backup at an
# older revision restores and then upgrades with `ozctl migrate upgrade
# head`; DATABASE_URL comes from ./.env too. Needs OZD, OZCTL, jq,
# sqlite3. Touches nothing outside its temporary directory.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
NAME=ops_restore.sh sqlite_only "ozctl restore and vacuum work on SQLite files"

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-ops-restore.XXXXXX")
SHELL_PID=""
cleanup() {
	[ -n "$SHELL_PID" ] && kill "$SHELL_PID" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ops_restore.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

export DATABASE_URL="sqlite:///$TMP/app.db"

# Data through the server, then a backup of it.
start_ozd "$TMP/app.db" --migrate
export OZ_URL="$URL"
for i in 1 2 3 4 5; do
	ok users create --username "u$i" --email "u$i@x.org" -q
	uid=$(cat "$TMP/out")
	ok tasks create --user-id "$uid" --title "task $i" --status done -q
done
ok backup --database "sqlite:///$TMP/app.db" "$TMP/b.db"
dump "$TMP/b.db" >"$TMP/b.dump"
[ "$(wc -l <"$TMP/b.dump")" -eq 10 ] || fail "backup rows: $(cat "$TMP/b.dump")"

# Refused while ozd runs: exit 4, its pid named, nothing changed.
ok users create --username late --email late@x.org
status 4 restore "$TMP/b.db"
err "ozctl: FAILED_PRECONDITION: database $TMP/app.db is in use by"
err "(pid $PID)"
status 4 vacuum
err "(pid $PID)"
ls "$TMP" | grep -q before-restore && fail "refused restore moved files"
stop_ozd
[ "$(sqlite3 "$TMP/app.db" "SELECT count(*) FROM users")" -eq 6 ] ||
	fail "refused restore changed the database"

# Refused while a sqlite3 shell has the database open.
mkfifo "$TMP/shell.in"
sqlite3 "$TMP/app.db" <"$TMP/shell.in" >"$TMP/shell.out" 2>&1 &
SHELL_PID=$!
exec 3>"$TMP/shell.in"
echo "SELECT count(*) FROM users;" >&3
i=0
until [ -s "$TMP/shell.out" ] || [ $i -ge 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ "$(cat "$TMP/shell.out")" = 6 ] || fail "sqlite3 shell: $(cat "$TMP/shell.out")"
status 4 restore "$TMP/b.db"
err "is in use by sqlite3 (pid $SHELL_PID)"
exec 3>&-
wait "$SHELL_PID" || true
SHELL_PID=""

# Bad backups: refused (exit 4 or 3), the database untouched.
head -c 5000 /dev/urandom >"$TMP/junk.db"
status 4 restore "$TMP/junk.db"
err "is not an SQLite database"
status 3 restore "$TMP/missing.db"
sqlite3 "$TMP/other.db" "CREATE TABLE x (y)"
status 4 restore "$TMP/other.db"
err "has no schema revision"
cp "$TMP/b.db" "$TMP/future.db"
sqlite3 "$TMP/future.db" "INSERT INTO oz_migrations VALUES ('9999', 1)"
status 4 restore "$TMP/future.db"
err "9999"
ls "$TMP" | grep -q before-restore && fail "refused restore moved files"

# The round trip: the database leaves with its -wal/-shm, the backup's
# rows come back exactly, the old rows stay in the moved file.
sqlite3 "$TMP/app.db" "DELETE FROM tasks; PRAGMA journal_mode" >/dev/null
ok restore "$TMP/b.db" --json
jqt '.revision != "" and .pending == 0 and .path == "'"$TMP/b.db"'"'
aside=$(val .movedAside)
[ -f "$aside" ] || fail "old database not at $aside"
[ ! -e "$TMP/app.db-wal" ] || [ ! -s "$TMP/app.db-wal" ] ||
	fail "a stale -wal stayed beside the restored database"
dump "$TMP/app.db" >"$TMP/restored.dump"
cmp -s "$TMP/b.dump" "$TMP/restored.dump" ||
	fail "restored rows differ: $(diff "$TMP/b.dump" "$TMP/restored.dump")"
[ "$(sqlite3 "$aside" "SELECT count(*) FROM users")" -eq 6 ] ||
	fail "moved-aside database lost rows"
[ "$(sqlite3 "$aside" "SELECT count(*) FROM tasks")" -eq 0 ] ||
	fail "moved-aside database is not the old one"
ok migrate check
# ozd serves the restored database.
start_ozd "$TMP/app.db"
ok users get 5 --json --url "$URL"
jqt '.username == "u5"'
status 3 users get 6 --url "$URL"
stop_ozd

# Text output, DATABASE_URL from ./.env.
unset DATABASE_URL
echo "DATABASE_URL=sqlite:///$TMP/env.db" >"$TMP/.env"
ok restore "$TMP/b.db"
grep -q "^restored $TMP/b.db into $TMP/env.db (revision .*, head)" \
	"$TMP/out" || fail "restore output: $(cat "$TMP/out")"
[ "$(dump "$TMP/env.db")" = "$(cat "$TMP/b.dump")" ] || fail "env.db rows"
rm "$TMP/.env"

# An older revision: restored as it is, then upgraded.
export DATABASE_URL="sqlite:///$TMP/old.db"
ok migrate upgrade +1
first=$(cut -d' ' -f1 "$TMP/out")
sqlite3 "$TMP/old.db" "INSERT INTO users (username, email, create_time)
	VALUES ('old', 'old@x.org', 1)"
ok backup --database "sqlite:///$TMP/old.db" "$TMP/old-backup.db"
export DATABASE_URL="sqlite:///$TMP/new.db"
ok restore "$TMP/old-backup.db" --json
jqt ".revision == \"$first\" and .pending > 0 and .movedAside == null"
ok migrate current
grep -q "^$first ([0-9]* pending)" "$TMP/out" || fail "current: $(cat "$TMP/out")"
ok migrate upgrade head
ok migrate current --json
jqt '.head == true'
ok migrate check
[ "$(sqlite3 "$TMP/new.db" "SELECT username FROM users")" = old ] ||
	fail "upgraded restore lost its row"

# Vacuum, offline: shrinks a database with many deleted rows.
sqlite3 "$TMP/new.db" "
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		WHERE i < 5000)
	INSERT INTO users (username, email, create_time)
		SELECT 'v' || i, 'v' || i || '@x.org', i FROM n;
	DELETE FROM users WHERE username LIKE 'v%';"
ok vacuum --json
jqt '.sizeAfter < .sizeBefore'
ok vacuum
grep -q "^vacuumed $TMP/new.db: [0-9]* -> [0-9]* bytes" "$TMP/out" ||
	fail "vacuum output: $(cat "$TMP/out")"
status 3 vacuum --database-url "sqlite:///$TMP/none.db"
[ ! -e "$TMP/none.db" ] || fail "vacuum created a database"
status 2 restore
echo "$NAME: ok"
