"""docs/protocol.md stays true: its byte dump must match a fresh capture
from the real server, and the constants it states must be the ones the
transport uses."""

import os
import re
import subprocess
import sys

from ozclient import transport

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
DOC = os.path.join(ROOT, "docs", "protocol.md")
TOOL = os.path.join(HERE, "..", "tools", "capture_dump.py")


def test_documented_dump_matches_a_fresh_capture():
    r = subprocess.run([sys.executable, TOOL, "--check", DOC],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    assert r.returncode == 0, r.stdout.decode()


def test_documented_constants_match_the_transport():
    with open(DOC) as fh:
        doc = fh.read()
    assert "req0 = `0x%04x`" % transport.PROTO_REQ0 in doc
    assert "rep0 = `0x%04x`" % transport.PROTO_REP0 in doc
    assert transport.WS_SUBPROTOCOL in doc
    hs = " ".join("%02x" % b for b in transport.handshake_bytes(
        transport.PROTO_REQ0))
    assert "`%s`" % hs in doc
    assert "`0x80000000 | n`" in doc


def test_documented_methods_are_exactly_the_proto_methods():
    from ozclient import pb
    with open(DOC) as fh:
        doc = fh.read()
    documented = set(re.findall(r"^\| `(/[\w.]+/\w+)` \|", doc, re.M))
    want = {"/%s/%s" % (svc.full_name, m.name) for svc in pb.services()
            for m in svc.methods}
    assert documented == want


def test_section_9_shell_session_works_as_written(fresh_server, tmp_path):
    """The protoc + nngcat commands of section 9, run verbatim except for
    the server URL and the scratch directory."""
    import shutil
    if not shutil.which("nngcat"):
        import pytest
        pytest.skip("nngcat missing")
    with open(DOC) as fh:
        doc = fh.read()
    section = doc[doc.index("## 9."):]
    script = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    script = script.replace("tcp://127.0.0.1:7878", fresh_server.url)
    script = script.replace("/tmp/", str(tmp_path) + "/")
    script = script.replace("-I/tmp ", "-I%s " % tmp_path)
    r = subprocess.run(["sh", "-ec", script], cwd=ROOT, timeout=60,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = r.stdout.decode()
    assert r.returncode == 0, out
    assert 'username: "ann"' in out and "code:" not in out, out
