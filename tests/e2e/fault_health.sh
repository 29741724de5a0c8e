#!/bin/sh
# tests/e2e/fault_health.sh -- Health/Check says NOT_SERVING while the
# database cannot serve (tables missing, schema behind, directory
# read-only, file deleted) and SERVING again once it can; the work is in
# fault_health.py. Bounded: each wait is at most 10 s.
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
NAME=fault_health.sh sqlite_only "removes and write-protects the SQLite file and its directory"
exec /usr/bin/python3 "$(dirname "$0")/fault_health.py"
