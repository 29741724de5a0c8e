#!/bin/sh
# bench/postgres.sh -- `make bench-postgres`: ozd on PostgreSQL against
# pgbench on the same server, in one run (a benchmark, never a test).
#
# Starts a throwaway cluster (scripts/pg.sh: unix socket, fsync and
# synchronous_commit on), migrates and seeds it (BENCH_USERS users,
# BENCH_TASKS tasks), starts ozd on it over tcp://127.0.0.1, and measures
# with ozbench at 32 in flight: GetUser, CreateUser and mixed. Then, on
# the same server, the references measured by pgbench: `pgbench -S -M
# prepared -c 32 -j 2` (the point-read ceiling of a native client, on
# pgbench's own tables at scale 1) and a custom script of one INSERT per
# transaction into a table shaped like users (one commit per write).
# Prints a Markdown table: calls/s, the ratio to the reference and its
# target (GetUser >= 0.5x pgbench -S, CreateUser >= 2x one-INSERT), and
# CPU microseconds per call of ozd (ozbench --server-pid) and of the
# postgres processes (from /proc: every live server process's
# utime+stime, plus what the postmaster has reaped into cutime+cstime,
# before and after each row).
#
# Environment: BUILD (build), BENCH_SECONDS (5) measured per row,
# BENCH_WARMUP (1), BENCH_USERS (10000), BENCH_TASKS (50000), PG_BIN
# (scripts/pg.sh), BENCH_OZD_ARGS (more ozd flags, e.g. --read-threads 8).
# Touches nothing outside its temporary directory.
set -eu

BUILD=${BUILD:-build}
OZD=${OZD:-$BUILD/ozd}
OZCTL=${OZCTL:-$BUILD/ozctl}
OZBENCH=${OZBENCH:-$BUILD/ozbench}
SECS=${BENCH_SECONDS:-5}
WARM=${BENCH_WARMUP:-1}
USERS=${BENCH_USERS:-10000}
TASKS=${BENCH_TASKS:-50000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
PGBENCH=$PG_BIN/pgbench
[ -x "$PGBENCH" ] || {
	echo "bench-postgres: no $PGBENCH (apt-get install postgresql)" >&2
	exit 1
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-bench-pg.XXXXXX")
chmod 711 "$TMP" # The cluster's owner (scripts/pg.sh) passes through.
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	sh "$HERE/scripts/pg.sh" stop "$TMP/pg" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

sh "$HERE/scripts/pg.sh" start "$TMP/pg"
DB=$(sh "$HERE/scripts/pg.sh" env "$TMP/pg" | sed 's/^DATABASE_URL=//')
psql_q() { psql "$DB" -AtqX -v ON_ERROR_STOP=1 -c "$1"; }

"$OZCTL" migrate upgrade --database-url "$DB" >"$TMP/seed.log" 2>&1
"$OZBENCH" --database-url "$DB" --seed-users "$USERS" \
	--seed-tasks "$TASKS" --seed-only >>"$TMP/seed.log" 2>&1 || {
	cat "$TMP/seed.log" >&2
	exit 1
}
psql_q "VACUUM ANALYZE"

# postgres CPU in clock ticks: the live server processes (the
# postmaster's children) and the postmaster with what it has reaped.
PM=$(head -n 1 "$TMP/pg/data/postmaster.pid")
pg_ticks() {
	{
		awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PM/stat"
		for c in $(cat "/proc/$PM/task/$PM/children"); do
			awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null ||
				true
		done
	} | awk '{ s += $1 } END { print s }'
}
HZ=$(getconf CLK_TCK)
# pg_us_per_call TICKS_BEFORE CALLS: postgres CPU us per call since.
pg_us_per_call() {
	awk -v a="$1" -v b="$(pg_ticks)" -v n="$2" -v hz="$HZ" \
		'BEGIN { printf "%.1f", (n > 0 ? (b - a) * 1e6 / hz / n : 0) }'
}

port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
URL="tcp://127.0.0.1:$port"
# shellcheck disable=SC2086 # BENCH_OZD_ARGS: extra ozd flags, split.
"$OZD" --listen "$URL" --database-url "$DB" --log-level warn \
	${BENCH_OZD_ARGS:-} 2>"$TMP/ozd.log" &
PID=$!
i=0
until "$OZCTL" --url "$URL" health >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || {
		cat "$TMP/ozd.log" >&2
		exit 1
	}
	sleep 0.1
done

: >"$TMP/rows"
# oz_row WORKLOAD: one ozbench row at 32 in flight.
oz_row() {
	t0=$(pg_ticks)
	"$OZBENCH" --json --url "$URL" --inflight 32 --workload "$1" \
		--duration "$SECS" --warmup "$WARM" --seed-users "$USERS" \
		--seed-tasks "$TASKS" --server-pid "$PID" \
		--label postgres >"$TMP/$1.json"
	calls=$(jq -r '.calls' "$TMP/$1.json")
	pg=$(pg_us_per_call "$t0" "$calls")
	jq -r --arg pg "$pg" \
		'[.workload, .calls_per_s, .server_cpu_us_per_call, $pg,
		  .p50_us, .p99_us, (.errors | length)] | @tsv' \
		"$TMP/$1.json" >>"$TMP/rows"
}
for w in get_user create_user mixed; do
	oz_row "$w"
done
kill "$PID"
wait "$PID" 2>/dev/null || true
PID=""

# pgbench_row NAME ARGS...: one pgbench run; its tps and postgres CPU.
pgbench_row() {
	name=$1
	shift
	t0=$(pg_ticks)
	"$PGBENCH" -n -M prepared -c 32 -j 2 -T "$SECS" "$@" \
		"$DB" >"$TMP/$name.out" 2>&1 || {
		cat "$TMP/$name.out" >&2
		exit 1
	}
	tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial.*/\1/p' \
		"$TMP/$name.out")
	n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' \
		"$TMP/$name.out")
	printf '%s\t%s\t-\t%s\t-\t-\t0\n' "$name" "$tps" \
		"$(pg_us_per_call "$t0" "$n")" >>"$TMP/rows"
}
"$PGBENCH" -i -q -s 1 "$DB" >/dev/null 2>&1
psql_q "CREATE TABLE bench_one (id bigint GENERATED ALWAYS AS IDENTITY
	PRIMARY KEY, username text NOT NULL, email text NOT NULL,
	created_us bigint NOT NULL)"
