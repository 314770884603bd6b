#!/usr/bin/python3
"""DUMP/RESTORE interoperability between eddy-server and redis-server 7.0.

    /usr/bin/python3 tests/integration/dump_interop.py --eddy build/eddy-server \
        [--redis /usr/bin/redis-server] [--mutations 3000] [--seed 1]

Both servers start on free loopback ports (redis-server with sanitize-dump-payload yes, as
eddy always sanitizes) and run with the same encoding thresholds, set by CONFIG SET on both,
in several rounds (defaults, large values kept in listpacks, tiny thresholds, small quicklist
nodes). In each round values of every type and encoding are built in redis-server; then
  - each is DUMPed by redis-server and RESTOREd in eddy: the value (read back whole), the TYPE
    and OBJECT ENCODING must be the same;
  - eddy DUMPs its copy and redis-server RESTOREs it under another key: the value must again
    be the original, and eddy's payload must restore in eddy too;
  - TTL forms (relative, ABSTTL, REPLACE) behave alike on both.
Finally a seeded differential fuzz mutates valid payloads (bytes overwritten, flipped,
inserted, deleted, cut; the checksum recomputed so the loaders see the damage) and sends each
to both servers: eddy must stay up, and when both accept a payload the values must agree.
Payloads that exactly one server accepts are counted and listed (the first few), and eddy
accepting one that redis-server refuses fails the run, since eddy means to sanitize at least as
strictly.

With --corpus FILE (Redis's tests/integration/corrupt-dump.tcl, say) the RESTORE payloads of
that Tcl file are replayed too, each as written and with its checksum fixed: eddy must refuse
whatever redis-server refuses, and stay up.

Uses redis-py (Debian's python3 has it) and the harness's server lifecycle. Ends with the line
"N passed, M failed"; exit status 1 on any failure.
"""

import argparse
import os
import random
import struct
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import redis  # noqa: E402

# --------------------------------------------------------------------------
# CRC-64 Jones (reflected), for fixing up mutated payloads.
# --------------------------------------------------------------------------

_POLY = 0x95AC9329AC4BC9B5
_TABLE = []
for _b in range(256):
    _c = _b
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc64(data):
    crc = 0
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def frame(body, version=10):
    out = body + struct.pack("<H", version)
    return out + struct.pack("<Q", crc64(out))


# --------------------------------------------------------------------------
# Values of every type and encoding.
# --------------------------------------------------------------------------

INTS = ["0", "12", "13", "127", "128", "-1", "-128", "-129", "4095", "-4096", "-4097",
        "32767", "-32768", "32768", "8388607", "-8388608", "8388608", "2147483647",
        "-2147483648", "2147483648", str(2 ** 62), str(-2 ** 63), str(2 ** 63 - 1)]
STRINGS = ["", "a", "hello", "01", "+5", " 7", "1.5", "\x00\xff\x80", "x" * 63, "y" * 64,
           "abc" * 30, os.urandom(50).hex()]


def rounds():
    """(name, CONFIG SET pairs) for each round."""
    return [
        ("defaults", {"hash-max-listpack-entries": "128", "hash-max-listpack-value": "64",
                      "zset-max-listpack-entries": "128", "zset-max-listpack-value": "64",
                      "set-max-intset-entries": "512", "list-max-listpack-size": "-2"}),
        ("large-values", {"hash-max-listpack-entries": "1000", "hash-max-listpack-value": "10000",
                          "zset-max-listpack-entries": "1000", "zset-max-listpack-value": "10000",
                          "set-max-intset-entries": "2000", "list-max-listpack-size": "-5"}),
        ("tiny", {"hash-max-listpack-entries": "1", "hash-max-listpack-value": "2",
                  "zset-max-listpack-entries": "1", "zset-max-listpack-value": "2",
                  "set-max-intset-entries": "2", "list-max-listpack-size": "1"}),
        ("small-nodes", {"hash-max-listpack-entries": "128", "hash-max-listpack-value": "64",
                         "zset-max-listpack-entries": "128", "zset-max-listpack-value": "64",
                         "set-max-intset-entries": "512", "list-max-listpack-size": "4"}),
    ]


