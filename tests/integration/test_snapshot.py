"""Snapshots (SAVE, BGSAVE, LASTSAVE, save rules, the snapshot at shutdown) with appendonly
off: eddy-server restarted on the same directory loads the newest snapshot, every type and TTL
back; BGSAVE taken while clients write keeps serving them and holds no half MSET; a damaged
snapshot file refuses the start, naming the file and the offset.

eddy only: each test starts its own servers on a temporary directory."""

import os
import subprocess
import threading
import time

import redis

import harness
from harness import check, eq, test


def data_directory(ctx):
    return harness.temp_directory(ctx, "eddy-it-snap-")


class SnapServer(harness.DirServer):
    def __init__(self, ctx, directory, shards=4, extra=()):
        harness.DirServer.__init__(self, ctx, directory, shards, extra=extra,
                                   log_prefix="eddy-it-snap-", start_timeout=60,
                                   client_timeout=30, stop_timeout=30)


def wait_bgsave_done(r, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        info = r.info("persistence")
        if info["rdb_bgsave_in_progress"] == 0:
            return info
        time.sleep(0.02)
    check(False, "BGSAVE did not finish in %d s" % seconds)


def fill_every_type(r):
    r.set("str", "hello")
    r.set("int", 12345)
    r.set("big", "x" * 100000)
    r.hset("hash", mapping={"f%d" % i: "v%d" % i for i in range(10)})
    r.hset("bighash", mapping={"f%d" % i: "v%d" % i for i in range(1000)})
    r.rpush("list", *range(100))
    r.sadd("iset", *range(50))
    r.sadd("sset", *["m%d" % i for i in range(300)])
    r.zadd("zset", {"a": 1.5, "b": -2, "c": 3e10})
    r.zadd("bigzset", {"m%d" % i: i for i in range(500)})
    r.pfadd("hll", *["e%d" % i for i in range(1000)])
    r.set("ttl", "x", px=500000)
    r.execute_command("SELECT", 0)


def check_every_type(r, what):
    eq(r.get("str"), b"hello", what + ": string")
    eq(r.get("int"), b"12345", what + ": integer string")
    eq(r.get("big"), b"x" * 100000, what + ": big string")
    eq(r.hgetall("hash"), {b"f%d" % i: b"v%d" % i for i in range(10)}, what + ": hash")
    eq(r.hlen("bighash"), 1000, what + ": big hash")
    eq(r.lrange("list", 0, -1), [b"%d" % i for i in range(100)], what + ": list")
    eq(r.scard("iset"), 50, what + ": intset")
    eq(r.scard("sset"), 300, what + ": set")
    eq(r.zrange("zset", 0, -1, withscores=True), [(b"b", -2.0), (b"a", 1.5), (b"c", 3e10)],
       what + ": zset")
    eq(r.zcard("bigzset"), 500, what + ": big zset")
    eq(r.pfcount("hll"), r.pfcount("hll"), what + ": hll")
    check(990 <= r.pfcount("hll") <= 1010, what + ": hll count")
    check(0 < r.pttl("ttl") <= 500000, what + ": TTL kept")


@test("snapshot.save_restart_every_type_back", timeout=120)
def t_save_restart(ctx):
    if ctx.kind != "eddy":
        return
    directory = data_directory(ctx)
    server = SnapServer(ctx, directory)
    server.wait_ready()
    r = server.client()
    fill_every_type(r)
    r3 = server.client(db=3)
    r3.set("in-db-3", "three")
    before = r.lastsave()
    info = r.info("persistence")
    check(info["rdb_changes_since_last_save"] > 0, "changes counted before SAVE")
    time.sleep(1.1)
    check(r.save(), "SAVE answers OK")
    after = r.lastsave()
    check(after > before, "LASTSAVE moves (%r -> %r)" % (before, after))
    info = r.info("persistence")
    eq(info["rdb_changes_since_last_save"], 0, "rdb_changes_since_last_save after SAVE")
    eq(info["rdb_last_bgsave_status"], "ok", "rdb_last_bgsave_status")
    eq(info["rdb_bgsave_in_progress"], 0, "rdb_bgsave_in_progress")
    eq(info["rdb_saves"], 1, "rdb_saves")
    check(os.path.exists(os.path.join(directory, "dump.rdb")), "the manifest is dump.rdb")
    r.set("after-save", "lost")  # no save rules: a clean stop writes nothing more
    eq(server.stop(), 0, "clean stop")
    again = SnapServer(ctx, directory)
    again.wait_ready()
    r = again.client()
    check_every_type(r, "after restart")
    eq(again.client(db=3).get("in-db-3"), b"three", "database 3 kept")
    eq(r.get("after-save"), None, "a write after SAVE without save rules is not kept")
    info = r.info("persistence")
    check(info["rdb_last_load_keys_loaded"] >= 13, "rdb_last_load_keys_loaded")
    check("snapshot loaded" in again.log_text(), "the load is reported")
    again.stop()


@test("snapshot.bgsave_while_clients_write", timeout=240)
def t_bgsave_under_writes(ctx):
    if ctx.kind != "eddy":
        return
    directory = data_directory(ctx)
    server = SnapServer(ctx, directory)
    server.wait_ready()
    r = server.client()
    preload = 200000
    p = r.pipeline(transaction=False)
    for i in range(preload):
        p.set("pre:%d" % i, i)
        if i % 5000 == 4999:
            p.execute()
    p.execute()
    # Writers change the preloaded keys and add MSETs across shards while BGSAVE runs.
    stop = threading.Event()
    errors = []
    msets = [0]

    def writer():
        try:
            w = server.client()
            i = 0
            while not stop.is_set():
                p = w.pipeline(transaction=False)
                for _ in range(50):
                    p.set("pre:%d" % (i % preload), "changed")
                    p.mset({"ma:%d" % i: i, "mb:%d" % i: i, "mc:%d" % i: i})
                    i += 1
                p.execute()
                msets[0] = i
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    bench = subprocess.Popen(["redis-benchmark", "-h", harness.HOST, "-p", str(server.port),
                              "-t", "set", "-n", "100000", "-r", "100000", "-q", "-P", "8"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    eq(r.bgsave(), True, "BGSAVE answers Background saving started")
    try:
        r.bgsave()
        second = "started"
    except redis.ResponseError as e:
        second = str(e)
    info = wait_bgsave_done(r)
    eq(info["rdb_last_bgsave_status"], "ok", "BGSAVE succeeded")
    check(second in ("started", "Background save already in progress"),
          "a second BGSAVE: %s" % second)
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(30)
    out = bench.communicate(timeout=120)[0].decode()
    eq(bench.returncode, 0, "redis-benchmark ran against the server during BGSAVE: " + out)
    check(not errors, "writers saw no errors: %r" % errors[:1])
    check(msets[0] > 0, "writers wrote during the snapshot")
    server.kill9()  # no shutdown save: what comes back is the BGSAVE
    again = SnapServer(ctx, directory)
    again.wait_ready()
    r = again.client()
    pre = r.mget(["pre:%d" % i for i in range(preload)])
    check(all(v is not None for v in pre), "every preloaded key is in the snapshot")
    check(all(v == b"changed" or int(v) == i for i, v in enumerate(pre)),
          "each preloaded key holds its value or a later write")
    half = 0
    for key in r.scan_iter("ma:*", count=1000):
        i = key.decode().split(":")[1]
        vals = r.mget("ma:%s" % i, "mb:%s" % i, "mc:%s" % i)
        if None in vals:
            half += 1
    for key in r.scan_iter("mb:*", count=1000):
        i = key.decode().split(":")[1]
        if r.get("ma:%s" % i) is None:
            half += 1
    eq(half, 0, "no MSET is half in the snapshot")
    again.stop()


@test("snapshot.save_rules_and_shutdown_save", timeout=120)
def t_save_rules(ctx):
    if ctx.kind != "eddy":
        return
    directory = data_directory(ctx)
    server = SnapServer(ctx, directory, extra=["--save", "1 1"])
    server.wait_ready()
    r = server.client()
    eq(r.config_get("save"), {"save": "1 1"}, "CONFIG GET save")
    r.set("a", "1")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and r.info("persistence")["rdb_saves"] == 0:
        time.sleep(0.1)
    check(r.info("persistence")["rdb_saves"] >= 1, "a save rule started a snapshot")
    check(r.config_set("save", "3600 1 300 100"), "CONFIG SET save")
    eq(r.config_get("save"), {"save": "3600 1 300 100"}, "rules after CONFIG SET")
    try:
        r.config_set("save", "10")
        check(False, "odd save rules accepted")
    except redis.ResponseError as e:
        check("Invalid save parameters" in str(e), "refusal: %s" % e)
    r.set("b", "2")  # after the last snapshot: kept by the shutdown save
    eq(server.stop(), 0, "clean stop")
    check("DB saved on disk" in server.log_text(), "shutdown save reported")
    again = SnapServer(ctx, directory)
    again.wait_ready()
    r = again.client()
    eq(r.mget("a", "b"), [b"1", b"2"], "keys back after the shutdown save")
    again.stop()


@test("snapshot.commands_and_errors", timeout=60)
def t_errors(ctx):
    if ctx.kind != "eddy":
        return
    directory = data_directory(ctx)
    server = SnapServer(ctx, directory)
    server.wait_ready()
    r = server.client()
    try:
        r.execute_command("BGSAVE", "NOW")
        check(False, "BGSAVE NOW accepted")
    except redis.ResponseError as e:
        check("syntax error" in str(e), "BGSAVE NOW: %s" % e)
    raw = harness.RawClient(server.port, timeout=10)
    eq(raw.cmd("BGSAVE", "SCHEDULE"), harness.Simple("Background saving started"),
       "BGSAVE SCHEDULE")
    raw.close()
    wait_bgsave_done(r)
    p = r.pipeline(transaction=True)
    p.bgsave()
    out = p.execute(raise_on_error=False)
    eq(out[0], True, "BGSAVE inside EXEC is scheduled")
    wait_bgsave_done(r)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and r.info("persistence")["rdb_saves"] < 2:
        time.sleep(0.1)
    eq(r.info("persistence")["rdb_saves"], 2, "the scheduled BGSAVE ran")
    # As Redis: SAVE and SHUTDOWN are refused while queueing, and EXEC aborts.
    for command in ("SAVE", "SHUTDOWN"):
        raw = harness.RawClient(server.port, timeout=10)
        eq(raw.cmd("MULTI"), harness.Simple("OK"), "MULTI")
        raw.cmd("SET", "foo", "bar")
        queued = raw.cmd(command)
        check("Command not allowed inside a transaction" in str(queued),
              "%s inside MULTI: %r" % (command, queued))
        check(str(raw.cmd("EXEC")).startswith("EXECABORT"), "EXEC after %s aborts" % command)
        eq(raw.cmd("GET", "foo"), None, "nothing of the aborted transaction ran")
        raw.close()
    r.close()
    server.stop()


@test("snapshot.damaged_file_refuses_start", timeout=60)
def t_damaged(ctx):
    if ctx.kind != "eddy":
        return
    directory = data_directory(ctx)
    server = SnapServer(ctx, directory, shards=1)
    server.wait_ready()
    r = server.client()
    p = r.pipeline(transaction=False)
    for i in range(20000):
        p.set("k%d" % i, "v%d" % i)
    p.execute()
    check(r.save(), "SAVE")
    server.stop()
    names = [n for n in os.listdir(directory) if n.endswith(".snap")]
    eq(len(names), 1, "one shard file: %r" % names)
    path = os.path.join(directory, names[0])
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(len(data) // 2)
        f.write(bytes([data[len(data) // 2] ^ 0xFF]))
    refused = SnapServer(ctx, directory, shards=1)
    code = refused.proc.wait(30)
    log = refused.log_text()
    check(code != 0, "started on a damaged snapshot: %s" % log)
    check(names[0] in log and "at offset" in log, "the refusal names file and offset: %s" % log)
    other = SnapServer(ctx, directory, shards=2)
    code = other.proc.wait(30)
    check(code != 0 and "--shards" in other.log_text(), "another shard count is refused")


def shutdown(server, *args):
    """SHUTDOWN with `args`: no reply, the connection closes, the process exits."""
    raw = harness.RawClient(server.port, timeout=10)
    reply = None
    try:
        reply = raw.cmd("SHUTDOWN", *args)
    except (harness.Closed, OSError):
        pass  # closed without a reply, as Redis does
    finally:
        raw.close()
    check(reply is None, "SHUTDOWN %s replied %r" % (" ".join(args), reply))
    return server.proc.wait(30)


@test("snapshot.shutdown_save_and_nosave", timeout=120)
def t_shutdown(ctx):
    if ctx.kind != "eddy":
        return
    directory = data_directory(ctx)
    server = SnapServer(ctx, directory)
    server.wait_ready()
    r = server.client()
    for args, reply in [(("SAVE", "NOSAVE"), "syntax error"), (("LATER",), "syntax error"),
                        (("ABORT",), "No shutdown in progress")]:
        try:
            r.execute_command("SHUTDOWN", *args)
            check(False, "SHUTDOWN %r accepted" % (args,))
        except redis.ResponseError as e:
            check(reply in str(e), "SHUTDOWN %r: %s" % (args, e))
    r.set("k", "v")
    r.close()
    eq(shutdown(server, "SAVE"), 0, "SHUTDOWN SAVE exits 0")
    check("DB saved on disk" in server.log_text(), "SHUTDOWN SAVE saved without save rules")
    again = SnapServer(ctx, directory, extra=["--save", "3600 1"])
    again.wait_ready()
    r = again.client()
    eq(r.get("k"), b"v", "the key SHUTDOWN SAVE kept")
    r.set("k", "changed")
    r.close()
    eq(shutdown(again, "NOSAVE"), 0, "SHUTDOWN NOSAVE exits 0")
    check("DB saved on disk" not in again.log_text(), "SHUTDOWN NOSAVE saved nothing")
    third = SnapServer(ctx, directory)
    third.wait_ready()
    eq(third.client().get("k"), b"v", "after NOSAVE the last snapshot is what comes back")
    third.stop()
