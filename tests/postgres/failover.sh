#!/bin/sh
# tests/postgres/failover.sh -- the failover proof (failover.py): three ozd
# on a PostgreSQL primary with a synchronous standby, a mixed load through
# one client; one ozd SIGKILLed, then the primary, and the standby
# promoted; every acknowledged write is then in the database exactly once.
# Bounded: three load phases of FAILOVER_PHASE (3) seconds and at most
# 60 s for the service to return. Run by make test-postgres.
set -eu
OZD=${OZD:-build/ozd} /usr/bin/python3 "$(dirname "$0")/failover.py"
