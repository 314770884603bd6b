"""Pipelining: many commands in flight on one connection, replies in order."""

import random

import redis

from harness import Simple, check, encode_command, eq, test


@test("pipeline.set_get_1000")
def set_get_1000(ctx):
    r = ctx.client()
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.set("pk:%d" % i, "value-%d-%s" % (i, "x" * (i % 37)))
    res = p.execute()
    eq(len(res), 1000, "number of SET replies")
    check(all(x is True for x in res), "every SET replied OK")
    p = r.pipeline(transaction=False)
    for i in range(1000):
        p.get("pk:%d" % i)
    res = p.execute()
    for i in range(1000):
        eq(res[i], ("value-%d-%s" % (i, "x" * (i % 37))).encode(), "GET pk:%d" % i)
    eq(r.dbsize(), 1000, "DBSIZE")


@test("pipeline.incr_1000")
def incr_1000(ctx):
    r = ctx.client()
    p = r.pipeline(transaction=False)
    for _ in range(1000):
        p.incr("x")
    res = p.execute()
    eq(res, list(range(1, 1001)), "INCR replies in order")
    eq(r.get("x"), b"1000", "final value")


@test("pipeline.mixed_replies_in_order")
def mixed(ctx):
    r = ctx.client()
    p = r.pipeline(transaction=False)
    p.set("s", "hello")
    p.get("s")
    p.get("missing")
    p.incr("n")
    p.incr("s")  # error reply in the middle
    p.exists("s", "n", "missing")
    p.mget("s", "missing", "n")
    p.append("s", " world")
    p.echo("e")
    p.ping()
    p.delete("s", "missing")
    p.strlen("s")
    res = p.execute(raise_on_error=False)
    eq(res[:4], [True, b"hello", None, 1], "first replies")
    check(isinstance(res[4], redis.ResponseError), "INCR on a non-integer is an error, got %r" % (res[4],))
    eq(res[5:], [2, [b"hello", None, b"1"], 11, b"e", True, 1, 0], "later replies")

    # The same over a raw socket, checking exact reply bytes.
    c = ctx.raw()
    cmds = [("SET", "a", "1"), ("GET", "a"), ("GET", "nope"), ("INCR", "a"), ("PING",),
            ("ECHO", ""), ("MGET", "a", "nope"), ("KEYS", "zz*"), ("GET", "a", "b"),
            ("DEL", "a"), ("PING", "x")]
    c.send(b"".join(encode_command(x) for x in cmds))
    expected = [b"+OK\r\n", b"$1\r\n1\r\n", b"$-1\r\n", b":2\r\n", b"+PONG\r\n", b"$0\r\n\r\n",
                b"*2\r\n$1\r\n2\r\n$-1\r\n", b"*0\r\n",
                b"-ERR wrong number of arguments for 'get' command\r\n", b":1\r\n", b"$1\r\nx\r\n"]
    for cmd, exp in zip(cmds, expected):
        eq(c.read_raw(), exp, "raw reply to %r" % (cmd,))


@test("pipeline.raw_10000_pings_one_write")
def many_pings(ctx):
    c = ctx.raw()
    c.send(b"*1\r\n$4\r\nPING\r\n" * 5000 + b"PING\r\n" * 5000)  # multibulk then inline
    for i in range(10000):
        got = c.read_raw()
        if got != b"+PONG\r\n":
            eq(got, b"+PONG\r\n", "reply %d" % i)


@test("pipeline.fragmented_writes")
def fragmented(ctx):
    """Commands split at every possible byte boundary must parse the same."""
    c = ctx.raw()
    data = (encode_command(("SET", "frag", "a\r\nb")) + encode_command(("GET", "frag"))
            + b"ECHO inline\r\n" + encode_command(("APPEND", "frag", "xyz")))
    for i in range(len(data)):
        c.send(data[i:i + 1])
    eq(c.read(), Simple("OK"), "SET byte by byte")
    eq(c.read(), b"a\r\nb", "GET byte by byte")
    eq(c.read(), b"inline", "inline ECHO byte by byte")
    eq(c.read(), 7, "APPEND byte by byte")
    rnd = random.Random(7)
    blob = b"".join(encode_command(("SET", "r%d" % i, "v" * rnd.randint(0, 3000))) for i in range(300))
    blob += b"".join(encode_command(("STRLEN", "r%d" % i)) for i in range(300))
    pos = 0
    while pos < len(blob):
        step = rnd.randint(1, 4096)
        c.send(blob[pos:pos + step])
        pos += step
    for i in range(300):
        eq(c.read(), Simple("OK"), "SET r%d" % i)
    rnd = random.Random(7)
    for i in range(300):
        eq(c.read(), rnd.randint(0, 3000), "STRLEN r%d" % i)


@test("pipeline.large_values")
def large_values(ctx):
    r = ctx.client()
    big = bytes(range(256)) * 4096  # 1 MiB, every byte value incl. \r \n \0
    p = r.pipeline(transaction=False)
    for i in range(8):
        p.set("big:%d" % i, big[i:])
    for i in range(8):
        p.get("big:%d" % i)
    res = p.execute()
    eq(res[:8], [True] * 8, "SET replies")
    for i in range(8):
        check(res[8 + i] == big[i:], "GET big:%d returned the exact %d bytes" % (i, len(big) - i))
