#!/bin/sh
# scripts/mem_flat.sh -- memory stays flat: run ozd on a seeded temporary
# database, drive 10,000 then 1,000,000 mixed calls with ozbench (80%
# GetUser, 10% ListTasks, 10% CreateUser), and report ozd's memory after
# 10,000, 100,000, 500,000 and 1,000,000 calls: VmRSS, split into RssAnon
# (heap, stacks, SQLite page caches: what a leak or an unbounded queue
# would grow) and RssFile (mapped files), and VmHWM. The 10% creates grow
# the database by ~100,000 users, so the page caches (capped by PRAGMA
# cache_size per connection) warm up early in the run. Fails when RssAnon
# grew by more than MEM_FLAT_MAX_KIB (default 8192) from the first point to
# the last, or by more than MEM_FLAT_TAIL_KIB (default 1024) over the last
# half (500,000 to 1,000,000 calls), where a leak would still be climbing.
#
# Not part of `make test` (minutes long). Usage, after `make`:
#   sh scripts/mem_flat.sh            # BUILD=build by default
#   BUILD=build/x CALLS=200000 sh scripts/mem_flat.sh
# Loopback only, random port; touches nothing outside its temporary dir.
set -eu
BUILD=${BUILD:-build}
OZD=${OZD:-$BUILD/ozd}
OZBENCH=${OZBENCH:-$BUILD/ozbench}
FIRST=${FIRST:-10000}
CALLS=${CALLS:-1000000}
INFLIGHT=${INFLIGHT:-32}
MAX_KIB=${MEM_FLAT_MAX_KIB:-8192}
TAIL_KIB=${MEM_FLAT_TAIL_KIB:-1024}
[ -x "$OZD" ] && [ -x "$OZBENCH" ] || {
	echo "mem_flat: build ozd and ozbench first ($OZD, $OZBENCH)" >&2
	exit 2
}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-memflat.XXXXXX")
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000))
URL="tcp://127.0.0.1:$PORT"
SEED="--seed-users 10000 --seed-tasks 50000"

# shellcheck disable=SC2086
"$OZBENCH" --database-url "sqlite:///$TMP/mem.db" --seed-only $SEED >&2
"$OZD" --listen "$URL" --database-url "sqlite:///$TMP/mem.db" \
	--log-level warn 2>"$TMP/ozd.log" &
PID=$!
sleep 0.5
kill -0 "$PID" || { cat "$TMP/ozd.log" >&2; exit 1; }

total=0
# drive N: run ozbench bursts (bounded) until $total reaches N calls.
drive() {
	want=$1
	bursts=0
	while [ "$total" -lt "$want" ] && [ $bursts -lt 1000 ]; do
		left=$((want - total))
		secs=10
		[ "$left" -lt 50000 ] && secs=1
		# shellcheck disable=SC2086
		out=$("$OZBENCH" --url "$URL" --workload mixed \
			--inflight "$INFLIGHT" --duration $secs --warmup 0 \
			--seed $((bursts + total)) $SEED --json)
		n=$(printf '%s' "$out" | sed 's/.*"calls":\([0-9]*\).*/\1/')
		bad=$(printf '%s' "$out" |
			sed 's/.*"transport_errors":\([0-9]*\).*/\1/')
		[ "$bad" = 0 ] || echo "mem_flat: $bad transport errors" >&2
		total=$((total + n))
		bursts=$((bursts + 1))
	done
}
mem() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"
}

start=$(date +%s)
printf '%-10s %-10s %-10s %-10s %s\n' calls VmRSS_KiB RssAnon_KiB \
	RssFile_KiB VmHWM_KiB
anon1=""
anon_mid=""
for point in "$FIRST" 100000 500000 "$CALLS"; do
	[ "$point" -le "$CALLS" ] || continue
	drive "$point"
	anon=$(mem RssAnon)
	[ -n "$anon1" ] || anon1=$anon
	[ "$point" -ne 500000 ] || anon_mid=$anon
	printf '%-10s %-10s %-10s %-10s %s\n' "$total" "$(mem VmRSS)" "$anon" \
		"$(mem RssFile)" "$(mem VmHWM)"
done
secs=$(($(date +%s) - start))
users=$(sqlite3 "$TMP/mem.db" 'SELECT count(*) FROM users' 2>/dev/null ||
	echo '?')
[ -n "$anon_mid" ] || anon_mid=$anon1
printf 'RssAnon growth %d KiB overall (limit %d), %d KiB over the last half' \
	$((anon - anon1)) "$MAX_KIB" $((anon - anon_mid))
printf ' (limit %d); %d s; %s users at the end\n' "$TAIL_KIB" "$secs" "$users"
[ $((anon - anon1)) -le "$MAX_KIB" ] && [ $((anon - anon_mid)) -le "$TAIL_KIB" ]
