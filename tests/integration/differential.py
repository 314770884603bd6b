#!/usr/bin/python3
"""Differential test: the same seeded command streams go to eddy-server and to redis-server,
and every reply must be the same.

    /usr/bin/python3 tests/integration/differential.py --eddy build/eddy-server \
        [--redis /usr/bin/redis-server] [--seeds 1..200] [--ops 300] [--families a,b,...]

Each seed picks one family (or "mixed": all families on one key pool, so WRONGTYPE paths are
exercised), a protocol (RESP2 or RESP3) and a stream of commands over a few keys, members
and values chosen so that collections cross Redis's encoding thresholds. Replies are compared
exactly (type and bytes, doubles by their text), except where Redis itself promises no order
(SMEMBERS, HKEYS, KEYS ...): those are compared as sorted multisets. Random commands are used
only in forms whose outcome is determined (SPOP of everything, SRANDMEMBER 0), and
lexicographic ranges only over sorted sets whose members share one score (Redis leaves the
rest unspecified). Each stream ends by reading back every key (TYPE, OBJECT ENCODING, its whole value).

eddy runs with 2 workers, so multi-key commands span shards. A mismatch prints the seed, the
command number, the commands that led there and both replies, and the exit status is 1.
"""

import argparse
import os
import random
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402

# --------------------------------------------------------------------------
# A RESP2/RESP3 reader that keeps every reply's type and exact text.
# --------------------------------------------------------------------------


