#!/bin/sh
# scripts/bench.sh -- `make bench`: the latency-vs-load sweep, the writes
# at 32 in flight, and the SVG charts of both.
#
# `make bench`: seeds a fresh database (BENCH_USERS users, BENCH_TASKS
# tasks), starts ozd (--synchronous full, tcp://) and for GetUser,
# CreateUser and mixed at 1, 4, 16, 32, 64, 128 and 256 calls in flight
# (BENCH_SWEEP) measures ozd, then the nng echo server (the transport
# ceiling) with the same client; at 32 in flight it also writes each
# latency CDF. Then every write at 32 in flight: CreateUser, CreateTask,
# UpdateTask, UpdateUser and DeleteTask (on a fresh copy of the seeded
# database, as each task is deleted once) and the one-commit-per-write
# store ceiling of CreateUser. The charts (gnuplot, bench/plots.gp) go to
# BENCH_PLOTS (default $BUILD/bench/).
#
# `make bench-table` (BENCH_TABLE=1), the former standard table: for each
# run, starts ozd with --synchronous
# full and then normal (and once with --no-group-commit), listening on
# tcp://127.0.0.1:<random port> and ipc://, and measures each workload at
# 1 and 32 calls in flight over both (reads only against FULL: synchronous
# does not touch them), each row followed by its references: the echo
# server (--ceiling-transport, same transport) and, for tcp rows, the
# in-process store (--ceiling-store, same synchronous). ozd runs with
# --log-level warn (info writes one line per call).
# Prints the Markdown table with the target ratios, then the JSON lines.
#
# `make bench-scale` (BENCH_SCALE=1): GetUser, ListTasks (a user's
# tasks), a deep page of all tasks (list_tasks_deep) and mixed at 32 in
# flight over tcp:// on 10^4, 10^5 and 10^6 users with 10 tasks each.
#
# Environment: BUILD (build), BENCH_SECONDS (2) measured per row,
# BENCH_WARMUP (0.5), BENCH_RUNS (1; the README table uses 3, medians),
# BENCH_USERS (10000), BENCH_TASKS (50000), BENCH_OUT (JSON lines file,
# default $BUILD/bench/results.jsonl; a .md next to it gets the table),
# BENCH_SCALE_USERS ("10000 100000 1000000"), BENCH_SWEEP ("1 4 16 32 64
# 128 256"), BENCH_PLOTS (directory of the SVGs; "" for none). Touches
# nothing outside its temporary directory, BENCH_OUT and BENCH_PLOTS.
set -eu

BUILD=${BUILD:-build}
OZD=${OZD:-$BUILD/ozd}
OZBENCH=${OZBENCH:-$BUILD/ozbench}
SECS=${BENCH_SECONDS:-2}
WARM=${BENCH_WARMUP:-0.5}
RUNS=${BENCH_RUNS:-1}
USERS=${BENCH_USERS:-10000}
TASKS=${BENCH_TASKS:-50000}
SCALE=${BENCH_SCALE:-}
if [ -n "$SCALE" ]; then
	OUT=${BENCH_OUT:-$BUILD/bench/scale.jsonl}
else
	OUT=${BENCH_OUT:-$BUILD/bench/results.jsonl}
fi
SCALE_USERS=${BENCH_SCALE_USERS:-10000 100000 1000000}
TABLE=${BENCH_TABLE:-}
SWEEP=${BENCH_SWEEP:-1 4 16 32 64 128 256}
PLOTS=${BENCH_PLOTS-$(dirname "$OUT")}

mkdir -p "$(dirname "$OUT")"
: >"$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-bench.XXXXXX")
PID=""
cleanup() {
	stop_ozd
	rm -rf "$TMP"
}
stop_ozd() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		PID=""
	fi
}
trap cleanup EXIT INT TERM

# A random tcp port below Linux's ephemeral range (32768-60999), where a
# client connection's TIME_WAIT cannot hold it.
random_port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
}

