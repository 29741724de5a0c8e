#!/bin/sh
# tests/e2e/crash_kill.sh -- crashes lose nothing: SIGKILL ozd ($OZD) at
# least 25 times under a write load and check every acknowledged write is
# there, nothing is half-applied and the database passes integrity_check.
# The work is in crash_kill.py (Python client); this wrapper lets
# tests/run.sh find it. Bounded to about 60 s.
set -eu
exec /usr/bin/python3 "$(dirname "$0")/crash_kill.py"
