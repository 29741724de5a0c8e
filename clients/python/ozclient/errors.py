"""ozclient.errors -- the one exception type of the client and its codes.

Codes are the canonical gRPC status codes, the same numbers oz puts in
oz.rpc.v1.Status.code. This module must not know about transports.
"""

import collections
import enum


class Code(enum.IntEnum):
    """Canonical gRPC status codes (grpc/doc/statuscodes.md)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @classmethod
    def of(cls, value):
        """Maps any int to a Code; numbers outside 0..16 become UNKNOWN."""
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


# One invalid field of a request (oz.rpc.v1.FieldViolation).
FieldViolation = collections.namedtuple("FieldViolation",
                                        "field description")


class OzError(Exception):
    """A call failed. code is a Code, message the server's (or client's)
    text, details a tuple of FieldViolation. method names the RPC.

    Errors the client makes up itself (no reply could be had) carry
    local=True: UNAVAILABLE when no connection could be made or it broke,
    DEADLINE_EXCEEDED when the call's timeout passed first.
    """

    def __init__(self, code, message, details=(), method=None, local=False):
        self.code = Code.of(code)
        self.message = message
        self.details = tuple(details)
        self.method = method
        self.local = local
        super().__init__(str(self))

    def __str__(self):
        s = "%s: %s" % (self.code.name, self.message)
        if self.details:
            s += " (" + "; ".join("%s: %s" % (d.field, d.description)
                                  for d in self.details) + ")"
        return s

    def __repr__(self):
        return "OzError(%s, %r, details=%r)" % (self.code.name, self.message,
                                                self.details)