class Conn(object):
    def __init__(self, port):
        self.sock = socket.create_connection((harness.HOST, port), timeout=20)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def cmd(self, args):
        self.sock.sendall(harness.encode_command(args))
        return self.parse()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise harness.Closed("connection closed by server")
        self.buf += chunk

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def parse(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-", b":", b",", b"#", b"("):
            return (t.decode(), rest)
        if t == b"_":
            return ("_", b"")
        if t in (b"$", b"="):
            n = int(rest)
            return ("$", None) if n < 0 else ("$", self._exact(n))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            if n < 0:
                return ("*", None)
            return (t.decode(), [self.parse() for _ in range(n)])
        if t == b"%":
            n = int(rest)
            return ("%", [(self.parse(), self.parse()) for _ in range(n)])
        raise RuntimeError("unknown RESP type %r" % line[:40])


def sort_key(reply):
    return repr(reply)


# Commands whose array reply has no defined order in Redis.
UNORDERED = {"smembers", "sunion", "sinter", "sdiff", "hkeys", "hvals", "keys", "spop"}
# Flat field/value arrays (RESP2) with no defined order.
UNORDERED_PAIRS = {"hgetall"}


def normalise(args, reply):
    name = args[0].lower()
    kind, body = reply
    if name in ("ttl", "pttl", "expiretime", "pexpiretime") and kind == ":" and int(body) > 0:
        return (":", b"positive")  # the two servers read their clocks at different moments
    if kind in ("*", "~") and body is not None:
        if name in UNORDERED:
            return ("*", sorted(body, key=sort_key))
        if name in UNORDERED_PAIRS:
            pairs = [(body[i], body[i + 1]) for i in range(0, len(body) - 1, 2)]
            return ("*", sorted(pairs, key=sort_key))
    if kind == "%":
        return ("%", sorted(body, key=sort_key))
    if kind == "~":
        return ("~", sorted(body, key=sort_key))
    return reply


# --------------------------------------------------------------------------
# Command generators, one per family. Each returns a list of arguments.
# --------------------------------------------------------------------------


class Gen(object):
    def __init__(self, rng):
        self.r = rng
        self.keys = ["k%d" % i for i in range(5)] + ["{t}a", "{t}b"]
        # EXPIRE's positive seconds are distinct within a stream and 10 s apart, and none
        # is within 5 s of the TTLs SET and GETEX give (500, 900, 1000): so EXPIRE GT/LT
        # compares two deadlines that differ by seconds, never two that differ only by the
        # milliseconds between the commands (where each server's answer would hang on
        # whether its clock had ticked).
        self.expire_seconds = [str(1005 + 10 * i) for i in range(200)]
        rng.shuffle(self.expire_seconds)

    def key(self):
        return self.r.choice(self.keys)

    def keys_n(self, lo=1, hi=3):
        return [self.key() for _ in range(self.r.randint(lo, hi))]

    def member(self):
        r = self.r.random()
        if r < 0.55:
            return "m%d" % self.r.randint(0, 12)
        if r < 0.85:
            return str(self.r.randint(-20, 300))
        if r < 0.95:
            return "x" * self.r.choice([0, 1, 63, 64, 65, 100])
        return self.r.choice(["", " ", "\x00bin\xff", "-0", "01", "1e3", "inf"])

    def value(self):
        r = self.r.random()
        if r < 0.5:
            return "v%d" % self.r.randint(0, 9)
        if r < 0.8:
            return str(self.r.randint(-1000, 1000))
        if r < 0.9:
            return "y" * self.r.choice([22, 23, 44, 45, 64, 65, 200])
        return self.r.choice(["", "3.5", " 1", "1 ", "9223372036854775807", "-9223372036854775808",
                              "9223372036854775808", "0x10", "nan", "+1"])

    def int_arg(self, lo=-5, hi=20):
        r = self.r.random()
        if r < 0.9:
            return str(self.r.randint(lo, hi))
        return self.r.choice(["abc", "1.5", "", "-0", "9223372036854775807", "-9223372036854775808",
                              "99999999999999999999"])

    def score(self):
        r = self.r.random()
        if r < 0.6:
            return str(self.r.randint(-5, 10))
        if r < 0.8:
            return self.r.choice(["1.5", "-2.25", "0.1", "1e2", "3.0000000000000004"])
        return self.r.choice(["inf", "-inf", "+inf", "nan", "abc", "", "(1", "1e400"])

    def range_score(self):
        s = self.r.choice(["-inf", "+inf", "0", "1", "2.5", "5", "-3", "abc", "10"])
        if self.r.random() < 0.3 and s not in ("abc",):
            s = "(" + s
        return s

    def range_lex(self):
        return self.r.choice(["-", "+", "[m1", "(m3", "[m5", "(m9", "m1", "[", "(", "[x"])

    # ---- families

    def string(self):
        r, k = self.r, self.key()
        c = r.randrange(22)
        if c == 0:
            args = ["SET", k, self.value()]
            args += r.choice([[], [], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX", "1000"],
                              ["PX", "900000"], ["EX", "0"], ["NX", "XX"], ["EX", "abc"]])
            return args
        if c == 1:
            return ["GET", k]
        if c == 2:
            return ["APPEND", k, self.value()]
        if c == 3:
            return ["INCR", k]
        if c == 4:
            return ["INCRBY", k, self.int_arg(-100, 100)]
        if c == 5:
            return ["DECRBY", k, self.int_arg(-100, 100)]
        if c == 6:
            return ["INCRBYFLOAT", k, r.choice(["1.5", "-0.25", "10", "abc", "1e10", "inf"])]
        if c == 7:
            return ["STRLEN", k]
        if c == 8:
            return ["GETRANGE", k, self.int_arg(-10, 10), self.int_arg(-10, 10)]
        if c == 9:
            return ["SETRANGE", k, self.int_arg(0, 40), self.value()]
        if c == 10:
            args = ["MSET"]
            for _ in range(r.randint(1, 3)):
                args += [self.key(), self.value()]
            return args
        if c == 11:
            return ["MGET"] + self.keys_n(1, 4)
        if c == 12:
            return ["SETNX", k, self.value()]
        if c == 13:
            return ["GETDEL", k]
        if c == 14:
            return ["GETSET", k, self.value()]
        if c == 15:
            return ["GETEX", k] + r.choice([[], ["PERSIST"], ["EX", "500"]])
        if c == 16:
            return ["DECR", k]
        if c == 17:
            return ["MSETNX", self.key(), self.value(), self.key(), self.value()]
        if c == 18:
            return ["OBJECT", "ENCODING", k]
        if c == 19:
            return ["SETEX", k, r.choice(["100", "0", "-1"]), self.value()]
        if c == 20:
            return ["LCS", self.key(), self.key()] + r.choice([[], ["LEN"]])
        return ["TYPE", k]

    def keys_family(self):
        r, k = self.r, self.key()
        c = r.randrange(16)
        if c == 0:
            return ["SET", k, self.value()]
        if c == 1:
            return ["RENAME", k, self.key()]
        if c == 2:
            return ["RENAMENX", k, self.key()]
        if c == 3:
            return ["COPY", k, self.key()] + r.choice([[], ["REPLACE"]])
        if c == 4:
            if r.random() < 0.8 and self.expire_seconds:
                seconds = self.expire_seconds.pop()
            else:
                seconds = r.choice(["-1", "abc"])
            return ["EXPIRE", k, seconds] + r.choice(
                [[], ["NX"], ["XX"], ["GT"], ["LT"]])
        if c == 5:
            return ["PERSIST", k]
        if c == 6:
            return ["TTL", k]
        if c == 7:
            return ["DEL"] + self.keys_n()
        if c == 8:
            return ["UNLINK"] + self.keys_n()
        if c == 9:
            return ["EXISTS"] + self.keys_n()
        if c == 10:
            return ["TOUCH"] + self.keys_n()
        if c == 11:
            return ["DBSIZE"]
        if c == 12:
            return ["KEYS", r.choice(["*", "k*", "k[0-2]", "?t?a", "*a"])]
        if c == 13:
            return ["PTTL", k]
        if c == 14:
            return ["EXPIRETIME", k]
        return ["TYPE", k]

    def hash(self):
        r, k = self.r, self.key()
        c = r.randrange(16)
        if c in (0, 1):
            args = ["HSET", k]
            for _ in range(r.randint(1, 4)):
                args += [self.member(), self.value()]
            return args
        if c == 2:
            return ["HSETNX", k, self.member(), self.value()]
        if c == 3:
            return ["HGET", k, self.member()]
        if c == 4:
            return ["HMGET", k, self.member(), self.member()]
        if c == 5:
            return ["HDEL", k] + [self.member() for _ in range(r.randint(1, 3))]
        if c == 6:
            return ["HLEN", k]
        if c == 7:
            return ["HSTRLEN", k, self.member()]
        if c == 8:
            return ["HEXISTS", k, self.member()]
        if c == 9:
            return ["HKEYS", k]
        if c == 10:
            return ["HVALS", k]
        if c == 11:
            return ["HGETALL", k]
        if c == 12:
            return ["HINCRBY", k, self.member(), self.int_arg(-50, 50)]
        if c == 13:
            return ["HINCRBYFLOAT", k, self.member(), r.choice(["1.5", "-3", "abc", "0.1"])]
        if c == 14:
            return ["HMSET", k, self.member(), self.value()]
        return ["OBJECT", "ENCODING", k]

    def list(self):
        r, k = self.r, self.key()
        c = r.randrange(20)
        if c in (0, 1):
            return [r.choice(["LPUSH", "RPUSH"]), k] + [self.value() for _ in range(r.randint(1, 5))]
        if c == 2:
            return [r.choice(["LPUSHX", "RPUSHX"]), k, self.value()]
        if c == 3:
            return [r.choice(["LPOP", "RPOP"]), k] + r.choice([[], [], [self.int_arg(-1, 5)]])
        if c == 4:
            return ["LLEN", k]
        if c == 5:
            return ["LINDEX", k, self.int_arg(-8, 8)]
        if c == 6:
            return ["LSET", k, self.int_arg(-5, 5), self.value()]
        if c in (7, 8):
            return ["LRANGE", k, self.int_arg(-8, 8), self.int_arg(-8, 8)]
        if c == 9:
            return ["LTRIM", k, self.int_arg(-8, 8), self.int_arg(-8, 8)]
        if c == 10:
            return ["LREM", k, self.int_arg(-3, 3), self.value()]
        if c == 11:
            return ["LINSERT", k, r.choice(["BEFORE", "AFTER", "MIDDLE"]), self.value(), self.value()]
        if c == 12:
            args = ["LPOS", k, self.value()]
            args += r.choice([[], ["RANK", self.int_arg(-3, 3)], ["COUNT", self.int_arg(0, 3)],
                              ["MAXLEN", self.int_arg(0, 5)]])
            return args
        if c == 13:
            return ["RPOPLPUSH", k, self.key()]
        if c == 14:
            return ["LMOVE", k, self.key(), r.choice(["LEFT", "RIGHT"]), r.choice(["LEFT", "RIGHT", "UP"])]
        if c == 15:
            ks = self.keys_n(1, 3)
            return ["LMPOP", str(len(ks))] + ks + [r.choice(["LEFT", "RIGHT"])] + r.choice(
                [[], ["COUNT", self.int_arg(0, 4)]])
        if c == 16:
            return ["OBJECT", "ENCODING", k]
        return ["LRANGE", k, "0", "-1"]

    def set(self):
        r, k = self.r, self.key()
        c = r.randrange(18)
        if c in (0, 1, 2):
            return ["SADD", k] + [self.member() for _ in range(r.randint(1, 6))]
        if c == 3:
            return ["SREM", k] + [self.member() for _ in range(r.randint(1, 3))]
        if c == 4:
            return ["SCARD", k]
        if c == 5:
            return ["SISMEMBER", k, self.member()]
        if c == 6:
            return ["SMISMEMBER", k, self.member(), self.member()]
        if c == 7:
            return ["SMEMBERS", k]
        if c == 8:
            return ["SMOVE", k, self.key(), self.member()]
        if c == 9:
            return [r.choice(["SINTER", "SUNION", "SDIFF"])] + self.keys_n(1, 3)
        if c == 10:
            return [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), self.key()] + self.keys_n(1, 3)
        if c == 11:
            ks = self.keys_n(1, 3)
            return ["SINTERCARD", str(len(ks))] + ks + r.choice([[], ["LIMIT", self.int_arg(0, 3)]])
        if c == 12:
            return ["SPOP", k, "1000"]
        if c == 13:
            return ["OBJECT", "ENCODING", k]
        if c == 14:
            return ["SRANDMEMBER", k, "0"]
        return ["SMEMBERS", k]

    def zset(self):
        r, k = self.r, self.key()
        c = r.randrange(26)
        if c in (0, 1, 2):
            args = ["ZADD", k]
            args += r.choice([[], [], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["GT", "CH"],
                              ["NX", "XX"], ["INCR"]])
            for _ in range(r.randint(1, 4)):
                args += [self.score(), self.member()]
            return args
        if c == 3:
            return ["ZINCRBY", k, self.score(), self.member()]
        if c == 4:
            return ["ZREM", k] + [self.member() for _ in range(r.randint(1, 3))]
        if c == 5:
            return ["ZCARD", k]
        if c == 6:
            return ["ZSCORE", k, self.member()]
        if c == 7:
            return ["ZMSCORE", k, self.member(), self.member()]
        if c == 8:
            return [r.choice(["ZRANK", "ZREVRANK"]), k, self.member()]
        if c == 9:
            return ["ZCOUNT", k, self.range_score(), self.range_score()]
        if c == 10:
            return ["ZLEXCOUNT", k, self.range_lex(), self.range_lex()]
        if c in (11, 12):
            args = ["ZRANGE", k]
            mode = r.randrange(3)
            if mode == 0:
                args += [self.int_arg(-6, 6), self.int_arg(-6, 6)]
            elif mode == 1:
                args += [self.range_score(), self.range_score(), "BYSCORE"]
            else:
                args += [self.range_lex(), self.range_lex(), "BYLEX"]
            if r.random() < 0.3:
                args.append("REV")
            if mode != 0 and r.random() < 0.3:
                args += ["LIMIT", self.int_arg(-1, 3), self.int_arg(-1, 4)]
            if mode != 2 and r.random() < 0.5:
                args.append("WITHSCORES")
            return args
        if c == 13:
            return [r.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k, self.range_score(),
                    self.range_score()] + r.choice([[], ["WITHSCORES"], ["LIMIT", "0", "2"]])
        if c == 14:
            return [r.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), k, self.range_lex(), self.range_lex()]
        if c == 15:
            return ["ZREVRANGE", k, self.int_arg(-5, 5), self.int_arg(-5, 5)] + r.choice([[], ["WITHSCORES"]])
        if c == 16:
            return ["ZREMRANGEBYRANK", k, self.int_arg(-5, 5), self.int_arg(-5, 5)]
        if c == 17:
            return ["ZREMRANGEBYSCORE", k, self.range_score(), self.range_score()]
        if c == 18:
            return ["ZREMRANGEBYLEX", k, self.range_lex(), self.range_lex()]
        if c == 19:
            return [r.choice(["ZPOPMIN", "ZPOPMAX"]), k] + r.choice([[], [self.int_arg(-1, 4)]])
        if c == 20:
            ks = self.keys_n(1, 3)
            args = [r.choice(["ZUNIONSTORE", "ZINTERSTORE"]), self.key(), str(len(ks))] + ks
            if r.random() < 0.4:
                args += ["WEIGHTS"] + [r.choice(["1", "2", "-1", "0.5"]) for _ in ks]
            if r.random() < 0.4:
                args += ["AGGREGATE", r.choice(["SUM", "MIN", "MAX"])]
            return args
        if c == 21:
            ks = self.keys_n(1, 3)
            return [r.choice(["ZUNION", "ZINTER", "ZDIFF"]), str(len(ks))] + ks + r.choice([[], ["WITHSCORES"]])
        if c == 22:
            return ["ZRANGESTORE", self.key(), k, self.int_arg(-3, 3), self.int_arg(-3, 3)]
        if c == 23:
            ks = self.keys_n(1, 3)
            if r.random() < 0.5:
                return ["ZMPOP", str(len(ks))] + ks + [r.choice(["MIN", "MAX"])] + r.choice(
                    [[], ["COUNT", self.int_arg(0, 4)]])
            return ["ZINTERCARD", str(len(ks))] + ks
        if c == 24:
            return ["OBJECT", "ENCODING", k]
        return ["ZRANGE", k, "0", "-1", "WITHSCORES"]

    def bitmap(self):
        r, k = self.r, self.key()
        c = r.randrange(10)
        if c in (0, 1):
            return ["SETBIT", k, self.int_arg(0, 100), r.choice(["0", "1", "1", "2"])]
        if c == 2:
            return ["GETBIT", k, self.int_arg(0, 120)]
        if c == 3:
            args = ["BITCOUNT", k]
            if r.random() < 0.6:
                args += [self.int_arg(-5, 10), self.int_arg(-5, 10)]
                if r.random() < 0.5:
                    args.append(r.choice(["BYTE", "BIT"]))
            return args
        if c == 4:
            args = ["BITPOS", k, r.choice(["0", "1"])]
            if r.random() < 0.6:
                args += [self.int_arg(-5, 10)]
                if r.random() < 0.5:
                    args += [self.int_arg(-5, 10)]
                    if r.random() < 0.5:
                        args.append(r.choice(["BYTE", "BIT"]))
            return args
        if c == 5:
            op = r.choice(["AND", "OR", "XOR", "NOT"])
            srcs = [self.key()] if op == "NOT" else self.keys_n(1, 3)
            return ["BITOP", op, self.key()] + srcs
        if c == 6:
            t = r.choice(["u8", "i8", "u4", "i16", "u63", "i64", "u64", "x"])
            sub = r.choice([["GET", t, self.int_arg(0, 40)],
                            ["SET", t, r.choice(["#1", "3", "#0"]), self.int_arg(-300, 300)],
                            ["OVERFLOW", r.choice(["WRAP", "SAT", "FAIL"]), "INCRBY", t, "0",
                             self.int_arg(-300, 300)]])
            return ["BITFIELD", k] + sub
        if c == 7:
            return ["BITFIELD_RO", k, "GET", "u8", self.int_arg(0, 30)]
        if c == 8:
            return ["GET", k]
        return ["SET", k, self.value()]

    def hll(self):
        r, k = self.r, self.key()
        c = r.randrange(6)
        if c in (0, 1):
            return ["PFADD", k] + ["e%d" % r.randint(0, 3000) for _ in range(r.randint(0, 40))]
        if c == 2:
            return ["PFCOUNT"] + self.keys_n(1, 2)
        if c == 3:
            return ["PFMERGE", self.key()] + self.keys_n(0, 2)
        if c == 4:
            return ["GET", k]
        return ["SET", k, self.value()]

    # SORT: sources k0-k2 of every type and encoding, weights at w_<element> (strings) and
    # h_<element> (hash field f), destinations anywhere (with 2 workers the pattern keys and
    # the destination are spread over both shards, so most calls take the cross-shard path).
    SORT_MEMBERS = ["1", "2", "3", "10", "-1", "2.5", "007", "a", "b", "B", "m1", "",
                    "\x00bin", "x" * 70]

    def sort_member(self):
        if self.r.random() < 0.8:
            return self.r.choice(self.SORT_MEMBERS)
        return str(self.r.randint(-50, 600))

    def sort_weight(self):
        r = self.r.random()
        if r < 0.6:
            return str(self.r.randint(-20, 20))
        if r < 0.8:
            return self.r.choice(["1.5", "-0.25", "1e3", "0x10", " 4", "", "inf", "-inf"])
        # (No out-of-range weights here: Redis reads weights with strtod without clearing errno
        # first, so once any call left ERANGE in errno, every later numeric SORT on that
        # connection fails in Redis until some syscall fails. Unit tests cover the range error.)
        return self.r.choice(["abc", "1 ", "nan", "5\x00x", "zz", "Z"])

    def sort(self):
        r = self.r
        k = r.choice(["k0", "k1", "k2"])
        c = r.randrange(14)
        if c == 0:
            return [r.choice(["RPUSH", "LPUSH"]), k] + [self.sort_member()
                                                        for _ in range(r.randint(1, 8))]
        if c == 1:
            return ["SADD", k] + [self.sort_member() for _ in range(r.randint(1, 8))]
        if c == 2:
            n = r.choice([2, 5, 140])  # 140: past zset-max-listpack-entries
            args = ["ZADD", k]
            for _ in range(n):
                args += [str(r.randint(-5, 5)), self.sort_member()]
            return args
        if c == 3:
            return ["SADD", k] + [str(r.randint(0, 700)) for _ in range(r.randint(1, 40))]
        if c == 4:
            return ["SET", "w_" + self.sort_member(), self.sort_weight()]
        if c == 5:
            return ["HSET", "h_" + self.sort_member(), "f", self.sort_weight()]
        if c == 6:
            return ["DEL", k]
        if c == 7:
            return ["SET", k, "string"] if r.random() < 0.3 else ["LRANGE", k, "0", "-1"]
        name = "SORT_RO" if r.random() < 0.2 else "SORT"
        args = [name, k]
        opts = []
        if r.random() < 0.5:
            opts.append(["BY", r.choice(["w_*", "h_*->f", "nosort", "w_*->", "h_*->g"])])
        if r.random() < 0.3:
            opts.append(["LIMIT", self.int_arg(-2, 4), self.int_arg(-2, 6)])
        for _ in range(r.choice([0, 0, 1, 2])):
            opts.append(["GET", r.choice(["#", "w_*", "h_*->f", "nokey", "w_*->"])])
        if r.random() < 0.3:
            opts.append([r.choice(["ASC", "DESC"])])
        if r.random() < 0.4:
            opts.append(["ALPHA"])
        if name == "SORT" and r.random() < 0.3:
            opts.append(["STORE", r.choice(["k3", "k4", "{t}a", k])])
        if r.random() < 0.03:
            opts.append([r.choice(["LIMIT", "BY", "STORE", "bogus"])])
        r.shuffle(opts)
        for o in opts:
            args += o
        return args

    FAMILIES = {"string": "string", "keys": "keys_family", "hash": "hash", "list": "list",
                "set": "set", "zset": "zset", "bitmap": "bitmap", "hll": "hll", "sort": "sort"}

    def command(self, family, allowed):
        if family == "mixed":
            family = self.r.choice(allowed)
        return getattr(self, self.FAMILIES[family])()


