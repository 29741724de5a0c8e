"""ozclient.client -- oz calls in Python's idiom over ozclient.transport.

A Client owns a small pool of SP connections: each call borrows one for
itself, so any number of threads may call at once. Calls carry a deadline
(timeout_ms in the envelope), a "request-id" metadata entry for the
server's log, and, for writes, an idempotency key in the request_id field.

Retries (docs/protocol.md 7.2, "What is safe to retry"): a call is sent
again only when that cannot apply a change twice -- when nothing reached the
server, when the server answered UNAVAILABLE (it did not run the call), when
the method only reads, or when it is a write carrying a request_id and the
client trusts the server to deduplicate it (retry_writes, on by default). Everything else
surfaces as OzError; nothing is repeated behind the caller's back.

Several servers (docs/protocol.md, "Using several servers"): url may be a
comma-separated list or a sequence of URLs. Calls go round-robin, from a
random first server, over the servers that answer; a server that failed
(refused, broke a connection, answered UNAVAILABLE or RESOURCE_EXHAUSTED,
timed out) is skipped for a back-off (0.1 s doubling up to 5 s) while
another can take calls. A retry goes to a server the call has not tried
yet, at once; only when every server was tried does it sleep first. The
retry rules above decide whether there is a retry at all: an unkeyed write
that may have reached a dying server is never sent again, anywhere.
"""

import itertools
import os
import random
import ssl
import threading
import time
import uuid

from . import _gen
from .errors import Code, FieldViolation, OzError
from . import transport

pb = _gen.load()

DEFAULT_URL = "tcp://127.0.0.1:7878"
_RETRY_CODES = (Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED)
# A server that failed is skipped for DOWN_BASE seconds, doubling with each
# new failure up to DOWN_MAX, while another server can take the call.
DOWN_BASE = 0.1
DOWN_MAX = 5.0
# With other servers to turn to, connecting to one may take this long.
CONNECT_WAIT = 1.0


def split_urls(url):
    """The list of server URLs in url: a comma-separated string or a
    sequence of strings. Raises ValueError for an empty element."""
    urls = url.split(",") if isinstance(url, str) else list(url)
    urls = [u.strip() for u in urls]
    if not urls or not all(urls):
        raise ValueError("empty URL in %r" % (url,))
    return urls


# Read-only methods whose names do not say so.
# Backup only reads the database but creates a file: not safe to repeat.
_READ_ONLY = frozenset(["/oz.v1.AdminService/Stats",
                        "/oz.v1.AdminService/Query"])


def is_read_only(method):
    """True for methods that change nothing: Get*, List*, health,
    reflection, AdminService Stats. Same answer as
    MethodInfo.idempotent in the server's reflection (a test checks)."""
    service, _, name = method.rpartition("/")
    return (name.startswith(("Get", "List")) or method in _READ_ONLY or
            service in ("/grpc.health.v1.Health", "/oz.rpc.v1.Reflection"))


class _Attempt(Exception):
    """One failed attempt: the error, and whether the request may have
    reached the server."""

    def __init__(self, error, sent):
        super().__init__(str(error))
        self.error = error
        self.sent = sent


class _Pool:
    """Idle connections to one URL. A connection is used by one call at a
    time; at most max_idle are kept between calls."""

    def __init__(self, url, max_idle, max_message, tls=None):
        transport.parse_url(url)  # raise ValueError early on a bad URL
        self.url = url
        self.tls = tls or (None, None)  # (SSLContext, server name)
        self.max_idle = max_idle
        self.max_message = max_message
        self._idle = []
        self._lock = threading.Lock()
        self._closed = False
        self.dials = 0  # connections opened so far (tests read it)
        self.fails = 0  # consecutive failed attempts (under the lock)
        self.down_until = 0.0  # monotonic time: skipped until then

    def report(self, ok):
        """Records an attempt's outcome: a failure starts or doubles the
        back-off, a success ends it."""
        with self._lock:
            if ok:
                self.fails, self.down_until = 0, 0.0
                return
            wait = min(DOWN_MAX, DOWN_BASE * 2 ** min(self.fails, 6))
            self.fails += 1
            self.down_until = time.monotonic() + wait

    def get(self, deadline):
        while True:
            with self._lock:
                if self._closed:
                    raise OzError(Code.CANCELLED, "client is closed",
                                  local=True)
                conn = self._idle.pop() if self._idle else None
                if conn is None:
                    self.dials += 1
            if conn is None:
                return transport.Connection(
                    self.url, deadline, self.max_message, tls=self.tls[0],
                    tls_server_name=self.tls[1])
            if conn.looks_alive():
                return conn
            conn.close()  # the server went away while it sat idle

    def put(self, conn):
        with self._lock:
            if not self._closed and len(self._idle) < self.max_idle:
                self._idle.append(conn)
                return
        conn.close()

    def close(self):
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for c in idle:
            c.close()


