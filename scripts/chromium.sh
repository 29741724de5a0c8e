#!/bin/sh
# scripts/chromium.sh -- install Debian's chromium for `make test-browser`
# if it is missing (it is large, so scripts/deps.sh leaves it out).
set -eu
[ -x /usr/bin/chromium ] && exit 0
echo "chromium.sh: installing chromium" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