cat >"$TMP/one_insert.sql" <<'EOF'
\set n random(1, 1000000000)
INSERT INTO bench_one (username, email, created_us) VALUES ('user' || :n, 'user' || :n || '@example.com', :n);
EOF
pgbench_row "pgbench -S" -S
pgbench_row "pgbench one-INSERT" -f "$TMP/one_insert.sql"

# The table.
awk -F '\t' -v secs="$SECS" '
	function num(v, f) { return v == "-" ? "-" : sprintf(f, v) }
	{ name[NR] = $1; rate[$1] = $2; ozcpu[NR] = $3; pgcpu[NR] = $4
	  p50[NR] = $5; p99[NR] = $6; err[NR] = $7 }
	END {
		ref["get_user"] = "pgbench -S"; target["get_user"] = ">= 0.5x"
		ref["create_user"] = "pgbench one-INSERT"
		target["create_user"] = ">= 2x"
		ref["mixed"] = "pgbench -S"; target["mixed"] = "-"
		printf "| row (32 in flight, %s s) | calls/s | reference | ", secs
		printf "ratio | target | ozd CPU us/call | postgres CPU "
		printf "us/call | p50 us | p99 us | error kinds |\n"
		print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
		for (i = 1; i <= NR; i++) {
			n = name[i]
			r = (n in ref) ? ref[n] : "-"
			ratio = "-"
			if (r != "-" && rate[r] > 0)
				ratio = sprintf("%.2fx", rate[n] / rate[r])
			t = (n in target) ? target[n] : "-"
			printf "| %s | %.0f | %s | %s | %s | ", n, rate[n], r,
				ratio, t
			printf "%s | %s | %s | %s | %s |\n", num(ozcpu[i], "%.1f"),
				pgcpu[i], num(p50[i], "%.0f"), num(p99[i], "%.0f"),
				err[i]
		}
	}' "$TMP/rows"
echo
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }')," \
	"synchronous_commit=$(psql_q 'SHOW synchronous_commit')," \
	"fsync=$(psql_q 'SHOW fsync'); $(nproc) cores, load average" \
	"$(cut -d ' ' -f 1-3 /proc/loadavg) at the end (a shared machine:" \
	"noisy)."
