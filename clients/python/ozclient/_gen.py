"""ozclient._gen -- the protobuf message classes, generated from proto/.

On first import this runs `protoc --python_out` over the repository's
proto/ files into ozclient/_pb/ (ignored by git), and regenerates when the
.proto files change. Nothing here is hand-written message code; this module
must not grow any. OZ_PROTO_DIR overrides where proto/ is looked for;
OZ_PROTOC and OZ_PROTO_INCLUDE override protoc and the directory holding
google/protobuf/*.proto.
"""

import hashlib
import importlib
import os
import shutil
import subprocess
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))
PB_DIR = os.path.join(_HERE, "_pb")


def proto_dir():
    d = os.environ.get("OZ_PROTO_DIR")
    if not d:
        d = os.path.normpath(os.path.join(_HERE, "..", "..", "..", "proto"))
    if not os.path.isdir(d):
        raise ImportError("ozclient: proto/ not found at %s; set OZ_PROTO_DIR"
                          % d)
    return d


def _proto_files(root):
    out = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            if n.endswith(".proto"):
                out.append(os.path.relpath(os.path.join(dirpath, n), root))
    return sorted(out)


def _fingerprint(root, files):
    h = hashlib.sha256()
    for f in files:
        h.update(f.encode() + b"\0")
        with open(os.path.join(root, f), "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def _make_package(tmp):
    """Turns protoc's output tree into the package ozclient._pb: adds
    __init__.py files and points the generated cross-file imports
    ("from oz.v1 import ...") at ozclient._pb, so nothing lands on sys.path
    and no top-level "oz" or "grpc" module is shadowed."""
    for dirpath, _, names in os.walk(tmp):
        open(os.path.join(dirpath, "__init__.py"), "a").close()
        for n in names:
            if not n.endswith("_pb2.py"):
                continue
            path = os.path.join(dirpath, n)
            with open(path) as fh:
                lines = fh.readlines()
            for i, line in enumerate(lines):
                for top in ("oz", "grpc"):
                    if line.startswith("from %s." % top):
                        lines[i] = "from ozclient._pb." + line[5:]
            with open(path, "w") as fh:
                fh.writelines(lines)


def generate():
    """Makes PB_DIR current. Safe when several processes race: each builds
    in its own temporary directory and renames it into place."""
    root = proto_dir()
    files = _proto_files(root)
    stamp = _fingerprint(root, files)
    stamp_path = os.path.join(PB_DIR, "STAMP")
    try:
        with open(stamp_path) as fh:
            if fh.read().strip() == stamp:
                return
    except OSError:
        pass
    protoc = os.environ.get("OZ_PROTOC", "protoc")
    include = os.environ.get("OZ_PROTO_INCLUDE", "/usr/include")
    tmp = tempfile.mkdtemp(prefix="._pb.", dir=_HERE)
    try:
        subprocess.run([protoc, "--python_out=" + tmp, "-I" + root,
                        "-I" + include] + files, check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
        _make_package(tmp)
        with open(os.path.join(tmp, "STAMP"), "w") as fh:
            fh.write(stamp + "\n")
        old = None
        if os.path.exists(PB_DIR):
            old = tempfile.mkdtemp(prefix="._pb_old.", dir=_HERE)
            try:
                os.rename(PB_DIR, os.path.join(old, "x"))
            except OSError:
                pass  # another process moved it first
        try:
            os.rename(tmp, PB_DIR)
        except OSError:
            pass  # another process put a fresh one in place first
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except subprocess.CalledProcessError as e:
        raise ImportError("ozclient: protoc failed: %s"
                          % e.stderr.decode(errors="replace")) from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load():
    """Returns a namespace of the generated modules: rpc, resources, users,
    tasks, health and (when proto/ has them) admin and batch by name, every module in
    `modules`, and services() listing every service descriptor."""
    generate()
    pkg = __name__.rsplit(".", 1)[0] + "._pb."
    names = []
    for dirpath, _, files in os.walk(PB_DIR):
        rel = os.path.relpath(dirpath, PB_DIR).replace(os.sep, ".")
        names += sorted(rel + "." + f[:-3] for f in files
                        if f.endswith("_pb2.py"))
    modules = [importlib.import_module(pkg + n) for n in sorted(names)]

    def named(n):
        return next((m for m in modules if m.__name__ == pkg + n), None)

    class _Modules:
        rpc = named("oz.rpc.v1.rpc_pb2")
        resources = named("oz.v1.resources_pb2")
        users = named("oz.v1.user_service_pb2")
        tasks = named("oz.v1.task_service_pb2")
        health = named("grpc.health.v1.health_pb2")
        admin = named("oz.v1.admin_service_pb2")
        batch = named("oz.v1.batch_service_pb2")

        @staticmethod
        def services():
            return [svc for m in modules
                    for svc in m.DESCRIPTOR.services_by_name.values()]

    _Modules.modules = modules
    for required in ("rpc", "resources", "users", "tasks", "health"):
        if getattr(_Modules, required) is None:
            raise ImportError("ozclient: proto/ lacks the %s messages"
                              % required)
    return _Modules


def empty_type():
    """google.protobuf.Empty, the output of the Delete methods."""
    from google.protobuf import empty_pb2

    return empty_pb2.Empty
