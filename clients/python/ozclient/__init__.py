"""ozclient -- a Python client for oz, written from docs/protocol.md.

    import ozclient
    with ozclient.connect("tcp://127.0.0.1:7878", timeout=5) as oz:
        user = oz.users.create(username="ann", email="ann@example.com")

Needs only Debian's python3 and python3-protobuf, plus protoc to generate
the message classes from proto/ on first import. It shares no code with the
server.
"""

from .errors import Code, FieldViolation, OzError
from .client import Client, connect, pb, task_status, DEFAULT_URL

__all__ = ["Client", "Code", "FieldViolation", "OzError", "connect", "pb",
           "task_status", "DEFAULT_URL"]
__version__ = "0.1.0"
