#!/bin/sh
# tests/run.sh -- run every test program and script; print one summary line.
#
# Usage: BUILD=build sh tests/run.sh TEST_BINARY...
# Also runs tests/e2e/*.sh and, when present, the Python client's pytest
# suite and the JavaScript client's node tests (clients/js/test). Each runs
# with OZD, OZCTL, OZBENCH and OZ_BUILD set to the build,
# under a time limit (OZ_TEST_TIMEOUT seconds for a program, default 300;
# OZ_SCRIPT_TIMEOUT for a script or pytest, default 600): a hang fails at
# once with the test's name instead of using up CI's time.
set -u
BUILD=${BUILD:-build}
OZ_BUILD=$(cd "$BUILD" && pwd)
export OZ_BUILD
export OZD="$OZ_BUILD/ozd" OZCTL="$OZ_BUILD/ozctl" OZBENCH="$OZ_BUILD/ozbench"
pass=0
fail=0
failed=""

PROGRAM_LIMIT=${OZ_TEST_TIMEOUT:-300}
SCRIPT_LIMIT=${OZ_SCRIPT_TIMEOUT:-600}

# run NAME LIMIT COMMAND...: runs COMMAND, killed (TERM, then KILL 10 s
# later) after LIMIT seconds.
run() {
	name=$1
	limit=$2
	shift 2
	printf '=== %s\n' "$name"
	rc=0
	timeout -k 10 "$limit" "$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		return
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		printf 'TIMEOUT: %s did not finish within %s s\n' "$name" "$limit"
		name="$name(timeout)"
	fi
	fail=$((fail + 1))
	failed="$failed $name"
}

for t in "$@"; do
	run "$t" "$PROGRAM_LIMIT" "$t"
done
for t in $(ls tests/e2e/*.sh 2>/dev/null | sort); do
	run "$t" "$SCRIPT_LIMIT" sh "$t"
done
if [ -d clients/python/tests ] && [ -z "${OZ_SKIP_PYTHON:-}" ]; then
	run pytest "$SCRIPT_LIMIT" /usr/bin/python3 -m pytest -q -rs clients/python/tests
fi
if [ -d clients/js/node_modules ] && [ -z "${OZ_SKIP_JS:-}" ]; then
	run node-client "$SCRIPT_LIMIT" node --test clients/js/test/*.test.js
fi

[ -n "$failed" ] && printf 'FAILED:%s\n' "$failed"
printf '%d passed, %d failed\n' "$pass" "$fail"
[ "$fail" -eq 0 ]
