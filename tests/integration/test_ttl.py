"""Expiry: SET options, EXPIRE family, TTL reporting, lazy and active expiry."""

import time

from harness import Error, Simple, between, check, eq, test

OK = Simple("OK")


def now_s():
    return int(time.time())


def now_ms():
    return int(time.time() * 1000)


@test("ttl.set_ex_px_exat_pxat")
def set_expire_options(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "k", "v", "EX", "100"), OK, "SET EX")
    between(c.cmd("TTL", "k"), 99, 100, "TTL after EX 100")
    between(c.cmd("PTTL", "k"), 98000, 100000, "PTTL after EX 100")
    eq(c.cmd("SET", "k", "v", "PX", "100000"), OK, "SET PX")
    between(c.cmd("PTTL", "k"), 98000, 100000, "PTTL after PX 100000")
    eq(c.cmd("SET", "k", "v", "EXAT", str(now_s() + 100)), OK, "SET EXAT")
    between(c.cmd("TTL", "k"), 98, 100, "TTL after EXAT now+100")
    at = now_ms() + 100000
    eq(c.cmd("SET", "k", "v", "PXAT", str(at)), OK, "SET PXAT")
    between(c.cmd("PTTL", "k"), 98000, 100000, "PTTL after PXAT now+100000")
    eq(c.cmd("PEXPIRETIME", "k"), at, "PEXPIRETIME equals the PXAT given")
    eq(c.cmd("EXPIRETIME", "k"), (at + 500) // 1000, "EXPIRETIME is PXAT in seconds, rounded")
    eq(c.cmd("SET", "k", "v", "ex", "50"), OK, "lower-case option")
    between(c.cmd("TTL", "k"), 49, 50, "TTL after ex 50")
    eq(c.cmd("SET", "k", "v"), OK, "plain SET")
    eq(c.cmd("TTL", "k"), -1, "plain SET clears the TTL")
    for opt in ("EX", "PX", "EXAT", "PXAT"):
        for bad in ("0", "-1"):
            eq(c.cmd("SET", "k", "v", opt, bad), Error("ERR invalid expire time in 'set' command"),
               "SET %s %s" % (opt, bad))
        eq(c.cmd("SET", "k", "v", opt, "abc"), Error("ERR value is not an integer or out of range"),
           "SET %s abc" % opt)
    eq(c.cmd("SET", "k", "v", "PX", "9223372036854775807"),
       Error("ERR invalid expire time in 'set' command"), "SET PX overflow")
    eq(c.cmd("SET", "k", "v", "EX", "9223372036854775"),
       Error("ERR invalid expire time in 'set' command"), "SET EX overflow when scaled to ms")
    for bad in (("EX", "10", "PX", "10"), ("EX", "10", "KEEPTTL"), ("KEEPTTL", "PX", "5"),
                ("NX", "XX"), ("EX",), ("FOO",), ("EX", "10", "EXAT", "20")):
        eq(c.cmd("SET", "k", "v", *bad), Error("ERR syntax error"), "SET k v %s" % " ".join(bad))
    eq(c.cmd("TTL", "k"), -1, "failed SETs changed nothing")


@test("ttl.set_nx_xx_keepttl_get")
def set_conditions(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "k", "v1", "XX"), None, "SET XX on a missing key")
    eq(c.cmd("EXISTS", "k"), 0, "not created")
    eq(c.cmd("SET", "k", "v1", "NX"), OK, "SET NX on a missing key")
    eq(c.cmd("SET", "k", "v2", "NX"), None, "SET NX on an existing key")
    eq(c.cmd("GET", "k"), b"v1", "value kept")
    eq(c.cmd("SET", "k", "v3", "XX"), OK, "SET XX on an existing key")
    eq(c.cmd("GET", "k"), b"v3", "value replaced")
    eq(c.cmd("SET", "k", "v4", "EX", "100"), OK, "SET EX")
    eq(c.cmd("SET", "k", "v5", "KEEPTTL"), OK, "SET KEEPTTL")
    between(c.cmd("TTL", "k"), 99, 100, "TTL kept")
    eq(c.cmd("GET", "k"), b"v5", "value replaced under KEEPTTL")
    eq(c.cmd("SET", "k", "v6", "XX", "KEEPTTL"), OK, "SET XX KEEPTTL")
    between(c.cmd("TTL", "k"), 99, 100, "TTL still kept")
    eq(c.cmd("SET", "k", "v7", "GET"), b"v6", "SET GET returns the old value")
    eq(c.cmd("TTL", "k"), -1, "SET GET without KEEPTTL clears the TTL")
    eq(c.cmd("SET", "new", "n", "GET"), None, "SET GET on a missing key")
    eq(c.cmd("GET", "new"), b"n", "and it was set")
    eq(c.cmd("SET", "k", "v8", "NX", "GET"), b"v7", "SET NX GET on existing: old value, not set")
    eq(c.cmd("GET", "k"), b"v7", "unchanged")
    eq(c.cmd("SET", "n2", "x", "NX", "GET"), None, "SET NX GET on missing")
    eq(c.cmd("GET", "n2"), b"x", "set by NX GET")
    eq(c.cmd("SET", "n3", "x", "XX", "GET"), None, "SET XX GET on missing")
    eq(c.cmd("EXISTS", "n3"), 0, "not set by XX GET")
    eq(c.cmd("SET", "k", "v9", "GET", "EX", "100"), b"v7", "SET GET EX")
    between(c.cmd("TTL", "k"), 99, 100, "TTL from SET GET EX")
    eq(c.cmd("SET", "k", "v10", "PX", "200000", "GET", "XX"), b"v9", "options in any order")
    between(c.cmd("PTTL", "k"), 198000, 200000, "PTTL from SET PX ... GET XX")


