#!/bin/sh
# tests/e2e/crash_kill.sh -- crashes lose nothing: SIGKILL ozd ($OZD) at
# least 25 times under a write load and check every acknowledged write is
# there, nothing is half-applied and the database passes integrity_check.
# The work is in crash_kill.py (Python client); this wrapper lets
# tests/run.sh find it. Runs with synchronous=full (the default) and
# normal: both must survive a crash of the process (they differ only on
# power loss, which a test cannot cause). Each run is bounded to 60 s.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
CRASH_SYNC=full /usr/bin/python3 "$(dirname "$0")/crash_kill.py"
# --synchronous is SQLite's: on PostgreSQL (lib/db.sh) one run says it all.
db_postgres || CRASH_SYNC=normal /usr/bin/python3 "$(dirname "$0")/crash_kill.py"
