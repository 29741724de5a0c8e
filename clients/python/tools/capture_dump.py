#!/usr/bin/python3
"""tools/capture_dump.py -- capture and annotate one real CreateUser call.

Starts a fresh ozd (env OZD, or --ozd) on a temporary database, sends one
CreateUser request over tcp:// with fixed ids, records every byte written
and read (the SP handshake included) and prints an annotated dump. The dump
in docs/protocol.md is this output; `--check` compares the two and
`--write` refreshes the doc, so the document cannot drift from the server.

Lines marked "~" hold bytes that differ on every run (timestamps, etag, and
the lengths that enclose them); --check ignores their bytes but not their
field names or their place. Must not be used against a server with data
the caller cares about: it always starts its own.

    tools/capture_dump.py                 print the dump
    tools/capture_dump.py --check DOC     exit 1 if DOC's dump differs
    tools/capture_dump.py --write DOC     replace DOC's dump
"""

import argparse
import os
import re
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))

from google.protobuf import descriptor as _d  # noqa: E402

from ozclient import pb, transport  # noqa: E402
from ozclient.testing import OzdProcess  # noqa: E402

BEGIN = "<!-- capture_dump:begin -->"
END = "<!-- capture_dump:end -->"
SP_REQUEST_ID = 0x80000001
METHOD = "/oz.v1.UserService/CreateUser"
HEX_PER_LINE = 8
VOLATILE_FIELDS = {"google.protobuf.Timestamp.seconds",
                   "google.protobuf.Timestamp.nanos", "oz.v1.User.etag"}
# bytes fields whose content is itself a message, in this exchange.
PAYLOAD_TYPES = {"oz.rpc.v1.Request.payload": pb.users.CreateUserRequest,
                 "oz.rpc.v1.Response.payload": pb.resources.User}
_WIRE = {0: "VARINT", 1: "I64", 2: "LEN", 5: "I32"}


class Item:
    """One annotated run of bytes."""

    def __init__(self, off, data, label, value="", depth=0, volatile=False):
        self.off, self.data, self.label = off, data, label
        self.value, self.depth, self.volatile = value, depth, volatile


def _varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        result |= (b & 0x7F) << shift
        i += 1
        if not b & 0x80:
            return result, i
        shift += 7


def walk(buf, start, end, desc, depth, items):
    """Annotates the message desc in buf[start:end]. Returns True if any
    of its bytes are volatile."""
    i = start
    any_volatile = False
    while i < end:
        tag_at = i
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        field = desc.fields_by_number.get(num)
        name = "%s.%s" % (desc.name, field.name if field else "?%d" % num)
        label = "%s (field %d, %s)" % (name, num, _WIRE.get(wt, wt))
        full = "%s.%s" % (desc.full_name, field.name) if field else ""
        if wt == 0:
            v, j = _varint(buf, i)
            vol = full in VOLATILE_FIELDS
            if field and field.enum_type:
                ev = field.enum_type.values_by_number.get(v)
                shown = "%d (%s)" % (v, ev.name if ev else "?")
            elif field and field.type == _d.FieldDescriptor.TYPE_BOOL:
                shown = "true" if v else "false"
            else:
                shown = str(v)
            items.append(Item(tag_at, buf[tag_at:j], label, shown, depth,
                              vol))
            any_volatile |= vol
            i = j
        elif wt == 2:
            n, j = _varint(buf, i)
            head = Item(tag_at, buf[tag_at:j], label, "length %d" % n, depth)
            items.append(head)
            body_end = j + n
            sub = None
            if field and field.message_type is not None:
                sub = field.message_type
            elif full in PAYLOAD_TYPES:
                sub = PAYLOAD_TYPES[full].DESCRIPTOR
            if sub is not None:
                if full in PAYLOAD_TYPES:
                    head.value += ", a serialized " + sub.full_name
                vol = walk(buf, j, body_end, sub, depth + 1, items)
            else:
                vol = full in VOLATILE_FIELDS
                raw = bytes(buf[j:body_end])
                shown = (repr(raw.decode()) if field and field.type ==
                         _d.FieldDescriptor.TYPE_STRING else raw.hex())
                items.append(Item(j, raw, "", shown.replace("'", '"'),
                                  depth + 1, vol))
            head.volatile = vol
            any_volatile |= vol
            i = body_end
        else:
            raise ValueError("unexpected wire type %d at %d" % (wt, tag_at))
    return any_volatile


def annotate_message(stream, off, envelope):
    """Annotates one tcp-framed SP message at stream[off:]. Returns (items,
    next offset)."""
    items = []
    size = struct.unpack(">Q", stream[off:off + 8])[0]
    hdr = Item(off, stream[off:off + 8], "length prefix, 64-bit big-endian",
               "%d bytes follow" % size)
    items.append(hdr)
    rid = struct.unpack(">I", stream[off + 8:off + 12])[0]
    items.append(Item(off + 8, stream[off + 8:off + 12],
                      "SP request id, 32-bit big-endian, high bit set",
                      "0x%08x" % rid))
    hdr.volatile = walk(stream, off + 12, off + 8 + size,
                        envelope.DESCRIPTOR, 0, items)
    return items, off + 8 + size


