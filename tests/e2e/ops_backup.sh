#!/bin/sh
# tests/e2e/ops_backup.sh -- backups under a concurrent write load are a
# consistent prefix of the committed data, through the server (ozctl
# backup FILE) and directly on the file (ozctl backup --database URL
# FILE) while ozd keeps writing.
#
# A writer loop creates users w-0, w-1, ... one at a time through ozd and
# appends each name to a file once ozd acknowledged it. Each backup must
# then hold: every bulk row, the users w-0 .. w-(K-1) for some K with
# (acknowledged before the backup began) <= K <= (acknowledged when it
# returned) + 1 (the one create in flight may be committed, not yet
# acknowledged), and those rows exactly as in the final database (no torn
# or uncommitted rows); integrity_check and foreign_key_check pass, and
# `ozctl migrate current/check` accept it. Also: ALREADY_EXISTS without
# --overwrite, the progress bar on a terminal (script(1)) and silence
# without one. Needs OZD, OZCTL, jq, sqlite3, script. Touches nothing
# outside its temporary directory.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
NAME=ops_backup.sh sqlite_only "Backup writes SQLite files (PostgreSQL: pg_dump/pg_basebackup)"

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-ops-backup.XXXXXX")
WPID=""
cleanup() {
	[ -n "$WPID" ] && kill "$WPID" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ops_backup.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

export DATABASE_URL="sqlite:///$TMP/app.db"
ok migrate upgrade
head=$(cat "$TMP/out" | cut -d' ' -f1)
# Bulk rows, so that a copy takes many steps of 64 pages.
sqlite3 "$TMP/app.db" "
	WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		WHERE i < 20000)
	INSERT INTO users (username, email, create_time)
		SELECT 'bulk-' || i, 'bulk-' || i || '@x.org', i FROM n;
	INSERT INTO tasks (title, description, user_id, create_time)
		SELECT 'bulk', printf('%.200c', 'd'), id, 1 FROM users;"

start_ozd "$TMP/app.db"
export OZ_URL="$URL"

writer() {
	i=0
	while [ $i -lt 3000 ] && [ ! -e "$TMP/stop" ]; do
		if ! "$OZCTL" -q users create --username "w-$i" \
			--email "w-$i@x.org" >/dev/null 2>"$TMP/writer.err"
		then
			echo "$i" >"$TMP/writer.failed"
			return 1
		fi
		echo "w-$i" >>"$TMP/acked"
		i=$((i + 1))
	done
}
: >"$TMP/acked"
writer &
WPID=$!

acked() { wc -l <"$TMP/acked" | tr -d ' '; }

# wait_acked N: until at least N creates were acknowledged (bounded).
wait_acked() {
	i=0
	while [ "$(acked)" -lt "$1" ] && [ $i -lt 600 ]; do
		[ -e "$TMP/writer.failed" ] && fail "writer: $(cat "$TMP/writer.err")"
		sleep 0.05
		i=$((i + 1))
	done
	[ "$(acked)" -ge "$1" ] || fail "writer too slow: $(acked) < $1"
}

wait_acked 20
b1=$(acked)
ok backup server.db --json
a1=$(acked)
jqt '(.pages | tonumber) > 64 and (.sizeBytes | tonumber) > 0'
jqt ".path == \"$TMP/backups/server.db\""
[ ! -s "$TMP/err" ] || fail "server backup wrote to stderr"

wait_acked $((a1 + 10))
b2=$(acked)
ok backup --database "sqlite:///$TMP/app.db" "$TMP/direct.db"
a2=$(acked)
# Not a terminal: no progress bar.
[ ! -s "$TMP/err" ] || fail "direct backup wrote to stderr: $(cat "$TMP/err")"
grep -q "^backup written to $TMP/direct.db: [0-9]* pages" "$TMP/out" ||
	fail "backup output: $(cat "$TMP/out")"

