#!/bin/sh
# tests/e2e/fault_disk_full.sh -- a full disk under write load: clear
# errors, reads work, nothing acknowledged lost, writes resume by
# themselves once space is freed; the work is in fault_disk_full.py
# (needs root for its tmpfs: CI runs as root). Bounded to about 2 min.
. "$(cd "$(dirname "$0")" && pwd)/lib/db.sh"
NAME=fault_disk_full.sh sqlite_only "fills the tmpfs under the SQLite file"
exec /usr/bin/python3 "$(dirname "$0")/fault_disk_full.py"
