#!/usr/bin/python3
"""tests/readme/readme_check.py -- follow README.md literally, as a newcomer
would, in a fresh clone, and compare every output with the README's text.

    /usr/bin/python3 tests/readme/readme_check.py     (or: make readme-check)

1. `git clone` of this checkout (its committed state) into a temporary
   directory; there, the README's Quick start: `make run` in the
   background, until ozd's log says "serving".
2. Every ```console block of the clone's README.md, in order, in one bash
   shell in the clone's top directory: each `$ COMMAND` line is run, and
   the lines after it (up to the next `$ ` line or the end of the block) are
   its expected output, stdout and stderr together. A command must exit 0;
   where the README shows a status it echoes it itself
   (`...; echo "exit status: $?"`).
3. Outputs are compared line by line after masking what differs between
   runs: timestamps, durations, etags and the per-run tag of the examples'
   user names (ann-1a2b3c4d). Any other difference fails, with a diff.

So the README cannot drift from the programs. ozd listens on random
loopback ports: OZ_LISTEN, OZ_URL and OZ_HTTP_ADDR (the web console) are set
in the environment, so every command stays as the README writes it; HOME is a temporary directory (the
README installs into $HOME/oz). Needs only what `make run` installs
(scripts/deps.sh) and git. Exit status 0 when everything matched.
"""

import difflib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MASKS = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<TIME>"),
    (re.compile(r'"etag": "[^"]*"'), '"etag": "<ETAG>"'),
    (re.compile(r"\b\d+(\.\d+)? ?(ms|us|µs)\b"), "<DURATION>"),
    (re.compile(r"-[0-9a-f]{8}\b"), "-<TAG>"),
]
START_SECONDS = 900  # a cold `make run`: packages, then the build
COMMAND_SECONDS = 300


def mask(text):
    for rx, sub in MASKS:
        text = rx.sub(sub, text)
    return text


def console_steps(readme):
    """Returns [(line number, command, [expected lines])] of every
    ```console block, in order."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    steps, inside = [], False
    for i, line in enumerate(lines):
        if not inside:
            inside = line.strip() == "```console"
            block = []
        elif line.strip() == "```":
            inside = False
        elif line.startswith("$ "):
            block.append(None)
            steps.append((i + 1, line[2:], []))
        elif block:
            steps[-1][2].append(line)
        else:
            sys.exit("README.md:%d: output before any command" % (i + 1))
    return steps


def start_server(clone, env, log_path):
    """Runs `make run` in clone; returns the process once ozd serves."""
    log = open(log_path, "w")
    proc = subprocess.Popen(["make", "run"], cwd=clone, env=env,
                            stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    end = time.monotonic() + START_SECONDS
    while time.monotonic() < end:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            if re.search(r" serving$", f.read(), re.M):
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    stop_server(proc)
    sys.exit("readme_check: `make run` did not serve:\n" +
             open(log_path, errors="replace").read()[-3000:])


def children(pid):
    """The process ids whose parent is pid (from /proc)."""
    kids = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except (OSError, ValueError):
            continue
        # pid (comm) state ppid ...: comm may hold spaces; split after ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(d))
    return kids


def stop_server(proc):
    """SIGTERM to ozd, as a user's Ctrl-C would reach it: it drains, exits
    0, and so does `make run`. Returns make's exit status."""
    if proc.poll() is None:
        for kid in children(proc.pid):
            os.kill(kid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def run_session(clone, env, tmp, steps):
    """Runs every command in one bash; returns [(output, status)]."""
    script = ["__rc=0"]
    for n, (_, cmd, _) in enumerate(steps):
        # (exit $__rc) keeps $? of the previous command for `echo $?`.
        script.append("(exit $__rc); { %s\n} >%s/out.%d 2>&1 </dev/null; "
                      "__rc=$?; echo $__rc >%s/rc.%d" % (cmd, tmp, n, tmp, n))
    subprocess.run(["bash", "-c", "\n".join(script)], cwd=clone, env=env,
                   timeout=COMMAND_SECONDS * max(1, len(steps)))
    results = []
    for n in range(len(steps)):
        try:
            out = open("%s/out.%d" % (tmp, n), encoding="utf-8",
                       errors="replace").read()
            rc = int(open("%s/rc.%d" % (tmp, n)).read())
        except (OSError, ValueError):
            out, rc = "(not run)", -1
        results.append((out, rc))
    return results


def compare(steps, results):
    failures = 0
    for (where, cmd, want), (out, rc) in zip(steps, results):
        want_m = [mask(x) for x in want]
        got_m = [mask(x) for x in out.rstrip("\n").split("\n")] if out \
            else []
        if got_m == want_m and rc == 0:
            continue
        failures += 1
        print("readme_check: README.md:%d: $ %s" % (where, cmd))
        if rc != 0:
            print("  exited %d (the README shows no failure)" % rc)
        for d in difflib.unified_diff(want_m, got_m, "README", "actual",
                                      lineterm="", n=1):
            print("  " + d)
    return failures


def clean_env(tmp, port):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OZ_") and k not in
           ("DATABASE_URL", "PKG_CONFIG_PATH", "LD_LIBRARY_PATH", "MAKEFLAGS",
            "MAKELEVEL", "MFLAGS", "CFLAGS", "BUILD", "SANITIZE")}
    url = "tcp://127.0.0.1:%d" % port
    env.update(OZ_LISTEN=url, OZ_URL=url, HOME=os.path.join(tmp, "home"),
               OZ_HTTP_ADDR="127.0.0.1:%d" % (port + 1),
               MAKEFLAGS="-j2", LC_ALL="C.UTF-8")
    os.makedirs(env["HOME"])
    return env


def main():
    root = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], capture_output=True,
        text=True, check=True,
        cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="oz-readme.")
    clone = os.path.join(tmp, "oz")
    proc = None
    try:
        subprocess.run(["git", "clone", "-q", root, clone], check=True)
        env = clean_env(tmp, random.randint(20000, 31998))
        t0 = time.monotonic()
        proc = start_server(clone, env, os.path.join(tmp, "run.log"))
        print("readme_check: `make run` served after %.0f s" %
              (time.monotonic() - t0))
        steps = console_steps(os.path.join(clone, "README.md"))
        failures = compare(steps, run_session(clone, env, tmp, steps))
        checked = len(steps)
        rc = stop_server(proc)
        log = open(os.path.join(tmp, "run.log"), errors="replace").read()
        if rc != 0 or not re.search(r" INFO stopped after \d+ calls$", log,
                                    re.M):
            print("readme_check: `make run` exited %d on SIGTERM:\n%s" %
                  (rc, log[-2000:]))
            failures += 1
        print("readme_check: %d commands of README.md checked, %d differ" %
              (checked, failures))
        return 1 if failures or checked == 0 else 0
    finally:
        if proc is not None:
            stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
