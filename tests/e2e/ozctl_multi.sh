#!/bin/sh
# tests/e2e/ozctl_multi.sh -- ozctl with several servers: --url repeated, a
# comma list in --url or OZ_URL (a --url replaces OZ_URL), the calls of one
# run spread round-robin over both servers, a server that is
# down skipped on every run, one message naming every server when none
# listens, and usage errors for a bad element. Two ozd ($OZD), each on its
# own SQLite file (two ozd cannot share one). Needs OZD, OZCTL, jq.
# Touches nothing outside its temporary directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-ozctl-multi.XXXXXX")
A_PID=""
B_PID=""
cleanup() {
	for p in $A_PID $B_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP"

NAME=ozctl_multi.sh
. "$HERE/lib/ozctl.sh"
. "$HERE/lib/ops.sh"

# start_in DIR: start_ozd on DIR/app.db with its log in DIR.
start_in() {
	mkdir -p "$1"
	top=$TMP
	TMP=$1
	start_ozd "$1/app.db"
	TMP=$top
}
start_in "$TMP/a"
A_PID=$PID A_URL=$URL
start_in "$TMP/b"
B_PID=$PID B_URL=$URL
PID=""

# calls URL METHOD: how many calls of METHOD server URL has answered.
calls() {
	ok --url "$1" stats --json
	val "[.methods[]? | select(.method == \"$2\") | .calls | tonumber]
		| add // 0"
}

ok --url "$A_URL" --url "$B_URL" health
OZ_URL="$A_URL,$B_URL" ok users list
ok --url "$A_URL , $B_URL" users list
OZ_URL="tcp://127.0.0.1:1" ok --url "$B_URL" health # --url wins
made=0
for u in x1 x2 x3 x4; do
	ok --url "$A_URL,$B_URL" users create --username "$u" --email "$u@x.org"
	made=$((made + 1))
done
[ $(($(calls "$A_URL" /oz.v1.UserService/CreateUser) + \
	$(calls "$B_URL" /oz.v1.UserService/CreateUser))) -eq $made ] ||
	fail "the creates are not each on one server"

# One ozctl run spreads its calls: six one-row batches, three per server.
printf 'username,email\n' >"$TMP/users.csv"
for u in s1 s2 s3 s4 s5 s6; do
	printf '%s,%s@x.org\n' "$u" "$u" >>"$TMP/users.csv"
done
ok --url "$A_URL" --url "$B_URL" import "$TMP/users.csv" --batch-size 1 \
	--parallel 1
[ "$(calls "$A_URL" /oz.v1.BatchService/Execute)" -eq 3 ] &&
	[ "$(calls "$B_URL" /oz.v1.BatchService/Execute)" -eq 3 ] ||
	fail "import not spread three and three"

# A down: every run reaches B (a refused local dial is skipped at once),
# whichever server a run starts with.
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null || true
A_PID=""
i=0
while [ $i -lt 10 ]; do
	OZ_URL="$A_URL,$B_URL" ok users create --username "d$i" \
		--email "d$i@x.org"
	i=$((i + 1))
done
[ "$(calls "$B_URL" /oz.v1.UserService/CreateUser)" -ge 10 ] ||
	fail "B did not get the creates"

# None listening: exit 6 at once, naming both.
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null || true
B_PID=""
status 6 --url "$A_URL" --url "$B_URL" --timeout 60000 users list
err "nothing is listening on $A_URL, $B_URL"

# A bad element is a usage error naming it.
status 2 --url "$A_URL,,$B_URL" health
err "malformed URL"
status 2 --url "$A_URL" --url "bogus://x" health
err "bogus://x"
echo "$NAME: ok"