def build(r, rng):
    """Creates the sample keys in `r`; returns their names."""
    keys = []

    def k(name):
        keys.append(name)
        return name

    for i, s in enumerate(INTS + STRINGS):
        r.set(k("str:%d" % i), s)
    r.set(k("str:big"), "z" * 100000)
    r.set(k("str:random"), os.urandom(3000))
    r.set(k("str:float"), "1.5")
    r.incrbyfloat("str:float", 1)
    r.pfadd(k("hll:sparse"), *["e%d" % i for i in range(50)])
    r.pfadd(k("hll:dense"), *["e%d" % i for i in range(5000)])
    r.pfcount("hll:dense")

    elements = INTS + STRINGS + ["w" * 200, "v" * 5000]
    r.rpush(k("list:varied"), *elements)
    r.rpush(k("list:long"), *["item%d" % i if i % 3 else str(i * 7919) for i in range(5000)])
    r.rpush(k("list:one"), "single")
    r.rpush(k("list:huge-element"), "h" * 70000, "tail")

    r.sadd(k("set:int16"), *[str(i) for i in range(-50, 50)])
    r.sadd(k("set:int32"), "1", "70000", "-70000")
    r.sadd(k("set:int64"), "1", str(2 ** 63 - 1), str(-2 ** 63))
    r.sadd(k("set:strings"), *STRINGS[1:])
    r.sadd(k("set:many-ints"), *[str(i * 3) for i in range(1500)])
    r.sadd(k("set:mixed"), "1", "2", "x")

    scores = ["1", "-2.5", "inf", "-inf", "0", "0.1", "1e300", "-1e-300", str(2 ** 62),
              str(2 ** 62 + 512), "123456789012", "-7", "3.14159265358979"]
    mapping = {}
    for i, m in enumerate(elements):
        mapping[m] = scores[i % len(scores)]
    r.zadd(k("zset:varied"), mapping)
    r.zadd(k("zset:small"), {"a": 1, "b": 2})
    r.zadd(k("zset:big"), {"m%d" % i: i * 0.25 - 10 for i in range(300)})
    r.zadd(k("zset:negzero"), {"z": "-0", "y": "1"})

    r.hset(k("hash:small"), mapping={"f": "v", "n": "12"})
    r.hset(k("hash:varied"), mapping={e: elements[(i * 7) % len(elements)]
                                       for i, e in enumerate(elements)})
    r.hset(k("hash:big"), mapping={"field%d" % i: "value%d" % rng.randrange(10 ** 6)
                                    for i in range(700)})
    return keys


def read(r, key):
    t = r.type(key).decode()
    if t == "string":
        return (t, r.get(key))
    if t == "list":
        return (t, r.lrange(key, 0, -1))
    if t == "set":
        return (t, sorted(r.smembers(key)))
    if t == "zset":
        return (t, r.zrange(key, 0, -1, withscores=True))
    if t == "hash":
        return (t, sorted(r.hgetall(key).items()))
    return (t, None)


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


class Tally(object):
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL %s" % what)


def configure(clients, settings):
    for c in clients:
        for name, value in settings.items():
            c.config_set(name, value)


def interop_round(tally, ed, rd, name, settings, rng):
    for c in (ed, rd):
        c.flushall()
    configure((ed, rd), settings)
    keys = build(rd, rng)
    identical = 0
    for key in keys:
        original = read(rd, key)
        payload = rd.dump(key)
        what = "%s %s" % (name, key)
        try:
            ok = ed.restore(key, 0, payload)
        except redis.ResponseError as e:
            tally.check(False, "%s: eddy refused redis's payload (%s) %r" % (what, e, payload[:40]))
            continue
        tally.check(ok, what + ": RESTORE in eddy")
        tally.check(read(ed, key) == original, what + ": value in eddy")
        enc_r, enc_e = rd.object("encoding", key), ed.object("encoding", key)
        tally.check(enc_r == enc_e, "%s: encoding redis %s eddy %s" % (what, enc_r, enc_e))
        back = ed.dump(key)
        identical += back == payload
        copy = key + ":from-eddy"
        try:
            rd.restore(copy, 0, back)
        except redis.ResponseError as e:
            tally.check(False, "%s: redis refused eddy's payload (%s) %r" % (what, e, back[:40]))
            continue
        tally.check(read(rd, copy) == original, what + ": eddy's payload in redis")
        enc_back = rd.object("encoding", copy)
        tally.check(enc_back == enc_r, "%s: encoding after the round trip %s" % (what, enc_back))
        ed.restore(copy, 0, back)
        tally.check(read(ed, copy) == original, what + ": eddy's payload in eddy")
    print("# round %s: %d keys both ways; eddy's payload byte-identical to redis's for %d" % (
        name, len(keys), identical))


