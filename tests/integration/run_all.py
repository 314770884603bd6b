#!/usr/bin/python3
"""Integration suite for eddy-server (or real redis-server, for reference).

    /usr/bin/python3 tests/integration/run_all.py --server PATH [--kind eddy|redis] [--only NAME]

Starts the server on a free loopback port, runs every test (each with its own
time limit), stops the server, prints "PASS name" / "FAIL name: reason" per
test and a final "N passed, M failed" line. Exit status 0 only if all passed.
"""

import argparse
import fnmatch
import os
import signal
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

# Registration order is run order; the bad-input tests and the final
# liveness check come last.
MODULES = [
    "test_cli",
    "test_pipeline",
    "test_concurrency",
    "test_multikey",
    "test_ttl",
    "test_strings",
    "test_bitmap_hll",
    "test_keys_server",
    "test_zset",
    "test_errors",
    "test_auth_acl",
    "test_client_limits",
    "test_config_rewrite",
    "test_aof",
    "test_snapshot",
]


def selected(name, patterns):
    if not patterns:
        return True
    for p in patterns:
        if name == p or name.startswith(p + ".") or fnmatch.fnmatchcase(name, p):
            return True
    return False


def reset_server(port):
    c = harness.RawClient(port, timeout=10)
    try:
        r = c.cmd("FLUSHALL")
        harness.eq(r, harness.Simple("OK"), "FLUSHALL before test")
    finally:
        c.close()


def run_one(server, name, func, timeout, notes):
    """Returns None on success, else a one-line reason."""
    ctx = harness.Ctx(server)
    ctx.notes = notes
    result = {}

    def body():
        try:
            func(ctx)
            result["ok"] = True
        except harness.TestFailure as e:
            result["err"] = str(e)
        except Exception as e:  # unexpected exception: keep the location
            tb = traceback.extract_tb(e.__traceback__)
            where = ""
            for fr in reversed(tb):
                if os.path.basename(fr.filename).startswith("test_"):
                    where = " at %s:%d" % (os.path.basename(fr.filename), fr.lineno)
                    break
            result["err"] = "%s: %s%s" % (type(e).__name__, e, where)

    try:
        reset_server(server.port)
    except Exception as e:
        return "setup failed: %s: %s" % (type(e).__name__, e)

    t = threading.Thread(target=body, name="test-" + name, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        ctx.close_all()  # unblocks a test stuck on a socket
        t.join(5)
        return "timed out after %d s" % timeout
    ctx.close_all()
    if "ok" in result:
        return None
    return result.get("err", "no result")


def check_server_after(server):
    """After a test: None if the server still answers PING, else what went
    wrong (it is then stopped, to be restarted for the next test). A crash
    during the test is caught here even if the process takes a moment to exit."""
    if server.alive() and harness.ping_once(server.port, 2.0):
        return None
    deadline = time.monotonic() + 3.0
    while server.alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.alive():
        problem = "server alive but not answering PING after the test"
    else:
        problem = "server died (exit status %r)" % server.proc.poll()
    tail = server.log_tail(5)
    if tail:
        problem += "; log tail: " + " | ".join(tail.splitlines())
    problem += "; full log: " + server.log.name
    server.stop()
    return problem


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--server", required=True, help="path to eddy-server or redis-server")
    ap.add_argument("--kind", choices=["eddy", "redis"], default=None)
    ap.add_argument("--only", action="append", default=[],
                    help="run only this test (exact name, group prefix like 'ttl', or glob); repeatable")
    ap.add_argument("--list", action="store_true", help="list test names and exit")
    args = ap.parse_args()

    kind = args.kind or ("eddy" if "eddy" in os.path.basename(args.server) else "redis")

    for m in MODULES:
        __import__(m)
    tests = [t for t in harness.TESTS if selected(t[0], args.only)]
    if args.list:
        for name, _f, timeout in harness.TESTS:
            print(name)
        return 0
    if not tests:
        print("no test matches %r" % args.only)
        print("0 passed, 1 failed")
        return 1

    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)

    passed = failed = 0
    server = harness.Server(args.server, kind)
    try:
        try:
            server.start()
        except Exception as e:
            print("FAIL startup: %s" % e)
            tail = server.log_tail()
            if tail:
                print(tail)
            print("0 passed, %d failed" % len(tests))
            return 1
        print("# %s server %s on 127.0.0.1:%d (pid %d)" % (kind, args.server, server.port, server.pid()))
        sys.stdout.flush()
        for name, func, timeout in tests:
            if not server.alive():
                try:
                    server.start()
                    print("# server restarted on port %d (pid %d)" % (server.port, server.pid()))
                except Exception as e:
                    print("FAIL %s: server could not be restarted: %s" % (name, e))
                    failed += 1
                    continue
            t0 = time.monotonic()
            notes = []
            err = run_one(server, name, func, timeout, notes)
            problem = check_server_after(server)
            if problem:
                err = (err + "; " if err else "") + problem
            dt = time.monotonic() - t0
            if err is None:
                passed += 1
                print("PASS %s" % name)
            else:
                failed += 1
                print("FAIL %s: %s" % (name, err.replace("\n", " ")))
            for n in notes:
                print("#   %s" % n)
            if dt > 10:
                print("#   (%s took %.1f s)" % (name, dt))
            sys.stdout.flush()
    finally:
        server.stop()
        try:
            if server.log is not None and failed == 0:
                os.unlink(server.log.name)
        except OSError:
            pass
    if failed and server.log is not None:
        print("# server log: %s" % server.log.name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
