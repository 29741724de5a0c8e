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
    want = set()
    for mod in (pb.users, pb.tasks, pb.health, pb.rpc):
        for svc in mod.DESCRIPTOR.services_by_name.values():
            want |= {"/%s/%s" % (svc.full_name, m.name) for m in svc.methods}
    assert documented == want