def ttl_checks(tally, ed, rd):
    for c in (ed, rd):
        c.flushall()
    rd.set("t", "v")
    payload = rd.dump("t")
    for c, who in ((ed, "eddy"), (rd, "redis")):
        c.restore("rel", 5000, payload)
        tally.check(4000 <= c.pttl("rel") <= 5000, who + ": relative TTL")
        at = int(time.time() * 1000) + 7000
        c.restore("abs", at, payload, absttl=True)
        tally.check(abs(c.pexpiretime("abs") - at) == 0, who + ": ABSTTL")
        c.restore("past", at - 10 ** 6, payload, absttl=True)
        tally.check(c.exists("past") == 0, who + ": a deadline in the past")
        try:
            c.restore("rel", 0, payload)
            tally.check(False, who + ": BUSYKEY")
        except redis.ResponseError as e:
            tally.check(str(e) == "BUSYKEY Target key name already exists.", who + ": BUSYKEY")
        tally.check(c.restore("rel", 0, payload, replace=True), who + ": REPLACE")
        tally.check(c.pttl("rel") == -1, who + ": REPLACE without TTL")
    errors = []
    for c in (ed, rd):
        row = []
        for args in (["RESTORE", "k", "-1", payload], ["RESTORE", "k", "0", payload[:-1]],
                     ["RESTORE", "k", "0", frame(b"\x0f\x00")], ["RESTORE", "k", "0", payload, "X"],
                     ["RESTORE", "k", "0", payload, "FREQ", "300"],
                     ["RESTORE", "k", "0", payload, "IDLETIME", "-3"]):
            try:
                row.append(c.execute_command(*args))
            except redis.ResponseError as e:
                row.append(str(e))
        errors.append(row)
    tally.check(errors[0] == errors[1], "error replies: eddy %r redis %r" % tuple(errors))


def mutate(rng, body):
    body = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(5)
        at = rng.randrange(len(body)) if body else 0
        if kind == 0 and body:
            body[at] = rng.randrange(256)
        elif kind == 1 and body:
            body[at] ^= 1 << rng.randrange(8)
        elif kind == 2:
            body.insert(at, rng.randrange(256))
        elif kind == 3 and body:
            del body[at]
        elif body:
            del body[at:]
    return bytes(body)


def fuzz(tally, ed, rd, eddy_server, count, rng):
    for c in (ed, rd):
        c.flushall()
    configure((ed, rd), rounds()[3][1])
    keys = build(rd, rng)
    seeds = [rd.dump(k) for k in keys]
    seeds = [s for s in seeds if len(s) < 2000]
    both_ok = both_err = only_redis = only_eddy = into_footer = 0
    examples = []
    for i in range(count):
        payload = frame(mutate(rng, rng.choice(seeds)[:-10]))
        outcome = []
        for c in (ed, rd):
            try:
                c.restore("fz", 0, payload, replace=True)
                outcome.append(read(c, "fz"))
            except redis.ResponseError as e:
                outcome.append(("error", str(e)))
            except redis.ConnectionError as e:
                outcome.append(("down", str(e)))
        if not eddy_server.alive():
            tally.check(False, "eddy died on payload %r" % payload)
            return
        if outcome[1][0] == "down":
            print("# redis-server went down on a mutated payload; skipped")
            return
        e_ok, r_ok = outcome[0][0] != "error", outcome[1][0] != "error"
        if e_ok and r_ok:
            both_ok += 1
            tally.check(outcome[0] == outcome[1], "fuzz: both accept %r but differ: %r / %r" % (
                payload, outcome[0], outcome[1]))
        elif not e_ok and not r_ok:
            both_err += 1
            tally.check(outcome[0] == outcome[1], "fuzz: errors differ on %r: %r / %r" % (
                payload, outcome[0], outcome[1]))
        elif r_ok:
            # Redis reads the object from the whole payload, footer included, so a length that
            # runs into the footer can still load there; eddy ends the object before the footer.
            # Such a payload, with its footer made part of the object, must load in eddy.
            try:
                ed.restore("fz", 0, frame(payload), replace=True)
                overlap = read(ed, "fz") == outcome[1]
            except redis.ResponseError:
                overlap = False
            if overlap:
                into_footer += 1
            else:
                only_redis += 1
                if len(examples) < 8:
                    examples.append(("redis only", payload, outcome[0][1]))
        else:
            only_eddy += 1
            tally.check(False, "fuzz: eddy accepts what redis refuses: %r -> %r" % (
                payload, outcome[0]))
        for c in (ed, rd):
            c.delete("fz")
    print("# fuzz: %d payloads: both accept %d, both refuse %d, only redis accepts %d "
          "(+%d whose object runs into the footer), only eddy accepts %d" % (
              count, both_ok, both_err, only_redis, into_footer, only_eddy))
    for kind, payload, why in examples:
        print("#   %s: %r (eddy: %s)" % (kind, payload, why))


