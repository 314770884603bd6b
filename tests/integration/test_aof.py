"""The write-ahead log (appendonly yes): eddy-server killed with SIGKILL at a random moment
while several pipelining clients write, restarted on the same directory, must hold every
acknowledged write, and no MSET half-applied. Also the parameters, INFO persistence, a clean
restart, and a damaged log refusing the start with the file and offset named.

eddy only: each test starts its own servers on a temporary directory."""

import os
import random
import resource
import signal
import socket
import subprocess
import threading
import time

import redis

import harness
from harness import check, eq, test


def log_directory(ctx):
    """A fresh directory for a test's logs, removed when the test ends."""
    return harness.temp_directory(ctx, "eddy-it-aof-")


class AofServer(harness.DirServer):
    """eddy-server with the log on `directory`."""

    def __init__(self, ctx, directory, fsync="always", shards=4, extra=(), file_limit=None):
        preexec = None
        if file_limit is not None:
            def preexec():
                # Writes past the limit fail with EFBIG (SIGXFSZ ignored, kept across exec).
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_limit, file_limit))
        harness.DirServer.__init__(
            self, ctx, directory, shards,
            extra=["--appendonly", "yes", "--appendfsync", fsync] + list(extra),
            log_prefix="eddy-it-aof-", preexec=preexec)


class Writer(threading.Thread):
    """One client: pipelines of strings, a counter, a list and cross-shard MSETs. Records what
    the server acknowledged (a pipeline whose replies all came back)."""

    def __init__(self, port, index, seed):
        super().__init__(daemon=True)
        self.port = port
        self.index = index
        self.rng = random.Random(seed)
        self.acked_sets = []     # keys whose SET was acknowledged (value = key)
        self.acked_incrs = 0     # INCRs of counter acknowledged
        self.sent_incrs = 0
        self.acked_pushes = 0    # RPUSHes acknowledged (elements 0, 1, ... in order)
        self.sent_pushes = 0
        self.acked_msets = []    # indexes of acknowledged MSETs
        self.sent_msets = 0
        self.stop = False
        self.error = None

    def run(self):
        try:
            r = redis.Redis(host=harness.HOST, port=self.port, socket_timeout=10)
            i = 0
            while not self.stop:
                p = r.pipeline(transaction=False)
                batch_sets, incrs, pushes, msets = [], 0, 0, []
                for _ in range(self.rng.randint(1, 24)):
                    kind = self.rng.randint(0, 3)
                    i += 1
                    if kind == 0:
                        key = "s:%d:%d" % (self.index, i)
                        p.set(key, key)
                        batch_sets.append(key)
                    elif kind == 1:
                        p.incr("cnt:%d" % self.index)
                        incrs += 1
                    elif kind == 2:
                        p.rpush("list:%d" % self.index, self.sent_pushes + pushes)
                        pushes += 1
                    else:
                        m = self.sent_msets + len(msets)
                        # Different hash tags: the keys land on different shards.
                        p.mset({"ma:%d:%d" % (self.index, m): m, "mb:%d:%d" % (self.index, m): m,
                                "mc:%d:%d" % (self.index, m): m})
                        msets.append(m)
                self.sent_incrs += incrs
                self.sent_pushes += pushes
                self.sent_msets += len(msets)
                try:
                    p.execute()
                except (redis.ConnectionError, redis.TimeoutError, OSError):
                    return  # killed: this pipeline is not acknowledged
                self.acked_sets += batch_sets
                self.acked_incrs += incrs
                self.acked_pushes += pushes
                self.acked_msets += msets
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = repr(e)