LEX_COMMANDS = {"zlexcount", "zrangebylex", "zrevrangebylex", "zremrangebylex"}


def is_lex_range(cmd):
    name = cmd[0].lower()
    return name in LEX_COMMANDS or (
        name in ("zrange", "zrangestore") and any(a.upper() == "BYLEX" for a in cmd))


def unqueueable(cmd):
    """Commands whose comparison needs a look at Redis's state first (lexicographic ranges,
    SORT's ambiguous orders): kept out of transactions, where that look would be queued."""
    return is_lex_range(cmd) or cmd[0].lower() in ("sort", "sort_ro")


# Blocking commands queued inside MULTI, where they answer at once (as a timeout would when
# there is nothing to pop).
def blocking_command(gen):
    r = gen.r
    ks = gen.keys_n(1, 2)
    c = r.randrange(6)
    if c == 0:
        return [r.choice(["BLPOP", "BRPOP"])] + ks + ["0"]
    if c == 1:
        return ["BLMOVE", ks[0], gen.key(), r.choice(["LEFT", "RIGHT"]), r.choice(["LEFT", "RIGHT"]), "0"]
    if c == 2:
        return ["BRPOPLPUSH", ks[0], gen.key(), "0"]
    if c == 3:
        return ["BLMPOP", "0", str(len(ks))] + ks + [r.choice(["LEFT", "RIGHT"]), "COUNT", "2"]
    if c == 4:
        return [r.choice(["BZPOPMIN", "BZPOPMAX"])] + ks + ["0"]
    return ["BZMPOP", "0", str(len(ks))] + ks + [r.choice(["MIN", "MAX"])]


