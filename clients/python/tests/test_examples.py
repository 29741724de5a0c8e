"""examples/quickstart.py runs against a fresh server and prints what the
README's session shows."""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
QUICKSTART = os.path.join(HERE, "..", "examples", "quickstart.py")


def test_quickstart(fresh_server):
    r = subprocess.run([sys.executable, QUICKSTART, fresh_server.url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr.decode()
    lines = out.splitlines()
    assert lines[0] == "health: SERVING"
    assert lines[1] == "created user 1 ann <ann@example.com>"
    assert "[TASK_STATUS_PENDING] Write the protocol doc" in out
    assert "[TASK_STATUS_DONE] Ship the Python client" in out
    assert "users: ['ann']" in out
    user = json.loads([ln for ln in lines if ln.startswith("{")][0])
    assert user["username"] == "ann" and len(user["tasks"]) == 2
    assert user["id"] == "1"  # proto3 JSON: int64 as a string
    assert lines[-1].startswith("error: ALREADY_EXISTS (code 6): ")