# start_ozd DB SYNC [extra ozd flags]: sets PID, TCP and IPC.
start_ozd() {
	db=$1
	sync=$2
	shift 2
	rm -f "$TMP/oz.sock"
	tries=0
	while :; do
		port=$(random_port)
		TCP="tcp://127.0.0.1:$port"
		IPC="ipc://$TMP/oz.sock"
		"$OZD" --database-url "sqlite:///$db" --listen "$TCP" \
			--listen "$IPC" --synchronous "$sync" --log-level warn \
			"$@" >>"$TMP/ozd.log" 2>&1 &
		PID=$!
		i=0
		while [ $i -lt 50 ] && [ ! -S "$TMP/oz.sock" ] &&
			kill -0 $PID 2>/dev/null; do
			i=$((i + 1))
			sleep 0.1
		done
		[ -S "$TMP/oz.sock" ] && return 0
		stop_ozd
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			tail -n 5 "$TMP/ozd.log" >&2
			echo "bench.sh: ozd did not start" >&2
			exit 1
		fi
	done
}

# one RUN USERS TASKS SYNC ARGS...: one ozbench row appended to OUT.
one() {
	r=$1
	u=$2
	t=$3
	s=$4
	shift 4
	"$OZBENCH" --json --run "$r" --duration "$SECS" --warmup "$WARM" \
		--seed-users "$u" --seed-tasks "$t" --sync "$s" "$@" >>"$OUT"
}

# seed DB USERS TASKS: fills DB (with synchronous=OFF, so for speed), then
# flushes it to disk: otherwise the kernel writes the seed back while the
# rows are measured, and every fsync of ozd's waits behind it.
seed() {
	"$OZBENCH" --database-url "sqlite:///$1" --seed-users "$2" \
		--seed-tasks "$3" --seed-only
	sync
}

# ceiling_transport RUN TRANSPORT N WORKLOAD [CDF]: the echo server's row
# (on a fresh port each time; retried if the port is taken).
ceiling_transport() {
	tries=0
	while :; do
		if [ "$2" = tcp ]; then
			curl="tcp://127.0.0.1:$(random_port)"
		else
			curl="ipc://$TMP/echo.sock"
		fi
		if "$OZBENCH" --json --run "$1" --duration "$SECS" \
			--warmup "$WARM" --seed-users "$USERS" \
			--seed-tasks "$TASKS" --sync full --ceiling-transport \
			--url "$curl" --inflight "$3" --workload "$4" \
			${5:+--cdf "$5"} >"$TMP/row.json"; then
			cat "$TMP/row.json" >>"$OUT"
			return 0
		fi
		tries=$((tries + 1))
		if [ $tries -ge 5 ]; then
			echo "bench.sh: the echo server did not start" >&2
			exit 1
		fi
	done
}

# ceiling_store RUN DB SYNC N WORKLOAD: the in-process row.
ceiling_store() {
	one "$1" "$USERS" "$TASKS" "$3" --ceiling-store \
		--database-url "sqlite:///$2" --inflight "$4" --workload "$5" \
		2>/dev/null
}

# cdf_file RUN WORKLOAD SIDE N: where the latency CDF of a row goes (only
# at 32 in flight and in the first run; else empty).
cdf_file() {
	if [ "$4" = 32 ] && [ "$1" = 1 ] && [ -n "$PLOTS" ]; then
		echo "$PLOTS/cdf-$2-$3.dat"
	fi
}

# The latency-vs-load sweep over tcp, ozd (FULL) then the echo server.
sweep() {
	db="$TMP/bench.db"
	seed "$db" "$USERS" "$TASKS"
	r=1
	while [ $r -le "$RUNS" ]; do
		# Past --max-inflight (64 by default) ozd refuses calls at
		# once (RESOURCE_EXHAUSTED); the sweep shows its own queueing.
		start_ozd "$db" full --max-inflight 1024
		for w in get_user create_user mixed; do
			for n in $SWEEP; do
				cdf=$(cdf_file $r $w ozd $n)
				one $r "$USERS" "$TASKS" full --url "$TCP" \
					--inflight $n --workload $w \
					--server-pid $PID ${cdf:+--cdf "$cdf"}
				ceiling_transport $r tcp $n $w \
					"$(cdf_file $r $w echo $n)"
			done
		done
		stop_ozd
		r=$((r + 1))
	done
}

