#!/bin/sh
# bench/batch.sh -- issue 17's two figures, against a real ozd on a fresh
# database file with the default durable setting (synchronous=FULL, WAL):
#   1. rows/s of BatchService/Execute with 100 CreateTasks against 100
#      single CreateTask calls made one after another (ozbench, one call
#      in flight, every reply checked); target ratio >= 20;
#   2. `ozctl import` of BATCH_BENCH_ROWS tasks (default 1,000,000) from a
#      CSV file, spread round-robin over BATCH_BENCH_USERS users (default
#      100; 1 makes every index insert an append); target >= 100,000
#      rows/s.
# Prints a Markdown table for bench/RESULTS.md. A measurement, never a
# test: run it by hand (sh bench/batch.sh), not in make test.
# Also prints the CPU time of ozd's writer thread, and of all of ozd, per
# imported row.
# BUILD (default build), BENCH_SECONDS (default 5), BATCH_BENCH_ROWS,
# BATCH_BENCH_IMPORT_FLAGS (e.g. "--parallel 8").
set -eu

BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-5}
ROWS=${BATCH_BENCH_ROWS:-1000000}
USERS=${BATCH_BENCH_USERS:-100}
OZD=$BUILD/ozd
OZCTL=$BUILD/ozctl
OZBENCH=$BUILD/ozbench
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-batch-bench.XXXXXX")
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

DB="$TMP/bench.db"
SEED="--seed-users 100 --seed-tasks 0"
"$OZBENCH" --database-url "sqlite:///$DB" $SEED --seed-only 2>/dev/null
port=$(awk -v s="$$$(date +%N)" \
	'BEGIN { srand(s % 1000000); print 20000 + int(rand() * 12000) }')
URL="tcp://127.0.0.1:$port"
"$OZD" --listen "$URL" --database-url "sqlite:///$DB" --log-level warn \
	2>"$TMP/ozd.log" &
PID=$!
i=0
until "$OZCTL" --url "$URL" --timeout 200 health >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "ozd did not start" >&2; exit 1; }
done

bench() {
	"$OZBENCH" --url "$URL" --workload "$1" --inflight 1 \
		--duration "$SECS" $SEED --server-pid "$PID" --json
}
bench create_task >"$TMP/single.json"
bench batch_create_tasks >"$TMP/batch.json"
single=$(jq -r '.calls_per_s' "$TMP/single.json")
calls=$(jq -r '.calls_per_s' "$TMP/batch.json")
ok=$(jq -r '(.ok == .calls) and .wrong_replies == 0' "$TMP/single.json" \
	"$TMP/batch.json" | sort -u)
[ "$ok" = true ] || { echo "errors in the runs" >&2; exit 1; }

awk -v n="$ROWS" -v u="$USERS" 'BEGIN { print "user_id,title,description,status";
	for (i = 0; i < n; i++)
		printf "%d,task %d,imported row %d,pending\n", i % u + 1, i, i }' \
	>"$TMP/tasks.csv"
# CPU seconds (user + system) of ozd's writer thread, and of the whole of
# ozd: the import's cost per row, which the load of a shared machine
# changes far less than the wall-clock rate.
writer_cpu() {
	for t in /proc/"$PID"/task/*; do
		if [ "$(cat "$t/comm")" = ozd:writer ]; then
			awk -v hz="$(getconf CLK_TCK)" \
				'{ print ($14 + $15) / hz }' "$t/stat"
		fi
	done
}
ozd_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' \
		/proc/"$PID"/stat
}
cpu0=$(writer_cpu)
all0=$(ozd_cpu)
"$OZCTL" --url "$URL" --json import "$TMP/tasks.csv" ${BATCH_BENCH_IMPORT_FLAGS:-} \
	>"$TMP/import.json"
cpu1=$(writer_cpu)
all1=$(ozd_cpu)
jq -e ".complete and .rows == $ROWS" "$TMP/import.json" >/dev/null ||
	{ echo "import: $(cat "$TMP/import.json")" >&2; exit 1; }
secs=$(jq -r '.seconds' "$TMP/import.json")

echo "| measurement | figure | target |"
echo "|---|---|---|"
awk -v s="$single" -v c="$calls" 'BEGIN {
	printf "| 100 single CreateTask, one after another | %.0f rows/s | |\n", s
	printf "| Execute of 100 CreateTasks, one after another | %.0f rows/s (%.1f Execute/s) | |\n", c * 100, c
	printf "| ratio | %.1fx | >= 20x |\n", c * 100 / s }'
awk -v r="$ROWS" -v t="$secs" 'BEGIN {
	printf "| ozctl import of %d tasks of '"$USERS"' users (CSV) | %.0f rows/s (%.1f s) | >= 100000 rows/s |\n", r, r / t, t }'
awk -v r="$ROWS" -v a="$cpu0" -v b="$cpu1" 'BEGIN {
	printf "| ozd writer thread CPU per imported row | %.2f us (%.1f s) | |\n", (b - a) * 1e6 / r, b - a }'
awk -v r="$ROWS" -v a="$all0" -v b="$all1" 'BEGIN {
	printf "| ozd CPU (all threads) per imported row | %.2f us (%.1f s) | |\n", (b - a) * 1e6 / r, b - a }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
