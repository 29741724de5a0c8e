#!/bin/sh
# tests/e2e/bench_ozbench.sh -- ozbench's machinery against a real ozd on
# ipc:// in a temporary directory, in short bounded runs (about 10 s in
# all): seeding, every workload with every reply checked, errors counted
# by status code, a wrong answer detected, both ceilings, the --json
# output parsed with jq, and --report turning it into the Markdown table.
# No timing thresholds: only counts and the shape of the output.
#
# Needs OZD and OZBENCH (set by tests/run.sh) and jq.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"

: "${OZD:?OZD must point at the ozd binary}"
: "${OZBENCH:?OZBENCH must point at the ozbench binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-bench.XXXXXX")
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() {
	echo "bench_ozbench.sh: FAIL: $*" >&2
	[ -f "$TMP/ozd.log" ] && tail -n 20 "$TMP/ozd.log" >&2
	exit 1
}

DB=$(db_url "$TMP/bench.db")
URL="ipc://$TMP/oz.sock"
SEED="--seed-users 2000 --seed-tasks 6000"
RUN="--duration 1 --warmup 0.2 --inflight 8 --json"

# Seeding: once, then recognised as done.
"$OZBENCH" --database-url "$DB" $SEED --seed-only 2>"$TMP/seed1" ||
	fail "seeding"
grep -q "seeded 2000 users, 6000 tasks" "$TMP/seed1" || fail "seed log"
"$OZBENCH" --database-url "$DB" $SEED --seed-only 2>"$TMP/seed2" ||
	fail "re-seeding"
grep -q "already holds 2000 users, 6000 tasks" "$TMP/seed2" ||
	fail "re-seed is not a no-op"

"$OZD" --database-url "$DB" --listen "$URL" --log-level warn \
	>"$TMP/ozd.log" 2>&1 &