def annotate_handshake(stream, side):
    proto = struct.unpack(">H", stream[4:6])[0]
    return [Item(0, stream[0:4], "SP header: magic", '00 "SP" 00'),
            Item(4, stream[4:6], "SP header: protocol, 16-bit big-endian",
                 "0x%04x (%s)" % (proto, side)),
            Item(6, stream[6:8], "SP header: reserved", "0")]


def render(items):
    lines = []
    for it in items:
        data = bytes(it.data)
        chunks = [data[k:k + HEX_PER_LINE]
                  for k in range(0, len(data), HEX_PER_LINE)] or [b""]
        mark = "~" if it.volatile else " "
        text = "  " * it.depth + it.label
        if it.value:
            text += (" = " if it.label else "") + it.value
        for k, chunk in enumerate(chunks):
            hexs = " ".join("%02x" % b for b in chunk)
            note = text if k == 0 else ""
            lines.append(("%04x %s %-23s  %s" % (it.off + k * HEX_PER_LINE,
                                                 mark, hexs, note)).rstrip())
    return lines


def capture(srv):
    """Runs the call against srv; returns the dump as a list of lines."""
    tx, rx = bytearray(), bytearray()

    def tap(direction, data):
        (tx if direction == "tx" else rx).extend(data)

    req = pb.users.CreateUserRequest(username="ann", email="ann@example.com",
                                     request_id="create-ann-1")
    env = pb.rpc.Request(method=METHOD, payload=req.SerializeToString(),
                         timeout_ms=5000)
    env.metadata.add(key="request-id", value="dump-1")
    deadline = time.monotonic() + 10
    conn = transport.Connection(srv.url, deadline, tap=tap)
    try:
        body = conn.call(SP_REQUEST_ID, env.SerializeToString(), deadline)
    finally:
        conn.close()
    resp = pb.rpc.Response.FromString(body)
    if resp.status.code != 0:
        raise RuntimeError("CreateUser failed: %s" % resp.status)
    out = ["# client -> server: SP header (8 bytes), tcp://"]
    out += render(annotate_handshake(tx, "req0, the client"))
    out += ["", "# server -> client: SP header"]
    out += render(annotate_handshake(rx, "rep0, the server"))
    items, end = annotate_message(tx, 8, pb.rpc.Request)
    out += ["", "# client -> server: one message = length prefix + "
            "request id + oz.rpc.v1.Request"]
    out += render(_rebase(items, 8))
    items, end2 = annotate_message(rx, 8, pb.rpc.Response)
    out += ["", "# server -> client: the reply = length prefix + "
            "the same request id + oz.rpc.v1.Response"]
    out += render(_rebase(items, 8))
    if end != len(tx) or end2 != len(rx):
        raise RuntimeError("unexpected extra bytes on the wire")
    return out


def _rebase(items, base):
    """Offsets within the message (the length prefix is offset 0)."""
    for it in items:
        it.off -= base
    return items


def normalize(lines):
    """What --check compares: offsets dropped; for "~" lines only the field
    name, and no "~" continuation lines or Timestamp.nanos (absent when 0)."""
    out = []
    for line in lines:
        if not line or line.startswith("#"):
            out.append(line)
            continue
        line = line.ljust(34)
        mark, hexs, note = line[5], line[7:30].strip(), line[32:].strip()
        if mark != "~":
            out.append(hexs + " | " + note)
        elif "Timestamp.nanos" in note or not note:
            continue
        elif "(field " in note or "header" in note or "prefix" in note:
            out.append("~ " + note.split(" = ")[0])
        else:
            out.append("~ (value)")
    return out


def doc_dump(doc_path):
    with open(doc_path) as fh:
        text = fh.read()
    m = re.search(re.escape(BEGIN) + r"\n```text\n(.*?)```\n" + re.escape(END),
                  text, re.S)
    if not m:
        raise SystemExit("%s: no %s ... %s block" % (doc_path, BEGIN, END))
    return text, m, m.group(1).rstrip("\n").split("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ozd", help="ozd binary (default: $OZD or build/ozd)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--check", metavar="DOC")
    g.add_argument("--write", metavar="DOC")
    args = ap.parse_args()
    with OzdProcess(ozd=args.ozd) as srv:
        lines = capture(srv)
    if args.check:
        _, _, old = doc_dump(args.check)
        a, b = normalize(old), normalize(lines)
        if a != b:
            import difflib
            sys.stdout.writelines(difflib.unified_diff(
                [x + "\n" for x in a], [x + "\n" for x in b],
                "documented", "captured"))
            return 1
        print("%s: dump matches the server" % args.check)
        return 0
    if args.write:
        text, m, _ = doc_dump(args.write)
        block = BEGIN + "\n```text\n" + "\n".join(lines) + "\n```\n" + END
        with open(args.write, "w") as fh:
            fh.write(text[:m.start()] + block + text[m.end():])
        return 0
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
