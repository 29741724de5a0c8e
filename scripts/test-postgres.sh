#!/bin/sh
# scripts/test-postgres.sh -- runs the PostgreSQL backend's tests against a
# throwaway cluster: starts one with scripts/pg.sh in a temporary
# directory, runs each TEST_BINARY with OZ_TEST_POSTGRES_URL pointing at
# it, then stops the cluster and removes the directory, also on failure.
# Then runs tests/postgres/*.sh (each makes its own cluster).
#
# Usage: sh scripts/test-postgres.sh TEST_BINARY...
set -eu
dir=$(mktemp -d "${TMPDIR:-/tmp}/ozpg.XXXXXX")
cleanup() {
	sh scripts/pg.sh stop "$dir" || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
sh scripts/pg.sh start "$dir"
OZ_TEST_POSTGRES_URL=$(sh scripts/pg.sh env "$dir" | sed 's/^DATABASE_URL=//')
export OZ_TEST_POSTGRES_URL
echo "test-postgres: $OZ_TEST_POSTGRES_URL"
fail=0
for t in "$@"; do
	echo "=== $t"
	"$t" || fail=1
done
for t in tests/postgres/*.sh; do
	echo "=== $t"
	sh "$t" || fail=1
done
exit $fail