def tcl_payloads(path):
    """The payloads of `RESTORE key ttl "..."` lines in a Tcl test file (Redis's corrupt-dump
    tests), unescaped."""
    import re
    with open(path, "rb") as f:
        text = f.read().decode("latin-1")
    out = []
    for m in re.finditer(r'restore \S+ \d+ "([^"]*)"', text, re.IGNORECASE):
        raw, data, i = m.group(1), bytearray(), 0
        simple = {"n": 10, "t": 9, "r": 13, "0": 0}
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                nxt = raw[i + 1]
                if nxt == "x":
                    hexdigits = re.match(r"[0-9a-fA-F]{1,2}", raw[i + 2:]).group(0)
                    data.append(int(hexdigits, 16))
                    i += 2 + len(hexdigits)
                    continue
                data.append(simple.get(nxt, ord(nxt)))
                i += 2
                continue
            data.append(ord(ch))
            i += 1
        out.append(bytes(data))
    return out


def corpus(tally, ed, rd, eddy_server, path):
    """Redis's own corrupt payloads, each as written and with its checksum fixed: eddy must
    refuse whatever redis-server (sanitizing) refuses, and stay up."""
    agree = differ = 0
    for original in tcl_payloads(path):
        for payload in (original, frame(original[:-10]) if len(original) >= 10 else original):
            outcome = []
            for c in (ed, rd):
                try:
                    c.restore("cp", 0, payload, replace=True)
                    outcome.append(read(c, "cp"))
                except redis.ResponseError as e:
                    outcome.append(("error", str(e)))
                except redis.ConnectionError:
                    outcome.append(("down", ""))
            if not eddy_server.alive():
                tally.check(False, "eddy died on corpus payload %r" % payload)
                return
            if outcome[1][0] == "down":
                print("# redis-server went down on a corpus payload; stopping the corpus")
                return
            if outcome[0] == outcome[1]:
                agree += 1
            else:
                differ += 1
                print("# corpus differs: %r: eddy %r, redis %r" % (
                    payload[:60], outcome[0][:2], str(outcome[1])[:80]))
            tally.check(not (outcome[0][0] != "error" and outcome[1][0] == "error"),
                        "corpus: eddy accepts what redis refuses: %r" % payload)
            for c in (ed, rd):
                c.delete("cp")
    print("# corpus %s: %d outcomes agree, %d differ" % (path, agree, differ))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eddy", required=True)
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--mutations", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--corpus", action="append", default=[],
                    help="a Tcl test file of RESTORE payloads (Redis's "
                         "tests/integration/corrupt-dump.tcl) to replay against both servers")
    opts = ap.parse_args()
    rng = random.Random(opts.seed)
    eddy = harness.Server(opts.eddy, "eddy")
    red = harness.Server(opts.redis, "redis")
    eddy.start()
    red.start()
    tally = Tally()
    try:
        ed = redis.Redis(host=harness.HOST, port=eddy.port, socket_timeout=30)
        rd = redis.Redis(host=harness.HOST, port=red.port, socket_timeout=30)
        rd.config_set("sanitize-dump-payload", "yes")
        for name, settings in rounds():
            interop_round(tally, ed, rd, name, settings, rng)
        ttl_checks(tally, ed, rd)
        fuzz(tally, ed, rd, eddy, opts.mutations, rng)
        for path in opts.corpus:
            corpus(tally, ed, rd, eddy, path)
        tally.check(ed.ping(), "eddy still answers")
    finally:
        eddy.stop()
        red.stop()
    print("%d passed, %d failed" % (tally.passed, tally.failed))
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
