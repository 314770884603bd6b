"""Shared machinery for the integration suite: server process, test registry,
a raw RESP2/RESP3 client with exact reply types, and small assertion helpers.

Standard library plus redis-py only (Debian's /usr/bin/python3).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import redis

HOST = "127.0.0.1"

# --------------------------------------------------------------------------
# Test registry
# --------------------------------------------------------------------------

TESTS = []  # list of (name, func, timeout_seconds) in registration order


def test(name, timeout=60):
    """Register `func(ctx)` as the test `name`. Each test gets at most
    `timeout` seconds of wall clock."""

    def deco(func):
        if any(t[0] == name for t in TESTS):
            raise RuntimeError("duplicate test name " + name)
        TESTS.append((name, func, timeout))
        return func

    return deco


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def same(a, b):
    """Strict structural equality: Simple, Error, bytes, int, None, Null and
    lists must match in type as well as value."""
    if isinstance(b, (Simple, Error, Null)) or b is None:
        return type(a) is type(b) and a == b
    if isinstance(b, bool):
        return a is b
    if isinstance(b, int):
        return isinstance(a, int) and not isinstance(a, bool) and a == b
    if isinstance(b, (bytes, str, float)):
        return type(a) is type(b) and a == b
    if isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(b, dict):
        return (isinstance(a, dict) and set(a) == set(b)
                and all(same(a[k], b[k]) for k in b))
    return a == b


def eq(actual, expected, what=""):
    if not same(actual, expected):
        raise TestFailure("%s: expected %r, got %r" % (what or "value", expected, actual))


def between(value, lo, hi, what=""):
    if not isinstance(value, int) or not (lo <= value <= hi):
        raise TestFailure("%s: expected integer in [%d, %d], got %r" % (what or "value", lo, hi, value))


# --------------------------------------------------------------------------
# Raw RESP client: exact reply types, never hides protocol details
# --------------------------------------------------------------------------


class Simple(str):
    """A RESP simple string (+...)."""

    def __repr__(self):
        return "Simple(%s)" % str.__repr__(self)


class Error(str):
    """A RESP error reply (-...), kept as a value, never raised."""

    def __repr__(self):
        return "Error(%s)" % str.__repr__(self)


class Null(object):
    """RESP3 null (_). RESP2 nil bulk/array is plain None."""

    _inst = None

    def __new__(cls):
        if cls._inst is None:
            cls._inst = object.__new__(cls)
        return cls._inst

    def __repr__(self):
        return "Null"


class Push(list):
    pass


class RespSet(list):
    pass


class Closed(Exception):
    """The server closed the connection."""


def encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        elif isinstance(a, float):
            a = repr(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawClient(object):
    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.raw = b""  # bytes consumed by the reply being parsed

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # also wakes a thread blocked in recv
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def settimeout(self, t):
        self.sock.settimeout(t)

    def send(self, data):
        self.sock.sendall(data)

    def cmd(self, *args):
        self.send(encode_command(args))
        return self.read()

    def cmd_raw(self, *args):
        """Send one command, return the exact bytes of its reply."""
        self.send(encode_command(args))
        return self.read_raw()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise Closed("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = self.buf[:i]
                self.raw += self.buf[: i + 2]
                self.buf = self.buf[i + 2 :]
                return line
            if len(self.buf) > (1 << 20):
                raise TestFailure("reply line longer than 1 MB without CRLF")
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data = self.buf[:n]
        if self.buf[n : n + 2] != b"\r\n":
            raise TestFailure("bulk payload not terminated by CRLF")
        self.raw += self.buf[: n + 2]
        self.buf = self.buf[n + 2 :]
        return data

    def read(self):
        self.raw = b""
        return self._parse()

    def read_raw(self):
        self.raw = b""
        self._parse()
        return self.raw

    def _parse(self):
        line = self._line()
        if not line:
            raise TestFailure("empty reply line")
        t, rest = line[:1], line[1:]
        if t == b"+":
            return Simple(rest.decode("utf-8", "replace"))
        if t == b"-":
            return Error(rest.decode("utf-8", "replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            return self._exact(n)
        if t == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._parse() for _ in range(n)]
        if t == b"_":
            return Null()
        if t == b",":
            return float(rest)
        if t == b"#":
            return rest == b"t"
        if t == b"(":
            return int(rest)
        if t == b"=":
            return self._exact(int(rest))
        if t == b"%":
            n = int(rest)
            d = {}
            for _ in range(n):
                k = self._parse()
                if isinstance(k, list):
                    k = tuple(k)
                d[k] = self._parse()
            return d
        if t == b"~":
            return RespSet(self._parse() for _ in range(int(rest)))
        if t == b">":
            return Push(self._parse() for _ in range(int(rest)))
        if t == b"|":
            for _ in range(2 * int(rest)):
                self._parse()
            return self._parse()
        raise TestFailure("unknown RESP type byte %r in %r" % (t, line[:80]))

    def read_until_close(self, limit_seconds=3.0, max_bytes=1 << 20):
        """Read everything until the server closes the connection.
        Returns (data, closed)."""
        data = self.buf
        self.buf = b""
        deadline = time.monotonic() + limit_seconds
        while len(data) < max_bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                return data, False
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                return data, False
            except (ConnectionResetError, BrokenPipeError):
                return data, True
            if not chunk:
                return data, True
            data += chunk
        return data, False


# --------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def ping_once(port, timeout=1.0):
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
    except OSError:
        return False
    try:
        s.settimeout(timeout)
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        data = b""
        deadline = time.monotonic() + timeout
        while not data.endswith(b"\r\n") and time.monotonic() < deadline:
            chunk = s.recv(64)
            if not chunk:
                break
            data += chunk
        return data == b"+PONG\r\n"
    except OSError:
        return False
    finally:
        s.close()


class Server(object):
    def __init__(self, path, kind):
        self.path = path
        self.kind = kind
        self.proc = None
        self.port = None
        self.log = None
        self.starts = 0

    def argv(self, port):
        if self.kind == "redis":
            # The hard limit on normal clients' output buffers only keeps real
            # Redis (unlimited by default) from buffering gigabytes in the
            # "flooding client that never reads" test; eddy bounds its
            # buffers by design and takes no such flag.
            return [self.path, "--port", str(port), "--bind", HOST, "--save", "",
                    "--appendonly", "no",
                    "--client-output-buffer-limit", "normal 64mb 32mb 10"]
        return [self.path, "--port", str(port), "--bind", HOST, "--workers", "2"]

    def start(self, wait=10.0):
        last_err = None
        for _attempt in range(3):  # a freed port may be grabbed by someone else
            port = free_port()
            self.log = tempfile.NamedTemporaryFile(
                prefix="eddy-it-%s-" % self.kind, suffix=".log", delete=False)
            self.proc = subprocess.Popen(
                self.argv(port), stdin=subprocess.DEVNULL, stdout=self.log,
                stderr=subprocess.STDOUT, start_new_session=True)
            self.port = port
            self.starts += 1
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if ping_once(port, 0.5):
                    return
                time.sleep(0.05)
            last_err = "server did not answer PING within %.0f s (exit=%r); log: %s" % (
                wait, self.proc.poll(), self.log.name)
            self.stop()
        raise RuntimeError(last_err)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def pid(self):
        return self.proc.pid if self.proc else None

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.proc.terminate()
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.proc = None

    def log_tail(self, n=20):
        try:
            with open(self.log.name, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except (OSError, AttributeError):
            return ""

    def rss_kb(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except (OSError, AttributeError, ValueError):
            pass
        return None


# --------------------------------------------------------------------------
# Per-test context
# --------------------------------------------------------------------------


class Ctx(object):
    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.kind = server.kind
        self._closers = []
        self.notes = []

    def note(self, text):
        """A diagnostic line printed under the test's result."""
        self.notes.append(text)

    def raw(self, timeout=10.0):
        c = RawClient(self.port, timeout)
        self._closers.append(c.close)
        return c

    def client(self, **kw):
        """A redis-py client (bytes replies, bounded timeouts)."""
        kw.setdefault("socket_timeout", 15)
        kw.setdefault("socket_connect_timeout", 5)
        r = redis.Redis(host=HOST, port=self.port, **kw)
        self._closers.append(r.close)
        return r

    def track(self, closer):
        self._closers.append(closer)

    def close_all(self):
        for c in self._closers:
            try:
                c()
            except Exception:
                pass
        self._closers = []


