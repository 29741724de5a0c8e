#!/bin/sh
# tests/postgres/sqlite_to_postgres.sh -- scripts/sqlite-to-postgres.sh
# end to end: an SQLite database filled through a real ozd (users and
# tasks with tabs, newlines, backslashes, quotes and non-ASCII text, keyed
# writes, deleted rows, the newest user deleted so SQLite's sequence is
# past max(id)) is moved to a PostgreSQL cluster of this test's own, then
# served from it by ozd: every user and task exported by ozctl (ids,
# etags, times, every field) is byte for byte what ozd on SQLite exported,
# a keyed create replayed with its request id is answered from the copied
# idempotency record (the same user, no new row), a new user gets an id
# past every id SQLite gave, and a second copy into the now non-empty
# database is refused with the database left as it was.
# Needs OZD, OZCTL (make test-postgres sets them), psql, sqlite3, jq.
set -eu
: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
ROOT=$(pwd)
HERE=$ROOT/tests/e2e
NAME=sqlite_to_postgres.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-to-pg-test.XXXXXX")
chmod 711 "$TMP" # The cluster's owner (scripts/pg.sh) passes through.
unset OZ_URL OZ_TOKEN DATABASE_URL OZ_TEST_DATABASE_URL
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	sh "$ROOT/scripts/pg.sh" stop "$TMP/pg" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

sh "$ROOT/scripts/pg.sh" start "$TMP/pg"
CLUSTER=$(sh "$ROOT/scripts/pg.sh" env "$TMP/pg" | sed 's/^DATABASE_URL=//')
# The target: the database lib/db.sh gives "$TMP/target" on this cluster,
# so start_ozd serves it below.
PG=$(OZ_TEST_DATABASE_URL=$CLUSTER db_url "$TMP/target")

# 1. Fill the SQLite database through ozd.
start_ozd "$TMP/src.db" --migrate
export OZ_URL="$URL"
i=0
: >"$TMP/users.jsonl"
while [ $i -lt 40 ]; do
	printf '{"username":"user%d","email":"User%d@Example.com"}\n' $i $i \
		>>"$TMP/users.jsonl"
	i=$((i + 1))
done
ok import "$TMP/users.jsonl"
ok -q users create --username "$(printf 'tab\there\\back')" \
	--email "o'neil@example.com" --request-id keyed-user
KEYED=$(cat "$TMP/out")
ok -q tasks create --user-id "$KEYED" --title "$(printf 'line1\nline2')" \
	--description "$(printf 'a\\nb\tc "q" \303\251\r')" --status done
ok -q tasks create --user-id 1 --title "plain" --request-id keyed-task
ok users delete 3
ok -q users create --username last --email last@example.com
LAST=$(cat "$TMP/out")
ok users delete "$LAST"
ok export users --output "$TMP/users-sqlite.jsonl"
ok export tasks --output "$TMP/tasks-sqlite.jsonl"
stop_ozd

# 2. Move it.
sh "$ROOT/scripts/sqlite-to-postgres.sh" "$TMP/src.db" "$PG" \
	>"$TMP/move.out" 2>&1 || {
	cat "$TMP/move.out" >&2
	fail "sqlite-to-postgres.sh failed"
}
grep -q '^users: 40 rows$' "$TMP/move.out" || fail "$(cat "$TMP/move.out")"

# 3. Served from PostgreSQL: the same rows, ids, etags and times.
OZ_TEST_DATABASE_URL=$CLUSTER start_ozd "$TMP/target"
export OZ_URL="$URL"
grep -q 'backend=postgres' "$TMP/ozd.log" || fail "ozd is not on PostgreSQL"
ok export users --output "$TMP/users-pg.jsonl"
ok export tasks --output "$TMP/tasks-pg.jsonl"
cmp -s "$TMP/users-sqlite.jsonl" "$TMP/users-pg.jsonl" ||
	fail "users differ: $(diff "$TMP/users-sqlite.jsonl" "$TMP/users-pg.jsonl" | head -n 4)"
cmp -s "$TMP/tasks-sqlite.jsonl" "$TMP/tasks-pg.jsonl" ||
	fail "tasks differ: $(diff "$TMP/tasks-sqlite.jsonl" "$TMP/tasks-pg.jsonl" | head -n 4)"
[ "$(wc -l <"$TMP/users-pg.jsonl")" -eq 40 ] || fail "not 40 users served"
[ "$(wc -l <"$TMP/tasks-pg.jsonl")" -eq 2 ] || fail "not 2 tasks served"

# The keyed create again: answered from its copied record.
ok -q users create --username "$(printf 'tab\there\\back')" \
	--email "o'neil@example.com" --request-id keyed-user
[ "$(cat "$TMP/out")" = "$KEYED" ] ||
	fail "replayed keyed create gave $(cat "$TMP/out"), want $KEYED"
# A new user: an id past every id SQLite gave, the deleted newest too.
ok -q users create --username newcomer --email newcomer@example.com
NEW=$(cat "$TMP/out")
[ "$NEW" -gt "$LAST" ] || fail "new id $NEW not past SQLite's last $LAST"
ok -q tasks create --user-id "$NEW" --title "after the move"
[ "$(cat "$TMP/out")" -gt 2 ] || fail "new task id $(cat "$TMP/out")"
stop_ozd

# 4. A second copy into the filled database is refused, nothing changed.
n=$(psql "$PG" -AtqX -c "SELECT count(*) FROM users")
if sh "$ROOT/scripts/sqlite-to-postgres.sh" "$TMP/src.db" "$PG" \
	>"$TMP/again.out" 2>&1; then
	fail "a copy into a non-empty database was not refused"
fi
grep -q 'is not empty' "$TMP/again.out" || fail "$(cat "$TMP/again.out")"
[ "$(psql "$PG" -AtqX -c "SELECT count(*) FROM users")" = "$n" ] ||
	fail "the refused copy changed the database"
echo "$NAME: ok (40 users, 2 tasks, keyed replay $KEYED, new id $NEW)"
