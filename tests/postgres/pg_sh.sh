#!/bin/sh
# tests/postgres/pg_sh.sh -- scripts/pg.sh: start and stop are idempotent,
# env names a working database, the server has no TCP listener and syncs
# its commits. Run by make test-postgres (scripts/test-postgres.sh).
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/ozpgsh.XXXXXX")
trap 'sh scripts/pg.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
fail() {
	echo "pg_sh: $*" >&2
	exit 1
}

sh scripts/pg.sh start "$dir"
sh scripts/pg.sh start "$dir" # Again: nothing to do.
url=$(sh scripts/pg.sh env "$dir" | sed -n 's/^DATABASE_URL=//p')
case $url in
"postgresql://oz@/oz?host=$dir") ;;
*) fail "env printed '$url'" ;;
esac
q() { psql "$url" -Atc "$1"; }
[ "$(q 'SELECT current_database() || current_user')" = ozoz ] ||
	fail "not connected as oz to oz"
[ "$(q 'SHOW fsync')" = on ] || fail "fsync is not on"
[ "$(q 'SHOW synchronous_commit')" = on ] || fail "synchronous_commit off"
[ -z "$(q 'SHOW listen_addresses')" ] || fail "listens on TCP"
sh scripts/pg.sh stop "$dir"
sh scripts/pg.sh stop "$dir" # Again: nothing to do.
if psql "$url" -Atc 'SELECT 1' >/dev/null 2>&1; then
	fail "still answering after stop"
fi
echo "pg_sh: ok"
