#!/bin/sh
# tests/e2e/ozctl_sql.sh -- `ozctl sql` against a real ozd started with
# --admin-token-file: a table, CSV and JSON; --param binding; writes,
# several statements and "; DROP TABLE" tails refused with nothing
# changed; a runaway WITH RECURSIVE stopped at --limit-ms while ozd keeps
# serving; callers without the admin token refused; the statement logged,
# its parameters never. Needs OZD, OZCTL, jq, sqlite3. Touches nothing
# outside its temporary directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-sql.XXXXXX")
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ozctl_sql.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

echo "sql-admin-token" >admins
DB="$TMP/app.db"
start_ozd "$DB" --migrate --admin-token-file "$TMP/admins"
export OZ_URL="$URL"
ok users create --username ann --email ann@example.com
ok users create --username bob --email bob@example.com
export OZ_TOKEN=sql-admin-token

ok sql "SELECT id, username FROM users ORDER BY id"
[ "$(sed -n 1p "$TMP/out")" = "id  username" ] || fail "header: $(cat "$TMP/out")"
[ "$(sed -n 3p "$TMP/out")" = "2   bob" ] || fail "row: $(cat "$TMP/out")"
err "(2 rows)"
# Parameters: ?1, ?2 on SQLite; $1, $2 on PostgreSQL (README).
P1='?1' P2='?2'
if db_postgres; then P1='$1' P2='$2'; fi
ok sql "SELECT username, email FROM users WHERE email = $P1" --param bob@example.com --csv
[ "$(cat "$TMP/out")" = "username,email
bob,bob@example.com" ] || fail "csv: $(cat "$TMP/out")"
ok sql "SELECT $P1 + 1 AS n, $P2 AS s, NULL AS z" --param 41 --param=x --json
jqt '.rows[0].values[0].integer == "42" and .rows[0].values[1].text == "x"'
jqt '.rows[0].values[2].null == true and .columns[0].name == "n"'
ok sql "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x FROM n" --max-rows 3
[ "$(wc -l <"$TMP/out")" -eq 4 ] || fail "max-rows: $(cat "$TMP/out")"
err "truncated"

for bad in "INSERT INTO users (username, email, create_time, update_time) VALUES ('x', 'x@y.z', 0, 0)" \
	"UPDATE users SET username = 'x'" "DELETE FROM users" "DROP TABLE users" \
	"CREATE TABLE t (x)" "ATTACH DATABASE '$TMP/other.db' AS o" \
	"PRAGMA user_version = 9" "PRAGMA query_only = 0" \
	"SELECT 1; DROP TABLE users" "SELECT 1; SELECT 2"; do
	status 5 sql "$bad"
	err "  sql: "
done
[ "$(db_sql "$DB" 'SELECT count(*) FROM users')" -eq 2 ] || fail "users changed"
[ ! -e "$TMP/other.db" ] || fail "ATTACH created a file"

status 6 sql "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n" --limit-ms 300
err "DEADLINE_EXCEEDED: query stopped at its time limit of 300 ms"
ok users list -q
[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "ozd stopped serving"

unset OZ_TOKEN
status 7 sql "SELECT 1" --token wrong-token
err "PERMISSION_DENIED"
status 7 sql "SELECT 1"
err "UNAUTHENTICATED"
stop_ozd
grep -qF "admin query params=1 sql=\"SELECT username, email FROM users WHERE email = $P1\"" \
	"$TMP/ozd.log" || fail "statement not logged"
! grep -q 'bob@example.com' "$TMP/ozd.log" || fail "a parameter was logged"

# Without --admin-token-file nobody may query, not even a local caller.
start_ozd "$DB"
export OZ_URL="$URL"
status 7 sql "SELECT 1"
err "PERMISSION_DENIED"
stop_ozd
echo "$NAME: ok"