# Every write at 32 in flight over tcp (FULL), DeleteTask on a fresh copy
# of the seeded database, and CreateUser with one COMMIT per write.
writes() {
	db="$TMP/bench.db"
	r=1
	while [ $r -le "$RUNS" ]; do
		start_ozd "$db" full
		for w in create_user create_task update_task update_user; do
			one $r "$USERS" "$TASKS" full --url "$TCP" \
				--inflight 32 --workload $w --server-pid $PID
		done
		stop_ozd
		cp "$db" "$TMP/del.db"
		start_ozd "$TMP/del.db" full
		one $r "$USERS" "$TASKS" full --url "$TCP" --inflight 32 \
			--workload delete_task --server-pid $PID
		stop_ozd
		rm -f "$TMP/del.db" "$TMP/del.db-wal" "$TMP/del.db-shm"
		ceiling_store $r "$db" full 32 create_user
		r=$((r + 1))
	done
}

# The SVG charts of OUT into PLOTS (bench/plots.gp).
plots() {
	[ -n "$PLOTS" ] || return 0
	if ! command -v gnuplot >/dev/null 2>&1; then
		echo "bench.sh: no gnuplot (Debian gnuplot-nox); no charts" >&2
		return 0
	fi
	sh "$(dirname "$0")/bench-plots.sh" "$(dirname "$OUT")" "$PLOTS"
}

# Each reference row is measured right after the ozd row it is compared
# with (the echo server on its own port, ozd idle meanwhile), so a change
# in the machine's speed during a run (other tenants of the host) moves
# both sides of a ratio alike.
table() {
	db="$TMP/bench.db"
	seed "$db" "$USERS" "$TASKS"
	r=1
	while [ $r -le "$RUNS" ]; do
		for sync in full normal; do
			start_ozd "$db" $sync
			for url in "$TCP" "$IPC"; do
				tr=${url%%:*}
				for n in 1 32; do
					if [ $sync = full ]; then
						wl="get_user list_tasks"
					else
						wl=""
					fi
					for w in $wl create_user update_task \
						mixed; do
						one $r "$USERS" "$TASKS" $sync \
							--url "$url" \
							--inflight $n \
							--workload $w \
							--server-pid $PID
						if [ $sync = full ]; then
							ceiling_transport $r \
								$tr $n $w
						fi
						if [ $tr = tcp ]; then
							ceiling_store $r \
								"$db" $sync \
								$n $w
						fi
					done
				done
			done
			stop_ozd
		done
		start_ozd "$db" full --no-group-commit
		for w in create_user update_task; do
			one $r "$USERS" "$TASKS" full --url "$TCP" \
				--inflight 32 --workload $w --server-pid $PID \
				--label no-group-commit
		done
		stop_ozd
		r=$((r + 1))
	done
}

scale() {
	for u in $SCALE_USERS; do
		db="$TMP/scale-$u.db"
		seed "$db" "$u" $((u * 10))
		r=1
		while [ $r -le "$RUNS" ]; do
			start_ozd "$db" full
			for w in get_user list_tasks list_tasks_deep mixed; do
				one $r "$u" $((u * 10)) full --url "$TCP" \
					--inflight 32 --workload $w \
					--server-pid $PID --label scale
			done
			stop_ozd
			r=$((r + 1))
		done
		rm -f "$db" "$db-wal" "$db-shm"
	done
}

machine() {
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	fs=$(df -T "$TMP" | awk 'NR == 2 { print $2 }')
	echo "Machine: $(nproc) CPUs ($cpu), $(uname -sr), database on $fs" \
		"($TMP), $(date -u +%Y-%m-%dT%H:%MZ)."
	echo "ozd --log-level warn; ${SECS}s measured after ${WARM}s warm-up" \
		"per row; $RUNS run(s), medians shown."
	echo
}

if [ -n "$SCALE" ]; then
	scale
elif [ -n "$TABLE" ]; then
	table
else
	sweep
	writes
fi
plots
{
	machine
	"$OZBENCH" --report "$OUT"
} >"${OUT%.jsonl}.md"
cat "${OUT%.jsonl}.md"
echo
echo "JSON lines ($OUT):"
cat "$OUT"
