#!/bin/sh
# scripts/deps.sh -- install the Debian packages oz needs, if any is missing.
#
# Idempotent and silent when everything is present; runs `apt-get update`
# only when something must be installed. Called by make before building.
set -eu

PACKAGES="
gcc make pkg-config
libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev
libnng-dev nng-utils
libsqlite3-dev sqlite3
libcmocka-dev libjansson-dev
postgresql libpq-dev
python3 python3-protobuf python3-pytest
jq openssl gnuplot-nox
clang libclang-rt-14-dev libfuzzer-14-dev clang-tidy cppcheck valgrind
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# Node.js 20 and npm for clients/js: the machine image's nodejs (which
# bundles npm and conflicts with Debian's npm package) or Debian's pair.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

echo "deps.sh: installing missing Debian packages:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps.sh: not root and no sudo; install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
