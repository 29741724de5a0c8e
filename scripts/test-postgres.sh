#!/bin/sh
# scripts/test-postgres.sh -- runs the suites on PostgreSQL: starts a
# throwaway cluster with scripts/pg.sh in a temporary directory, points
# OZ_TEST_DATABASE_URL (the suites' backend, tests/support/db.h and
# tests/e2e/lib/db.sh) and OZ_TEST_POSTGRES_URL (the backend's own store
# tests) at it, and runs the SAME programs, end-to-end scripts and Python
# tests as `make test` through tests/run.sh (a test of what only SQLite
# has prints "skipped on postgres: WHY"). Then runs tests/postgres/*.sh,
# the fault tests, each with a cluster of its own. The cluster is stopped
# and its directory removed at the end, also on failure.
#
# Usage: BUILD=build sh scripts/test-postgres.sh TEST_BINARY...
set -eu
BUILD=${BUILD:-build}
dir=$(mktemp -d "${TMPDIR:-/tmp}/ozpg.XXXXXX")
cleanup() {
	sh scripts/pg.sh stop "$dir" || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
sh scripts/pg.sh start "$dir"
OZ_TEST_DATABASE_URL=$(sh scripts/pg.sh env "$dir" | sed 's/^DATABASE_URL=//')
OZ_TEST_POSTGRES_URL=$OZ_TEST_DATABASE_URL
export OZ_TEST_DATABASE_URL OZ_TEST_POSTGRES_URL
echo "test-postgres: $OZ_TEST_DATABASE_URL"
fail=0
# The JavaScript client's tests start ozd on SQLite of their own.
OZ_SKIP_JS=1 BUILD=$BUILD sh tests/run.sh "$@" || fail=1
sh scripts/pg.sh stop "$dir"

unset OZ_TEST_DATABASE_URL OZ_TEST_POSTGRES_URL
OZ_BUILD=$(cd "$BUILD" && pwd)
export OZ_BUILD OZD="$OZ_BUILD/ozd" OZCTL="$OZ_BUILD/ozctl" \
	OZBENCH="$OZ_BUILD/ozbench"
for t in tests/postgres/*.sh; do
	echo "=== $t"
	timeout -k 10 "${OZ_SCRIPT_TIMEOUT:-600}" sh "$t" || {
		echo "FAILED: $t"
		fail=1
	}
done
exit $fail