# Refusals while the server runs; the server writes only plain names
# into its backup directory (backups/ beside the database).
status 4 backup server.db
err "ozctl: ALREADY_EXISTS: backup file $TMP/backups/server.db already exists"
status 4 backup --database "sqlite:///$TMP/app.db" "$TMP/direct.db"
err "ALREADY_EXISTS"
status 5 backup "$TMP/no/such/dir/x.db"
err "  path: "
ok backup relative.db -q
out_is "$TMP/backups/relative.db"
[ -f "$TMP/backups/relative.db" ] || fail "backup not in backups/"

# Writes go on after the backups; then stop the writer and the server.
wait_acked $((a2 + 10))
touch "$TMP/stop"
wait "$WPID" || fail "writer failed: $(cat "$TMP/writer.err")"
WPID=""
stop_ozd
dump "$TMP/app.db" >"$TMP/final.dump"
total=$(acked)
[ "$(sqlite3 "$TMP/app.db" "SELECT count(*) FROM users
	WHERE username LIKE 'w-%'")" -eq "$total" ] ||
	fail "final database lacks acknowledged users"

# check_prefix FILE BEFORE AFTER
check_prefix() {
	f=$1
	[ "$(sqlite3 "$f" 'PRAGMA integrity_check')" = ok ] ||
		fail "$f: integrity_check"
	[ -z "$(sqlite3 "$f" 'PRAGMA foreign_key_check')" ] ||
		fail "$f: foreign_key_check"
	k=$(sqlite3 "$f" "SELECT count(*) FROM users WHERE username LIKE 'w-%'")
	[ "$k" -ge "$2" ] && [ "$k" -le $(($3 + 1)) ] ||
		fail "$f holds $k writer rows, acknowledged $2 before, $3 after"
	# The writer's rows are exactly w-0 .. w-(k-1).
	[ "$(sqlite3 "$f" "SELECT count(*) FROM users WHERE username LIKE 'w-%'
		AND CAST(substr(username, 3) AS INTEGER) < $k")" -eq "$k" ] ||
		fail "$f: writer rows are not w-0..w-$((k - 1))"
	# Every row of the backup is in the final database as it is there,
	# and the backup is a prefix of it in id order.
	dump "$f" >"$TMP/b.dump"
	n=$(wc -l <"$TMP/b.dump")
	grep '^u|' "$TMP/final.dump" | head -n $((20000 + k)) >"$TMP/want"
	grep '^t|' "$TMP/final.dump" >>"$TMP/want"
	cmp -s "$TMP/b.dump" "$TMP/want" ||
		fail "$f is not a prefix of the committed data ($n rows)"
	DATABASE_URL="sqlite:///$f" "$OZCTL" migrate current -q >"$TMP/out" \
		2>"$TMP/err" || fail "migrate current on $f"
	out_is "$head"
	DATABASE_URL="sqlite:///$f" "$OZCTL" migrate check >"$TMP/out" \
		2>"$TMP/err" || fail "migrate check on $f"
	echo "$NAME: $f: $k writer rows (acknowledged $2 before, $3 after)"
}
check_prefix "$TMP/backups/server.db" "$b1" "$a1"
check_prefix "$TMP/direct.db" "$b2" "$a2"

# --overwrite replaces; a terminal gets a progress bar on stderr.
ok backup --database "sqlite:///$TMP/app.db" "$TMP/direct.db" --overwrite
script -qec "'$OZCTL' backup --database 'sqlite:///$TMP/app.db' \
	'$TMP/tty.db'" /dev/null >"$TMP/tty.out" 2>&1 ||
	fail "backup on a terminal: $(cat "$TMP/tty.out")"
grep -q '100%  *[0-9]*/[0-9]* pages' "$TMP/tty.out" ||
	fail "no progress bar: $(cat "$TMP/tty.out")"
[ "$(dump "$TMP/tty.db" | wc -l)" -eq "$(wc -l <"$TMP/final.dump")" ] ||
	fail "tty.db differs"
echo "$NAME: ok ($total users written during the run)"
