#!/bin/sh
# tests/postgres/pg_standby.sh -- scripts/pg.sh standby, promote and kill:
# a standby made by pg_basebackup -R receives what the primary commits and
# is read-only; the primary waits for it (synchronous); the multi-host URL
# from env reaches the primary; after the primary is SIGKILLed and the
# standby promoted, the same URL reaches the former standby, which holds
# every committed row and accepts writes without waiting for a standby.
# Run by make test-postgres (scripts/test-postgres.sh).
set -eu
p=$(mktemp -d "${TMPDIR:-/tmp}/ozpgp.XXXXXX")
s=$(mktemp -d "${TMPDIR:-/tmp}/ozpgs.XXXXXX")
cleanup() {
	sh scripts/pg.sh stop "$s" >/dev/null 2>&1 || true
	sh scripts/pg.sh stop "$p" >/dev/null 2>&1 || true
	rm -rf "$p" "$s"
}
trap cleanup EXIT
fail() {
	echo "pg_standby: $*" >&2
	exit 1
}
url_of() { sh scripts/pg.sh env "$@" | sed -n 's/^DATABASE_URL=//p'; }
q() { psql "$1" -Atc "$2"; }

sh scripts/pg.sh start "$p"
primary=$(url_of "$p")
q "$primary" 'CREATE TABLE t (v int PRIMARY KEY)' >/dev/null
q "$primary" 'INSERT INTO t VALUES (1)' >/dev/null

sh scripts/pg.sh standby "$s" "$p"
sh scripts/pg.sh standby "$s" "$p" # Again: nothing to do.
standby=$(url_of "$s")
both=$(url_of "$p" "$s")
case $both in
"postgresql://oz@/oz?host=$p,$s&target_session_attrs=read-write") ;;
*) fail "env printed '$both'" ;;
esac

[ "$(q "$primary" 'SELECT sync_state FROM pg_stat_replication')" = sync ] ||
	fail "the standby is not synchronous"
[ "$(q "$primary" 'SHOW synchronous_commit')" = on ] ||
	fail "synchronous_commit is not on"
[ "$(q "$standby" 'SELECT pg_is_in_recovery()')" = t ] ||
	fail "the standby is not in recovery"
# Synchronous commit with remote flush: once the INSERT returns, the row is
# in the standby's WAL; replay follows at once (bounded wait).
q "$primary" 'INSERT INTO t VALUES (2)' >/dev/null
i=0
while [ "$(q "$standby" 'SELECT count(*) FROM t')" != 2 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || fail "the standby did not receive the row"
	sleep 0.1
done
if q "$standby" 'INSERT INTO t VALUES (3)' >/dev/null 2>&1; then
	fail "the standby accepted a write"
fi
[ "$(q "$both" 'SELECT pg_is_in_recovery()')" = f ] ||
	fail "the multi-host URL did not reach the primary"

sh scripts/pg.sh kill "$p"
if q "$primary" 'SELECT 1' >/dev/null 2>&1; then
	fail "the primary still answers after kill"
fi
if q "$both" 'SELECT 1' >/dev/null 2>&1; then
	fail "read-write URL connected with no primary"
fi
sh scripts/pg.sh promote "$s"
[ "$(q "$both" 'SELECT pg_is_in_recovery()')" = f ] ||
	fail "the multi-host URL did not reach the promoted standby"
q "$both" 'INSERT INTO t VALUES (3)' >/dev/null ||
	fail "the promoted standby refused a write"
rows=$(q "$both" 'SELECT v FROM t ORDER BY v' | tr '\n' ' ')
[ "$rows" = "1 2 3 " ] || fail "rows after promotion: $rows"
echo "pg_standby: ok"