def check_recovered(r, writers):
    for w in writers:
        check(w.error is None, "writer %d failed: %s" % (w.index, w.error))
        values = r.mget(w.acked_sets) if w.acked_sets else []
        for key, value in zip(w.acked_sets, values):
            check(value == key.encode(), "acknowledged SET %s lost (got %r)" % (key, value))
        count = int(r.get("cnt:%d" % w.index) or 0)
        check(w.acked_incrs <= count <= w.sent_incrs,
              "counter %d is %d: acknowledged %d, sent %d" % (w.index, count, w.acked_incrs,
                                                              w.sent_incrs))
        items = r.lrange("list:%d" % w.index, 0, -1)
        check(len(items) >= w.acked_pushes, "list %d has %d of %d acknowledged pushes" % (
            w.index, len(items), w.acked_pushes))
        eq(items, [str(n).encode() for n in range(len(items))], "list %d in order" % w.index)
        # Every MSET sent is whole or absent; the acknowledged ones are whole.
        acked = set(w.acked_msets)
        for m in range(w.sent_msets):
            got = r.mget("ma:%d:%d" % (w.index, m), "mb:%d:%d" % (w.index, m),
                         "mc:%d:%d" % (w.index, m))
            present = [g is not None for g in got]
            check(all(present) or not any(present),
                  "MSET %d of writer %d half-applied: %r" % (m, w.index, got))
            if m in acked:
                check(all(present), "acknowledged MSET %d of writer %d lost" % (m, w.index))


@test("aof.sigkill_always_keeps_acknowledged_writes", timeout=240)
def t_sigkill(ctx):
    if ctx.kind != "eddy":
        return
    directory = log_directory(ctx)
    rng = random.Random(int(os.environ.get("SEED", "0")) or int(time.time()))
    runs = int(os.environ.get("AOF_KILL_RUNS", "6"))
    # AOF_KILL_FSYNC=no shows the check can fail: replies then leave before their records
    # reach even the kernel, and a kill loses some.
    fsync = os.environ.get("AOF_KILL_FSYNC", "always")
    all_writers = []
    total_acked = 0
    for run in range(runs):
        server = AofServer(ctx, directory, fsync=fsync)
        server.wait_ready()
        if run > 0:
            # What every earlier run acknowledged is still there after each restart.
            check_recovered(server.client(), all_writers)
        writers = [Writer(server.port, run * 10 + k, rng.random()) for k in range(4)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.3, 1.5))
        server.kill9()
        for w in writers:
            w.stop = True
            w.join(15)
        all_writers += writers
        total_acked += sum(len(w.acked_sets) + w.acked_incrs + w.acked_pushes +
                           len(w.acked_msets) for w in writers)
    server = AofServer(ctx, directory)
    server.wait_ready()
    check_recovered(server.client(), all_writers)
    check(total_acked > 100, "too few acknowledged writes to mean anything: %d" % total_acked)
    ctx.note("%d runs, %d acknowledged writes checked" % (runs, total_acked))
    server.stop()


@test("aof.parameters_info_and_clean_restart", timeout=60)
def t_parameters(ctx):
    if ctx.kind != "eddy":
        return
    directory = log_directory(ctx)
    server = AofServer(ctx, directory, fsync="everysec")
    server.wait_ready()
    r = server.client()
    eq(r.config_get("appendonly"), {"appendonly": "yes"}, "CONFIG GET appendonly")
    eq(r.config_get("appendfsync"), {"appendfsync": "everysec"}, "CONFIG GET appendfsync")
    eq(r.config_get("appenddirname"), {"appenddirname": "appendonlydir"}, "appenddirname")
    eq(r.config_get("dir"), {"dir": directory}, "CONFIG GET dir")
    check(r.config_set("appendfsync", "always"), "CONFIG SET appendfsync always")
    eq(r.config_get("appendfsync"), {"appendfsync": "always"}, "appendfsync after SET")
    try:
        r.config_set("appendonly", "no")
        check(False, "CONFIG SET appendonly no at run time was accepted")
    except redis.ResponseError as e:
        check("start-up only" in str(e), "refusal says why: %s" % e)
    info = r.info("persistence")
    eq(info.get("aof_enabled"), 1, "aof_enabled")
    eq(info.get("aof_last_write_status"), "ok", "aof_last_write_status")
    eq(info.get("aof_rewrite_in_progress"), 0, "aof_rewrite_in_progress")
    r.set("k", "v")
    r.mset({"a": 1, "b": 2, "{x}c": 3})
    r.rpush("l", 1, 2, 3)
    r.incrby("n", 5)
    r.set("ttl", "x", px=100000)
    check(r.info("persistence")["aof_current_size"] > 0, "aof_current_size grows")
    server.stop()
    again = AofServer(ctx, directory, fsync="everysec")
    again.wait_ready()
    r = again.client()
    eq(r.get("k"), b"v", "SET after a clean restart")
    eq(r.mget("a", "b", "{x}c"), [b"1", b"2", b"3"], "MSET after a clean restart")
    eq(r.lrange("l", 0, -1), [b"1", b"2", b"3"], "list after a clean restart")
    eq(r.get("n"), b"5", "counter after a clean restart")
    check(0 < r.pttl("ttl") <= 100000, "TTL kept (absolute deadline)")
    again.stop()


