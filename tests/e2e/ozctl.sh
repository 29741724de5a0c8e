#!/bin/sh
# tests/e2e/ozctl.sh -- every ozctl verb against a real ozd, over tcp://
# (random loopback port 20000-40000) and ipc:// (temporary directory),
# each with a fresh temporary database.
#
# Checks --json output with jq, -q output, error lines on stderr and the
# exit status of each error class (2 usage, 3 not found, 4 conflict /
# precondition, 5 invalid argument, 6 unavailable), and `call` with JSON in
# and out for every method. Needs OZD and OZCTL (set by tests/run.sh) and
# jq. Touches nothing outside its temporary directory.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-ozctl.XXXXXX")
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
HERE=$(cd "$(dirname "$0")" && pwd)
unset OZ_URL OZ_TOKEN DATABASE_URL
cd "$TMP" # ozd and ozctl read ./.env: keep the caller's out.

NAME=ozctl.sh
. "$HERE/lib/ozctl.sh"

start_server() {
	url=$1
	"$OZD" --listen "$url" --database-url "$(db_url "$TMP/$2.db")" \
		--migrate 2>"$TMP/ozd.log" &
	PID=$!
	i=0
	while [ $i -lt 100 ]; do
		if "$OZCTL" --url "$url" --timeout 200 health >/dev/null 2>&1
		then
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || return 1
		i=$((i + 1))
		sleep 0.05 # a refused local URL fails at once
	done
	return 1
}

stop_server() {
	kill "$PID"
	wait "$PID" || fail "ozd exited $? on SIGTERM"
	PID=""
}

