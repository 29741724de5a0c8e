#!/bin/sh
# tests/postgres/pg_lock_deadline.sh -- a write held by a psql row lock
# until its deadline: DEADLINE_EXCEEDED and the statement cancelled on the
# server. The work is in pg_lock_deadline.py; make test-postgres runs this.
set -eu
exec /usr/bin/python3 "$(dirname "$0")/pg_lock_deadline.py"
