#!/bin/sh
# tests/postgres/pg_restart.sh -- PostgreSQL restarted under a write load,
# ozd left running: nothing acknowledged lost, service back by itself. The
# work is in pg_restart.py; make test-postgres runs this wrapper.
set -eu
exec /usr/bin/python3 "$(dirname "$0")/pg_restart.py"
