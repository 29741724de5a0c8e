#!/bin/sh
# scripts/sqlite-to-postgres.sh -- moves an oz SQLite database into an
# empty PostgreSQL database, rows with their ids, so ozd can serve it on
# DATABASE_URL=postgresql://... (README "Moving an existing SQLite
# database").
#
# Usage: sh scripts/sqlite-to-postgres.sh SQLITE_FILE POSTGRES_URL
#
# 1. The SQLite file must be at the head revision of this build's
#    migrations (ozctl migrate current), and nothing may write to it while
#    this runs (stop ozd first): its rows are read in one transaction.
# 2. The PostgreSQL schema is brought to the same revision with `ozctl
#    migrate upgrade` (the same revision ids on both dialects); its tables
#    must be empty.
# 3. users, tasks and oz_idempotency (so a retried keyed write is still
#    answered from its record) are copied with COPY in ONE PostgreSQL
#    transaction, ids included; the column list is PostgreSQL's, each
#    value converted by its type there (booleans, bytea). Then each
#    identity sequence is set past the largest id SQLite ever gave
#    (max(id) or sqlite_sequence, whichever is larger), so new ids never
#    collide with a copied one nor reuse a deleted one.
# 4. The row counts of both sides are compared; any difference fails.
#
# Exit status: 0 copied, 1 refused or failed (the target is left as it
# was: the copy is one transaction). Needs sqlite3, psql and ozctl (OZCTL,
# default build/ozctl when present, else ozctl on PATH). The password of
# POSTGRES_URL is never printed.
set -eu

die() {
	echo "sqlite-to-postgres: $*" >&2
	exit 1
}

[ $# -eq 2 ] || {
	echo "usage: sqlite-to-postgres.sh SQLITE_FILE POSTGRES_URL" >&2
	exit 2
}
src=$1
pg=$2
case $pg in
postgresql://* | postgres://*) ;;
*) die "not a PostgreSQL URL (postgresql://... or postgres://...)" ;;
esac
[ -f "$src" ] || die "$src: no such file"
src=$(cd "$(dirname "$src")" && pwd)/$(basename "$src")
if [ -z "${OZCTL:-}" ]; then
	OZCTL=$(dirname "$0")/../build/ozctl
	[ -x "$OZCTL" ] || OZCTL=ozctl
fi
TABLES="users tasks oz_idempotency"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-to-pg.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

psql_q() {
	PGOPTIONS="-c client_min_messages=warning" \
		psql "$pg" -AtqX -v ON_ERROR_STOP=1 "$@"
}

# 1-2. The same head revision on both sides.
rev_src=$("$OZCTL" migrate current --database-url "sqlite:///$src") ||
	die "cannot read the revision of $src"
case $rev_src in
*"(head)"*) ;;
*) die "$src is at revision '$rev_src', not head: run" \
	"ozctl migrate upgrade --database-url sqlite:///$src first" ;;
esac
"$OZCTL" migrate upgrade --database-url "$pg" >/dev/null ||
	die "ozctl migrate upgrade on the PostgreSQL database failed"
rev_pg=$("$OZCTL" migrate current --database-url "$pg")
[ "$rev_pg" = "$rev_src" ] ||
	die "revisions differ: SQLite '$rev_src', PostgreSQL '$rev_pg'"

for t in $TABLES; do
	n=$(psql_q -c "SELECT count(*) FROM $t") || die "no table $t on PostgreSQL"
	[ "$n" -eq 0 ] || die "the PostgreSQL table $t is not empty ($n rows)"
done
others=$(psql_q -c "SELECT string_agg(tablename, ' ') FROM pg_tables
	WHERE schemaname = current_schema() AND tablename NOT IN
	('oz_migrations', 'users', 'tasks', 'oz_idempotency')")
[ -z "$others" ] || die "tables this script does not know: $others"

# sqlite_expr TYPE COLUMN: COLUMN as COPY's text format wants it: its
# text, backslash, tab, newline and carriage return escaped, NULL as \N.
b='\'
sqlite_expr() {
	case $1 in
	boolean) v="CASE WHEN $2 THEN 't' ELSE 'f' END" ;;
	bytea) v="'${b}x' || hex($2)" ;;
	*) v="CAST($2 AS TEXT)" ;;
	esac
	printf '%s' "coalesce(replace(replace(replace(replace($v, '$b', '$b$b'), char(9), '${b}t'), char(10), '${b}n'), char(13), '${b}r'), '${b}N')"
}

# 3. One SQLite read transaction writes the whole psql script.
{
	echo "BEGIN;"
	for t in $TABLES; do
		cols=""
		exprs=""
		psql_q -F ' ' -c "SELECT column_name, data_type
			FROM information_schema.columns WHERE table_name = '$t'
			AND table_schema = current_schema()
			ORDER BY ordinal_position" >"$TMP/cols"
		while read -r c type; do
			cols="$cols${cols:+, }$c"
			exprs="$exprs${exprs:+ || char(9) || }$(sqlite_expr "$type" "$c")"
		done <"$TMP/cols"
		order=id
		[ "$t" = oz_idempotency ] && order=request_id
		echo "SELECT 'COPY $t ($cols) FROM STDIN;';"
		# printf, not echo: dash's echo would read the backslashes.
		printf '%s\n' "SELECT $exprs FROM $t ORDER BY $order;"
		printf '%s\n' "SELECT '$b.';"
	done
	for t in users tasks; do
		echo "SELECT 'SELECT setval(pg_get_serial_sequence(''$t'', ''id''), '
			|| max(coalesce((SELECT max(id) FROM $t), 0),
			coalesce((SELECT seq FROM sqlite_sequence
			WHERE name = '$t'), 0), 1) || ', '
			|| CASE WHEN (SELECT count(*) FROM $t) > 0 OR
			coalesce((SELECT seq FROM sqlite_sequence
			WHERE name = '$t'), 0) > 0 THEN 'true' ELSE 'false' END
			|| ');';"
	done
	echo "COMMIT;"
} >"$TMP/read.sql"
sqlite3 -batch -bail -readonly -list -separator '' "$src" <"$TMP/read.sql" \
	>"$TMP/copy.sql" || die "reading $src failed"

psql_q --single-transaction -f "$TMP/copy.sql" >/dev/null ||
	die "the copy failed; the PostgreSQL database is unchanged"

# 4. The same number of rows on both sides.
for t in $TABLES; do
	a=$(sqlite3 -readonly "$src" "SELECT count(*) FROM $t")
	b=$(psql_q -c "SELECT count(*) FROM $t")
	[ "$a" = "$b" ] || die "$t: $a rows in SQLite, $b in PostgreSQL"
	printf '%s: %s rows\n' "$t" "$b"
done
echo "sqlite-to-postgres: done (revision $rev_pg)"