@test("ttl.expire_options")
def expire_options(ctx):
    c = ctx.raw()
    eq(c.cmd("EXPIRE", "nokey", "10"), 0, "EXPIRE missing key")
    eq(c.cmd("SET", "k", "v"), OK, "SET")
    eq(c.cmd("EXPIRE", "k", "100", "GT"), 0, "GT on a key without TTL (infinite) fails")
    eq(c.cmd("EXPIRE", "k", "100", "XX"), 0, "XX on a key without TTL fails")
    eq(c.cmd("TTL", "k"), -1, "still no TTL")
    eq(c.cmd("EXPIRE", "k", "100", "NX"), 1, "NX on a key without TTL")
    eq(c.cmd("EXPIRE", "k", "50", "NX"), 0, "NX on a key with TTL")
    between(c.cmd("TTL", "k"), 99, 100, "TTL from NX")
    eq(c.cmd("EXPIRE", "k", "200", "XX"), 1, "XX on a key with TTL")
    eq(c.cmd("EXPIRE", "k", "100", "GT"), 0, "GT with a smaller TTL")
    eq(c.cmd("EXPIRE", "k", "300", "GT"), 1, "GT with a larger TTL")
    between(c.cmd("TTL", "k"), 299, 300, "TTL after GT")
    eq(c.cmd("EXPIRE", "k", "400", "LT"), 0, "LT with a larger TTL")
    eq(c.cmd("EXPIRE", "k", "100", "LT"), 1, "LT with a smaller TTL")
    between(c.cmd("TTL", "k"), 99, 100, "TTL after LT")
    eq(c.cmd("EXPIRE", "k", "50", "lt"), 1, "lower-case option")
    between(c.cmd("TTL", "k"), 49, 50, "TTL after lt")
    eq(c.cmd("SET", "p", "v"), OK, "SET p")
    eq(c.cmd("EXPIRE", "p", "100", "LT"), 1, "LT on a key without TTL succeeds")
    eq(c.cmd("PEXPIRE", "p", "500000", "GT"), 1, "PEXPIRE GT")
    between(c.cmd("PTTL", "p"), 498000, 500000, "PTTL after PEXPIRE GT")
    at = now_s() + 1000
    eq(c.cmd("EXPIREAT", "p", str(at), "GT"), 1, "EXPIREAT GT")
    eq(c.cmd("EXPIRETIME", "p"), at, "EXPIRETIME after EXPIREAT")
    eq(c.cmd("PEXPIREAT", "p", str(at * 1000 + 123)), 1, "PEXPIREAT")
    eq(c.cmd("PEXPIRETIME", "p"), at * 1000 + 123, "PEXPIRETIME after PEXPIREAT")
    eq(c.cmd("EXPIRE", "k", "100", "NX", "XX"),
       Error("ERR NX and XX, GT or LT options at the same time are not compatible"), "NX XX")
    eq(c.cmd("EXPIRE", "k", "100", "NX", "GT"),
       Error("ERR NX and XX, GT or LT options at the same time are not compatible"), "NX GT")
    eq(c.cmd("EXPIRE", "k", "100", "GT", "LT"),
       Error("ERR GT and LT options at the same time are not compatible"), "GT LT")
    eq(c.cmd("EXPIRE", "k", "100", "FOO"), Error("ERR Unsupported option FOO"), "unknown option")
    eq(c.cmd("EXPIRE", "k", "abc"), Error("ERR value is not an integer or out of range"), "non-integer")
    eq(c.cmd("EXPIRE", "k", "9223372036854775807"),
       Error("ERR invalid expire time in 'expire' command"), "EXPIRE overflow")
    eq(c.cmd("PEXPIRE", "k", "9223372036854775807"),
       Error("ERR invalid expire time in 'pexpire' command"), "PEXPIRE overflow")
    eq(c.cmd("EXPIRE", "k"), Error("ERR wrong number of arguments for 'expire' command"), "arity")
    # Zero / negative / past times delete the key (when the condition allows).
    eq(c.cmd("EXPIRE", "k", "0", "XX"), 1, "EXPIRE 0 XX on a key with TTL")
    eq(c.cmd("EXISTS", "k"), 0, "deleted by EXPIRE 0")
    eq(c.cmd("SET", "k", "v"), OK, "SET again")
    eq(c.cmd("EXPIRE", "k", "0", "XX"), 0, "EXPIRE 0 XX on a key without TTL")
    eq(c.cmd("EXISTS", "k"), 1, "not deleted")
    eq(c.cmd("EXPIRE", "k", "-1"), 1, "EXPIRE -1")
    eq(c.cmd("EXISTS", "k"), 0, "deleted by EXPIRE -1")
    eq(c.cmd("SET", "k", "v"), OK, "SET again")
    eq(c.cmd("PEXPIRE", "k", "-100"), 1, "PEXPIRE -100")
    eq(c.cmd("GET", "k"), None, "deleted by PEXPIRE -100")
    eq(c.cmd("SET", "k", "v"), OK, "SET again")
    eq(c.cmd("EXPIREAT", "k", "1"), 1, "EXPIREAT in the past")
    eq(c.cmd("EXISTS", "k"), 0, "deleted by EXPIREAT 1")


