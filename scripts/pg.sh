#!/bin/sh
# scripts/pg.sh -- a throwaway PostgreSQL cluster for tests and benchmarks.
#
# Usage: pg.sh start DIR   initdb into DIR/data (once) and start the server
#        pg.sh stop DIR    stop it (fast shutdown); DIR stays, rm -rf it after
#        pg.sh env DIR...  print DATABASE_URL=... for the cluster in DIR; with
#                          several DIRs a libpq multi-host URL that connects
#                          to whichever of them accepts writes
#        pg.sh standby DIR PRIMARY_DIR
#                          make DIR a synchronous streaming standby of the
#                          running cluster in PRIMARY_DIR (pg_basebackup -R)
#        pg.sh promote DIR make the standby in DIR a primary (pg_ctl promote)
#        pg.sh kill DIR    SIGKILL the server and all its processes (a crash)
#
# The server listens on no TCP address at all: only on a unix socket in DIR,
# so several clusters (one per test run) never meet. fsync and
# synchronous_commit stay on, as in production. PostgreSQL refuses to run
# as root; as root the cluster belongs to the system user $PG_USER (ozpg,
# created when missing), otherwise to the calling user. The database "oz"
# belongs to the role "oz"; the socket trusts local connections (the socket
# lives in DIR, 0700 to its owner and root). start and stop are idempotent.
# PG_BIN names the server's bin directory (default: the newest
# /usr/lib/postgresql/*/bin).
set -eu

PG_USER=${PG_USER:-ozpg}
PG_PORT=5432 # The default: names the socket file DIR/.s.PGSQL.5432.

usage() {
	echo "usage: pg.sh start|stop|promote|kill DIR," \
		"pg.sh env DIR..., pg.sh standby DIR PRIMARY_DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
case $cmd in
env) ;;
standby) [ $# -eq 3 ] || usage ;;
*) [ $# -eq 2 ] || usage ;;
esac

pg_bin() {
	if [ -n "${PG_BIN:-}" ]; then
		echo "$PG_BIN"
		return
	fi
	b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	if [ -z "$b" ]; then
		echo "pg.sh: no PostgreSQL server (apt-get install postgresql)" >&2
		exit 1
	fi
	echo "$b"
}

# as CMD...: runs CMD as the cluster's owner (from /, as the caller's
# directory may be closed to it; every path given is absolute).
as() {
	if [ "$(id -u)" -eq 0 ]; then
		(cd / && runuser -u "$PG_USER" -- "$@")
	else
		"$@"
	fi
}

ensure_user() {
	[ "$(id -u)" -eq 0 ] || return 0
	if ! id "$PG_USER" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin \
			"$PG_USER"
	fi
}

running() {
	[ -f "$dir/data/postmaster.pid" ] &&
		as "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

# run_server: starts the server of DIR unless it runs.
run_server() {
	running && return 0
	as "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		start >/dev/null || {
		tail -n 20 "$dir/server.log" >&2
		exit 1
	}
}

start() {
	ensure_user
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_USER" "$dir"
	fi
	chmod 700 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as "$BIN/initdb" -D "$dir/data" -U oz --auth=trust \
			--encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
			cat "$dir/initdb.log" >&2
			exit 1
		}
		cat >>"$dir/data/postgresql.conf" <<EOF
# scripts/pg.sh: unix socket only, durable commits.
listen_addresses = ''
unix_socket_directories = '$dir'
port = $PG_PORT
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 100
shared_buffers = 32MB
EOF
	fi
	run_server
	if ! as "$BIN/psql" -h "$dir" -p $PG_PORT -U oz -d postgres -Atq \
		-c "SELECT 1 FROM pg_database WHERE datname = 'oz'" |
		grep -q 1; then
		as "$BIN/createdb" -h "$dir" -p $PG_PORT -U oz -O oz oz
	fi
}

stop() {
	[ -d "$dir/data" ] || return 0
	dir=$(cd "$dir" && pwd)
	if running; then
		as "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	fi
}

