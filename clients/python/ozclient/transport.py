"""ozclient.transport -- a small nng SP "req0" client over tcp, tls+tcp, ipc
and ws.

Written from docs/protocol.md, not from nng's code: it speaks just enough of
the Scalability Protocols to send one request and read its reply on a
connection. It knows nothing of protobuf or oz methods, and it never
retries: deciding whether a call may be sent again belongs to the client.
"""

import base64
import hashlib
import os
import select
import socket
import ssl
import struct
import time
import urllib.parse

PROTO_REQ0 = 0x0030  # nng protocol number of req v0 (our side)
PROTO_REP0 = 0x0031  # nng protocol number of rep v0 (the server's side)
WS_SUBPROTOCOL = "rep.sp.nanomsg.org"  # named after the peer (the server)
_WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
HIGH_BIT = 0x80000000

DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024 + 1024  # oz default limit + slack


class TransportError(Exception):
    """The connection failed or broke. sent says whether any byte of the
    current request may have reached the server."""

    def __init__(self, message, sent=False):
        super().__init__(message)
        self.sent = sent


class TransportTimeout(TransportError):
    """The deadline passed while connecting, sending or waiting."""


def handshake_bytes(proto):
    """The 8-byte SP header each side sends first on tcp and ipc."""
    return b"\x00SP\x00" + struct.pack(">H", proto) + b"\x00\x00"