def with_transactions(rng, gen, stream):
    """Wraps random runs of the stream in MULTI ... EXEC (sometimes DISCARD, sometimes after a
    WATCH of a key the run may touch), with blocking commands among the queued ones."""
    out = []
    i = 0
    while i < len(stream):
        if rng.random() >= 0.06:
            out.append(stream[i])
            i += 1
            continue
        run = [c for c in stream[i:i + rng.randint(1, 6)] if not unqueueable(c)]
        i += max(1, len(run))
        if rng.random() < 0.3:
            out.append(["WATCH", gen.key()])
            if rng.random() < 0.5:
                out.append(stream[max(0, i - 1)] if not unqueueable(stream[max(0, i - 1)]) else ["PING"])
        out.append(["MULTI"])
        for c in run:
            out.append(c)
            if rng.random() < 0.2:
                out.append(blocking_command(gen))
        out.append(["EXEC"] if rng.random() < 0.9 else ["DISCARD"])
    return out


def lex_on_mixed_scores(cmd, redis_conn):
    """Lexicographic ranges over members with different scores are unspecified in Redis
    (its answer depends on the encoding it happens to use): such commands are left out."""
    name = cmd[0].lower()
    if name in LEX_COMMANDS:
        key = cmd[1]
    elif name in ("zrange", "zrangestore") and any(a.upper() == "BYLEX" for a in cmd):
        key = cmd[2] if name == "zrangestore" else cmd[1]
    else:
        return False
    kind, body = redis_conn.cmd(["ZRANGE", key, "0", "-1", "WITHSCORES"])
    if kind != "*" or not body:
        return False
    if body[0][0] == "*":  # RESP3: [member, score] pairs
        scores = {pair[1][1][1] for pair in body}
    else:
        scores = {body[i][1] for i in range(1, len(body), 2)}
    return len(scores) > 1


