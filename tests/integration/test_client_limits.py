"""Client limits and sockets: client-output-buffer-limit against a client that never reads
(while another is served, with the server's RSS measured), maxmemory-clients eviction order
and CLIENT NO-EVICT, tcp-keepalive as the kernel reports it (ss), and the unix socket
(redis-cli -s, redis-py unix_socket_path, permissions, stale and live socket files).

Each test starts its own server, so the settings it changes and the sockets it makes touch no
other test."""

import os
import socket
import stat
import subprocess
import tempfile
import threading
import time

import redis

import harness
from harness import check, eq, test


class OwnServer(object):
    """A second server of the suite's kind with extra flags."""

    def __init__(self, ctx, extra):
        self.port = harness.free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="eddy-it-limits-", suffix=".log",
                                               delete=False)
        self.proc = subprocess.Popen(ctx.server.argv(self.port) + extra,
                                     stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None or harness.ping_once(self.port, 0.5):
                break
            time.sleep(0.05)
        ctx.track(self.stop)

    def client(self, **kw):
        kw.setdefault("socket_timeout", 15)
        return redis.Redis(host=harness.HOST, port=self.port, **kw)

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def log_text(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=None):
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def names(r):
    return [c["name"] for c in r.client_list()]


def slow_reader(port, payload):
    """A socket with a tiny receive window that sends `payload` and never reads."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((harness.HOST, port))
    s.sendall(payload)
    return s


def served_meanwhile(r, seconds, stop_when=None):
    """Runs INCRs on `r` for up to `seconds`; returns (count, slowest reply in s)."""
    count, slowest = 0, 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        r.incr("served")
        slowest = max(slowest, time.monotonic() - t0)
        count += 1
        if stop_when is not None and count % 50 == 0 and stop_when():
            break
    return count, slowest


@test("limits.output_buffer_never_reads", timeout=90)
def output_buffer_never_reads(ctx):
    server = OwnServer(ctx, [])
    r = server.client()
    big = 8 << 20
    r.set("big", b"x" * big)
    baseline = server.rss_kb()

    # No limit (normal 0 0 0, the default): a client that pipelines 100 GETs of 8 MB (800 MB
    # of replies) and never reads is stalled, not fed: the server's memory stays bounded.
    s = slow_reader(server.port, b"CLIENT SETNAME flood\r\n" + b"GET big\r\n" * 100)
    count, slowest = served_meanwhile(r, 3)
    grown_mb = (server.rss_kb() - baseline) / 1024.0
    ctx.note("no limit: %d INCRs served meanwhile (slowest %.3f s); RSS +%.1f MB" %
             (count, slowest, grown_mb))
    check("flood" in names(r), "without a limit the stalled client stays")
    check(count > 100 and slowest < 1.0, "another client is served: %d, %.3f s" % (count, slowest))
    check(grown_mb < 64, "RSS grew %.1f MB for 800 MB of unread replies" % grown_mb)
    s.close()

    # Soft limit 1 MB for 1 s: the same client is cut once its pending output has stayed above
    # it for more than a second; the other client is served all along.
    eq(r.config_set("client-output-buffer-limit", "normal 0 1mb 1"), True, "CONFIG SET")
    t0 = time.monotonic()
    s = slow_reader(server.port, b"CLIENT SETNAME slow\r\n" + b"GET big\r\n" * 100)
    count, slowest = served_meanwhile(r, 8, stop_when=lambda: "slow" not in names(r))
    cut_after = time.monotonic() - t0
    ctx.note("soft limit: cut after %.2f s; %d INCRs served meanwhile (slowest %.3f s); "
             "RSS +%.1f MB" % (cut_after, count, slowest, (server.rss_kb() - baseline) / 1024.0))
    check("slow" not in names(r), "the client past its soft limit is closed")
    check(1.0 <= cut_after < 6.0, "cut after %.2f s" % cut_after)
    check(slowest < 1.0, "the other client was served (slowest %.3f s)" % slowest)
    s.close()

    # Hard limit 4 MB, checked while the reply is built: LRANGE of a million elements (about
    # 15 MB of reply) closes its client without a byte of reply, even though it reads.
    eq(r.config_set("client-output-buffer-limit", "normal 4mb 0 0"), True, "CONFIG SET")
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.rpush("list", *[b"element-%07d" % (i * 10000 + j) for j in range(10000)])
    pipe.execute()
    eq(r.llen("list"), 1000000, "LLEN")
    before = server.rss_kb()
    c = socket.create_connection((harness.HOST, server.port))
    c.sendall(b"LRANGE list 0 -1\r\n")
    c.settimeout(10)
    got = c.recv(65536)
    eq(got, b"", "no reply bytes before the close")
    c.close()
    ctx.note("hard limit: LRANGE of 1M elements cut; RSS %+.1f MB around it" %
             ((server.rss_kb() - before) / 1024.0))
    check(server.rss_kb() - before < 12 * 1024, "the cut reply did not grow memory past the limit")
    eq(r.ping(), True, "the server goes on")
    check("output buffer limit" in server.log_text(), "the closes are logged")


def holder(port, name, nbytes, no_evict=False):
    """A client holding `nbytes` of a partial command in its query buffer."""
    s = socket.create_connection((harness.HOST, port))
    s.sendall(b"CLIENT SETNAME %s\r\n" % name.encode())
    if no_evict:
        s.sendall(b"CLIENT NO-EVICT on\r\n")
    s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000000\r\n" + b"v" * nbytes)
    return s


def tot_mem(r, name):
    for c in r.client_list():
        if c["name"] == name:
            return int(c["tot-mem"])
    return None


@test("limits.maxmemory_clients", timeout=60)
def maxmemory_clients(ctx):
    server = OwnServer(ctx, [])
    r = server.client()
    r.execute_command("CLIENT", "SETNAME", "admin")
    r.execute_command("CLIENT", "NO-EVICT", "on")
    socks = [holder(server.port, "big", 6 << 20, no_evict=True),
             holder(server.port, "large", 4 << 20),
             holder(server.port, "medium", 2 << 20),
             holder(server.port, "small", 1 << 20)]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        sizes = {n: tot_mem(r, n) for n in ("big", "large", "medium", "small")}
        if all(v is not None and v >= (1 << 20) for v in sizes.values()):
            break
        time.sleep(0.05)
    ctx.note("tot-mem before: %r" % sizes)
    check("e" in [c["flags"] for c in r.client_list() if c["name"] == "big"][0], "flag e")
    total = sum(v for v in sizes.values())
    # Room for all but the large one: it goes first (the spared big one stays).
    limit = total - sizes["large"] + 1024 * 1024
    eq(r.config_set("maxmemory-clients", str(limit)), True, "CONFIG SET maxmemory-clients")
    time.sleep(0.5)
    left = names(r)
    check("large" not in left, "the largest evictable client goes first: %r" % left)
    check(all(n in left for n in ("big", "medium", "small")), "the others stay: %r" % left)
    # Tighter: the next largest (medium) goes, then small; big is never evicted.
    eq(r.config_set("maxmemory-clients", "128kb"), True, "CONFIG SET maxmemory-clients")
    time.sleep(0.5)
    left = names(r)
    check("medium" not in left and "small" not in left, "evictable clients go: %r" % left)
    check("big" in left and "admin" in left, "NO-EVICT clients stay: %r" % left)
    info = r.info("stats")
    eq(info["evicted_clients"], 3, "INFO evicted_clients")
    check(int(r.info("memory")["mem_clients_normal"]) >= (6 << 20), "mem_clients_normal")
    for s in socks:
        s.close()


def keepalive_timer(port, connections=1):
    """What ss reports for the server's end of connections on `port`, once no reply is in
    flight (a socket with unacknowledged bytes shows its retransmission timer instead)."""
    out = ""
    for _ in range(50):
        out = subprocess.run(["ss", "-tnoH", "state", "established", "( sport = :%d )" % port],
                             stdout=subprocess.PIPE, timeout=10).stdout.decode()
        lines = [l for l in out.splitlines() if l.strip()]
        if len(lines) == connections and "timer:(on" not in out:
            break
        time.sleep(0.1)
    return out


@test("limits.tcp_keepalive", timeout=60)
def tcp_keepalive(ctx):
    server = OwnServer(ctx, ["--tcp-keepalive", "120"])
    r = server.client()
    eq(r.config_get("tcp-keepalive"), {"tcp-keepalive": "120"}, "CONFIG GET")
    r.ping()
    out = keepalive_timer(server.port)
    ctx.note("ss (120): %s" % out.strip())
    check("timer:(keepalive,1min59sec" in out or "timer:(keepalive,2min" in out,
          "the server's socket keeps alive after 120 s: %r" % out)
    # A change applies to new connections.
    eq(r.config_set("tcp-keepalive", "0"), True, "CONFIG SET 0")
    r2 = server.client()
    r2.execute_command("CLIENT", "SETNAME", "nokeepalive")
    lines = [l for l in keepalive_timer(server.port, 2).splitlines() if l.strip()]
    eq(len(lines), 2, "two connections")
    check(sum("keepalive" in l for l in lines) == 1, "the new one has no keepalive: %r" % lines)
    r.close()
    r2.close()


@test("limits.unixsocket", timeout=60)
def unixsocket(ctx):
    directory = tempfile.mkdtemp(prefix="eddy-it-unix-")
    path = os.path.join(directory, "eddy.sock")
    server = OwnServer(ctx, ["--unixsocket", path, "--unixsocketperm", "700"])
    st = os.stat(path)
    check(stat.S_ISSOCK(st.st_mode), "a socket file")
    eq(oct(stat.S_IMODE(st.st_mode)), oct(0o700), "permissions")
    p = subprocess.run(["redis-cli", "-s", path, "PING"], stdout=subprocess.PIPE, timeout=10)
    eq(p.stdout, b"PONG\n", "redis-cli -s PING")
    u = redis.Redis(unix_socket_path=path, socket_timeout=10)
    eq(u.set("over-unix", "v"), True, "SET over the unix socket")
    eq(server.client().get("over-unix"), b"v", "visible over TCP")
    u.execute_command("CLIENT", "SETNAME", "unixclient")
    mine = [c for c in u.client_list() if c["name"] == "unixclient"][0]
    eq(mine["addr"], path + ":0", "CLIENT LIST addr")
    eq(mine["laddr"], path + ":0", "CLIENT LIST laddr")
    check("U" in mine["flags"], "flag U: %r" % mine["flags"])
    eq(u.config_get("unixsocket*"),
       {"unixsocket": path, "unixsocketperm": "700"}, "CONFIG GET unixsocket*")
    u.close()

    if ctx.kind != "eddy":
        ctx.note("redis-server takes a live socket's path from its owner; the rest is eddy's rule")
        return
    # Another server may not take a path a live server listens on.
    second = OwnServer(ctx, ["--unixsocket", path])
    second.proc.wait(10)
    check(second.proc.returncode not in (None, 0), "a live socket is refused")
    check("Address already in use" in second.log_text(), second.log_text())
    eq(subprocess.run(["redis-cli", "-s", path, "PING"], stdout=subprocess.PIPE,
                      timeout=10).stdout, b"PONG\n", "the first server still has it")

    # A server that died leaves a stale file: the next one removes it and listens.
    server.stop(sig=9)
    check(os.path.exists(path), "a killed server leaves its socket file")
    third = OwnServer(ctx, ["--unixsocket", path])
    eq(subprocess.run(["redis-cli", "-s", path, "PING"], stdout=subprocess.PIPE,
                      timeout=10).stdout, b"PONG\n", "PING after a stale socket file")
    third.stop()
    check(not os.path.exists(path), "a clean shutdown removes the socket file")
    os.rmdir(directory)


def key_on_half(prefix, upper):
    """A key whose slot is in the upper (8192..16383) or lower half: with two shards, the two
    halves are different shards, so one of them is another core's."""
    import redis.crc
    for i in range(1000):
        name = "%s:%d" % (prefix, i)
        if (redis.crc.key_slot(name.encode()) >= 8192) == upper:
            return name
    raise RuntimeError("no key")


def cut_without_reply(port, payload, seconds=5):
    """Sends `payload`; the server must close the connection, sending nothing. Returns what
    came back (b"" when closed at once) or None when the connection stayed open."""
    s = socket.create_connection((harness.HOST, port))
    s.settimeout(seconds)
    s.sendall(payload)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        s.close()
        return None
    except ConnectionResetError:
        pass
    s.close()
    return got


@test("limits.hard_limit_stops_the_pipeline", timeout=60)
def hard_limit_stops_the_pipeline(ctx):
    # Redis (processInputBuffer): once a reply passed the hard limit, the client is closed and
    # no later command of its pipeline runs. Here the cut reply comes from another shard and
    # is found while the replies are stitched, at a barrier or a blocking command.
    server = OwnServer(ctx, [])
    r = server.client()
    low, high = key_on_half("big", False), key_on_half("big", True)
    r.set(low, b"x" * (2 << 20))
    r.set(high, b"x" * (2 << 20))
    small_low, small_high = key_on_half("small", False), key_on_half("small", True)
    mark_low, mark_high = key_on_half("mark", False), key_on_half("mark", True)
    eq(r.config_set("client-output-buffer-limit", "normal 1mb 0 0"), True, "CONFIG SET")
    head = "GET %s\r\nGET %s\r\nGET %s\r\nGET %s\r\n" % (small_low, small_high, low, high)

    # A cross-shard MSET after the cut reply: a barrier.
    got = cut_without_reply(server.port, (head + "MSET %s 1 %s 1\r\n" %
                                          (mark_low, mark_high)).encode())
    eq(got, b"", "closed without a reply")
    eq(r.exists(mark_low, mark_high), 0, "the MSET after the cut reply did not run")

    # FLUSHALL (a fan-out) after it.
    got = cut_without_reply(server.port, (head + "FLUSHALL\r\n").encode())
    eq(got, b"", "closed without a reply")
    eq(r.exists(low, high), 2, "the FLUSHALL after the cut reply did not run")

    # A blocking command after it: the client is closed, not left waiting.
    got = cut_without_reply(server.port, (head + "BLPOP nolist 0\r\n").encode())
    check(got is not None, "the client is closed, not blocked in BLPOP")
    eq(got, b"", "closed without a reply")
    eq(r.ping(), True, "the server goes on")


@test("limits.hard_limit_blocking_reply", timeout=60)
def hard_limit_blocking_reply(ctx):
    # A blocking pop's reply is under the hard limit like any other (Redis adds it to the
    # output buffer and closes the client past the limit).
    server = OwnServer(ctx, [])
    r = server.client()
    r.rpush("biglist", b"x" * (2 << 20))
    eq(r.config_set("client-output-buffer-limit", "normal 1mb 0 0"), True, "CONFIG SET")
    got = cut_without_reply(server.port, b"BLPOP biglist 0\r\nSET after 1\r\n")
    eq(got, b"", "closed without the 2 MB element")
    eq(r.llen("biglist"), 0, "the pop itself happened, as in Redis")
    eq(r.exists("after"), 0, "the command after the cut reply did not run")


def peak_rss_kb(server):
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


@test("limits.hard_limit_bounds_exec", timeout=90)
def hard_limit_bounds_exec(ctx):
    # The replies of a transaction are under the hard limit while they are built, as a single
    # command's are: ten LRANGEs of a million elements (about 150 MB of replies) in one EXEC
    # close the client without growing the server's memory by their size.
    server = OwnServer(ctx, [])
    r = server.client()
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.rpush("list", *[b"element-%07d" % (i * 10000 + j) for j in range(10000)])
    pipe.execute()
    eq(r.config_set("client-output-buffer-limit", "normal 4mb 0 0"), True, "CONFIG SET")
    before = peak_rss_kb(server)
    got = cut_without_reply(server.port, b"MULTI\r\n" + b"LRANGE list 0 -1\r\n" * 10 +
                            b"SET {list}after 1\r\nEXEC\r\nSET later 1\r\n",
                            seconds=20)
    grown_mb = (peak_rss_kb(server) - before) / 1024.0
    ctx.note("EXEC of 10 x LRANGE 1M under a 4 MB hard limit: peak RSS +%.1f MB" % grown_mb)
    eq(got, b"", "closed without a reply")
    check(grown_mb < 32, "peak RSS grew %.1f MB for a cut EXEC" % grown_mb)
    eq(r.get("{list}after"), b"1", "the transaction ran whole, as in Redis")
    eq(r.exists("later"), 0, "the command after EXEC did not run")
    eq(r.ping(), True, "the server goes on")


@test("limits.unixsocket_busy_owner", timeout=60)
def unixsocket_busy_owner(ctx):
    if ctx.kind != "eddy":
        ctx.note("redis-server takes a live socket's path from its owner: eddy's rule only")
        return
    # The path belongs to a live listener whose backlog is full (it never accepts): the check
    # whether the path is taken must not wait for it. eddy refuses the path at once.
    directory = tempfile.mkdtemp(prefix="eddy-it-unix-")
    path = os.path.join(directory, "busy.sock")
    owner = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    owner.bind(path)
    owner.listen(0)
    queued = []
    while True:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(path)
        except (BlockingIOError, OSError):
            c.close()
            break
        queued.append(c)
        if len(queued) > 64:
            break
    t0 = time.monotonic()
    server = OwnServer(ctx, ["--unixsocket", path])
    try:
        server.proc.wait(8)
    except subprocess.TimeoutExpired:
        pass
    took = time.monotonic() - t0
    check(server.proc.returncode not in (None, 0),
          "eddy-server refuses a live path at once (still running after %.1f s)" % took)
    check("Address already in use" in server.log_text(), server.log_text())
    for c in queued:
        c.close()
    owner.close()
    os.unlink(path)
    os.rmdir(directory)