def raw_roundtrip(port, data, limit_seconds=3.0):
    """Open a fresh connection, send `data`, read until the server closes or
    `limit_seconds` pass. Returns (reply_bytes, closed)."""
    c = RawClient(port, timeout=limit_seconds)
    try:
        c.send(data)
        return c.read_until_close(limit_seconds)
    finally:
        c.close()


def assert_pong(port, what="fresh connection"):
    c = RawClient(port, timeout=5)
    try:
        eq(c.cmd_raw("PING"), b"+PONG\r\n", what + " PING")
    finally:
        c.close()


def deadline_loop(seconds, max_iter):
    """Yields 0,1,2,... until either `seconds` passed or `max_iter` reached."""
    end = time.monotonic() + seconds
    i = 0
    while i < max_iter and time.monotonic() < end:
        yield i
        i += 1


def temp_directory(ctx, prefix):
    """A fresh directory for a test's files, removed when the test ends."""
    directory = tempfile.mkdtemp(prefix=prefix)
    ctx.track(lambda: shutil.rmtree(directory, ignore_errors=True))
    return directory


class DirServer(object):
    """eddy-server (2 workers) with its data in `directory`, for restart and crash tests:
    started at construction, stopped when the test ends. `preexec` runs in the child before
    exec (resource limits). The timeouts (seconds) bound start-up, client calls and shutdown."""

    def __init__(self, ctx, directory, shards, extra=(), log_prefix="eddy-it-", preexec=None,
                 start_timeout=20, client_timeout=15, stop_timeout=15):
        self.port = free_port()
        self.start_timeout = start_timeout
        self.client_timeout = client_timeout
        self.stop_timeout = stop_timeout
        self.log = tempfile.NamedTemporaryFile(prefix=log_prefix, suffix=".log", delete=False)
        argv = [ctx.server.path, "--port", str(self.port), "--bind", HOST,
                "--workers", "2", "--shards", str(shards), "--pin-threads", "no",
                "--dir", directory] + list(extra)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=preexec, restore_signals=preexec is None)
        ctx.track(self.stop)

    def wait_ready(self, seconds=None):
        deadline = time.monotonic() + (seconds if seconds is not None else self.start_timeout)
        while time.monotonic() < deadline and self.proc.poll() is None:
            if ping_once(self.port, 0.5):
                return
            time.sleep(0.05)
        check(False, "eddy-server did not start (exit %r): %s" % (self.proc.poll(),
                                                                   self.log_text()[-2000:]))

    def client(self, **kw):
        kw.setdefault("socket_timeout", self.client_timeout)
        return redis.Redis(host=HOST, port=self.port, **kw)

    def log_text(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def kill9(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode
