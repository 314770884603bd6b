"""Multi-key commands whose keys land on different shards (no hashtags)."""

import threading
import time

import redis

from harness import HOST, Error, Simple, between, check, eq, test


@test("multikey.mset_mget_100")
def mset_mget(ctx):
    c = ctx.raw()
    args = []
    for i in range(100):
        args += ["key:%d" % i, "val:%d" % i]
    eq(c.cmd("MSET", *args), Simple("OK"), "MSET 100 keys")
    eq(c.cmd("MGET", *["key:%d" % i for i in range(100)]),
       [("val:%d" % i).encode() for i in range(100)], "MGET 100 keys")
    eq(c.cmd("DBSIZE"), 100, "DBSIZE")
    # Missing keys interleaved, duplicates repeated.
    eq(c.cmd("MGET", "key:1", "nokey", "key:1", "key:99", "nokey2"),
       [b"val:1", None, b"val:1", b"val:99", None], "MGET with missing and duplicate keys")
    # The same key twice in one MSET: the last value wins.
    eq(c.cmd("MSET", "dup", "first", "other", "o", "dup", "second"), Simple("OK"), "MSET duplicate key")
    eq(c.cmd("GET", "dup"), b"second", "last value wins")
    eq(c.cmd("MSET", "a"), Error("ERR wrong number of arguments for 'mset' command"), "MSET odd args")
    eq(c.cmd("MSET", "a", "1", "b"), Error("ERR wrong number of arguments for 'mset' command"),
       "MSET odd args (3)")
    eq(c.cmd("MGET"), Error("ERR wrong number of arguments for 'mget' command"), "MGET no args")
    # MSET clears a TTL on overwritten keys.
    eq(c.cmd("SET", "ttlkey", "x", "EX", "100"), Simple("OK"), "SET EX")
    eq(c.cmd("MSET", "ttlkey", "y", "key:0", "z"), Simple("OK"), "MSET over TTL key")
    eq(c.cmd("TTL", "ttlkey"), -1, "TTL after MSET")


@test("multikey.msetnx_all_or_nothing")
def msetnx(ctx):
    c = ctx.raw()
    keys = ["nx:%d" % i for i in range(50)]
    eq(c.cmd("SET", "nx:37", "pre"), Simple("OK"), "pre-existing key")
    args = []
    for k in keys:
        args += [k, "new"]
    eq(c.cmd("MSETNX", *args), 0, "MSETNX with one existing key")
    eq(c.cmd("EXISTS", *keys), 1, "no key was set")
    eq(c.cmd("GET", "nx:37"), b"pre", "existing key untouched")
    eq(c.cmd("DEL", "nx:37"), 1, "DEL the pre-existing key")
    eq(c.cmd("MSETNX", *args), 1, "MSETNX on all-new keys")
    eq(c.cmd("MGET", *keys), [b"new"] * 50, "all set")
    eq(c.cmd("MSETNX", "fresh", "1", "nx:0", "2"), 0, "MSETNX where the last key exists")
    eq(c.cmd("EXISTS", "fresh"), 0, "fresh not set")
    eq(c.cmd("MSETNX", "same", "1", "same", "2"), 1, "MSETNX with the same new key twice")
    eq(c.cmd("GET", "same"), b"2", "last value wins")
    eq(c.cmd("MSETNX", "a", "1", "b"), Error("ERR wrong number of arguments for 'msetnx' command"),
       "MSETNX odd args")


