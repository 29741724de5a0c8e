#!/bin/sh
# tests/e2e/ozctl_import.sh -- `ozctl import` and `ozctl export` against a
# real ozd:
#   - a bad row is reported with its line and stops the import (exit 5);
#     with --skip-bad it is reported, left out, and the rest imported;
#   - an import interrupted by SIGKILL of ozctl half way and run again
#     ends with every row exactly once (per-batch request_ids replay the
#     batches already applied);
#   - export as CSV and JSON Lines, and import of what export wrote;
#   - the progress bar appears on a terminal (script(1)) and never when
#     the output is not one.
# Needs OZD, OZCTL, jq, sqlite3, script. Touches nothing outside its
# temporary directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-import.XXXXXX")
IPID=""
cleanup() {
	[ -n "$IPID" ] && kill -9 "$IPID" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ozctl_import.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

DB="$TMP/app.db"
start_ozd "$DB" --migrate
export OZ_URL="$URL"
q() { db_sql "$DB" "$1"; }

# --- Bad rows -------------------------------------------------------------------
cat >users.jsonl <<'EOF'
{"username": "ann", "email": "ann@example.com"}
{"username": "bob", "email": "bob@example.com"}

{"username": "bad", "email": "not an email"}
{"username": "cy", "email": "cy@example.com"}
{"username": "dee", "emial": "dee@example.com"}
{"username": "eve", "email": "eve@example.com"}
EOF
# Batches of 2 rows, one at a time: rows 1-2 go in, the bad row on line 4
# stops the import before the batches after it.
status 5 import users.jsonl --batch-size 2 --parallel 1
err "users.jsonl:4: INVALID_ARGUMENT: invalid request (email: "
[ "$(q 'SELECT count(*) FROM users')" -eq 2 ] || fail "stop left $(q 'SELECT count(*) FROM users') users"
grep -q "stopped after 2 users" "$TMP/out" || fail "summary: $(cat "$TMP/out")"
# --skip-bad: both bad rows reported by line, the rest imported, the first
# batch replayed rather than run again.
ok import users.jsonl --batch-size 2 --parallel 1 --skip-bad
err "users.jsonl:4: INVALID_ARGUMENT"
err "users.jsonl:6: "
err "emial"
names=$(q 'SELECT username FROM users ORDER BY id' | paste -sd ,)
[ "$names" = "ann,bob,cy,eve" ] || fail "users: $names"
grep -q "imported 4 users .* 2 bad rows skipped" "$TMP/out" ||
	fail "summary: $(cat "$TMP/out")"

# --- Interrupted, then resumed without duplicates ---------------------------
uid=$(q "SELECT id FROM users WHERE username = 'ann'")
ROWS=40000
awk -v u="$uid" -v n=$ROWS 'BEGIN { print "user_id,title,description,status";
	for (i = 0; i < n; i++) printf "%s,t%d,\"row %d, quoted\",%s\n", u, i, i,
		(i % 3 == 0 ? "done" : "pending") }' >tasks.csv
"$OZCTL" import tasks.csv --batch-size 50 --parallel 1 >/dev/null 2>&1 &
IPID=$!
i=0
while [ $i -lt 400 ] && [ "$(q 'SELECT count(*) FROM tasks')" -lt 500 ]; do
	sleep 0.02
	i=$((i + 1))
done
kill -9 "$IPID"
wait "$IPID" 2>/dev/null || true
IPID=""
half=$(q 'SELECT count(*) FROM tasks')
[ "$half" -gt 0 ] && [ "$half" -lt $ROWS ] ||
	fail "the interruption did not land half way ($half of $ROWS rows)"
ok import tasks.csv --batch-size 50 --parallel 3
[ "$(q 'SELECT count(*) FROM tasks')" -eq $ROWS ] ||
	fail "after resuming: $(q 'SELECT count(*) FROM tasks') rows, want $ROWS"
[ "$(q 'SELECT count(DISTINCT title) FROM tasks')" -eq $ROWS ] ||
	fail "duplicate rows after resuming"
[ "$(q "SELECT count(*) FROM tasks WHERE status = 3")" -eq $((ROWS / 3 + 1)) ] ||
	fail "statuses not imported"
# A third run changes nothing.
ok import tasks.csv --batch-size 50
[ "$(q 'SELECT count(*) FROM tasks')" -eq $ROWS ] || fail "rerun duplicated"

# --- Export, and export read back -------------------------------------------
ok export tasks --format csv
[ "$(wc -l <"$TMP/out")" -eq $((ROWS + 1)) ] || fail "csv lines"
head -1 "$TMP/out" | grep -q '^user_id,title,description,status,id,' ||
	fail "csv header: $(head -1 "$TMP/out")"
grep -q '^[0-9]*,t7,"row 7, quoted",pending,' "$TMP/out" || fail "csv row 7"
ok export users --output users-out.jsonl
[ "$(wc -l <users-out.jsonl)" -eq 4 ] || fail "users export"
jq -e -s '.[0].username == "ann" and .[3].email == "eve@example.com"' \
	users-out.jsonl >/dev/null || fail "users export content"
"$OZCTL" export tasks --output tasks-copy.jsonl
ok import tasks-copy.jsonl --key copy
[ "$(q 'SELECT count(*) FROM tasks')" -eq $((ROWS * 2)) ] ||
	fail "import of the export"
[ "$(q "SELECT count(*) FROM tasks WHERE title = 't7' AND description = 'row 7, quoted'")" -eq 2 ] ||
	fail "round trip lost a field"

# --- Progress bar: a terminal only ----------------------------------------------
[ ! -s "$TMP/err" ] || fail "stderr not empty without a terminal: $(cat "$TMP/err")"
script -qec "'$OZCTL' --url '$URL' import tasks.csv --batch-size 1000 \
	--key tty" /dev/null >"$TMP/tty.out" 2>&1 ||
	fail "import on a terminal: $(cat "$TMP/tty.out")"
grep -q "$ROWS/$ROWS rows .* rows/s" "$TMP/tty.out" ||
	fail "no progress bar: $(cat "$TMP/tty.out")"
stop_ozd
echo "$NAME: ok (interrupted at $half of $ROWS rows)"
