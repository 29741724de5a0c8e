#!/bin/sh
# tests/postgres/ozd_serves.sh -- the real ozd serving on PostgreSQL
# (DATABASE_URL=postgresql://...), driven by ozctl: migrations, Health,
# users and tasks, "Email already registered", page tokens, an idempotent
# replay, Query refusing writes, Backup refused naming pg_dump; then the
# faults: the server stopped (Health NOT_SERVING, calls UNAVAILABLE) and
# started again (SERVING again, ozd never restarted), ozd's connections
# terminated (the next calls recover), and a row locked by another
# session (UpdateTask with a short deadline answers DEADLINE_EXCEEDED and
# its statement is cancelled on the server, not left waiting there).
#
# Starts its own cluster with scripts/pg.sh (as pg_sh.sh does). Run by
# make test-postgres (scripts/test-postgres.sh); needs OZD and OZCTL (or
# the build in ./build), psql and jq.
set -eu
NAME=ozd_serves
OZD=${OZD:-$(pwd)/build/ozd}
OZCTL=${OZCTL:-$(pwd)/build/ozctl}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ozpgserve.XXXXXX")
dir=$(mktemp -d "${TMPDIR:-/tmp}/ozpgserve-pg.XXXXXX")
PID=""
LOCKER=""
cleanup() {
	[ -n "$LOCKER" ] && kill "$LOCKER" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	sh scripts/pg.sh stop "$dir" >/dev/null 2>&1 || true
	rm -rf "$TMP" "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
unset OZ_URL OZ_TOKEN DATABASE_URL
. tests/e2e/lib/ozctl.sh

sh scripts/pg.sh start "$dir" >/dev/null
db=$(sh scripts/pg.sh env "$dir" | sed -n 's/^DATABASE_URL=//p')
q() { psql "$db" -Atc "$1"; }

# --- Migrations through ozctl, then ozd on the URL ------------------------
ok migrate current --database-url "$db"
grep -q '^base' "$TMP/out" || fail "a new database is not at base"
ok migrate upgrade head --database-url "$db"
ok migrate check --database-url "$db"

echo "adm1n" >"$TMP/admin"
port=$(awk -v s="$$$(date +%N)" \
	'BEGIN { srand(s % 1000000); print 20000 + int(rand() * 12000) }')
export OZ_URL="tcp://127.0.0.1:$port"
: >"$TMP/ozd.log"
"$OZD" --listen "$OZ_URL" --database-url "$db" --read-threads 2 \
	--admin-token-file "$TMP/admin" 2>"$TMP/ozd.log" &
PID=$!
i=0
until grep -q ' serving$' "$TMP/ozd.log"; do
	i=$((i + 1))
	[ $i -lt 200 ] && kill -0 "$PID" 2>/dev/null || fail "ozd did not start"
	sleep 0.05
done
grep -q 'backend=postgres' "$TMP/ozd.log" || fail "the config line names no backend"
# Reads run on threads of ours (--read-threads 2), not on nng's.
n=$(cat /proc/"$PID"/task/*/comm | grep -c '^ozd:reader$' || true)
[ "$n" -eq 2 ] || fail "$n ozd:reader threads, want 2"
grep -q "database=postgresql://oz@/oz?host=$dir" "$TMP/ozd.log" ||
	fail "the config line names no database"

# --- The service ------------------------------------------------------------
ok health
out_is SERVING
ok users create --username ann --email ann@example.com
ok users create --username bob --email bob@example.com
ok users create --username cy --email cy@example.com
status 4 users create --username ann2 --email ANN@example.com
err 'ALREADY_EXISTS: Email already registered'
ok --json users list --page-size 2
token=$(jq -r '.nextPageToken' "$TMP/out")
[ "$(jq '.users | length' "$TMP/out")" -eq 2 ] || fail "first page"
[ -n "$token" ] && [ "$token" != null ] || fail "no page token"
ok --json users list --page-size 2 --page-token "$token"
[ "$(jq -r '.users[0].username' "$TMP/out")" = cy ] || fail "second page"
ok --json users create --username dee --email dee@example.com \
	--request-id key-1
id1=$(jq -r .id "$TMP/out")
ok --json users create --username dee --email dee@example.com \
	--request-id key-1
[ "$(jq -r .id "$TMP/out")" = "$id1" ] || fail "replay made another user"
[ "$(q "SELECT count(*) FROM users WHERE username = 'dee'")" = 1 ] ||
	fail "replay wrote twice"
ok tasks create --user-id 1 --title first
ok --json tasks get 1
[ "$(jq -r .title "$TMP/out")" = first ] || fail "task not read back"
status 3 users get 999
err 'NOT_FOUND: User not found'

# --- Admin: Query reads only; Backup is the server's --------------------------
export OZ_TOKEN=adm1n
ok --json sql "SELECT count(*) AS n FROM users"
status 5 sql "DELETE FROM users"
status 5 sql "SELECT 1; DELETE FROM users"
status 5 sql "WITH d AS (DELETE FROM users RETURNING id) SELECT * FROM d"
[ "$(q 'SELECT count(*) FROM users')" = 4 ] || fail "a Query wrote"
status 4 backup x.db
err 'pg_dump'
ok stats
grep -q '^backend postgres, ' "$TMP/out" || fail "stats: $(head -2 "$TMP/out")"
unset OZ_TOKEN

# wait_health WANT: Health answers WANT within 20 s.
wait_health() {
	i=0
	while :; do
		got=$("$OZCTL" --timeout 1000 health 2>/dev/null || true)
		[ "$got" = "$1" ] && return 0
		i=$((i + 1))
		[ $i -lt 100 ] || fail "health stayed '$got', want $1"
		sleep 0.2
	done
}

# --- The database server stops, then comes back ------------------------------
sh scripts/pg.sh stop "$dir" >/dev/null
wait_health NOT_SERVING
status 6 --timeout 2000 users get 1
err 'UNAVAILABLE'
status 6 --timeout 2000 users create --username eve --email eve@example.com
err 'UNAVAILABLE'
kill -0 "$PID" || fail "ozd died with its database"
sh scripts/pg.sh start "$dir" >/dev/null
wait_health SERVING
ok users get 1
ok users create --username eve --email eve@example.com

# --- ozd's connections killed: the next calls recover -------------------------
n=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	WHERE application_name = 'ozd'")
[ "$n" -ge 2 ] || fail "terminated $n connections of ozd"
# recover ARGS...: ozctl ARGS succeeds within 20 s of tries.
recover() {
	i=0
	until "$OZCTL" "$@" >"$TMP/out" 2>"$TMP/err"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "ozctl $* did not recover"
		sleep 0.2
	done
}
recover users get 2
recover users create --username fay --email fay@example.com
wait_health SERVING

# --- A row locked elsewhere: the deadline cancels the statement ----------------
psql "$db" -v ON_ERROR_STOP=1 -q >/dev/null 2>&1 <<EOF &
SET application_name = 'ozlock';
BEGIN;
SELECT id FROM tasks WHERE id = 1 FOR UPDATE;
SELECT pg_sleep(60);
EOF
LOCKER=$!
i=0
until [ "$(q "SELECT count(*) FROM pg_stat_activity
	WHERE application_name = 'ozlock' AND query LIKE '%pg_sleep%'")" = 1 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the locking session did not start"
	sleep 0.1
done
status 6 --timeout 1500 tasks update 1 --title blocked
i=0
until grep -q 'method=/oz.v1.TaskService/UpdateTask code=DEADLINE_EXCEEDED' \
	"$TMP/ozd.log"; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "ozd did not answer DEADLINE_EXCEEDED"
	sleep 0.1
done
[ "$(q "SELECT count(*) FROM pg_stat_activity
	WHERE application_name = 'ozd' AND state = 'active'
	AND query LIKE 'UPDATE tasks%'")" = 0 ] ||
	fail "ozd's UPDATE is still running on the server"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
	WHERE application_name = 'ozlock'" >/dev/null
wait "$LOCKER" 2>/dev/null || true
LOCKER=""
ok tasks update 1 --title unblocked
[ "$(q 'SELECT title FROM tasks WHERE id = 1')" = unblocked ] ||
	fail "the update after the lock did not land"

kill "$PID"
rc=0
wait "$PID" || rc=$?
PID=""
[ "$rc" -eq 0 ] || fail "ozd exited $rc on SIGTERM"
echo "$NAME: ok"
