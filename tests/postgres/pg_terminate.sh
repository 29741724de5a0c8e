#!/bin/sh
# tests/postgres/pg_terminate.sh -- ozd's connections killed with
# pg_terminate_backend under load: UNAVAILABLE, then recovery by itself.
# The work is in pg_terminate.py; make test-postgres runs this wrapper.
set -eu
exec /usr/bin/python3 "$(dirname "$0")/pg_terminate.py"
