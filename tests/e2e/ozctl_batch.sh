#!/bin/sh
# tests/e2e/ozctl_batch.sh -- `ozctl batch FILE` against a real ozd, and a
# SIGKILL of ozd while it runs large batches: every batch is there whole
# or not at all.
#
# Part 1: JSON Lines and JSON array files, references to earlier creates,
# -q and --json output, a failing batch naming its operation and leaving
# nothing, a request_id replaying the first outcome.
# Part 2: a client loop sends batches of 1000 create_task back to back;
# ozd is killed with SIGKILL at a random moment, 6 times; after each kill
# the number of tasks must be a multiple of 1000 and integrity_check ok.
# Needs OZD, OZCTL, jq, sqlite3. Touches nothing outside its temporary
# directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-batch.XXXXXX")
LOOP=""
cleanup() {
	[ -n "$LOOP" ] && kill "$LOOP" 2>/dev/null
	[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ozctl_batch.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

DB="$TMP/app.db"
start_ozd "$DB" --migrate
export OZ_URL="$URL"

# --- Part 1: the verb ---------------------------------------------------------
cat >ops.jsonl <<'EOF'
{"createUser": {"username": "ann", "email": "ann@example.com"}}
{"createTask": {"title": "first"}, "userIdRef": 0}

{"createTask": {"title": "second"}, "userIdRef": 0}
{"updateTask": {"task": {"title": "second, renamed"}}, "taskIdRef": 2}
EOF
ok batch ops.jsonl --json
jqt '.results | length == 4'
jqt '.results[1].task.userId == .results[0].user.id'
jqt '.results[3].task.title == "second, renamed"'
ok tasks list --json
jqt '.tasks | length == 2'

printf '[{"createUser": {"username": "bob", "email": "bob@example.com"}},
 {"createTask": {"title": "bob1"}, "userIdRef": 0},
 {"createUser": {"username": "ann2", "email": "ANN@example.com"}}]\n' >bad.json
status 4 batch bad.json
err "ALREADY_EXISTS: Email already registered"
err "operations[2].create_user: Email already registered"
ok users list --json
jqt '.users | length == 1'

printf '{"createTask": {"title": "x"}, "userIdRef": 3}\n' >ref.jsonl
status 5 batch ref.jsonl
err "operations[0].user_id_ref"

printf '{"createUser": {"username": "c"}}\n{"createUser": {"bogus": 1}}\n' \
	>parse.jsonl
status 5 batch parse.jsonl
err "parse.jsonl:2:"

printf '[{"createUser": {"username": "cy", "email": "cy@example.com"}}]' >k.json
ok batch -q --request-id key-1 k.json
first=$(cat "$TMP/out")
ok batch -q --request-id key-1 k.json
out_is "$first"
ok users list --json
jqt '.users | length == 2'

# --- Part 2: SIGKILL during large batches --------------------------------------
ok users create --username killer --email killer@example.com -q
uid=$(cat "$TMP/out")
awk -v u="$uid" 'BEGIN { for (i = 0; i < 1000; i++)
	printf "{\"createTask\": {\"userId\": \"%s\", \"title\": \"k%d\"}}\n", u, i }' \
	>big.jsonl
base=$(db_sql "$DB" "SELECT count(*) FROM tasks")
kills=0
grew=0
while [ $kills -lt 6 ]; do
	(
		n=0
		while [ $n -lt 200 ]; do
			"$OZCTL" --timeout 2000 batch -q big.jsonl >/dev/null \
				2>&1 || true
			n=$((n + 1))
		done
	) &
	LOOP=$!
	sleep "0.$(awk -v s="$$$kills$(date +%N)" \
		'BEGIN { srand(s % 1000000); printf "%d", 2 + int(rand() * 7) }')"
	kill -9 "$PID"
	wait "$PID" 2>/dev/null || true
	PID=""
	kill "$LOOP" 2>/dev/null || true
	wait "$LOOP" 2>/dev/null || true
	LOOP=""
	kills=$((kills + 1))
	n=$(db_sql "$DB" "SELECT count(*) FROM tasks")
	[ $(((n - base) % 1000)) -eq 0 ] ||
		fail "after kill $kills: $((n - base)) tasks, not whole batches"
	db_postgres || [ "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok ] ||
		fail "integrity_check after kill $kills"
	[ "$n" -gt "$base" ] && grew=1
	start_ozd "$DB"
	export OZ_URL="$URL"
done
[ $grew -eq 1 ] || fail "no batch committed before any of the kills"
stop_ozd
echo "$NAME: ok ($kills kills, $(((n - base) / 1000)) whole batches)"