PID=$!
i=0
while [ ! -S "$TMP/oz.sock" ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "ozd did not start"
	sleep 0.1
done

# A server that answers wrongly does not score: claim 6 tasks per user
# where the database holds 3, and every ListTasks reply is wrong.
"$OZBENCH" --url "$URL" --workload list_tasks --seed-users 2000 \
	--seed-tasks 12000 $RUN >"$TMP/wrong.json" || fail "ozbench wrong"
jq -e '.calls > 0 and .ok == 0 and .wrong_replies == .calls' \
	"$TMP/wrong.json" >/dev/null || fail "wrong: $(cat "$TMP/wrong.json")"

# Errors are counted by status code: half the ids asked for are missing
# (before any workload creates users).
"$OZBENCH" --url "$URL" --workload get_user --seed-users 4000 \
	--seed-tasks 0 $RUN >"$TMP/missing.json" || fail "ozbench missing"
jq -e '.errors.NOT_FOUND > 0 and .ok > 0 and
	.ok + .errors.NOT_FOUND == .calls and .wrong_replies == 0' \
	"$TMP/missing.json" >/dev/null ||
	fail "missing: $(cat "$TMP/missing.json")"

# Every workload: all calls OK, every reply checked and right, with the
# client's own CPU and the server's bytes written per call. create_task,
# batch_create_tasks and delete_task come last: the tasks they add or
# remove would make the list checks of the others fail. delete_task runs
# briefly: each seeded task is deleted once, so it must not run out.
# get_user runs again on the nng client (--client nng).
for w in get_user list_tasks list_tasks_deep create_user update_task \
	update_user mixed create_task batch_create_tasks delete_task nng; do
	args="--workload $w $RUN"
	[ $w = nng ] && args="--workload get_user --client nng $RUN"
	[ $w = delete_task ] && args="$args --duration 0.3 --warmup 0"
	# shellcheck disable=SC2086
	"$OZBENCH" --url "$URL" $args $SEED --server-pid $PID --run 1 \
		>"$TMP/$w.json" || fail "ozbench $w"
	jq -e '.calls > 0 and .ok == .calls and .wrong_replies == 0 and
		.transport_errors == 0 and .errors == {} and
		.mode == "rpc" and .transport == "ipc" and
		.server_cpu_us_per_call != null and .server_rss_mib > 0 and
		.server_rss_anon_mib > 0 and .server_rss_file_mib > 0 and
		.client_cpu_us_per_call != null and
		.server_write_bytes_per_call != null and
		.p50_us > 0 and .p50_us <= .p99_us and .p99_us <= .max_us' \
		"$TMP/$w.json" >/dev/null || fail "$w: $(cat "$TMP/$w.json")"
done
jq -e '.client == "nng"' "$TMP/nng.json" >/dev/null || fail "nng client"
jq -e '.client == "raw"' "$TMP/get_user.json" >/dev/null || fail "raw"
# Writes write, reads do not (a read may write a log line or two). On
# PostgreSQL the database server writes, not ozd.
if ! db_postgres; then
	jq -e '.server_write_bytes_per_call > 1000' "$TMP/update_task.json" \
		>/dev/null || fail "update_task wrote nothing"
fi

# The raw client over tcp, against the echo server on a random port
# (another may hold it: a few tries).
tries=0
until "$OZBENCH" --ceiling-transport --workload get_user $SEED $RUN \
	--url "tcp://127.0.0.1:$((20000 + $(od -An -N2 -tu2 /dev/urandom) % \
	12000))" >"$TMP/ct-tcp.json"; do
	tries=$((tries + 1))
	[ $tries -lt 5 ] || fail "echo server over tcp"
done
jq -e '.transport == "tcp" and .client == "raw" and .calls > 0 and
	.ok == .calls' "$TMP/ct-tcp.json" >/dev/null ||
	fail "ct tcp: $(cat "$TMP/ct-tcp.json")"

# --cdf writes the latency distribution: quantiles rising to 1.
"$OZBENCH" --url "$URL" --workload get_user $SEED $RUN \
	--cdf "$TMP/cdf.dat" >/dev/null || fail "cdf run"
awk 'NR > 1 && ($1 < l || $2 < q) { bad = 1 } { l = $1; q = $2 }
	END { exit bad || q != 1 || NR < 10 }' "$TMP/cdf.dat" ||
	fail "cdf: $(cat "$TMP/cdf.dat")"
jq -e '.workload == "mixed"' "$TMP/mixed.json" >/dev/null || fail "mixed"

# Both ceilings measure and report the same way.
"$OZBENCH" --ceiling-transport --url "ipc://$TMP/echo.sock" \
	--workload mixed $SEED $RUN >"$TMP/ct.json" || fail "transport ceiling"
jq -e '.mode == "ceiling-transport" and .calls > 0 and .ok == .calls' \
	"$TMP/ct.json" >/dev/null || fail "ct: $(cat "$TMP/ct.json")"
for w in get_user create_user; do
	"$OZBENCH" --ceiling-store --database-url "$DB" --workload $w $SEED \
		$RUN >"$TMP/cs-$w.json" 2>/dev/null || fail "store ceiling $w"
	jq -e '.mode == "ceiling-store" and .calls > 0 and .ok == .calls and
		.wrong_replies == 0' "$TMP/cs-$w.json" >/dev/null ||
		fail "cs $w: $(cat "$TMP/cs-$w.json")"
done

# The report turns the JSON lines into one Markdown table.
cat "$TMP"/*.json >"$TMP/all.jsonl"
"$OZBENCH" --report "$TMP/all.jsonl" >"$TMP/report.md" || fail "report"
grep -q '^| users | workload | mode |' "$TMP/report.md" || fail "no table"
grep -q '^| 2000 | get_user | rpc | ipc | 8 |' "$TMP/report.md" ||
	fail "no get_user row: $(cat "$TMP/report.md")"
grep -q '^Targets' "$TMP/report.md" || fail "no targets"
echo "bench_ozbench.sh: ok"
