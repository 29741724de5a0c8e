#!/bin/sh
# tests/e2e/injection.sh -- SQL-injection strings through every string
# field over a real ozd: stored verbatim or refused, schema intact. The work
# is in injection.py (Python client); this wrapper lets tests/run.sh run it.
set -eu
exec /usr/bin/python3 "$(dirname "$0")/injection.py"