@test("multikey.del_exists")
def del_exists(ctx):
    c = ctx.raw()
    args = []
    for i in range(1, 101):
        args += ["k%d" % i, str(i)]
    eq(c.cmd("MSET", *args), Simple("OK"), "MSET k1..k100")
    eq(c.cmd("DEL", *["k%d" % i for i in range(1, 51)]), 50, "DEL k1..k50")
    eq(c.cmd("DBSIZE"), 50, "DBSIZE after DEL")
    eq(c.cmd("DEL", *["k%d" % i for i in range(1, 61)]), 10, "DEL k1..k60 counts only existing")
    eq(c.cmd("DEL", "k70", "k70", "k70"), 1, "DEL with a duplicate key counts it once")
    eq(c.cmd("DEL", "nothing"), 0, "DEL missing")
    eq(c.cmd("EXISTS", "k80"), 1, "EXISTS one")
    eq(c.cmd("EXISTS", "k80", "k80", "k80", "k1"), 3, "EXISTS counts duplicates")
    eq(c.cmd("EXISTS", *["k%d" % i for i in range(1, 101)]), 39, "EXISTS over all")
    eq(c.cmd("EXISTS", "nope"), 0, "EXISTS missing")
    eq(c.cmd("EXISTS"), Error("ERR wrong number of arguments for 'exists' command"), "EXISTS arity")
    eq(c.cmd("DEL"), Error("ERR wrong number of arguments for 'del' command"), "DEL arity")


@test("multikey.rename")
def rename(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "src", "v1"), Simple("OK"), "SET src")
    eq(c.cmd("RENAME", "src", "dst"), Simple("OK"), "RENAME")
    eq(c.cmd("EXISTS", "src"), 0, "src gone")
    eq(c.cmd("GET", "dst"), b"v1", "dst has the value")
    eq(c.cmd("TTL", "dst"), -1, "no TTL")
    # TTL moves with the key.
    eq(c.cmd("SET", "t1", "tv", "EX", "100"), Simple("OK"), "SET EX")
    eq(c.cmd("RENAME", "t1", "t2"), Simple("OK"), "RENAME key with TTL")
    between(c.cmd("TTL", "t2"), 98, 100, "TTL moved to the new name")
    eq(c.cmd("TTL", "t1"), -2, "old name gone")
    # Overwriting a destination that has a TTL: destination takes the source's (none).
    eq(c.cmd("SET", "plain", "p"), Simple("OK"), "SET plain")
    eq(c.cmd("RENAME", "plain", "t2"), Simple("OK"), "RENAME over a key with TTL")
    eq(c.cmd("TTL", "t2"), -1, "overwritten destination has no TTL")
    eq(c.cmd("GET", "t2"), b"p", "overwritten destination value")
    # Same name: OK, key and TTL untouched.
    eq(c.cmd("SET", "self", "s", "PX", "50000"), Simple("OK"), "SET PX")
    eq(c.cmd("RENAME", "self", "self"), Simple("OK"), "RENAME to itself")
    between(c.cmd("PTTL", "self"), 45000, 50000, "TTL kept on self-rename")
    eq(c.cmd("RENAME", "nokey", "x"), Error("ERR no such key"), "RENAME missing")
    eq(c.cmd("RENAME", "a"), Error("ERR wrong number of arguments for 'rename' command"), "RENAME arity")


@test("multikey.renamenx")
def renamenx(ctx):
    c = ctx.raw()
    eq(c.cmd("MSET", "a", "1", "b", "2"), Simple("OK"), "MSET")
    eq(c.cmd("RENAMENX", "a", "b"), 0, "RENAMENX onto existing")
    eq(c.cmd("MGET", "a", "b"), [b"1", b"2"], "nothing changed")
    eq(c.cmd("RENAMENX", "a", "c"), 1, "RENAMENX to new name")
    eq(c.cmd("MGET", "a", "c"), [None, b"1"], "moved")
    eq(c.cmd("SET", "t", "x", "EX", "200"), Simple("OK"), "SET EX")
    eq(c.cmd("RENAMENX", "t", "t2"), 1, "RENAMENX with TTL")
    between(c.cmd("TTL", "t2"), 198, 200, "TTL moved")
    eq(c.cmd("RENAMENX", "t2", "t2"), 0, "RENAMENX to itself")
    eq(c.cmd("RENAMENX", "nokey", "x"), Error("ERR no such key"), "RENAMENX missing")
    # An expired destination does not count as existing.
    eq(c.cmd("SET", "gone", "g", "PX", "1"), Simple("OK"), "SET PX 1")
    time.sleep(0.05)
    eq(c.cmd("RENAMENX", "c", "gone"), 1, "RENAMENX onto an expired key")
    eq(c.cmd("GET", "gone"), b"1", "value moved")


