#!/bin/sh
# tests/e2e/fault_freeze.sh -- ozd stopped (SIGSTOP) for 5 s under a keyed
# write load: client deadlines fire, nothing is doubled or lost, service
# resumes after SIGCONT; the work is in fault_freeze.py. About 15 s.
exec /usr/bin/python3 "$(dirname "$0")/fault_freeze.py"