@test("ttl.ttl_pttl_persist_expiretime")
def ttl_rules(ctx):
    c = ctx.raw()
    eq(c.cmd("TTL", "nokey"), -2, "TTL missing")
    eq(c.cmd("PTTL", "nokey"), -2, "PTTL missing")
    eq(c.cmd("EXPIRETIME", "nokey"), -2, "EXPIRETIME missing")
    eq(c.cmd("PEXPIRETIME", "nokey"), -2, "PEXPIRETIME missing")
    eq(c.cmd("SET", "k", "v"), OK, "SET")
    eq(c.cmd("TTL", "k"), -1, "TTL without expiry")
    eq(c.cmd("PTTL", "k"), -1, "PTTL without expiry")
    eq(c.cmd("EXPIRETIME", "k"), -1, "EXPIRETIME without expiry")
    eq(c.cmd("PEXPIRETIME", "k"), -1, "PEXPIRETIME without expiry")
    eq(c.cmd("PERSIST", "k"), 0, "PERSIST without expiry")
    eq(c.cmd("PERSIST", "nokey"), 0, "PERSIST missing")
    t0 = now_ms()
    eq(c.cmd("PEXPIRE", "k", "100000"), 1, "PEXPIRE")
    pe = c.cmd("PEXPIRETIME", "k")
    check(isinstance(pe, int) and t0 + 99000 <= pe <= now_ms() + 100000 + 5,
          "PEXPIRETIME %r not about now+100000 (now %d)" % (pe, t0))
    eq(c.cmd("EXPIRETIME", "k"), (pe + 500) // 1000, "EXPIRETIME == PEXPIRETIME/1000, rounded")
    eq(c.cmd("PERSIST", "k"), 1, "PERSIST with expiry")
    eq(c.cmd("TTL", "k"), -1, "TTL after PERSIST")
    eq(c.cmd("PERSIST", "k"), 0, "second PERSIST")
    # TTL rounds: 1500 ms left reports 2 s (Redis rounds to nearest).
    eq(c.cmd("SET", "r", "v", "PX", "1500"), OK, "SET PX 1500")
    between(c.cmd("TTL", "r"), 1, 2, "TTL of 1.5 s")
    # Commands that modify but keep the TTL, and commands that clear it.
    eq(c.cmd("SET", "n", "1", "EX", "100"), OK, "SET n EX")
    eq(c.cmd("INCR", "n"), 2, "INCR")
    eq(c.cmd("APPEND", "n", "0"), 2, "APPEND")
    eq(c.cmd("SETRANGE", "n", "0", "3"), 2, "SETRANGE")
    eq(c.cmd("INCRBYFLOAT", "n", "1.5"), b"31.5", "INCRBYFLOAT")
    between(c.cmd("TTL", "n"), 99, 100, "TTL survives INCR/APPEND/SETRANGE/INCRBYFLOAT")
    eq(c.cmd("GETSET", "n", "x"), b"31.5", "GETSET")
    eq(c.cmd("TTL", "n"), -1, "GETSET clears the TTL")


@test("ttl.lazy_expiry")
def lazy_expiry(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "k", "v", "PX", "100"), OK, "SET PX 100")
    eq(c.cmd("GET", "k"), b"v", "visible before expiry")
    eq(c.cmd("SET", "k2", "v", "PX", "100"), OK, "SET k2 PX 100")
    eq(c.cmd("SET", "k3", "v", "PX", "100"), OK, "SET k3 PX 100")
    eq(c.cmd("SET", "k4", "v", "PX", "100"), OK, "SET k4 PX 100")
    eq(c.cmd("SET", "k5", "v", "PX", "100"), OK, "SET k5 PX 100")
    time.sleep(0.3)
    eq(c.cmd("GET", "k"), None, "GET after expiry")
    eq(c.cmd("EXISTS", "k2"), 0, "EXISTS after expiry")
    eq(c.cmd("TTL", "k3"), -2, "TTL after expiry")
    eq(c.cmd("MGET", "k4", "k5"), [None, None], "MGET after expiry")
    eq(c.cmd("SET", "k4", "new", "NX"), OK, "SET NX over an expired key")
    eq(c.cmd("INCR", "k5"), 1, "INCR over an expired key starts at 0")
    eq(c.cmd("TTL", "k5"), -1, "and has no TTL")


