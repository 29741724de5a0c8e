# tests/e2e/lib/ops.sh -- helpers sourced by tests/e2e/ops_*.sh (not a
# test itself): start and stop ozd on a random loopback port, wait for it
# without calling it (so its statistics hold only the test's calls), and
# compare tables of two database files.
#
# The caller sets NAME, TMP and OZD, sources lib/ozctl.sh first, and
# calls stop_ozd from its EXIT trap.

PID=""
URL=""

# start_ozd DBFILE [OZD OPTIONS...]: starts ozd on DBFILE (its
# lib/db.sh db_url: the file, or a PostgreSQL database) listening on
# tcp://127.0.0.1:<random 20000-31999, below the ephemeral ports> (a new
# port when one is taken) and waits until its log says "serving". Sets
# PID and URL.
start_ozd() {
	db=$1
	shift
	try=0
	while [ $try -lt 5 ]; do
		port=$(awk -v s="$$$try$(date +%N)" \
			'BEGIN { srand(s % 1000000); print 20000 + int(rand() * 12000) }')
		URL="tcp://127.0.0.1:$port"
		: >"$TMP/ozd.log"
		"$OZD" --listen "$URL" --database-url "$(db_url "$db")" "$@" \
			2>"$TMP/ozd.log" &
		PID=$!
		i=0
		while [ $i -lt 200 ]; do
			grep -q ' serving$' "$TMP/ozd.log" && return 0
			kill -0 "$PID" 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		PID=""
		try=$((try + 1))
	done
	fail "ozd did not start"
}

# backup_ok ARGS...: `ozctl ARGS` (a backup the caller may make) must
# succeed on SQLite; on PostgreSQL it must be refused FAILED_PRECONDITION
# naming pg_dump, after the same authorization (lib/ozctl.sh, lib/db.sh).
backup_ok() {
	if db_postgres; then
		status 4 "$@"
		err pg_dump
	else
		ok "$@"
	fi
}

# backup_written FILE: on SQLite, FILE must be a non-empty backup.
backup_written() {
	db_postgres || [ -s "$1" ] || fail "no backup written at $1"
}

# stop_ozd: SIGTERM, and ozd must exit 0.
stop_ozd() {
	[ -n "$PID" ] || return 0
	kill "$PID" 2>/dev/null || true
	rc=0
	wait "$PID" || rc=$?
	PID=""
	[ "$rc" -eq 0 ] || fail "ozd exited $rc on SIGTERM"
}

# dump DBFILE: the rows of users and tasks, in id order, one per line.
dump() {
	sqlite3 "$1" "SELECT 'u', * FROM users ORDER BY id;
		SELECT 't', * FROM tasks ORDER BY id;"
}