# --- Replication: a synchronous standby, promotion, a crash -------------------
# The standby is named after its directory in the primary's
# synchronous_standby_names, so a COMMIT on the primary returns only once
# the standby has flushed its WAL: an acknowledged write survives the loss
# of either server. A promoted standby runs alone: it waits for no standby
# of its own (synchronous_standby_names stays empty there), so writes go on.

# psql_at DIR SQL: one query as oz, unaligned output.
psql_at() {
	as "$BIN/psql" -h "$1" -p $PG_PORT -U oz -d postgres -Atqc "$2"
}

running_in() {
	[ -f "$1/data/postmaster.pid" ] &&
		as "$BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

standby() {
	primary=$(cd "$1" && pwd)
	running_in "$primary" || {
		echo "pg.sh: no running cluster in $primary" >&2
		exit 1
	}
	ensure_user
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	name=$(basename "$dir" | tr -c 'A-Za-z0-9_\n' _)
	if [ "$(id -u)" -eq 0 ]; then
		chown "$PG_USER" "$dir"
	fi
	chmod 700 "$dir"
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		as "$BIN/pg_basebackup" -R -X stream -c fast -D "$dir/data" \
			-d "host=$primary port=$PG_PORT user=oz application_name=$name" \
			>"$dir/basebackup.log" 2>&1 || {
			cat "$dir/basebackup.log" >&2
			exit 1
		}
		# The copy carries the primary's settings: listen in DIR instead,
		# and never wait for a standby of its own once promoted.
		sed -i '/^synchronous_standby_names/d' \
			"$dir/data/postgresql.auto.conf"
		cat >>"$dir/data/postgresql.conf" <<EOF
# scripts/pg.sh standby: a hot standby of $primary on its own socket.
unix_socket_directories = '$dir'
synchronous_standby_names = ''
hot_standby = on
# Once the primary is gone, recovery waits this long between looks for
# WAL, and PostgreSQL 15 acts on a promote request only after the wait
# (the default 5s made half the promotions take 5 s).
wal_retrieve_retry_interval = 200ms
EOF
	fi
	run_server
	psql_at "$primary" \
		"ALTER SYSTEM SET synchronous_standby_names = '\"$name\"'"
	psql_at "$primary" "ALTER SYSTEM SET synchronous_commit = on"
	psql_at "$primary" "SELECT pg_reload_conf()" >/dev/null
	wait_sync "$primary" "$name"
}

# wait_sync PRIMARY NAME: until the primary streams to NAME synchronously
# (at most 60 s).
wait_sync() {
	i=0
	state=
	while [ $i -lt 600 ]; do
		state=$(psql_at "$1" "SELECT sync_state FROM pg_stat_replication
			WHERE application_name = '$2'")
		[ "$state" = sync ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "pg.sh: $2 is not a synchronous standby of $1 ('$state')" >&2
	exit 1
}

promote() {
	dir=$(cd "$dir" && pwd)
	as "$BIN/pg_ctl" -D "$dir/data" -w -t 60 promote >/dev/null
}

# kill: SIGKILL the postmaster and its children at once, as a crash of the
# machine would stop them; the data directory is left as it was.
kill_cluster() {
	[ -f "$dir/data/postmaster.pid" ] || return 0
	pid=$(head -n 1 "$dir/data/postmaster.pid")
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
	# shellcheck disable=SC2086 # kids is a list of pids
	kill -KILL "$pid" $kids 2>/dev/null || true
}

# env_url DIR...: one DIR gives the plain URL; several a libpq host list
# (their socket directories), tried in order until one accepts writes.
env_url() {
	hosts=
	for d in "$@"; do
		d=$(cd "$d" && pwd)
		hosts=${hosts:+$hosts,}$d
	done
	if [ $# -eq 1 ]; then
		echo "DATABASE_URL=postgresql://oz@/oz?host=$hosts"
	else
		echo "DATABASE_URL=postgresql://oz@/oz?host=$hosts&target_session_attrs=read-write"
	fi
}

BIN=$(pg_bin)
case $cmd in
start) start ;;
stop) stop ;;
env)
	shift
	env_url "$@"
	;;
standby) standby "$3" ;;
promote) promote ;;
kill) kill_cluster ;;
*) usage ;;
esac