@test("ttl.active_expiry_1000_keys", timeout=30)
def active_expiry(ctx):
    r = ctx.client()
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.set("ax:%d" % i, "v", px=100)
    check(all(x is True for x in p.execute()), "SET PX 100 x1000")
    r.set("keeper", "stays")
    n = r.dbsize()
    check(n >= 990, "DBSIZE right after the SETs: %d" % n)
    # The keys are never touched again: only the active expiry cycle can
    # remove them. DBSIZE itself does not expire keys.
    deadline = time.monotonic() + 2.5
    while time.monotonic() < deadline:
        n = r.dbsize()
        if n == 1:
            break
        time.sleep(0.1)
    eq(n, 1, "DBSIZE ~1.5 s after 1000 keys expired (active expiry)")
    eq(r.get("keeper"), b"stays", "the key without TTL survived")
    text = ctx.raw().cmd("INFO", "keyspace").decode()
    check("db0:keys=1,expires=0" in text, "INFO keyspace after active expiry: %r" % text)


@test("ttl.getex")
def getex(ctx):
    c = ctx.raw()
    eq(c.cmd("GETEX", "nokey"), None, "GETEX missing")
    eq(c.cmd("GETEX", "nokey", "EX", "10"), None, "GETEX EX missing")
    eq(c.cmd("EXISTS", "nokey"), 0, "not created")
    eq(c.cmd("SET", "k", "v"), OK, "SET")
    eq(c.cmd("GETEX", "k"), b"v", "GETEX without options")
    eq(c.cmd("TTL", "k"), -1, "no TTL")
    eq(c.cmd("GETEX", "k", "EX", "100"), b"v", "GETEX EX")
    between(c.cmd("TTL", "k"), 99, 100, "TTL after GETEX EX")
    eq(c.cmd("GETEX", "k", "PX", "50000"), b"v", "GETEX PX")
    between(c.cmd("PTTL", "k"), 48000, 50000, "PTTL after GETEX PX")
    eq(c.cmd("GETEX", "k", "EXAT", str(now_s() + 200)), b"v", "GETEX EXAT")
    between(c.cmd("TTL", "k"), 198, 200, "TTL after GETEX EXAT")
    at = now_ms() + 300000
    eq(c.cmd("GETEX", "k", "PXAT", str(at)), b"v", "GETEX PXAT")
    eq(c.cmd("PEXPIRETIME", "k"), at, "PEXPIRETIME after GETEX PXAT")
    eq(c.cmd("GETEX", "k", "PERSIST"), b"v", "GETEX PERSIST")
    eq(c.cmd("TTL", "k"), -1, "TTL after GETEX PERSIST")
    eq(c.cmd("GETEX", "k", "EX", "0"), Error("ERR invalid expire time in 'getex' command"), "GETEX EX 0")
    eq(c.cmd("GETEX", "k", "EX", "-5"), Error("ERR invalid expire time in 'getex' command"), "GETEX EX -5")
    eq(c.cmd("GETEX", "k", "PERSIST", "EX", "5"), Error("ERR syntax error"), "GETEX PERSIST EX")
    eq(c.cmd("GETEX", "k", "FOO"), Error("ERR syntax error"), "GETEX unknown option")
    eq(c.cmd("GETEX", "k", "EX", "abc"), Error("ERR value is not an integer or out of range"), "GETEX EX abc")
    eq(c.cmd("GETEX", "k", "PX", "100"), b"v", "GETEX PX 100")
    time.sleep(0.3)
    eq(c.cmd("GETEX", "k"), None, "expired after GETEX PX 100")


