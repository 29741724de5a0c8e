#!/bin/sh
# scripts/pg.sh -- a throwaway PostgreSQL cluster for tests and benchmarks.
#
# Usage: pg.sh start DIR   initdb into DIR/data (once) and start the server
#        pg.sh stop DIR    stop it (fast shutdown); DIR stays, rm -rf it after
#        pg.sh env DIR     print DATABASE_URL=... for the cluster in DIR
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
	echo "usage: pg.sh start|stop|env DIR" >&2
	exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

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

# as CMD...: runs CMD as the cluster's owner.
as() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$PG_USER" -- "$@"
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
	if ! running; then
		as "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			start >/dev/null || {
			tail -n 20 "$dir/server.log" >&2
			exit 1
		}
	fi
	if ! as "$BIN/psql" -h "$dir" -p $PG_PORT -U oz -d postgres -Atq \
		-c "SELECT 1 FROM pg_database WHERE datname = 'oz'" |
		grep -q 1; then
		as "$BIN/createdb" -h "$dir" -p $PG_PORT -U oz -O oz oz
	fi
}

stop() {
	[ -d "$dir/data" ] || return 0
	if running; then
		as "$BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	fi
}

BIN=$(pg_bin)
case $cmd in
start) start ;;
stop) stop ;;
env)
	dir=$(cd "$dir" && pwd)
	echo "DATABASE_URL=postgresql://oz@/oz?host=$dir"
	;;
*) usage ;;
esac
