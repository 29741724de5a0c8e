#!/bin/sh
# tests/e2e/hostile_strings.sh -- invalid UTF-8 and NUL bytes in every kind
# of request string over a real ozd: refused by field, every reply valid
# proto3, the log one line per call. The work is in hostile_strings.py.
set -eu
exec /usr/bin/python3 "$(dirname "$0")/hostile_strings.py"