def _sort_options(cmd):
    """SORT's options as Redis parses them (None: a syntax error)."""
    o = {"by": None, "dontsort": False, "alpha": False, "store": False, "limit": None, "gets": 0}
    i = 2
    while i < len(cmd):
        a, left = cmd[i].lower(), len(cmd) - i - 1
        if a in ("asc", "desc"):
            pass
        elif a == "alpha":
            o["alpha"] = True
        elif a == "limit" and left >= 2:
            o["limit"] = (cmd[i + 1], cmd[i + 2])
            i += 2
        elif a == "store" and left >= 1 and cmd[0].lower() == "sort":
            o["store"] = True
            i += 1
        elif a == "by" and left >= 1:
            o["by"] = cmd[i + 1]
            o["dontsort"] = o["dontsort"] or "*" not in cmd[i + 1]
            i += 1
        elif a == "get" and left >= 1:
            o["gets"] += 1
            i += 1
        else:
            return None
        i += 1
    return o


def _c_prefix(b):
    return b.split(b"\x00", 1)[0]


def sort_ambiguity(cmd, redis_conn):
    """Where Redis's SORT order is not a function of the data: a set's own order (BY nosort
    without STORE), and ties of ALPHA comparisons wherever Redis's input order is its hash
    table's (sets, sorted sets) or its sort is unstable (BY with LIMIT). Returns None (exact),
    "multiset" (compare the reply's element groups unordered) or "skip" (send to neither)."""
    if cmd[0].lower() not in ("sort", "sort_ro") or len(cmd) < 2:
        return None
    o = _sort_options(cmd)
    if o is None:
        return None
    kind, t = redis_conn.cmd(["TYPE", cmd[1]])
    read = {b"list": ["LRANGE", cmd[1], "0", "-1"], b"set": ["SMEMBERS", cmd[1]],
            b"zset": ["ZRANGE", cmd[1], "0", "-1"]}.get(t)
    if read is None:
        return None
    elements = [e[1] for e in redis_conn.cmd(read)[1]]
    windowed = o["limit"] is not None
    if t == b"set" and o["dontsort"] and not o["store"]:
        return "skip" if windowed else "multiset"
    if o["dontsort"] or not o["alpha"]:
        return None  # the source's order, or numeric order with ties broken by the bytes
    if t == b"set" and o["dontsort"] and o["store"]:
        return None
    by = o["by"]
    if by is not None and "*" in by:
        keys = []
        for e in elements:
            pre, _, rest = by.partition("*")
            name = pre.encode("latin-1") + e + rest.encode("latin-1")
            if b"->" in rest.encode("latin-1") and not rest.endswith("->"):
                key, field = name.rsplit(b"->", 1)
                v = redis_conn.cmd(["HGET", key.decode("latin-1"), field.decode("latin-1")])
            else:
                v = redis_conn.cmd(["GET", name.decode("latin-1")])
            keys.append(None if v[0] != "$" or v[1] is None else v[1])
        unstable = windowed or t != b"list"
    else:
        keys = list(elements)
        unstable = t != b"list"
    if not o["store"]:
        keys = [None if k is None else _c_prefix(k) for k in keys]
    groups = {}
    for e, k in zip(elements, keys):
        groups.setdefault(k, set()).add(e)
    if unstable and any(len(v) > 1 for v in groups.values()):
        return "skip" if (windowed or o["store"]) else "multiset"
    return None


