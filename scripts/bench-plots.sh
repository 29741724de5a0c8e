#!/bin/sh
# scripts/bench-plots.sh -- the SVG charts of `make bench` (gnuplot).
#
# usage: bench-plots.sh RESULTS_DIR OUT_DIR
#
# Reads RESULTS_DIR/results.jsonl (the sweep and the writes of make
# bench), the cdf-*.dat files ozbench --cdf wrote there, and, when there,
# RESULTS_DIR/scale.jsonl (make bench-scale). Writes into OUT_DIR:
#   sweep-throughput.svg  calls/s vs calls in flight, ozd and the nng echo
#                         server (the transport's ceiling) per workload
#   sweep-p99.svg         p99 latency vs calls in flight, the same series
#   cdf-32.svg            the latency distribution at 32 in flight
#   writes.svg            calls/s and server CPU per call of each write
#   scale.svg             GetUser, ListTasks, a deep page and mixed vs the
#                         database's size (only with scale.jsonl)
# Where a group of rows has several runs, the median run (by calls/s) is
# plotted. The .dat files the charts are drawn from stay in OUT_DIR.
set -eu

IN=$1
OUT=$2
mkdir -p "$OUT"
RES="$IN/results.jsonl"
SCALE="$IN/scale.jsonl"

# sweep_dat WORKLOAD MODE FILE: in flight, calls/s answered OK (refused
# calls, e.g. RESOURCE_EXHAUSTED from a full write queue, do not count),
# p50 and p99 (ms), server and client CPU per call (us), one line per
# in-flight count.
sweep_dat() {
	jq -s -r --arg w "$1" --arg m "$2" '
		[.[] | select(.label == "" and .workload == $w and
			.mode == $m and .transport == "tcp")]
		| group_by(.inflight) | .[]
		| sort_by(.calls_per_s) | .[(length - 1) / 2 | floor]
		| [.inflight, (.ok_per_s // .calls_per_s), .p50_us / 1000,
			.p99_us / 1000,
			(.server_cpu_us_per_call // 0),
			(.client_cpu_us_per_call // 0)] | @tsv' "$RES" >"$3"
}

# writes_dat FILE: name, calls/s, server CPU us/call, KiB written/call.
writes_dat() {
	jq -s -r '
		[.[] | select(.label == "" and .mode == "rpc" and
			.inflight == 32 and .transport == "tcp" and
			(.workload | test("^(create|update|delete)_")))]
		| group_by(.workload) | .[]
		| sort_by(.calls_per_s) | .[(length - 1) / 2 | floor]
		| [.workload, .calls_per_s, (.server_cpu_us_per_call // 0),
			((.server_write_bytes_per_call // 0) / 1024)] | @tsv' \
		"$RES" >"$1"
}

# scale_dat WORKLOAD FILE: users, calls/s, server CPU us/call.
scale_dat() {
	jq -s -r --arg w "$1" '
		[.[] | select(.label == "scale" and .workload == $w)]
		| group_by(.users) | .[]
		| sort_by(.calls_per_s) | .[(length - 1) / 2 | floor]
		| [.users, .calls_per_s, (.server_cpu_us_per_call // 0)]
		| @tsv' "$SCALE" >"$2"
}

for w in get_user create_user mixed; do
	sweep_dat $w rpc "$OUT/sweep-$w-ozd.dat"
	sweep_dat $w ceiling-transport "$OUT/sweep-$w-echo.dat"
done
writes_dat "$OUT/writes.dat"

STYLE='set terminal svg size 760,440 dynamic font "sans,12" background "white"
set grid lc rgb "#dddddd"
set termoption noenhanced
set key outside right top
set style line 1 lc rgb "#1f77b4" lw 2 pt 7 ps 0.6
set style line 2 lc rgb "#1f77b4" lw 1.5 dt 2 pt 6 ps 0.6
set style line 3 lc rgb "#d62728" lw 2 pt 7 ps 0.6
set style line 4 lc rgb "#d62728" lw 1.5 dt 2 pt 6 ps 0.6
set style line 5 lc rgb "#2ca02c" lw 2 pt 7 ps 0.6
set style line 6 lc rgb "#2ca02c" lw 1.5 dt 2 pt 6 ps 0.6
set style line 7 lc rgb "#9467bd" lw 2 pt 7 ps 0.6
set style line 8 lc rgb "#9467bd" lw 1.5 dt 2 pt 6 ps 0.6'

# The six series of a sweep chart, column COL of the sweep files.
series() {
	d=$OUT
	echo "plot '$d/sweep-get_user-ozd.dat' u 1:$1 w lp ls 1 t 'GetUser, ozd', \
'$d/sweep-get_user-echo.dat' u 1:$1 w lp ls 2 t 'GetUser, echo', \
'$d/sweep-create_user-ozd.dat' u 1:$1 w lp ls 3 t 'CreateUser, ozd', \
'$d/sweep-create_user-echo.dat' u 1:$1 w lp ls 4 t 'CreateUser, echo', \
'$d/sweep-mixed-ozd.dat' u 1:$1 w lp ls 5 t 'mixed, ozd', \
'$d/sweep-mixed-echo.dat' u 1:$1 w lp ls 6 t 'mixed, echo'"
}

gnuplot <<EOF
$STYLE
set logscale x 2
set xlabel "calls in flight (one tcp connection)"
set output "$OUT/sweep-throughput.svg"
set title "Throughput vs load: ozd (solid) and the nng echo server (dashed)"
set ylabel "calls/s answered OK"
set yrange [0:*]
$(series 2)
set output "$OUT/sweep-p99.svg"
set title "p99 latency vs load: ozd (solid) and the nng echo server (dashed)"
set ylabel "p99 latency (ms)"
set logscale y 10
set yrange [*:*]
$(series 4)
EOF

cdfs=""
n=1
for w in get_user create_user mixed; do
	for side in ozd echo; do
		f="$IN/cdf-$w-$side.dat"
		if [ -s "$f" ]; then
			cdfs="$cdfs${cdfs:+, }'$f' u 1:2 w lp ls $n t '$w, $side'"
		fi
		n=$((n + 1))
	done
done
if [ -n "$cdfs" ]; then
	gnuplot <<EOF
$STYLE
set output "$OUT/cdf-32.svg"
set title "Latency distribution at 32 calls in flight (tcp)"
set logscale x 10
set xlabel "latency (us)"
set ylabel "fraction of calls at or below"
set yrange [0:1]
set key outside right bottom
plot $cdfs
EOF
fi

if [ -s "$OUT/writes.dat" ]; then
	gnuplot <<EOF
$STYLE
set output "$OUT/writes.svg"
set title "Writes at 32 calls in flight (tcp, synchronous=FULL)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "calls/s"
set y2label "server CPU us/call, KiB written/call"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set xtics rotate by -20
plot '$OUT/writes.dat' u 2:xtic(1) t 'calls/s' lc rgb "#1f77b4", \
	'' u 3 axes x1y2 t 'server CPU us/call' lc rgb "#d62728", \
	'' u 4 axes x1y2 t 'KiB written/call' lc rgb "#2ca02c"
EOF
fi

if [ -s "$SCALE" ]; then
	plot=""
	n=1
	for w in get_user list_tasks list_tasks_deep mixed; do
		scale_dat $w "$OUT/scale-$w.dat"
		plot="$plot${plot:+, }'$OUT/scale-$w.dat' u 1:2 w lp ls $n t '$w calls/s', '' u 1:3 axes x1y2 w lp ls $((n + 1)) t '$w server CPU'"
		n=$((n + 2))
	done
	gnuplot <<EOF
$STYLE
set output "$OUT/scale.svg"
set title "Cost vs database size (32 in flight, tcp; 10 tasks per user)"
set logscale x 10
set xlabel "users in the database"
set ylabel "calls/s (solid)"
set y2label "server CPU us/call (dashed)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
plot $plot
EOF
fi
ls "$OUT"/*.svg