@test("aof.damage_in_the_middle_stops_start", timeout=60)
def t_damage(ctx):
    if ctx.kind != "eddy":
        return
    directory = log_directory(ctx)
    server = AofServer(ctx, directory, shards=1)
    server.wait_ready()
    r = server.client()
    for i in range(50):
        r.set("key%d" % i, "value%d" % i)
    server.stop()
    path = os.path.join(directory, "appendonlydir", "appendonly.aof.0.incr.log")
    with open(path, "r+b") as f:
        data = f.read()
        # Records are u32 length | u32 checksum | payload: flip a payload byte of the record
        # that holds the middle of the file (a flipped length could point past the end, which
        # reads as a torn tail).
        at = 0
        while True:
            length = int.from_bytes(data[at:at + 4], "little")
            if at + 8 + length >= len(data) // 2:
                break
            at += 8 + length
        target = at + 8 + length // 2
        f.seek(target)
        f.write(bytes([data[target] ^ 0xFF]))
    refused = AofServer(ctx, directory, shards=1)
    code = refused.proc.wait(20)
    log = refused.log_text()
    check(code != 0, "started on a damaged log: %s" % log)
    check("appendonly.aof.0.incr.log" in log and "at offset" in log,
          "the refusal names the file and offset: %s" % log)
    prefix = AofServer(ctx, directory, shards=1, extra=["--aof-load-damaged-prefix", "yes"])
    prefix.wait_ready()
    r = prefix.client()
    kept = r.dbsize()
    check(0 < kept < 50, "the good prefix is loaded (%d keys)" % kept)
    prefix.stop()


@test("aof.transaction_with_an_empty_part_survives_restart", timeout=60)
def t_empty_part(ctx):
    """DEL of a present key and a missing one on another shard, and MULTI INCR x; GET y; EXEC:
    the shard that changes nothing still has a part, which the log must hold, or recovery
    drops the whole transaction (the deleted key came back, the INCR was lost)."""
    if ctx.kind != "eddy":
        return
    directory = log_directory(ctx)
    server = AofServer(ctx, directory, fsync="always")
    server.wait_ready()
    r = server.client()
    # With 4 shards most of these pairs span two shards.
    for i in range(16):
        r.set("gone%d" % i, "1")
        eq(r.delete("gone%d" % i, "missing%d" % i), 1, "DEL gone%d missing%d" % (i, i))
        p = r.pipeline(transaction=True)
        p.incr("counter%d" % i)
        p.get("absent%d" % i)
        eq(p.execute(), [1, None], "MULTI INCR counter%d GET absent%d EXEC" % (i, i))
    server.stop()
    again = AofServer(ctx, directory, fsync="always")
    again.wait_ready()
    r = again.client()
    eq(r.exists(*["gone%d" % i for i in range(16)]), 0, "deleted keys stay deleted")
    eq([r.get("counter%d" % i) for i in range(16)], [b"1"] * 16, "counters after restart")
    again.stop()


