#!/bin/sh
# tests/e2e/interop_nngcat.sh -- call a real ozd with tools nobody here wrote.
#
# protoc --encode builds each oz.rpc.v1.Request, Debian's nngcat --req
# carries it over tcp:// and ipc://, protoc --decode reads the Response.
# This checks docs/protocol.md's wire format against Google's and nng's own
# implementations. Needs OZD (set by tests/run.sh), protoc and nngcat. Uses
# a random loopback port and a temporary directory; touches nothing else.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"

: "${OZD:?OZD must point at the ozd binary}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-interop.XXXXXX")
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
for v in $(env | sed -n 's/^\(OZ_[A-Z0-9_]*\)=.*/\1/p') DATABASE_URL; do
	unset "$v"
done
cd "$TMP" # ozd reads ./.env: keep the caller's out.

fail() {
	echo "interop_nngcat: FAIL: $*" >&2
	if [ -f "$TMP/ozd.log" ]; then
		tail -n 20 "$TMP/ozd.log" >&2
	fi
	exit 1
}

# A view of the envelope whose payload fields are typed messages: same wire
# bytes (both are length-delimited), but protoc can write and print them.
cat > "$TMP/view.proto" <<'PROTO'
syntax = "proto3";
package view;
import "oz/rpc/v1/rpc.proto";
import "oz/v1/resources.proto";
import "oz/v1/user_service.proto";
import "grpc/health/v1/health.proto";
message CreateUserCall {
  string method = 1;
  oz.v1.CreateUserRequest payload = 2;
  repeated oz.rpc.v1.Metadata metadata = 3;
  uint32 timeout_ms = 4;
}
message GetUserCall {
  string method = 1;
  oz.v1.GetUserRequest payload = 2;
  repeated oz.rpc.v1.Metadata metadata = 3;
  uint32 timeout_ms = 4;
}
message HealthCall {
  string method = 1;
  grpc.health.v1.HealthCheckRequest payload = 2;
}
message UserReply {
  oz.rpc.v1.Status status = 1;
  oz.v1.User payload = 2;
}
message HealthReply {
  oz.rpc.v1.Status status = 1;
  grpc.health.v1.HealthCheckResponse payload = 2;
}
PROTO

pc() {
	protoc -I"$ROOT/proto" -I/usr/include -I"$TMP" "$@" "$TMP/view.proto"
}

# call URL VIEW_IN VIEW_OUT TEXT: prints the decoded reply.
call() {
	printf '%s\n' "$4" | pc --encode="view.$2" > "$TMP/req.bin" ||
		fail "protoc --encode view.$2"
	timeout 20 nngcat --req --dial "$1" --file "$TMP/req.bin" --raw \
		--recv-timeout 10 > "$TMP/rep.bin" ||
		fail "nngcat --req $1 got no reply"
	pc --decode="view.$3" < "$TMP/rep.bin" ||
		fail "protoc --decode view.$3"
}

port() {
	# 20000-31999: below the kernel's ephemeral range.
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
}

# Start ozd on a random port; try again if the port was taken.
for try in 1 2 3; do
	PORT=$(port)
	TCP="tcp://127.0.0.1:$PORT"
	IPC="ipc://$TMP/oz.sock"
	"$OZD" --listen "$TCP" --listen "$IPC" \
		--database-url "$(db_url "$TMP/oz.db")" --migrate \
		> "$TMP/ozd.log" 2>&1 &
	PID=$!
	ok=""
	i=0
	while [ $i -lt 100 ]; do
		if ! kill -0 "$PID" 2>/dev/null; then
			break
		fi
		if out=$(printf 'method: "/grpc.health.v1.Health/Check"\n' |
			pc --encode=view.HealthCall |
			timeout 5 nngcat --req --dial "$TCP" --raw --file - \
				--recv-timeout 1 2>/dev/null |
			pc --decode=view.HealthReply 2>/dev/null) &&
			echo "$out" | grep -q 'status: SERVING'; then
			ok=1
			break
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$ok" ] && break
	kill "$PID" 2>/dev/null || true
	wait "$PID" 2>/dev/null || true
	PID=""
done
[ -n "$ok" ] || fail "ozd did not start"

# 1. CreateUser over tcp://: the reply decodes as a Response carrying a User.
out=$(call "$TCP" CreateUserCall UserReply 'method: "/oz.v1.UserService/CreateUser"
payload { username: "ann" email: "ann@example.com" request_id: "interop-1" }
metadata { key: "request-id" value: "interop-nngcat" }
timeout_ms: 5000')
echo "$out" | grep -q 'username: "ann"' || fail "CreateUser reply: $out"
echo "$out" | grep -q 'email: "ann@example.com"' || fail "no email: $out"
echo "$out" | grep -q 'is_active: true' || fail "not active: $out"
echo "$out" | grep -q 'code:' && fail "CreateUser not OK: $out"
id=$(echo "$out" | sed -n 's/^  id: \([0-9][0-9]*\)$/\1/p')
[ -n "$id" ] || fail "no user id in: $out"

# 2. GetUser over ipc://: the same user comes back.
out=$(call "$IPC" GetUserCall UserReply "method: \"/oz.v1.UserService/GetUser\"
payload { id: $id }")
echo "$out" | grep -q 'username: "ann"' || fail "GetUser over ipc: $out"

# 3. Errors are Responses with gRPC codes: ALREADY_EXISTS (6) ...
out=$(call "$TCP" CreateUserCall UserReply 'method: "/oz.v1.UserService/CreateUser"
payload { username: "ann" email: "ann@example.com" }')
echo "$out" | grep -q 'code: 6' || fail "duplicate not ALREADY_EXISTS: $out"
# ... NOT_FOUND (5) ...
out=$(call "$IPC" GetUserCall UserReply 'method: "/oz.v1.UserService/GetUser"
payload { id: 999999 }')
echo "$out" | grep -q 'code: 5' || fail "missing user not NOT_FOUND: $out"
# ... and UNIMPLEMENTED (12) naming the method.
out=$(call "$TCP" GetUserCall UserReply 'method: "/oz.v1.UserService/Nope"')
echo "$out" | grep -q 'code: 12' || fail "unknown method: $out"
echo "$out" | grep -q 'Nope' || fail "UNIMPLEMENTED does not name it: $out"

# 4. The request-id metadata reached the server's log line.
grep -q 'request-id=interop-nngcat' "$TMP/ozd.log" ||
	fail "request-id not logged"

echo "interop_nngcat: ok (protoc + nngcat over tcp and ipc, user id $id)"