class Client:
    """A client of one oz server, or of several (url: a comma-separated
    list or a sequence of URLs; see the module's note). Use connect() to
    make one; use it as a context manager or call close(). Thread-safe.

    timeout      default seconds per call (covers all its retries)
    token        sent as "authorization: Bearer <token>" when set
    metadata     dict of extra metadata sent on every call
    retries      how many times a retryable call may be re-sent
    retry_writes re-send writes that carry a request_id (ozd deduplicates
                 request_id; see docs/protocol.md 7.3). Default True
    pool_size    idle connections kept for reuse
    max_message_bytes  largest request sent (bigger: RESOURCE_EXHAUSTED,
                 not sent) and reply accepted; match the server's limit
    tls_ca       tls+tcp://: PEM file of the CA that signed the server's
                 certificate; None means the server is NOT verified
    tls_server_name  name expected in the server's certificate (default:
                 the URL's host)
    tls_cert, tls_key  PEM files of a client certificate, for servers that
                 require one (--tls-ca)
    """

    def __init__(self, url=DEFAULT_URL, timeout=5.0, token=None,
                 metadata=None, retries=3, retry_writes=True, pool_size=8,
                 max_message_bytes=4 * 1024 * 1024, tls_ca=None,
                 tls_server_name=None, tls_cert=None, tls_key=None):
        self.urls = split_urls(url)
        self.url = ",".join(self.urls)
        self.timeout = float(timeout)
        self.token = token
        self.metadata = dict(metadata or {})
        self.retries = int(retries)
        self.retry_writes = bool(retry_writes)
        self.max_message_bytes = int(max_message_bytes)
        self._pools = []
        for u in self.urls:
            tls = None
            if u.startswith("tls+tcp://"):
                tls = (_tls_context(tls_ca, tls_cert, tls_key),
                       tls_server_name)
            self._pools.append(_Pool(u, pool_size,
                                     self.max_message_bytes + 1024, tls))
        self._pool = self._pools[0]
        self._next = itertools.count(random.randrange(len(self._pools)))
        self._ids = itertools.count(random.getrandbits(31))
        self.users = Users(self)
        self.tasks = Tasks(self)
        self.health = Health(self)
        self.reflection = Reflection(self)
        self.admin = Admin(self)
        self.batches = Batches(self)
        self._attempts_lock = threading.Lock()
        self.attempts = 0  # requests put on the wire (tests read it)

    # --- lifecycle ----------------------------------------------------------
    def close(self):
        for p in self._pools:
            p.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- the one way every call goes ----------------------------------------
    def call(self, method, request, response_type, timeout=None,
             metadata=None):
        """Calls method (full name, e.g. "/oz.v1.UserService/GetUser") with
        request (a message) and returns the decoded response_type message.
        Raises OzError."""
        key = getattr(request, "request_id", None)
        safe = is_read_only(method) or (self.retry_writes and bool(key))
        body = self.call_raw(method, request.SerializeToString(), timeout,
                             metadata, safe)
        try:
            return response_type.FromString(body)
        except Exception as e:  # DecodeError and friends
            raise OzError(Code.INTERNAL, "undecodable %s: %s"
                          % (response_type.DESCRIPTOR.full_name, e),
                          method=method, local=True) from None

    def call_raw(self, method, payload, timeout=None, metadata=None,
                 retry_safe=None):
        """Like call() with serialized bytes in and out. retry_safe says
        whether the call may be re-sent after it reached the server
        (default: only read-only methods)."""
        timeout = self.timeout if timeout is None else float(timeout)
        deadline = time.monotonic() + timeout
        md = self._metadata(metadata)
        if retry_safe is None:
            retry_safe = is_read_only(method)
        tried = set()
        for attempt in itertools.count(1):
            pool, fresh = self._pick(tried)
            if not fresh:  # every server was tried: back off first
                pause = min(1.0, 0.05 * 2 ** (attempt - 2))
                pause *= 0.5 + random.random() / 2
                if time.monotonic() + pause >= deadline:
                    raise err from None
                time.sleep(pause)
            tried.add(pool)
            try:
                body = self._attempt(pool, method, payload, md, deadline)
                pool.report(True)
                return body
            except _Attempt as a:
                err = a.error
                pool.report(err.code not in _RETRY_CODES)
                if (err.code not in _RETRY_CODES
                        or (a.sent and not retry_safe)
                        or attempt > self.retries):
                    raise err from None
            except OzError as e:
                pool.report(e.code != Code.DEADLINE_EXCEEDED)
                raise

    def _pick(self, tried):
        """The server for the next attempt: round-robin over the servers
        this call has not tried, those not backing off first; when all
        were tried, any (fresh is then False)."""
        now = time.monotonic()
        n = len(self._pools)
        start = next(self._next)
        order = [self._pools[(start + k) % n] for k in range(n)]
        for want_up in (True, False):
            for p in order:
                if p not in tried and (p.down_until <= now or not want_up):
                    return p, True
        return order[0], False

    def _metadata(self, extra):
        md = dict(self.metadata)
        md.update(extra or {})
        md.setdefault("request-id", uuid.uuid4().hex)
        if self.token:
            md["authorization"] = "Bearer " + self.token
        return md

    def _attempt(self, pool, method, payload, md, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise OzError(Code.DEADLINE_EXCEEDED, "deadline exceeded before "
                          "the call was sent", method=method, local=True)
        env = pb.rpc.Request(method=method, payload=payload,
                             timeout_ms=max(1, int(left * 1000)))
        for k, v in md.items():
            env.metadata.add(key=k, value=v)
        wire = env.SerializeToString()
        if len(wire) + 4 > self.max_message_bytes:
            raise OzError(Code.RESOURCE_EXHAUSTED, "request of %d bytes is "
                          "over the %d byte message limit; not sent"
                          % (len(wire) + 4, self.max_message_bytes),
                          method=method, local=True)
        rid = transport.HIGH_BIT | (next(self._ids) & 0x7FFFFFFF)
        # With other servers to turn to, one that does not take the
        # connection soon is left for another (nothing was sent to it).
        connect_by = deadline
        if len(self._pools) > 1:
            connect_by = min(deadline, time.monotonic() + CONNECT_WAIT)
        try:
            conn = pool.get(connect_by)
        except transport.TransportTimeout as e:
            if connect_by < deadline:
                raise _Attempt(OzError(Code.UNAVAILABLE, str(e),
                                       method=method, local=True),
                               sent=False) from None
            raise OzError(Code.DEADLINE_EXCEEDED, str(e), method=method,
                          local=True) from None
        except transport.TransportError as e:
            raise _Attempt(OzError(Code.UNAVAILABLE, str(e), method=method,
                                   local=True), sent=False) from None
        with self._attempts_lock:
            self.attempts += 1
        try:
            body = conn.call(rid, wire, deadline)
        except transport.TransportTimeout:
            conn.close()
            raise OzError(Code.DEADLINE_EXCEEDED, "no reply within the "
                          "deadline; the call may or may not have run",
                          method=method, local=True) from None
        except transport.TransportError as e:
            conn.close()
            text = str(e)
            if e.sent:
                text += "; the call may or may not have run"
            raise _Attempt(OzError(Code.UNAVAILABLE, text, method=method,
                                   local=True), sent=e.sent) from None
        except BaseException:
            conn.close()
            raise
        pool.put(conn)
        return self._decode(method, body)

    @staticmethod
    def _decode(method, body):
        """The payload of an OK Response; raises for any other status. A
        server-sent UNAVAILABLE means the call did not run (the server is
        draining or the database was busy), so it counts as not sent."""
        try:
            resp = pb.rpc.Response.FromString(body)
        except Exception as e:  # DecodeError and friends
            raise OzError(Code.INTERNAL, "undecodable Response: %s" % e,
                          method=method, local=True) from None
        st = resp.status
        if st.code == Code.OK:
            return resp.payload
        err = OzError(st.code, st.message,
                      [FieldViolation(d.field, d.description)
                       for d in st.details], method=method)
        raise _Attempt(err, sent=st.code != Code.UNAVAILABLE)


def _tls_context(ca, cert, key):
    """TLS 1.2+ client context: verifies the server against ca (file), or
    not at all when ca is None; presents cert/key when given."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca:
        ctx.load_verify_locations(cafile=ca)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def _new_key():
    return uuid.UUID(bytes=os.urandom(16), version=4).hex


def _set_masked(resource, mask, **fields):
    """Sets each field that is not None and names it in the update mask."""
    for path, value in fields.items():
        if value is not None:
            setattr(resource, path, value)
            mask.paths.append(path)


def _view(with_tasks):
    v = pb.users.USER_VIEW_WITH_TASKS if with_tasks else 0
    return v


def task_status(value):
    """Accepts a TaskStatus number or a name ("done", "DONE",
    "TASK_STATUS_DONE") and returns the number."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    name = str(value).upper()
    if not name.startswith("TASK_STATUS_"):
        name = "TASK_STATUS_" + name
    return pb.resources.TaskStatus.Value(name)


class _Service:
    def __init__(self, client):
        self._c = client

    def _call(self, name, request, response_type, timeout):
        return self._c.call("/%s/%s" % (self.SERVICE, name), request,
                            response_type, timeout=timeout)

    def _pages(self, list_page, items, kwargs):
        """Yields every item of every page, following next_page_token."""
        token = ""
        while True:
            resp = list_page(page_token=token, **kwargs)
            for item in getattr(resp, items):
                yield item
            token = resp.next_page_token
            if not token:
                return
            kwargs = dict(kwargs, skip=0)  # skip applies to the first page


class Users(_Service):
    """oz.v1.UserService. Returns oz.v1.User messages."""

    SERVICE = "oz.v1.UserService"

    def create(self, username, email, request_id=None, timeout=None):
        req = pb.users.CreateUserRequest(username=username, email=email,
                                         request_id=request_id or _new_key())
        return self._call("CreateUser", req, pb.resources.User, timeout)

    def get(self, id, with_tasks=False, timeout=None):
        req = pb.users.GetUserRequest(id=id, view=_view(with_tasks))
        return self._call("GetUser", req, pb.resources.User, timeout)

    def get_by_email(self, email, with_tasks=False, timeout=None):
        req = pb.users.GetUserByEmailRequest(email=email,
                                             view=_view(with_tasks))
        return self._call("GetUserByEmail", req, pb.resources.User, timeout)

    def list_page(self, page_size=0, page_token="", skip=0, order_by="",
                  is_active=None, timeout=None):
        """One page: a ListUsersResponse (users, next_page_token,
        total_size)."""
        req = pb.users.ListUsersRequest(page_size=page_size,
                                        page_token=page_token, skip=skip,
                                        order_by=order_by)
        if is_active is not None:
            req.is_active.value = bool(is_active)
        return self._call("ListUsers", req, pb.users.ListUsersResponse,
                          timeout)

    def list(self, page_size=0, skip=0, order_by="", is_active=None,
             timeout=None):
        """Iterates over every matching user, page after page."""
        return self._pages(self.list_page, "users",
                           dict(page_size=page_size, skip=skip,
                                order_by=order_by, is_active=is_active,
                                timeout=timeout))

    def update(self, id, username=None, email=None, is_active=None,
               etag="", request_id=None, timeout=None):
        """Changes the fields given (others stay). etag makes it
        conditional (ABORTED when stale)."""
        req = pb.users.UpdateUserRequest(request_id=request_id or _new_key())
        req.user.id = id
        req.user.etag = etag or ""
        _set_masked(req.user, req.update_mask, username=username,
                    email=email, is_active=is_active)
        return self._call("UpdateUser", req, pb.resources.User, timeout)

    def delete(self, id, force=False, etag="", request_id=None,
               timeout=None):
        req = pb.users.DeleteUserRequest(id=id, force=force, etag=etag or "",
                                         request_id=request_id or _new_key())
        self._call("DeleteUser", req, _gen.empty_type(), timeout)


class Tasks(_Service):
    """oz.v1.TaskService. Returns oz.v1.Task messages; status arguments take
    a TaskStatus number or a name like "done"."""

    SERVICE = "oz.v1.TaskService"

    def create(self, user_id, title, description="", status=None,
               request_id=None, timeout=None):
        req = pb.tasks.CreateTaskRequest(user_id=user_id, title=title,
                                         description=description,
                                         status=task_status(status),
                                         request_id=request_id or _new_key())
        return self._call("CreateTask", req, pb.resources.Task, timeout)

    def get(self, id, timeout=None):
        return self._call("GetTask", pb.tasks.GetTaskRequest(id=id),
                          pb.resources.Task, timeout)

    def list_page(self, user_id=None, status=None, page_size=0,
                  page_token="", skip=0, order_by="", timeout=None):
        req = pb.tasks.ListTasksRequest(status=task_status(status),
                                        page_size=page_size,
                                        page_token=page_token, skip=skip,
                                        order_by=order_by)
        if user_id is not None:
            req.user_id.value = user_id
        return self._call("ListTasks", req, pb.tasks.ListTasksResponse,
                          timeout)

    def list(self, user_id=None, status=None, page_size=0, skip=0,
             order_by="", timeout=None):
        return self._pages(self.list_page, "tasks",
                           dict(user_id=user_id, status=status,
                                page_size=page_size, skip=skip,
                                order_by=order_by, timeout=timeout))

    def update(self, id, title=None, description=None, status=None,
               etag="", request_id=None, timeout=None):
        req = pb.tasks.UpdateTaskRequest(request_id=request_id or _new_key())
        req.task.id = id
        req.task.etag = etag or ""
        if status is not None:
            status = task_status(status)
        _set_masked(req.task, req.update_mask, title=title,
                    description=description, status=status)
        return self._call("UpdateTask", req, pb.resources.Task, timeout)

    def delete(self, id, etag="", request_id=None, timeout=None):
        req = pb.tasks.DeleteTaskRequest(id=id, etag=etag or "",
                                         request_id=request_id or _new_key())
        self._call("DeleteTask", req, _gen.empty_type(), timeout)


class Health(_Service):
    """grpc.health.v1.Health."""

    SERVICE = "grpc.health.v1.Health"

    def check(self, service="", timeout=None):
        """Returns the serving status name: "SERVING", "NOT_SERVING"..."""
        resp = self._call("Check", pb.health.HealthCheckRequest(
            service=service), pb.health.HealthCheckResponse, timeout)
        return pb.health.HealthCheckResponse.ServingStatus.Name(resp.status)


class Reflection(_Service):
    """oz.rpc.v1.Reflection."""

    SERVICE = "oz.rpc.v1.Reflection"

    def list_services(self, timeout=None):
        return self._call("ListServices", pb.rpc.ListServicesRequest(),
                          pb.rpc.ListServicesResponse, timeout)


class Admin(_Service):
    """oz.v1.AdminService: operations on the live server."""

    SERVICE = "oz.v1.AdminService"

    def backup(self, path, overwrite=False, timeout=None):
        """Online backup into the server's backup directory; a BackupResponse.

        path is a plain file name there (no '/', not starting with '.');
        the response's path is the full path written.
        An existing path is ALREADY_EXISTS unless overwrite."""
        return self._call("Backup", pb.admin.BackupRequest(
            path=path, overwrite=overwrite), pb.admin.BackupResponse,
            timeout)

    def optimize(self, timeout=None):
        return self._call("Optimize", pb.admin.OptimizeRequest(),
                          pb.admin.OptimizeResponse, timeout)

    def stats(self, timeout=None):
        return self._call("Stats", pb.admin.StatsRequest(),
                          pb.admin.StatsResponse, timeout)

    def query(self, sql, params=(), max_rows=0, limit_ms=0, timeout=None):
        """Runs one read-only SQL statement (the client's token must be
        the server's admin token). params bind ?1, ?2, ... (None, int,
        float, str or bytes). Returns (columns, rows, truncated): column
        names, and rows as tuples of Python values."""
        req = pb.admin.QueryRequest(sql=sql, max_rows=max_rows,
                                    timeout_ms=limit_ms)
        for p in params:
            v = req.params.add()
            if p is None:
                v.null = True
            elif isinstance(p, bool) or isinstance(p, int):
                v.integer = int(p)
            elif isinstance(p, float):
                v.real = p
            elif isinstance(p, bytes):
                v.blob = p
            else:
                v.text = str(p)
        if timeout is None:
            timeout = max(self._c.timeout, (limit_ms or 5000) / 1000 + 5)
        resp = self._call("Query", req, pb.admin.QueryResponse, timeout)
        rows = [tuple(None if v.WhichOneof("value") in (None, "null")
                      else getattr(v, v.WhichOneof("value"))
                      for v in row.values) for row in resp.rows]
        return [c.name for c in resp.columns], rows, resp.truncated


class Ref(int):
    """The place of a create operation in a Batch: pass it where an id is
    expected to use the id that operation creates."""


class Batch:
    """Operations collected for one oz.v1.BatchService/Execute: all are
    applied, in order, or none. Each create returns a Ref usable as the
    user (or task) id of later operations of the same batch.

        b = oz.batches.new()
        ann = b.create_user("ann", "ann@example.com")
        b.create_task(ann, "first")
        user, task = b.execute()
    """

    def __init__(self, batches):
        self._batches = batches
        self.request = pb.batch.ExecuteRequest()

    def _add(self, arm, ref_field=None, ref=None, **fields):
        op = self.request.operations.add()
        getattr(op, arm).CopyFrom(fields.pop("_msg"))
        if isinstance(ref, Ref):
            getattr(op, ref_field).value = int(ref)
        return Ref(len(self.request.operations) - 1)

    @staticmethod
    def _id(value):
        return 0 if isinstance(value, Ref) else int(value)

    def create_user(self, username, email):
        return self._add("create_user", _msg=pb.users.CreateUserRequest(
            username=username, email=email))

    def update_user(self, user, username=None, email=None, is_active=None,
                    etag=""):
        req = pb.users.UpdateUserRequest()
        req.user.id = self._id(user)
        req.user.etag = etag or ""
        _set_masked(req.user, req.update_mask, username=username,
                    email=email, is_active=is_active)
        return self._add("update_user", "user_id_ref", user, _msg=req)

    def delete_user(self, user, force=False, etag=""):
        return self._add("delete_user", "user_id_ref", user,
                         _msg=pb.users.DeleteUserRequest(
                             id=self._id(user), force=force,
                             etag=etag or ""))

    def create_task(self, user, title, description="", status=None):
        return self._add("create_task", "user_id_ref", user,
                         _msg=pb.tasks.CreateTaskRequest(
                             user_id=self._id(user), title=title,
                             description=description,
                             status=task_status(status)))

    def update_task(self, task, title=None, description=None, status=None,
                    etag=""):
        req = pb.tasks.UpdateTaskRequest()
        req.task.id = self._id(task)
        req.task.etag = etag or ""
        if status is not None:
            status = task_status(status)
        _set_masked(req.task, req.update_mask, title=title,
                    description=description, status=status)
        return self._add("update_task", "task_id_ref", task, _msg=req)

    def delete_task(self, task, etag=""):
        return self._add("delete_task", "task_id_ref", task,
                         _msg=pb.tasks.DeleteTaskRequest(
                             id=self._id(task), etag=etag or ""))

    def __len__(self):
        return len(self.request.operations)

    def execute(self, request_id=None, timeout=None):
        """Runs the batch; returns one result per operation, in order: a
        User, a Task, or None for a delete. Raises OzError naming the
        failing operation in its details (nothing is applied then)."""
        resp = self._batches.execute(self.request, request_id, timeout)
        return [getattr(r, r.WhichOneof("result"))
                if r.WhichOneof("result") != "deleted" else None
                for r in resp.results]


class Batches(_Service):
    """oz.v1.BatchService."""

    SERVICE = "oz.v1.BatchService"

    def new(self):
        """An empty Batch to fill and execute()."""
        return Batch(self)

    def execute(self, request, request_id=None, timeout=None):
        """Sends an ExecuteRequest (its operations, at most 1000) and
        returns the ExecuteResponse. One request_id (generated when none
        is given or set) covers the whole batch: a repeat returns the first
        outcome."""
        req = pb.batch.ExecuteRequest()
        req.CopyFrom(request)
        req.request_id = request_id or req.request_id or _new_key()
        return self._call("Execute", req, pb.batch.ExecuteResponse, timeout)


def connect(url=DEFAULT_URL, timeout=5.0, **options):
    """Returns a Client for url (tcp://host:port, ipc:///path or
    ws://host:port/path; several servers: a comma-separated list or a
    sequence of URLs). Connections are made on first use."""
    return Client(url, timeout=timeout, **options)
