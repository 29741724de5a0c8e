#!/bin/sh
# tests/e2e/ops_stats.sh -- `ozctl stats` counts exactly the calls this
# test made to a fresh ozd over tcp:// (per method, errors by code, the
# total; the Stats call in progress is in flight, not yet counted), the
# table and --watch outputs, `ozctl optimize`, and the auth token on the
# admin methods. ozd's readiness is read from its log, so no call but the
# test's reaches it. Needs OZD, OZCTL, jq. Touches nothing outside its
# temporary directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-ops-stats.XXXXXX")
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ops_stats.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

start_ozd "$TMP/app.db" --migrate
export OZ_URL="$URL"

# The calls, each made once: 4 CreateUser (1 ALREADY_EXISTS), 1 GetUser
# (NOT_FOUND), 2 ListUsers, 1 GetTask (NOT_FOUND), 1 Check, 1 Optimize,
# 2 Backup (1 ALREADY_EXISTS).
for u in a b c; do
	ok users create --username "$u" --email "$u@x.org"
done
status 4 users create --username a --email other@x.org
status 3 users get 999
ok users list
ok users list --json
status 3 tasks get 1
ok health
ok optimize
grep -q '^optimized in [0-9.]* ms$' "$TMP/out" || fail "optimize: $(cat "$TMP/out")"
ok backup b.db
status 4 backup b.db

M=/oz.v1.UserService
# calls METHOD: the calls of METHOD in the last --json output (0 if absent).
calls() {
	val "[.methods[] | select(.method == \"$1\") | .calls | tonumber] | add // 0"
}
# errs METHOD CODE
errs() {
	val "[.methods[] | select(.method == \"$1\") | .errors[] |
		select(.code == \"$2\") | .count | tonumber] | add // 0"
}
expect() {
	got=$1
	shift
	[ "$got" = "$1" ] || fail "$2: got $got, want $1 in $(cat "$TMP/out")"
}

ok stats --json
expect "$(calls $M/CreateUser)" 4 CreateUser
expect "$(errs $M/CreateUser ALREADY_EXISTS)" 1 "CreateUser errors"
expect "$(calls $M/GetUser)" 1 GetUser
expect "$(errs $M/GetUser NOT_FOUND)" 1 "GetUser errors"
expect "$(calls $M/ListUsers)" 2 ListUsers
expect "$(calls /oz.v1.TaskService/GetTask)" 1 GetTask
expect "$(calls /grpc.health.v1.Health/Check)" 1 Check
expect "$(calls /oz.v1.AdminService/Optimize)" 1 Optimize
expect "$(calls /oz.v1.AdminService/Backup)" 2 Backup
expect "$(errs /oz.v1.AdminService/Backup ALREADY_EXISTS)" 1 "Backup errors"
# This Stats call is in flight, not yet counted.
expect "$(calls /oz.v1.AdminService/Stats)" 0 "Stats (in progress)"
expect "$(val '.inFlight | tonumber')" 1 inFlight
expect "$(val '.callsTotal | tonumber')" 12 callsTotal
expect "$(val '[.methods[].calls | tonumber] | add')" 12 "sum of calls"
expect "$(val '[.errors[] | select(.code == "NOT_FOUND") | .count |
	tonumber] | add')" 2 "NOT_FOUND total"
expect "$(val '[.errors[] | select(.code == "ALREADY_EXISTS") | .count |
	tonumber] | add')" 2 "ALREADY_EXISTS total"
expect "$(val '[.errors[].count | tonumber] | add')" 4 "errors total"
jqt '[.methods[] | select(.method | endswith("CreateUser")) |
	(.p50Us | tonumber) <= (.p90Us | tonumber) and
	(.p90Us | tonumber) <= (.p99Us | tonumber) and
	(.p99Us | tonumber) <= (.maxUs | tonumber) and
	(.maxUs | tonumber) > 0] == [true]'
jqt '(.databaseSizeBytes | tonumber) > 0 and (.uptimeS | tonumber) >= 0'
jqt '.cacheHitRatio >= 0 and .cacheHitRatio <= 1'

# The previous Stats call is counted once answered.
ok stats --json
expect "$(calls /oz.v1.AdminService/Stats)" 1 "Stats"
expect "$(val '.callsTotal | tonumber')" 13 callsTotal

# The table.
ok stats
grep -q '^METHOD  *CALLS  *ERRORS  *P50_US  *P90_US  *P99_US  *MAX_US' \
	"$TMP/out" || fail "stats table header: $(cat "$TMP/out")"
grep -q "^$M/CreateUser  *4  *1  " "$TMP/out" ||
	fail "CreateUser row: $(cat "$TMP/out")"
grep -q '^ALREADY_EXISTS  *2$' "$TMP/out" || fail "errors table"
grep -q '^uptime [0-9]* s, 1 in flight, 14 calls, 4 errors$' "$TMP/out" ||
	fail "summary line: $(head -1 "$TMP/out")"
grep -q '^backend sqlite, [1-9][0-9]* database connection(s), [0-9]* busy$' \
	"$TMP/out" || fail "backend line: $(sed -n 2p "$TMP/out")"

# --watch: bounded by --count, and ended by a signal.
ok stats --watch --count 2
expect "$(grep -c '^uptime' "$TMP/out")" 2 "--watch --count 2 refreshes"
ok stats --json
expect "$(calls /oz.v1.AdminService/Stats)" 5 "Stats after watch"
rc=0
timeout -s INT 2.5 "$OZCTL" stats --watch --json >"$TMP/out" 2>"$TMP/err" ||
	rc=$?
[ "$rc" -eq 124 ] || fail "stats --watch under timeout exited $rc"
n=$(jq -s length "$TMP/out")
[ "$n" -ge 2 ] && [ "$n" -le 4 ] || fail "$n refreshes in 2.5 s"
status 2 stats --count 2
stop_ozd

# Admin methods need the token like every other method.
echo "s3cret" >"$TMP/tokens"
start_ozd "$TMP/app.db" --auth-token-file "$TMP/tokens"
export OZ_URL="$URL"
status 7 stats
status 7 optimize
status 7 backup c.db
[ ! -e "$TMP/backups/c.db" ] || fail "backup ran without the token"
ok stats --token s3cret --json
ok backup c.db --token s3cret
[ -s "$TMP/backups/c.db" ] || fail "no backup in backups/"
stop_ozd
echo "$NAME: ok"
