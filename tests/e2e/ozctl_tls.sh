#!/bin/sh
# tests/e2e/ozctl_tls.sh -- ozctl (and so the C client library) against a
# real ozd that demands more: tls+tcp:// with a server certificate, then
# also client certificates, all made by openssl at test time; and bearer
# tokens (--auth-token-file), where a missing or wrong token exits 7.
#
# Needs OZD, OZCTL (set by tests/run.sh), openssl and jq. Uses random
# loopback ports and a temporary directory; touches nothing else.
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZCTL:?OZCTL must point at the ozctl binary}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-tls.XXXXXX")
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
unset OZ_URL OZ_TOKEN OZ_TLS_CA OZ_TLS_CERT DATABASE_URL
cd "$TMP"
NAME=ozctl_tls.sh
. "$HERE/lib/ozctl.sh"

# A CA, a server certificate for localhost/127.0.0.1, a client one.
cert() { # NAME CN
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" \
		2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
		-CAcreateserial -out "$1.pem" -days 2 -extfile "$1.ext" \
		2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout ca.key -out ca.pem -days 2 -subj "/CN=oz test CA" 2>/dev/null ||
	fail "openssl CA"
cert server localhost
cert client client
cat client.pem client.key >client-bundle.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout other.key -out other.pem -days 2 -subj "/CN=other CA" 2>/dev/null

# start URL ARGS...: ozd on URL; waits until health answers (health is
# exempt from tokens; TLS options come from the caller's OZCTL_TLS).
start() {
	url=$1
	shift
	"$OZD" --listen "$url" --database-url "$(db_url "$TMP/app.db")" \
		--migrate "$@" 2>"$TMP/ozd.log" &
	PID=$!
	i=0
	# shellcheck disable=SC2086
	until "$OZCTL" --url "$url" --timeout 200 $OZCTL_TLS health \
		>/dev/null 2>&1; do
		i=$((i + 1))
		kill -0 "$PID" 2>/dev/null || return 1
		[ $i -lt 100 ] || return 1
		sleep 0.05 # a refused local URL fails at once
	done
}
stop() {
	kill "$PID"
	wait "$PID" || fail "ozd exited $? on SIGTERM"
	PID=""
}
port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000))
}
# start_tcp SCHEME ARGS...: start on a random free port; sets URL.
start_tcp() {
	scheme=$1
	shift
	n=0
	until URL="$scheme://127.0.0.1:$(port)" && start "$URL" "$@"; do
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		PID=""
		n=$((n + 1))
		[ $n -lt 5 ] || fail "ozd did not start on $scheme"
	done
}

# 1. Server certificate, verified by the client.
OZCTL_TLS="--tls-ca $TMP/ca.pem --tls-server-name localhost"
start_tcp tls+tcp --tls-cert server.pem --tls-key server.key
ok --url "$URL" --tls-ca ca.pem --tls-server-name localhost users create \
	--username tls --email tls@example.com --json
jqt '.username == "tls"'
OZ_TLS_CA="$TMP/ca.pem" ok --url "$URL" --tls-server-name localhost \
	users list -q
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "list over TLS"
# A CA that did not sign the server: the handshake fails, UNAVAILABLE.
status 6 --url "$URL" --timeout 500 --tls-ca other.pem \
	--tls-server-name localhost health
err "ozctl: UNAVAILABLE: "
# The wrong name in the certificate: refused too.
status 6 --url "$URL" --timeout 500 --tls-ca ca.pem \
	--tls-server-name not-this-host health
# Plain tcp:// to a TLS listener gets nowhere.
status 6 --url "tcp://${URL#tls+tcp://}" --timeout 500 health
stop

# 2. Client certificates required.
OZCTL_TLS="--tls-ca $TMP/ca.pem --tls-cert $TMP/client-bundle.pem"
start_tcp tls+tcp --tls-cert server.pem --tls-key server.key --tls-ca ca.pem
ok --url "$URL" --tls-ca ca.pem --tls-cert client-bundle.pem users list -q
out_is 1
OZ_TLS_CERT="$TMP/client-bundle.pem" ok --url "$URL" --tls-ca ca.pem health
status 6 --url "$URL" --timeout 500 --tls-ca ca.pem health
stop

# 3. Bearer tokens.
printf 'first-token\nsecond-token\n' >tokens
OZCTL_TLS=""
start "ipc://$TMP/oz.sock" --auth-token-file tokens || fail "ozd with tokens"
export OZ_URL="ipc://$TMP/oz.sock"
ok health
status 7 users list
err "ozctl: UNAUTHENTICATED: "
status 7 --token wrong users list
ok --token second-token users list -q
OZ_TOKEN=first-token ok users get 1 --json
jqt '.username == "tls"'
OZ_TOKEN=first-token status 7 --token nope call /oz.v1.UserService/GetUser \
	'{"id": "1"}'
stop
echo "ozctl_tls.sh: ok"