def chunked_multiset(cmd, reply):
    kind, body = reply
    if kind not in ("*",) or body is None:
        return reply
    o = _sort_options(cmd)
    n = max(1, o["gets"] if o else 1)
    groups = [body[i:i + n] for i in range(0, len(body), n)]
    return ("*", sorted(groups, key=sort_key))


def read_back(conn_pair):
    """Commands that read every key's whole state at the end of a stream."""
    out = [["DBSIZE"], ["KEYS", "*"]]
    reply = conn_pair.cmd(["KEYS", "*"])
    keys = sorted(x[1] for x in reply[1])
    for k in keys:
        key = k.decode("latin-1")
        out += [["TYPE", key], ["OBJECT", "ENCODING", key]]
        t = conn_pair.cmd(["TYPE", key])[1]
        out.append({b"string": ["GET", key], b"hash": ["HGETALL", key],
                    b"list": ["LRANGE", key, "0", "-1"], b"set": ["SMEMBERS", key],
                    b"zset": ["ZRANGE", key, "0", "-1", "WITHSCORES"]}.get(t, ["TYPE", key]))
    return out


def parse_seeds(text):
    if ".." in text:
        a, b = text.split("..")
        return range(int(a), int(b) + 1)
    return [int(x) for x in text.split(",")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eddy", required=True)
    ap.add_argument("--redis", default="/usr/bin/redis-server")
    ap.add_argument("--seeds", default="1..200")
    ap.add_argument("--ops", type=int, default=300)
    ap.add_argument("--families", default=",".join(list(Gen.FAMILIES) + ["mixed"]))
    opts = ap.parse_args()
    families = opts.families.split(",")
    # SORT stays out of mixed streams: the other families' out-of-range numbers (ZADD 1e400)
    # leave ERANGE in Redis's errno, which its SORT then misreads (see Gen.sort_weight).
    concrete = [f for f in families if f not in ("mixed", "sort")] or [
        f for f in Gen.FAMILIES if f != "sort"]
    for f in families:
        if f != "mixed" and f not in Gen.FAMILIES:
            sys.exit("unknown family %r" % f)

    eddy = harness.Server(opts.eddy, "eddy")
    redis = harness.Server(opts.redis, "redis")
    eddy.start()
    redis.start()
    failures = 0
    compared = 0
    try:
        for seed in parse_seeds(opts.seeds):
            rng = random.Random(seed)
            family = families[seed % len(families)]
            proto = rng.choice([2, 3])
            a, b = Conn(eddy.port), Conn(redis.port)
            history = []
            try:
                for c in (a, b):
                    c.cmd(["FLUSHALL"])
                    c.cmd(["HELLO", str(proto)])
                gen = Gen(rng)
                stream = [gen.command(family, concrete) for _ in range(opts.ops)]
                stream = with_transactions(rng, gen, stream)
                mismatch = None
                queued = None  # the commands queued since MULTI, to normalise EXEC's replies
                for i, args in enumerate(stream + [None]):
                    batch = read_back(b) if args is None else [args]
                    for cmd in batch:
                        if args is not None and queued is None and lex_on_mixed_scores(cmd, b):
                            continue
                        # (Both checks query Redis, which inside MULTI would queue them.)
                        ambiguity = (sort_ambiguity(cmd, b)
                                     if args is not None and queued is None else None)
                        if ambiguity == "skip":
                            continue
                        history.append(cmd)
                        ra, rb = a.cmd(cmd), b.cmd(cmd)
                        name = cmd[0].lower()
                        if name == "multi":
                            queued = []
                        elif name in ("exec", "discard"):
                            if name == "exec" and ra[0] == "*" and rb[0] == "*" and ra[1] and rb[1]:
                                ra = ("*", [normalise(q, x) for q, x in zip(queued, ra[1])])
                                rb = ("*", [normalise(q, x) for q, x in zip(queued, rb[1])])
                            queued = None
                        elif queued is not None:
                            queued.append(cmd)
                        ra, rb = normalise(cmd, ra), normalise(cmd, rb)
                        if ambiguity == "multiset":
                            ra, rb = chunked_multiset(cmd, ra), chunked_multiset(cmd, rb)
                        compared += 1
                        if ra != rb:
                            mismatch = (i, cmd, ra, rb)
                            break
                    if mismatch:
                        break
                if mismatch:
                    failures += 1
                    i, cmd, ra, rb = mismatch
                    print("MISMATCH seed=%d family=%s resp%d command #%d: %r" % (
                        seed, family, proto, i, cmd))
                    for h in history[-12:-1]:
                        print("    after %r" % (h,))
                    print("    eddy:  %r" % (ra,))
                    print("    redis: %r" % (rb,))
            finally:
                a.close()
                b.close()
            if not eddy.alive():
                print("eddy-server died at seed %d:\n%s" % (seed, eddy.log_tail()))
                return 1
    finally:
        eddy.stop()
        redis.stop()
    print("differential: %d replies compared, %d streams mismatched (families %s)" % (
        compared, failures, ",".join(families)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
