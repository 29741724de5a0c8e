#!/bin/sh
# tests/e2e/client_example.sh -- install oz into a clean temporary prefix
# with `make install`, build clients/c/examples/quickstart.c against the
# installed headers and library through pkg-config exactly as the README
# says (shared, then static), and run both against a live ozd on ipc://,
# the shared one with no LD_LIBRARY_PATH (oz-client.pc's rpath finds the
# library). Also: `make install` runs ldconfig for a system prefix, not
# for DESTDIR staging or another prefix (read from `make -n`).
#
# Needs OZD and OZ_BUILD (set by tests/run.sh), make, cc and pkg-config.
# Touches nothing outside its temporary directory (the build dir is only
# read: everything in it is already built).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"

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
"$OZD" --listen "$URL" --database-url "$(db_url "$TMP/app.db")" --migrate \
	2>"$TMP/ozd.log" &
PID=$!
n=0
until grep -q ' serving$' "$TMP/ozd.log"; do
	n=$((n + 1))
	[ $n -lt 200 ] || fail "ozd did not start"
	kill -0 "$PID" 2>/dev/null || fail "ozd died"
	sleep 0.05
done

# No LD_LIBRARY_PATH: the rpath of `pkg-config --libs oz-client` finds
# the installed liboz-client.so.0.
env -u LD_LIBRARY_PATH "$TMP/quickstart" "$URL" ann >"$TMP/out" \
	2>"$TMP/log" || fail "quickstart (shared) failed: $(cat "$TMP/log")"
grep -q '^created user [0-9]* (ann)$' "$TMP/out" || fail "no user line"
grep -q '^2 task(s)$' "$TMP/out" || fail "no task count"
grep -q '"username": "ann"' "$TMP/out" || fail "no JSON"
grep -q '^second create: ALREADY_EXISTS: ' "$TMP/out" || fail "no error"
env -u LD_LIBRARY_PATH ldd "$TMP/quickstart" | grep -q "$PREFIX/lib/liboz-client.so" ||
	fail "quickstart is not linked to the installed shared library"
# Run twice more: a user of its own each time, so it works on a database
# with data already.
"$TMP/quickstart" "$URL" >"$TMP/out" 2>"$TMP/log" || fail "second run: $(cat "$TMP/log")"
"$TMP/quickstart" "$URL" >"$TMP/out" 2>"$TMP/log" || fail "third run: $(cat "$TMP/log")"
grep -q '^created user [0-9]* (quickstart-[0-9a-f]\{8\})$' "$TMP/out" ||
	fail "default user name: $(cat "$TMP/out")"

"$TMP/quickstart-static" "$URL" bob >"$TMP/out" 2>"$TMP/log" ||
	fail "quickstart (static) failed"
grep -q '^created user [0-9]* (bob)$' "$TMP/out" || fail "static: no user"
ldd "$TMP/quickstart-static" | grep -q liboz-client &&
	fail "quickstart-static needs liboz-client.so"

# ldconfig: for a system LIBDIR, not when staging, not for another prefix.
dry() {
	make -n -s -C "$ROOT" BUILD="$OZ_BUILD" SANITIZE="$san" OZ_SKIP_DEPS=1 \
		install "$@" 2>/dev/null
}
dry PREFIX=/usr/local DESTDIR= | grep -q ldconfig ||
	fail "make install PREFIX=/usr/local does not run ldconfig"
dry PREFIX=/usr DESTDIR="$TMP/stage" | grep -q ldconfig &&
	fail "make install DESTDIR=... runs ldconfig"
dry PREFIX="$TMP/p2" DESTDIR= | grep -q ldconfig &&
	fail "make install PREFIX=$TMP/p2 runs ldconfig"
grep -q -- "-Wl,-rpath,\${libdir}" "$PREFIX/lib/pkgconfig/oz-client.pc" ||
	fail "oz-client.pc of a private prefix has no rpath"
dry PREFIX=/usr DESTDIR="$TMP/stage" | grep -q 'rpath' &&
	fail "oz-client.pc of /usr would carry an rpath"
echo "client_example.sh: ok"
