# tests/e2e/lib/db.sh -- the backend an end-to-end test runs on (sourced,
# not a test itself). Unset, OZ_TEST_DATABASE_URL means SQLite: a test's
# database is a file in its temporary directory. When it names a
# PostgreSQL database (make test-postgres), each database FILE a test
# names is instead a database of that cluster made for it, so the same
# script runs on both backends.
#
# db_url FILE    prints the --database-url for FILE: sqlite:///FILE, or
#                the URL of the cluster's database oz_e2e_<cksum of FILE>,
#                created empty on first use (the same FILE: the same
#                database, so a restarted ozd finds its rows)
# db_postgres    true when the test runs on PostgreSQL
# sqlite_only WHY   on PostgreSQL, prints "NAME: skipped on postgres: WHY"
#                and ends the test with success
# db_sql FILE SQL   runs SQL on FILE's database (sqlite3 or psql), the
#                rows one a line, columns separated by '|'

db_postgres() {
	case ${OZ_TEST_DATABASE_URL:-} in
	postgresql://* | postgres://*) return 0 ;;
	*) return 1 ;;
	esac
}

sqlite_only() {
	if db_postgres; then
		echo "${NAME:-$0}: skipped on postgres: $*"
		exit 0
	fi
}

# db_pg_url NAME: OZ_TEST_DATABASE_URL with its database name replaced.
db_pg_url() {
	printf '%s\n' "$OZ_TEST_DATABASE_URL" |
		sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$1#"
}

db_url() {
	if ! db_postgres; then
		printf 'sqlite:///%s\n' "$1"
		return
	fi
	name=oz_e2e_$(printf '%s' "$1" | cksum | cut -d ' ' -f 1)
	if ! psql "$OZ_TEST_DATABASE_URL" -Atqc \
		"SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
		psql "$OZ_TEST_DATABASE_URL" -qc "CREATE DATABASE $name" >/dev/null
	fi
	db_pg_url "$name"
}

db_sql() {
	if db_postgres; then
		psql "$(db_url "$1")" -AtqX -v ON_ERROR_STOP=1 -c "$2"
	else
		sqlite3 "$1" "$2"
	fi
}
