#!/bin/sh
# tests/e2e/ops_admin.sh -- who may call the admin methods of a real ozd:
# with --admin-token-file only its bearer (ozctl --token), an ordinary
# --auth-token-file token is refused; without one, local callers (tcp on
# 127.0.0.1) are served. Stats stays readable with an ordinary token.
# Needs OZD, OZCTL, jq. Touches nothing outside its temporary directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-ops-admin.XXXXXX")
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL OZ_ADMIN_TOKEN_FILE OZ_AUTH_TOKEN_FILE
cd "$TMP"

NAME=ops_admin.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

DATABASE_URL=$(db_url "$TMP/app.db")
export DATABASE_URL
ok migrate upgrade
printf 'user-token\n' >"$TMP/tokens"
printf '# admins\nadmin-token\n' >"$TMP/admin"

# No admin token: a loopback caller may back up and optimize.
start_ozd "$TMP/app.db"
export OZ_URL="$URL"
backup_ok backup local.db
backup_written "$TMP/backups/local.db"
ok optimize
stop_ozd

# An admin token: only its bearer; an ordinary token passes for the rest.
start_ozd "$TMP/app.db" --auth-token-file "$TMP/tokens" \
	--admin-token-file "$TMP/admin"
export OZ_URL="$URL"
status 7 backup none.db
err "UNAUTHENTICATED"
status 7 --token user-token backup user.db
err "PERMISSION_DENIED"
status 7 --token user-token optimize
err "PERMISSION_DENIED"
status 7 --token wrong users list
err "UNAUTHENTICATED"
[ ! -e "$TMP/backups/none.db" ] && [ ! -e "$TMP/backups/user.db" ] ||
	fail "a refused backup wrote a file"
backup_ok --token admin-token backup admin.db
backup_written "$TMP/backups/admin.db"
ok --token admin-token optimize
ok --token user-token stats
ok --token admin-token users list
stop_ozd
grep -q 'admin=token' "$TMP/ozd.log" || fail "config line lacks admin=token"
echo "$NAME: ok"