@test("multikey.mset_mget_atomic", timeout=60)
def mset_atomic(ctx):
    keys = ["atom:%s" % ch for ch in "abcdefghij"]
    stop = threading.Event()
    state = {"writes": 0, "reads": 0, "bad": None, "err": None}

    def writer():
        r = redis.Redis(host=HOST, port=ctx.port, socket_timeout=10, single_connection_client=True)
        try:
            i = 0
            while not stop.is_set() and i < 10000000:
                i += 1
                r.mset({k: "v%d" % i for k in keys})
                state["writes"] = i
        except Exception as e:
            state["err"] = "writer: %r" % e
        finally:
            r.close()

    def reader():
        r = redis.Redis(host=HOST, port=ctx.port, socket_timeout=10, single_connection_client=True)
        try:
            last = 0
            while not stop.is_set():
                vals = r.mget(keys)
                state["reads"] += 1
                if vals[0] is None:
                    if any(v is not None for v in vals):
                        state["bad"] = vals
                        return
                    continue
                if len(set(vals)) != 1:
                    state["bad"] = vals
                    return
                n = int(vals[0][1:])
                if n < last:
                    state["bad"] = "went back in time: %d after %d" % (n, last)
                    return
                last = n
        except Exception as e:
            state["err"] = "reader: %r" % e
        finally:
            r.close()

    threads = [threading.Thread(target=writer, daemon=True)] + \
              [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(15)
    check(not any(t.is_alive() for t in threads), "threads did not stop")
    check(state["err"] is None, str(state["err"]))
    check(state["bad"] is None, "MGET saw a torn MSET: %r" % (state["bad"],))
    check(state["writes"] > 10 and state["reads"] > 10,
          "too little traffic to mean anything: %d writes, %d reads" % (state["writes"], state["reads"]))


@test("multikey.rename_atomic", timeout=60)
def rename_atomic(ctx):
    r0 = ctx.client()
    r0.set("x", "payload")
    stop = threading.Event()
    state = {"renames": 0, "reads": 0, "bad": None, "err": None}

    def renamer():
        r = redis.Redis(host=HOST, port=ctx.port, socket_timeout=10, single_connection_client=True)
        try:
            src, dst = "x", "y"
            while not stop.is_set() and state["renames"] < 10000000:
                if r.rename(src, dst) is not True:
                    state["bad"] = "RENAME %s %s failed" % (src, dst)
                    return
                src, dst = dst, src
                state["renames"] += 1
        except Exception as e:
            state["err"] = "renamer: %r" % e
        finally:
            r.close()

    def reader():
        r = redis.Redis(host=HOST, port=ctx.port, socket_timeout=10, single_connection_client=True)
        try:
            while not stop.is_set():
                n = r.exists("x", "y")
                state["reads"] += 1
                if n != 1:
                    state["bad"] = "EXISTS x y returned %r" % n
                    return
        except Exception as e:
            state["err"] = "reader: %r" % e
        finally:
            r.close()

    threads = [threading.Thread(target=renamer, daemon=True)] + \
              [threading.Thread(target=reader, daemon=True) for _ in range(2)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(15)
    check(not any(t.is_alive() for t in threads), "threads did not stop")
    check(state["err"] is None, str(state["err"]))
    check(state["bad"] is None, str(state["bad"]))
    check(state["renames"] > 10 and state["reads"] > 10,
          "too little traffic: %d renames, %d reads" % (state["renames"], state["reads"]))
    eq(r0.exists("x", "y"), 1, "exactly one name at the end")
    eq(r0.get("x") or r0.get("y"), b"payload", "value survived")
