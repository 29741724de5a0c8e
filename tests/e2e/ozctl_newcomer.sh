#!/bin/sh
# tests/e2e/ozctl_newcomer.sh -- the mistakes of a first hour with ozctl
# and ozd, each answered at once and plainly (issue 12): a malformed
# --url or OZ_URL is a usage error (exit 2) showing the accepted forms; a
# refused connection says nothing is listening (exit 6) on the first try;
# `call` with bad JSON is a usage error; `migrate current` on a missing
# database says so and creates nothing; users/tasks --help list --etag and
# --request-id; -q keeps the next-page token (on stderr); tables align
# wide characters and escape line breaks; a refused DATABASE_URL is
# echoed with its password masked; and the build is up to date after
# `make` (`make -q`: no test object was deleted as an intermediate).
#
# Needs OZD, OZCTL, OZ_BUILD. Touches nothing outside its temporary
# directory (the build dir is only read).
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-newcomer.XXXXXX")
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ozctl_newcomer.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

# --- Malformed URLs: usage errors, with the accepted forms --------------
for url in localhost:7878 http://127.0.0.1:7878 tcp://127.0.0.1 \
	tcp://127.0.0.1:99999 tcp://127.0.0.1:0 tcp://:7878 ftp://x:1; do
	status 2 --url "$url" health
	err "malformed URL \"$url\""
	err "expected tcp://HOST:PORT, tls+tcp://HOST:PORT, ipc:///PATH"
	err "usage: ozctl"
	OZ_URL=$url status 2 users list
	err "malformed URL \"$url\""
done

# --- Nothing listening: said at once, on the first try -------------------
# A port just freed by ozd (nothing listens there any more). The call
# has a deadline of ten minutes: a wait would end in DEADLINE_EXCEEDED
# or "cannot reach", not in this message, within the test's time.
start_ozd "$TMP/app.db"
FREED=$URL
stop_ozd
status 6 --url "$FREED" --timeout 600000 health
err "ozctl: UNAVAILABLE: nothing is listening on $FREED — is ozd running?"
status 6 --url "ipc://$TMP/none.sock" --timeout 600000 users list
err "nothing is listening on ipc://$TMP/none.sock — is ozd running?"

start_ozd "$TMP/app.db"
export OZ_URL="$URL"

# --- call with bad JSON --------------------------------------------------
status 2 call /oz.v1.UserService/GetUser '{"id": '
err "bad JSON request for /oz.v1.UserService/GetUser: malformed JSON"
err "usage: ozctl call METHOD"
status 2 call /oz.v1.UserService/GetUser '{"nope": 1}'
err "nope"
status 3 call /oz.v1.UserService/GetUser '{"id": "42"}'

# --- migrate current on a database that does not exist -------------------
status 3 migrate current --database-url "sqlite:///$TMP/none.db"
err "there is no database at $TMP/none.db"
[ ! -e "$TMP/none.db" ] || fail "migrate current created $TMP/none.db"
DATABASE_URL="sqlite:///$TMP/none2.db" status 3 migrate history
[ ! -e "$TMP/none2.db" ] || fail "migrate history created none2.db"
ok migrate current --database-url "sqlite:///$TMP/app.db"

# --- --help lists what the man page lists --------------------------------
for verb in users tasks; do
	ok "$verb" --help
	grep -q -- "--etag E" "$TMP/out" || fail "$verb --help lacks --etag"
	grep -q -- "--request-id KEY" "$TMP/out" ||
		fail "$verb --help lacks --request-id"
done

# --- -q keeps the next-page token ----------------------------------------
ok users create --username "漢字テスト" --email kanji@example.com
ok users create --username "😀 smile" --email smile@example.com
ok users create --username plain --email plain@example.com
ok -q users list --page-size 2
[ "$(cat "$TMP/out")" = "$(printf '1\n2')" ] || fail "-q ids: $(cat "$TMP/out")"
grep -q '^next page: --page-token [A-Za-z0-9_-]*$' "$TMP/err" ||
	fail "-q dropped the next-page token: $(cat "$TMP/err")"
token=$(sed -n 's/^next page: --page-token //p' "$TMP/err")
ok -q users list --page-size 2 --page-token "$token"
out_is 3
[ ! -s "$TMP/err" ] || fail "last page printed a token: $(cat "$TMP/err")"

# --- Tables: wide characters aligned, line breaks escaped ---------------
ok users list
# Every row's EMAIL column starts at the same display column: cut the
# USERNAME column off by display width (ozctl's own alignment) and compare.
awk 'NR > 1 { print }' "$TMP/out" >"$TMP/rows"
python3 - "$TMP/out" <<'PY' || fail "table columns misaligned: $(cat "$TMP/out")"
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else
               0 if unicodedata.combining(c) else 1 for c in s)
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
cols = set()
for r in rows:
    at = r.index("@example.com") if "@" in r else r.index("EMAIL")
    start = r.rfind("  ", 0, at) + 2
    cols.add(width(r[:start]))
sys.exit(0 if len(cols) == 1 else 1)
PY
ok tasks create --user-id 1 --title "$(printf 'two\nlines\tand\033[31mred')"
ok tasks list
[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "a title broke the table: $(cat "$TMP/out")"
grep -qF 'two\nlines\tand\x1b[31mred' "$TMP/out" ||
	fail "title not escaped: $(cat "$TMP/out")"
stop_ozd

# --- A refused DATABASE_URL: echoed, password masked ----------------------
rc=0
"$OZD" --database-url "mysql://app:s3cr3t@db.example.com:5432/app" \
	>"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] || fail "ozd on a mysql URL exited $rc, want 2"
err 'mysql://app:***@db.example.com:5432/app'
grep -q s3cr3t "$TMP/err" && fail "ozd echoed the password"
status 5 migrate current \
	--database-url "mysql://app:s3cr3t@db.example.com:5432/app"
err 'mysql://app:***@db.example.com:5432/app'
grep -q s3cr3t "$TMP/err" && fail "ozctl echoed the password"

# --- A PostgreSQL that does not answer: refused, password masked too -------
pgurl="postgresql://app:s3cr3t@127.0.0.1:1/app?connect_timeout=5"
rc=0
"$OZD" --database-url "$pgurl" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] || fail "ozd on a closed postgresql port exited $rc, want 1"
err 'postgresql://app:***@127.0.0.1:1/app'
grep -q s3cr3t "$TMP/err" && fail "ozd echoed the password"
status 6 migrate current --database-url "$pgurl"
err 'postgresql://app:***@127.0.0.1:1/app'
grep -q s3cr3t "$TMP/err" && fail "ozctl echoed the password"

# --- The build is up to date: the next make would relink nothing --------
if [ -n "${OZ_BUILD:-}" ] && [ -d "$ROOT/.git" ]; then
	make -q -C "$ROOT" BUILD="$OZ_BUILD" OZ_SKIP_DEPS=1 all \
		>/dev/null 2>&1 ||
		fail "make -q all: the build is not up to date after make" \
			"(intermediate objects deleted?)"
fi
echo "ozctl_newcomer.sh: ok"