def fill_until_the_log_fails(server, value):
    """SETs until the log's write fails under the file size limit; returns a connection."""
    c = harness.RawClient(server.port)
    for i in range(1000):
        try:
            reply = c.cmd("SET", "k%d" % i, value)
        except (harness.Closed, OSError):
            # The write whose log write failed: not known durable, so not acknowledged.
            c.close()
            return harness.RawClient(server.port)
        if isinstance(reply, harness.Error):
            check(reply.startswith("MISCONF Errors writing to the AOF file: "),
                  "a write refused with %r" % reply)
            return c
        eq(reply, harness.Simple("OK"), "SET k%d" % i)
    check(False, "the file size limit never failed a write: %s" % server.log_text()[-2000:])


@test("aof.write_error_refuses_writes_with_misconf", timeout=60)
def t_misconf(ctx):
    """After the log's write fails (EFBIG under RLIMIT_FSIZE), a write gets -MISCONF on a
    connection that stays open, replies before it in the pipeline are sent, the core still
    serves (PING, reads, INFO), and EXEC of a transaction with a write is refused."""
    if ctx.kind != "eddy":
        return
    directory = log_directory(ctx)
    server = AofServer(ctx, directory, fsync="always", shards=1, file_limit=256 << 10)
    server.wait_ready()
    value = "x" * 4096
    queued = harness.RawClient(server.port)
    eq(queued.cmd("MULTI"), harness.Simple("OK"), "MULTI")
    eq(queued.cmd("SET", "queued", "1"), harness.Simple("QUEUED"), "SET queued before the failure")
    c = fill_until_the_log_fails(server, value)
    c.send(harness.encode_command(["GET", "k0"]) + harness.encode_command(["SET", "after", "1"]) +
           harness.encode_command(["PING"]))
    eq(c.read(), value.encode(), "GET before the refused write")
    refused = c.read()
    check(isinstance(refused, harness.Error) and
          refused.startswith("MISCONF Errors writing to the AOF file: "),
          "SET after the failure: %r" % refused)
    eq(c.read(), harness.Simple("PONG"), "PING after the refused write")
    info = c.cmd("INFO", "persistence").decode()
    check("aof_last_write_status:err" in info, "INFO: %s" % info)
    # EXEC with a write queued is refused as a write and discards the transaction (Redis's
    # execCommandAbort); an EXEC of reads runs.
    refused = queued.cmd("EXEC")
    check(isinstance(refused, harness.Error) and
          refused.startswith("EXECABORT Transaction discarded because of: MISCONF "),
          "EXEC with a queued write: %r" % refused)
    check(isinstance(queued.cmd("EXEC"), harness.Error), "the transaction was discarded")
    eq(queued.cmd("MULTI"), harness.Simple("OK"), "MULTI again")
    eq(queued.cmd("GET", "k0"), harness.Simple("QUEUED"), "GET queued")
    eq(queued.cmd("EXEC"), [value.encode()], "EXEC of a read")
    eq(queued.cmd("GET", "queued"), None, "the refused transaction did not run")
    queued.close()
    c.close()
    server.stop()


@test("aof.sigterm_under_load_keeps_acknowledged_writes", timeout=120)
def t_sigterm(ctx):
    """SIGTERM while clients on both workers write across shards: eddy-server exits 0 and,
    even under everysec, every acknowledged write is in the logs (a shard's flusher stays
    until the sessions of every core have ended, not only those of its own core)."""
    if ctx.kind != "eddy":
        return
    directory = log_directory(ctx)
    rng = random.Random(int(os.environ.get("SEED", "0")) or int(time.time()))
    all_writers = []
    for run in range(3):
        server = AofServer(ctx, directory, fsync="everysec")
        server.wait_ready()
        if run > 0:
            check_recovered(server.client(), all_writers)
        writers = [Writer(server.port, run * 10 + k, rng.random()) for k in range(4)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.3, 1.0))
        server.proc.terminate()
        try:
            code = server.proc.wait(20)
        except subprocess.TimeoutExpired:
            code = None
        check(code == 0, "eddy-server did not exit cleanly on SIGTERM (%r): %s" % (
            code, server.log_text()[-2000:]))
        for w in writers:
            w.stop = True
            w.join(15)
        all_writers += writers
    server = AofServer(ctx, directory, fsync="everysec")
    server.wait_ready()
    check_recovered(server.client(), all_writers)
    server.stop()
