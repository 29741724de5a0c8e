"""examples/quickstart.py runs cleanly against a fresh server, again on the
same (now not empty) database, and reports a server that is not there or a
malformed URL as a message with an exit status, never a traceback."""

import os
import re
import subprocess
import sys

from ozclient.testing import postgres_url

HERE = os.path.dirname(os.path.abspath(__file__))
QUICKSTART = os.path.join(HERE, "..", "examples", "quickstart.py")


def run(url):
    r = subprocess.run([sys.executable, QUICKSTART, url],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def test_quickstart_runs_on_a_fresh_and_on_a_used_database(fresh_server):
    names = []
    last_id = 0
    for n in range(2):
        rc, out, err = run(fresh_server.url)
        assert rc == 0, err
        assert "Traceback" not in err
        lines = out.splitlines()
        assert lines[0] == "health: SERVING"
        m = re.fullmatch(r"created user (\d+) (ann-[0-9a-f]{8}) "
                         r"<(ann-[0-9a-f]{8})@example.com>", lines[1])
        assert m and m.group(2) == m.group(3), lines[1]
        # PostgreSQL's identity spends an id on the failed second create
        # of each run; SQLite's next id is max(id) + 1.
        if postgres_url() is None:
            assert int(m.group(1)) == n + 1
        assert int(m.group(1)) > last_id
        last_id = int(m.group(1))
        names.append(m.group(2))
        assert "[TASK_STATUS_PENDING] Write the protocol doc" in out
        assert "[TASK_STATUS_DONE] Ship the Python client" in out
        assert "as JSON: username %s, 2 tasks" % m.group(2) in lines
        assert lines[-1] == ("second create: ALREADY_EXISTS: "
                             "Email already registered")
    assert names[0] != names[1]


def test_quickstart_without_a_server_is_a_message(fresh_server):
    url = fresh_server.url
    fresh_server.cleanup()  # nothing listens there any more
    rc, out, err = run(url)
    assert rc == 1
    assert "Traceback" not in err
    assert err.startswith("quickstart.py: UNAVAILABLE: ")
    assert "is ozd running on %s?" % url in err


def test_quickstart_with_a_malformed_url_is_a_message():
    rc, out, err = run("localhost:7878")
    assert rc == 2
    assert "Traceback" not in err
    assert err.startswith("quickstart.py: ")