suite() {
	export OZ_URL="$1"

	# Health, methods, help, version.
	ok health
	out_is SERVING
	ok health --json
	jqt '.status == "SERVING"'
	status 3 health no.such.Service
	ok methods
	grep -q '/oz.v1.UserService/CreateUser' "$TMP/out" || fail methods
	ok methods -q
	n_methods=$(wc -l <"$TMP/out")
	for m in /oz.v1.UserService/CreateUser /oz.v1.UserService/GetUser \
		/oz.v1.UserService/GetUserByEmail /oz.v1.UserService/ListUsers \
		/oz.v1.UserService/UpdateUser /oz.v1.UserService/DeleteUser \
		/oz.v1.TaskService/CreateTask /oz.v1.TaskService/GetTask \
		/oz.v1.TaskService/ListTasks /oz.v1.TaskService/UpdateTask \
		/oz.v1.TaskService/DeleteTask /grpc.health.v1.Health/Check \
		/oz.rpc.v1.Reflection/ListServices; do
		grep -qx "$m" "$TMP/out" || fail "methods -q lacks $m"
	done
	ok methods --json
	jqt "[.services[].methods[]] | length == $n_methods"
	jqt '[.services[].methods[] | select(.fullName ==
		"/oz.v1.UserService/GetUser")][0].idempotent == true'
	ok --version
	grep -q '^ozctl ' "$TMP/out" || fail version
	ok --help
	grep -q 'exit status' "$TMP/out" || fail "--help lacks exit status"
	for v in "users" "users create" "users get" "users list" \
		"users update" "users delete" "tasks" "tasks create" \
		"tasks get" "tasks list" "tasks update" "tasks delete" \
		"health" "methods" "call" "migrate" "migrate upgrade"; do
		# shellcheck disable=SC2086
		ok $v --help
		grep -q '^usage: ozctl' "$TMP/out" || fail "$v --help"
	done

	# Users: create, conflicts, validation.
	ok users create --username alice --email alice@example.com --json
	jqt '.username == "alice" and .isActive == true and
		(.id | type) == "string" and (.createTime | test("Z$"))'
	alice=$(val .id)
	ok users create --username bob --email bob@example.com -q
	bob=$(cat "$TMP/out")
	[ "$bob" -gt "$alice" ] || fail "bob id $bob"
	status 4 users create --username alice2 --email ALICE@example.com
	err "ozctl: ALREADY_EXISTS: "
	status 5 users create --username "" --email nope
	err "ozctl: INVALID_ARGUMENT: "
	err "  email: "
	err "  username: "
	ok users create --username carol --email carol@example.com
	grep -q '^ID  *USERNAME  *EMAIL' "$TMP/out" || fail "table header"
	grep -q 'carol@example.com' "$TMP/out" || fail "table row"

	# Users: get.
	ok users get "$alice" --json
	jqt ".id == \"$alice\" and .email == \"alice@example.com\""
	ok users get --email BOB@example.com -q
	[ "$(cat "$TMP/out")" = "$bob" ] || fail "get --email"
	status 3 users get 999999
	err "ozctl: NOT_FOUND: User not found"
	status 3 users get --email nobody@example.com

	# Usage errors.
	status 2 users get abc
	status 2 users get
	status 2 users frobnicate
	status 2 users create --username x
	status 2 users list --page-size many
	status 2 users list --bogus
	status 2 --timeout 0 health
	status 2 tasks create --user-id 1 --title t --status later
	status 2 frobnicate
	status 2

	# Tasks.
	ok tasks create --user-id "$alice" --title "write docs" \
		--description "all of them" --status in_progress --json
	jqt '.status == "TASK_STATUS_IN_PROGRESS" and .title == "write docs"
		and .description == "all of them"'
	t1=$(val .id)
	ok tasks create --user-id "$alice" --title "ship" -q
	t2=$(cat "$TMP/out")
	status 5 tasks create --user-id "$alice" --title ""
	err "  title: "
	ok tasks get "$t1" --json
	jqt ".userId == \"$alice\""
	status 3 tasks get 999999
	ok tasks list --user-id "$alice" --status in_progress --json
	jqt "(.tasks | length) == 1"
	jqt ".tasks[0].id == \"$t1\""
	ok tasks update "$t2" --status done --title shipped --json
	jqt '.status == "TASK_STATUS_DONE" and .title == "shipped"'
	ok tasks list --status done -q
	[ "$(cat "$TMP/out")" = "$t2" ] || fail "tasks list --status done"
	ok tasks list --json --all --page-size 1
	jqt '.tasks | length == 2'
	jqt '.nextPageToken == ""'
	ok users get "$alice" --with-tasks --json
	jqt '.tasks | length == 2'
	ok users get "$alice" --with-tasks
	grep -q 'write docs' "$TMP/out" || fail "with-tasks table"

	# Users: update, list, filters, paging.
	ok users update "$bob" --inactive --json
	jqt '.isActive == false'
	ok users update "$bob" --username bobby --email bobby@example.com -q
	[ "$(cat "$TMP/out")" = "$bob" ] || fail "update -q"
	status 2 users update "$bob"
	status 3 users update 999999 --username zed
	ok users list --inactive -q
	[ "$(cat "$TMP/out")" = "$bob" ] || fail "list --inactive"
	ok users list --active --json
	jqt '[.users[].username] == ["alice", "carol"]'
	ok users list --order-by "username desc" --json
	jqt '[.users[].username] == ["carol", "bobby", "alice"]'
	jqt '.totalSize == 3'
	i=0
	while [ $i -lt 5 ]; do
		ok users create --username "u$i" --email "u$i@example.com" -q
		i=$((i + 1))
	done
	ok users list --page-size 3 --json
	jqt '(.users | length) == 3 and .nextPageToken != "" and
		.totalSize == 8'
	token=$(val .nextPageToken)
	ok users list --page-size 3 --page-token "$token" -q
	[ "$(wc -l <"$TMP/out")" -eq 3 ] || fail "second page"
	ok users list --all --page-size 3 --json
	jqt '(.users | length) == 8 and .nextPageToken == ""'
	jqt '[.users[].id | tonumber] | . == sort'
	ok users list --all --page-size 2 -q
	[ "$(wc -l <"$TMP/out")" -eq 8 ] || fail "--all -q"
	ok users list --skip 6 -q
	[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "--skip"
	status 5 users list --page-size -1

	# Delete: precondition, force, then not found.
	status 4 users delete "$alice"
	err "ozctl: FAILED_PRECONDITION: "
	ok tasks delete "$t1"
	grep -q "deleted task $t1" "$TMP/out" || fail "tasks delete output"
	status 3 tasks delete "$t1"
	ok users delete "$alice" --force --json
	jqt '. == {}'
	status 3 users get "$alice"
	status 3 tasks get "$t2"

	# call: JSON in, JSON out, for every method.
	ok call /oz.v1.UserService/CreateUser \
		'{"username": "dave", "email": "dave@example.com"}'
	jqt '.username == "dave" and .isActive == true'
	dave=$(val .id)
	ok call /oz.v1.UserService/GetUser "{\"id\": \"$dave\",
		\"view\": \"USER_VIEW_WITH_TASKS\"}"
	jqt '.username == "dave" and .tasks == []'
	ok call oz.v1.UserService/GetUserByEmail '{"email": "DAVE@example.com"}'
	jqt ".id == \"$dave\""
	ok call oz.v1.UserService.ListUsers \
		'{"pageSize": 2, "isActive": true, "orderBy": "id desc"}'
	jqt '(.users | length) == 2 and .users[0].username == "dave"'
	ok call /oz.v1.UserService/UpdateUser "{\"user\": {\"id\": \"$dave\",
		\"username\": \"david\", \"isActive\": false},
		\"updateMask\": \"username,isActive\"}"
	jqt '.username == "david" and .isActive == false'
	ok call /oz.v1.TaskService/CreateTask "{\"userId\": $dave,
		\"title\": \"t\", \"status\": \"TASK_STATUS_DONE\"}"
	jqt '.status == "TASK_STATUS_DONE"'
	task=$(val .id)
	ok call /oz.v1.TaskService/GetTask "{\"id\": \"$task\"}"
	jqt ".userId == \"$dave\""
	ok call /oz.v1.TaskService/ListTasks "{\"userId\": \"$dave\"}"
	jqt "(.tasks | length) == 1 and .totalSize == 1"
	ok call /oz.v1.TaskService/UpdateTask "{\"task\": {\"id\": \"$task\",
		\"description\": \"d\"}, \"updateMask\": \"description\"}"
	jqt '.description == "d"'
	echo "{\"id\": \"$task\"}" >"$TMP/in.json"
	"$OZCTL" call /oz.v1.TaskService/DeleteTask - <"$TMP/in.json" \
		>"$TMP/out" 2>"$TMP/err" || fail "call - (stdin)"
	jqt '. == {}'
	ok call /oz.v1.UserService/DeleteUser "{\"id\": \"$dave\"}"
	jqt '. == {}'
	ok call /grpc.health.v1.Health/Check
	jqt '.status == "SERVING"'
	ok call /oz.rpc.v1.Reflection/ListServices '{}'
	jqt '(.services | length) >= 4 and (.fileDescriptorSet | length) > 0'
	status 3 call /oz.v1.UserService/GetUser "{\"id\": \"$dave\"}"
	# A request that is not valid JSON for its method is a usage error.
	status 2 call /oz.v1.UserService/GetUser '{"id": "x"}'
	err "ozctl: bad JSON request for /oz.v1.UserService/GetUser: "
	err "id: "
	status 2 call /oz.v1.UserService/GetUser '{"nope": 1}'
	status 2 call /oz.v1.UserService/GetUser '{'
	status 2 call /oz.v1.Nope/Nope '{}'
	status 2 call

	# Global options: --url wins over OZ_URL; --token is accepted.
	OZ_URL=tcp://127.0.0.1:1 ok --url "$1" --token t0k health
	status 6 --url "$2" --timeout 300 health
	err "ozctl: UNAVAILABLE: "
	status 6 --timeout 300 --url "$2" users list
	unset OZ_URL
}

# Over tcp:// on a random port (another one if it is taken).
n=0
while :; do
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
	if start_server "tcp://127.0.0.1:$port" tcp; then
		break
	fi
	n=$((n + 1))
	[ $n -lt 5 ] || fail "ozd did not start on tcp"
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
done
dead_port=$((port == 39999 ? 20001 : port + 1))
suite "tcp://127.0.0.1:$port" "ipc://$TMP/nobody.sock"
stop_server

# Over ipc:// in the temporary directory.
start_server "ipc://$TMP/oz.sock" ipc || fail "ozd did not start on ipc"
suite "ipc://$TMP/oz.sock" "tcp://127.0.0.1:$dead_port"
stop_server

# ws:// briefly: the same client over another transport.
ws="ws://127.0.0.1:$dead_port/oz"
start_server "$ws" ws || fail "ozd did not start on ws"
ok --url "$ws" users create --username wendy --email w@example.com -q
ok --url "$ws" users get "$(cat "$TMP/out")" --json
jqt '.username == "wendy"'
stop_server
echo "ozctl.sh: ok"