@test("ttl.setex_psetex")
def setex(ctx):
    c = ctx.raw()
    eq(c.cmd("SETEX", "k", "100", "v"), OK, "SETEX")
    eq(c.cmd("GET", "k"), b"v", "value")
    between(c.cmd("TTL", "k"), 99, 100, "TTL after SETEX")
    eq(c.cmd("PSETEX", "k", "50000", "w"), OK, "PSETEX")
    eq(c.cmd("GET", "k"), b"w", "value")
    between(c.cmd("PTTL", "k"), 48000, 50000, "PTTL after PSETEX")
    eq(c.cmd("SETEX", "k", "0", "v"), Error("ERR invalid expire time in 'setex' command"), "SETEX 0")
    eq(c.cmd("SETEX", "k", "-1", "v"), Error("ERR invalid expire time in 'setex' command"), "SETEX -1")
    eq(c.cmd("PSETEX", "k", "0", "v"), Error("ERR invalid expire time in 'psetex' command"), "PSETEX 0")
    eq(c.cmd("PSETEX", "k", "-10", "v"), Error("ERR invalid expire time in 'psetex' command"), "PSETEX -10")
    eq(c.cmd("SETEX", "k", "abc", "v"), Error("ERR value is not an integer or out of range"), "SETEX abc")
    eq(c.cmd("SETEX", "k", "10"), Error("ERR wrong number of arguments for 'setex' command"), "SETEX arity")
    eq(c.cmd("GET", "k"), b"w", "failed SETEX changed nothing")
    eq(c.cmd("PSETEX", "short", "100", "v"), OK, "PSETEX 100")
    time.sleep(0.3)
    eq(c.cmd("GET", "short"), None, "expired")
