#!/bin/sh
# tests/e2e/client_example.sh -- install oz into a temporary prefix with
# `make install`, build clients/c/examples/quickstart.c against the
# installed headers and library through pkg-config (shared, then static),
# and run both against a live ozd on ipc://.
#
# Needs OZD and OZ_BUILD (set by tests/run.sh), make, cc and pkg-config.
# Touches nothing outside its temporary directory (the build dir is only
# read: everything in it is already built).
set -eu

: "${OZD:?OZD must point at the ozd binary}"
: "${OZ_BUILD:?OZ_BUILD must point at the build directory}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/oz-example.XXXXXX")
PID=""
cleanup() {
	if [ -n "$PID" ]; then
		kill "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

fail() {
	echo "client_example.sh: FAIL: $*" >&2
	[ -f "$TMP/log" ] && tail -n 20 "$TMP/log" >&2
	exit 1
}

# A sanitizer build needs the same flags to link against: read them off
# the library's undefined symbols.
san=""
syms=$(nm -D "$OZ_BUILD/liboz-client.so" 2>/dev/null || true)
case $syms in *__asan_*) san="address" ;; esac
case $syms in *__ubsan_*) san="${san:+$san,}undefined" ;; esac
case $syms in *__tsan_*) san="${san:+$san,}thread" ;; esac

PREFIX="$TMP/prefix"
make -s -C "$ROOT" BUILD="$OZ_BUILD" SANITIZE="$san" install \
	PREFIX="$PREFIX" DESTDIR= >"$TMP/log" 2>&1 || fail "make install: $(tail -n 5 "$TMP/log")"
for f in lib/liboz-client.a lib/liboz-client.so include/oz/client.h \
	include/oz/status.h include/oz/pb/oz/v1/user_service.pb-c.h \
	lib/pkgconfig/oz-client.pc bin/ozctl bin/ozd share/man/man1/ozctl.1; do
	[ -e "$PREFIX/$f" ] || fail "make install did not install $f"
done

export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
cflags=$(pkg-config --cflags oz-client) || fail "pkg-config --cflags"
libs=$(pkg-config --libs oz-client) || fail "pkg-config --libs"
# Static: the archive itself, then its dependencies (without -loz-client,
# which would pull the shared library back in).
static_libs=$(pkg-config --static --libs oz-client) ||
	fail "pkg-config --static --libs"
static_libs=$(echo "$static_libs" | sed 's/-loz-client//')
sanflag=""
[ -n "$san" ] && sanflag="-fsanitize=$san"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $sanflag $cflags \
	"$ROOT/clients/c/examples/quickstart.c" $libs -o "$TMP/quickstart" \
	>"$TMP/log" 2>&1 || fail "building quickstart (shared)"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $sanflag $cflags \
	"$ROOT/clients/c/examples/quickstart.c" "$PREFIX/lib/liboz-client.a" \
	$static_libs -o "$TMP/quickstart-static" >"$TMP/log" 2>&1 ||
	fail "building quickstart (static)"

URL="ipc://$TMP/oz.sock"
"$OZD" --listen "$URL" --database-url "sqlite:///$TMP/app.db" --migrate \
	2>"$TMP/ozd.log" &
PID=$!

# The client waits for the server within its deadline; retry a few times
# in case ozd is still starting.
n=0
until LD_LIBRARY_PATH="$PREFIX/lib" "$TMP/quickstart" "$URL" ann \
	>"$TMP/out" 2>"$TMP/log"; do
	n=$((n + 1))
	[ $n -lt 5 ] || fail "quickstart (shared) failed"
	kill -0 "$PID" 2>/dev/null || fail "ozd died"
done
grep -q '^created user [0-9]* (ann)$' "$TMP/out" || fail "no user line"
grep -q '^2 task(s)$' "$TMP/out" || fail "no task count"
grep -q '"username": "ann"' "$TMP/out" || fail "no JSON"
grep -q '^second create: ALREADY_EXISTS: ' "$TMP/out" || fail "no error"
LD_LIBRARY_PATH="$PREFIX/lib" ldd "$TMP/quickstart" | grep -q "$PREFIX/lib/liboz-client.so" ||
	fail "quickstart is not linked to the installed shared library"

"$TMP/quickstart-static" "$URL" bob >"$TMP/out" 2>"$TMP/log" ||
	fail "quickstart (static) failed"
grep -q '^created user [0-9]* (bob)$' "$TMP/out" || fail "static: no user"
ldd "$TMP/quickstart-static" | grep -q liboz-client &&
	fail "quickstart-static needs liboz-client.so"
echo "client_example.sh: ok"
