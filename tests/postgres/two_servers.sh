#!/bin/sh
# tests/postgres/two_servers.sh -- two ozd on one PostgreSQL agree on
# idempotency outcomes, page tokens and etags (two_servers.py). Run by
# make test-postgres (scripts/test-postgres.sh), with OZD set.
set -eu
OZD=${OZD:-build/ozd} /usr/bin/python3 "$(dirname "$0")/two_servers.py"
