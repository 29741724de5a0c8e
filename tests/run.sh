#!/bin/sh
# tests/run.sh -- run every test program and script; print one summary line.
#
# Usage: BUILD=build sh tests/run.sh TEST_BINARY...
# Also runs tests/e2e/*.sh, when present the Python client's pytest
# suite, and the JavaScript client's node tests (clients/js/test). Each runs with OZD, OZCTL, OZBENCH and OZ_BUILD set to the build.
set -u
BUILD=${BUILD:-build}
OZ_BUILD=$(cd "$BUILD" && pwd)
export OZ_BUILD
export OZD="$OZ_BUILD/ozd" OZCTL="$OZ_BUILD/ozctl" OZBENCH="$OZ_BUILD/ozbench"
pass=0
fail=0
failed=""

run() {
	name=$1
	shift
	printf '=== %s\n' "$name"
	if "$@"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $name"
	fi
}

for t in "$@"; do
	run "$t" "$t"
done
for t in $(ls tests/e2e/*.sh 2>/dev/null | sort); do
	run "$t" sh "$t"
done
if [ -d clients/python/tests ] && [ -z "${OZ_SKIP_PYTHON:-}" ]; then
	run pytest /usr/bin/python3 -m pytest -q clients/python/tests
fi
if [ -d clients/js/node_modules ] && [ -z "${OZ_SKIP_JS:-}" ]; then
	run node-client node --test clients/js/test/*.test.js
fi

[ -n "$failed" ] && printf 'FAILED:%s\n' "$failed"
printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
