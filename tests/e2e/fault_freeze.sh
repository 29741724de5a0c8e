#!/bin/sh
# tests/e2e/fault_freeze.sh -- ozd stopped (SIGSTOP) for 5 s under a keyed
# write load: client deadlines fire, nothing is doubled or lost, service
# resumes after SIGCONT; the work is in fault_freeze.py. About 15 s.
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
NAME=fault_freeze.sh sqlite_only "counts the ledger's rows in the SQLite file with sqlite3"
exec /usr/bin/python3 "$(dirname "$0")/fault_freeze.py"