def parse_url(url):
    """Splits an nng URL into (scheme, address). Raises ValueError."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("not an nng URL: %r" % url)
    if scheme == "ipc":
        if not rest:
            raise ValueError("ipc URL without a path: %r" % url)
        return scheme, rest
    if scheme in ("tcp", "tls+tcp", "ws"):
        parts = urllib.parse.urlsplit(url.replace("tls+tcp://", "tcp://", 1))
        if not parts.hostname or not parts.port:
            raise ValueError("%s URL needs host and port: %r" % (scheme, url))
        path = parts.path or "/"
        return scheme, (parts.hostname, parts.port, path)
    raise ValueError("unsupported scheme %r (tcp, tls+tcp, ipc, ws)"
                     % scheme)


def _remaining(deadline):
    left = deadline - time.monotonic()
    if left <= 0:
        raise TransportTimeout("deadline exceeded")
    return left


class Connection:
    """One SP pipe from a req0 socket to the rep0 server. Not thread-safe:
    one call at a time (the client's pool hands it to one thread).

    tap, if given, is called as tap(direction, data) with every byte string
    written ("tx") or read ("rx"), handshake included; capture_dump uses it.
    tls is the ssl.SSLContext for tls+tcp:// URLs; tls_server_name the name
    to verify in the server's certificate (default: the URL's host).
    """

    def __init__(self, url, deadline, max_message=DEFAULT_MAX_MESSAGE,
                 tap=None, tls=None, tls_server_name=None):
        self.url = url
        self.scheme, addr = parse_url(url)
        self.max_message = max_message
        self._tap = tap
        self._tls = tls
        self._tls_name = tls_server_name
        self._sock = None
        self._buf = b""
        try:
            self._open(addr, deadline)
        except socket.timeout as e:
            self.close()
            raise TransportTimeout("connect to %s timed out" % url) from e
        except ssl.SSLError as e:
            self.close()
            raise TransportError("TLS with %s: %s" % (url, e)) from e
        except OSError as e:
            self.close()
            raise TransportError("connect to %s: %s" % (url, e)) from e
        except TransportError:
            self.close()
            raise

    # --- connection set-up -------------------------------------------------
    def _open(self, addr, deadline):
        if self.scheme == "ipc":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock = s
            s.settimeout(_remaining(deadline))
            s.connect(addr)
        else:
            host, port, _ = addr
            s = socket.create_connection((host, port),
                                         timeout=_remaining(deadline))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = s
            if self.scheme == "tls+tcp":
                if self._tls is None:
                    raise TransportError("tls+tcp:// needs a TLS context")
                s.settimeout(_remaining(deadline))
                self._sock = self._tls.wrap_socket(
                    s, server_hostname=self._tls_name or host)
        if self.scheme == "ws":
            self._ws_upgrade(addr, deadline)
            return
        self._write(handshake_bytes(PROTO_REQ0), deadline)
        hdr = self._read_exact(8, deadline)
        if hdr[:4] != b"\x00SP\x00" or hdr[6:] != b"\x00\x00":
            raise TransportError("peer is not an SP endpoint: %s" % hdr.hex())
        peer = struct.unpack(">H", hdr[4:6])[0]
        if peer != PROTO_REP0:
            raise TransportError("peer protocol 0x%04x is not rep0" % peer)

    def _ws_upgrade(self, addr, deadline):
        host, port, path = addr
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: %s\r\n"
               "\r\n" % (path, host, port, key, WS_SUBPROTOCOL))
        self._write(req.encode(), deadline)
        head = b""
        while b"\r\n\r\n" not in head:
            if len(head) > 16384:
                raise TransportError("websocket upgrade reply too long")
            head += self._read_some(deadline)
        head, _, rest = head.partition(b"\r\n\r\n")
        self._buf = rest + self._buf
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise TransportError("websocket upgrade refused: %s" % lines[0])
        fields = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            fields[k.strip().lower()] = v.strip()
        want = base64.b64encode(
            hashlib.sha1(key.encode() + _WS_GUID).digest()).decode()
        if fields.get("sec-websocket-accept") != want:
            raise TransportError("bad Sec-WebSocket-Accept")
        if fields.get("sec-websocket-protocol") != WS_SUBPROTOCOL:
            raise TransportError("server did not accept subprotocol %s"
                                 % WS_SUBPROTOCOL)

    # --- raw socket I/O ----------------------------------------------------
    def _write(self, data, deadline):
        if self._tap:
            self._tap("tx", data)
        view = memoryview(data)
        while view:
            self._sock.settimeout(_remaining(deadline))
            try:
                n = self._sock.send(view)
            except socket.timeout as e:
                raise TransportTimeout("send timed out") from e
            view = view[n:]

    def _read_some(self, deadline):
        self._sock.settimeout(_remaining(deadline))
        try:
            data = self._sock.recv(65536)
        except socket.timeout as e:
            raise TransportTimeout("receive timed out") from e
        except OSError as e:
            raise TransportError("receive: %s" % e, True) from e
        if not data:
            raise TransportError("connection closed by the server", True)
        if self._tap:
            self._tap("rx", data)
        return data

    def _read_exact(self, n, deadline):
        while len(self._buf) < n:
            self._buf += self._read_some(deadline)
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    # --- messages ----------------------------------------------------------
    def _frame(self, msg):
        if self.scheme in ("tcp", "tls+tcp"):
            return struct.pack(">Q", len(msg)) + msg
        if self.scheme == "ipc":
            return b"\x01" + struct.pack(">Q", len(msg)) + msg
        return _ws_frame(msg)

    def _read_message(self, deadline):
        if self.scheme in ("tcp", "tls+tcp"):
            size = struct.unpack(">Q", self._read_exact(8, deadline))[0]
        elif self.scheme == "ipc":
            head = self._read_exact(9, deadline)
            if head[0] != 1:
                raise TransportError("ipc message type %d, want 1" % head[0],
                                     True)
            size = struct.unpack(">Q", head[1:])[0]
        else:
            return self._ws_read_message(deadline)
        if size > self.max_message:
            raise TransportError("reply of %d bytes is over the limit" % size,
                                 True)
        return self._read_exact(size, deadline)

    def _ws_read_message(self, deadline):
        parts = []
        total = 0
        while True:
            b0, b1 = self._read_exact(2, deadline)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read_exact(2, deadline))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read_exact(8, deadline))[0]
            mask = self._read_exact(4, deadline) if b1 & 0x80 else None
            total += n
            if total > self.max_message:
                raise TransportError("websocket message over the limit", True)
            data = self._read_exact(n, deadline)
            if mask:
                data = _mask(data, mask)
            if opcode == 0x8:
                raise TransportError("websocket closed by the server", True)
            if opcode == 0x9:  # ping: answer with a pong, same data
                self._write(_ws_frame(data, opcode=0xA), deadline)
                continue
            if opcode == 0xA:
                continue
            parts.append(data)
            if b0 & 0x80:
                return b"".join(parts)

    def send(self, request_id, body, deadline):
        """Sends one request: 4-byte request id (high bit set) + body."""
        if not HIGH_BIT & request_id:
            raise ValueError("request id must have its high bit set")
        msg = struct.pack(">I", request_id) + body
        try:
            self._write(self._frame(msg), deadline)
        except TransportTimeout as e:
            e.sent = True
            raise
        except OSError as e:
            raise TransportError("send: %s" % e, True) from e

    def recv(self, request_id, deadline):
        """Returns the body of the reply to request_id. Replies to other
        (earlier, abandoned) ids are dropped, as nng's req0 does."""
        while True:
            try:
                msg = self._read_message(deadline)
            except TransportTimeout as e:
                e.sent = True
                raise
            except OSError as e:
                raise TransportError("receive: %s" % e, True) from e
            if len(msg) < 4:
                raise TransportError("reply shorter than its header", True)
            rid = struct.unpack(">I", msg[:4])[0]
            if rid == request_id:
                return msg[4:]

    def call(self, request_id, body, deadline):
        self.send(request_id, body, deadline)
        return self.recv(request_id, deadline)

    def looks_alive(self):
        """False when the server has closed this idle connection (or sent
        something unexpected), so a pooled connection is not reused after a
        server restart. Does not block."""
        if self._sock is None or self._buf:
            return False
        if self.scheme == "tls+tcp" and self._sock.pending():
            return False
        try:
            r, _, _ = select.select([self._sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not r  # an idle healthy pipe has nothing to read

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None


def _ws_frame(data, opcode=0x2):
    """One final, masked client frame (RFC 6455 5.2)."""
    n = len(data)
    if n < 126:
        head = struct.pack(">BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack(">BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack(">BBQ", 0x80 | opcode, 0x80 | 127, n)
    mask = os.urandom(4)
    return head + mask + _mask(data, mask)


def _mask(data, mask):
    """XORs data with the repeated 4-byte mask, as one big integer."""
    n = len(data)
    if n == 0:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    x = int.from_bytes(data, "big") ^ int.from_bytes(key, "big")
    return x.to_bytes(n, "big")
