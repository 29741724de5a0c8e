#!/bin/sh
# tests/e2e/tls.sh -- tls+tcp:// end to end: certificates made at test time
# with openssl (a CA, a server certificate for 127.0.0.1/localhost, a
# client certificate, and a second "rogue" CA with its own client
# certificate), ozd with --tls-cert/--tls-key, and calls made by ozctl
# (the C client library).
#
# Proves: a verified call works; a client trusting another CA, expecting
# another name, or speaking plain tcp:// fails; with --tls-ca the server
# refuses clients without a certificate or with one from another CA and
# serves the one with a certificate of its CA. Needs OZD, OZCTL and
# openssl; loopback only, random port; touches nothing outside its
# temporary directory.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"

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
unset OZ_URL OZ_TOKEN OZ_TLS_CA OZ_TLS_CERT DATABASE_URL
cd "$TMP" # ozd and ozctl read ./.env: keep the caller's out.

fail() {
	echo "tls.sh: FAIL: $*" >&2
	[ -f err ] && sed 's/^/  stderr: /' err >&2
	[ -f ozd.log ] && tail -n 5 ozd.log | sed 's/^/  ozd: /' >&2
	exit 1
}

# --- Certificates -------------------------------------------------------
ossl() {
	openssl "$@" >>openssl.log 2>&1 || fail "openssl $*"
}
# ca NAME: a self-signed CA in NAME.key/NAME.pem.
ca() {
	ossl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=oz test $1" \
		-keyout "$1.key" -out "$1.pem" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign
}
# leaf NAME CA CN EXT: a key and certificate signed by CA.
leaf() {
	ossl req -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$1.key" \
		-out "$1.csr"
	printf '%s\n' "$4" >"$1.ext"
	ossl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
		-CAcreateserial -days 2 -extfile "$1.ext" -out "$1.pem"
	cat "$1.pem" "$1.key" >"$1.both.pem"
}
ca ca
ca rogue
leaf server ca 127.0.0.1 \
	"subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
leaf client ca "oz test client" "extendedKeyUsage=clientAuth"
leaf stranger rogue "oz test stranger" "extendedKeyUsage=clientAuth"

# --- Server -------------------------------------------------------------
PORT=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12000 ))
URL="tls+tcp://127.0.0.1:$PORT"

# start ARGS...: ozd on $URL with the server certificate and ARGS.
start() {
	"$OZD" --listen "$URL" --database-url "$(db_url "$TMP/tls.db")" \
		--tls-cert server.pem --tls-key server.key "$@" \
		2>>ozd.log &
	PID=$!
	i=0
	while [ $i -lt 100 ]; do
		if "$OZCTL" --url "$URL" --tls-ca ca.pem --tls-cert \
			client.both.pem --timeout 300 health >/dev/null 2>&1
		then
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || fail "ozd exited at start"
		i=$((i + 1))
		sleep 0.05 # a refused local URL fails at once
	done
	fail "ozd did not answer on $URL"
}
stop() {
	kill "$PID"
	wait "$PID" || fail "ozd exited $? on SIGTERM"
	PID=""
}

# ok ARGS...: ozctl must succeed; want_fail ARGS...: must fail (status 6,
# UNAVAILABLE: the handshake was refused).
ok() {
	"$OZCTL" --url "$URL" --timeout 3000 "$@" >out 2>err ||
		fail "ozctl $* exited $?"
}
want_fail() {
	rc=0
	"$OZCTL" --url "$URL" --timeout 1500 "$@" >out 2>err || rc=$?
	[ "$rc" -ne 0 ] || fail "ozctl $* succeeded, want a failure"
	[ "$rc" -eq 6 ] || fail "ozctl $* exited $rc, want 6 (UNAVAILABLE)"
}

# 1. Server certificate only.
start
ok --tls-ca ca.pem health
[ "$(cat out)" = SERVING ] || fail "health said $(cat out)"
ok --tls-ca ca.pem --tls-server-name localhost -q users create --username tls_user \
	--email tls@example.com
id=$(cat out)
ok --tls-ca ca.pem --json users get "$id"
grep -q '"username": *"tls_user"' out || fail "get returned $(cat out)"
want_fail --tls-ca rogue.pem health                      # wrong CA
want_fail --tls-ca ca.pem --tls-server-name oz.invalid health # wrong name
rc=0
"$OZCTL" --url "tcp://127.0.0.1:$PORT" --timeout 1500 health >out 2>err ||
	rc=$?
[ "$rc" -ne 0 ] || fail "plain tcp:// to the TLS port succeeded"
stop

# 2. Client certificates required (--tls-ca).
start --tls-ca ca.pem
ok --tls-ca ca.pem --tls-cert client.both.pem health
ok --tls-ca ca.pem --tls-cert client.both.pem -q users get "$id"
[ "$(cat out)" = "$id" ] || fail "get with a client cert said $(cat out)"
want_fail --tls-ca ca.pem health                          # no certificate
want_fail --tls-ca ca.pem --tls-cert stranger.both.pem health # other CA
# The server still serves after refusing those handshakes.
ok --tls-ca ca.pem --tls-cert client.both.pem health
stop
echo "tls.sh: ok"
