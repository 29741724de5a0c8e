#!/bin/sh
# tests/e2e/ozctl_migrate.sh -- `ozctl migrate` on a temporary database:
# upgrade, downgrade, current, history, stamp, check (also catching drift),
# revision; DATABASE_URL from the environment, ./.env and --database-url;
# and ozd refusing a database that is behind until ozctl upgrades it.
#
# Needs OZD, OZCTL (set by tests/run.sh), jq and sqlite3. Touches nothing
# outside its temporary directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-migrate.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset DATABASE_URL OZ_URL
cd "$TMP"

NAME=ozctl_migrate.sh
. "$HERE/lib/ozctl.sh"

export DATABASE_URL="sqlite:///$TMP/app.db"

# No database: current and history say so and create none.
status 3 migrate current
err "there is no database at $TMP/app.db"
status 3 migrate history
[ ! -e "$TMP/app.db" ] || fail "migrate current/history created app.db"

# A new (empty) database is at base with every revision pending.
: >"$TMP/app.db"
ok migrate history --json
n=$(jq '.revisions | length' "$TMP/out")
head=$(jq -r '.revisions[-1].revision' "$TMP/out")
first=$(jq -r '.revisions[0].revision' "$TMP/out")
[ "$n" -ge 2 ] || fail "only $n migrations"
jqt '[.revisions[] | select(.applied)] | length == 0'
ok migrate current
out_is "base ($n pending)"

# Upgrade to head; current, history and check agree.
ok migrate upgrade
out_is "$head (head)"
ok migrate current --json
jqt ".revision == \"$head\" and .head == true and .pending == 0"
ok migrate history --json
jqt '[.revisions[] | select(.applied)] | length == '"$n"
jqt '[.revisions[] | select(.appliedAt == "-")] | length == 0'
ok migrate history
grep -q "^REVISION  *APPLIED" "$TMP/out" || fail "history table"
ok migrate check
grep -q 'schema matches' "$TMP/out" || fail "check output"
sqlite3 "$TMP/app.db" "SELECT count(*) FROM users" >/dev/null ||
	fail "users table missing after upgrade"

# Downgrade one step, then to base, then up step by step.
ok migrate downgrade
ok migrate current -q
[ "$(cat "$TMP/out")" != "$head" ] || fail "downgrade did nothing"
ok migrate check
ok migrate downgrade base
ok migrate current -q
out_is base
sqlite3 "$TMP/app.db" "SELECT count(*) FROM users" >/dev/null 2>&1 &&
	fail "users table still there at base"
ok migrate upgrade +1
ok migrate current -q
out_is "$first"
ok migrate check
ok migrate upgrade "$head"
ok migrate current -q
out_is "$head"

# Bad targets are INVALID_ARGUMENT (exit 5), a bad URL too.
status 5 migrate upgrade 9999
err "ozctl: INVALID_ARGUMENT: "
status 5 migrate downgrade +1
status 5 migrate current --database-url mysql://x/y
status 2 migrate stamp
status 2 migrate sideways

# Drift: a table no migration made is FAILED_PRECONDITION (exit 4).
sqlite3 "$TMP/app.db" "CREATE TABLE stray (x INTEGER)"
status 4 migrate check
err "ozctl: FAILED_PRECONDITION: "
err "drift"

# Stamp records without running anything.
ok migrate stamp base --database-url "sqlite:///$TMP/stamped.db"
ok migrate current -q --database-url "sqlite:///$TMP/stamped.db"
out_is base
ok migrate stamp head --database-url "sqlite:///$TMP/stamped.db"
ok migrate current --json --database-url "sqlite:///$TMP/stamped.db"
jqt '.head == true'

# DATABASE_URL from ./.env when the environment has none.
unset DATABASE_URL
mkdir "$TMP/proj"
echo "DATABASE_URL=sqlite:///./envfile.db" >"$TMP/proj/.env"
(cd "$TMP/proj" && "$OZCTL" migrate upgrade >/dev/null 2>"$TMP/err") ||
	fail "upgrade via .env"
[ -f "$TMP/proj/envfile.db" ] || fail ".env DATABASE_URL not used"

# revision writes the next file.
mkdir "$TMP/migs"
ok migrate revision -m "Add tags table" --dir "$TMP/migs"
out_is "$TMP/migs/0001_add_tags_table.sql"
grep -q -- '-- +oz Up' "$TMP/migs/0001_add_tags_table.sql" ||
	fail "revision file has no Up part"
ok migrate revision --message "second" --dir "$TMP/migs"
out_is "$TMP/migs/0002_second.sql"
status 2 migrate revision --dir "$TMP/migs"

# ozd refuses a database that is behind; ozctl then upgrades it.
db="sqlite:///$TMP/behind.db"
ok migrate upgrade "$first" --database-url "$db"
if "$OZD" --listen "ipc://$TMP/oz.sock" --database-url "$db" \
	>/dev/null 2>"$TMP/ozd.log"; then
	fail "ozd started on a database behind head"
fi
grep -q 'migrate' "$TMP/ozd.log" || fail "ozd did not name the upgrade"
ok migrate upgrade --database-url "$db"
out_is "$head (head)"
echo "ozctl_migrate.sh: ok"
