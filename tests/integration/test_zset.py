"""Sorted sets over the wire: multi-key commands whose keys land on different shards (no
hashtags: eddy runs them through its cross-shard fallback), and their RESP3 replies."""

from harness import Error, Simple, check, eq, test

WRONGTYPE = Error("WRONGTYPE Operation against a key holding the wrong kind of value")


def withscores(c, key):
    return c.cmd("ZRANGE", key, "0", "-1", "WITHSCORES")


@test("zset.store_across_shards")
def store_across_shards(ctx):
    c = ctx.raw()
    eq(c.cmd("ZADD", "za", "1", "a", "2", "b", "3", "c"), 3, "ZADD za")
    eq(c.cmd("ZADD", "zb", "1", "b", "2", "c", "3", "d"), 3, "ZADD zb")
    # Destinations under many names, so that most live on another shard than the sources.
    for i in range(8):
        dst = "out:%d" % i
        eq(c.cmd("ZUNIONSTORE", dst, "2", "za", "zb", "WEIGHTS", "2", "3"), 4, "ZUNIONSTORE " + dst)
        eq(withscores(c, dst), [b"a", b"2", b"b", b"7", b"d", b"9", b"c", b"12"], "union " + dst)
        eq(c.cmd("ZINTERSTORE", dst, "2", "za", "zb", "AGGREGATE", "MAX"), 2, "ZINTERSTORE " + dst)
        eq(withscores(c, dst), [b"b", b"2", b"c", b"3"], "inter " + dst)
        eq(c.cmd("ZDIFFSTORE", dst, "2", "za", "zb"), 1, "ZDIFFSTORE " + dst)
        eq(withscores(c, dst), [b"a", b"1"], "diff " + dst)
        eq(c.cmd("ZRANGESTORE", dst, "zb", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "0", "1"), 1,
           "ZRANGESTORE " + dst)
        eq(withscores(c, dst), [b"d", b"3"], "range " + dst)
        # A result with nothing in it deletes the destination.
        eq(c.cmd("ZINTERSTORE", dst, "2", "za", "nothing:%d" % i), 0, "empty ZINTERSTORE")
        eq(c.cmd("EXISTS", dst), 0, "empty result deletes " + dst)
    # The destination loses its TTL and its old type.
    eq(c.cmd("SET", "old", "string", "EX", "100"), Simple("OK"), "SET old")
    eq(c.cmd("ZUNIONSTORE", "old", "1", "za"), 3, "ZUNIONSTORE over a string")
    eq(c.cmd("TYPE", "old"), Simple("zset"), "now a zset")
    eq(c.cmd("TTL", "old"), -1, "TTL cleared")
    # Errors come from the handler whatever the shards.
    eq(c.cmd("ZUNIONSTORE", "x", "2", "za", "old2"), 3, "missing input is empty")
    eq(c.cmd("SET", "str", "v"), Simple("OK"), "SET str")
    eq(c.cmd("ZUNIONSTORE", "x", "2", "za", "str"), WRONGTYPE, "WRONGTYPE input")
    eq(c.cmd("ZINTERSTORE", "x", "2", "za", "zb", "WEIGHTS", "1"), Error("ERR syntax error"),
       "too few weights")
    eq(c.cmd("ZDIFFSTORE", "x", "0", "za"),
       Error("ERR at least 1 input key is needed for 'zdiffstore' command"), "numkeys 0")


@test("zset.reads_across_shards")
def reads_across_shards(ctx):
    c = ctx.raw()
    eq(c.cmd("ZADD", "r1", "1", "a", "2", "b"), 2, "ZADD r1")
    eq(c.cmd("ZADD", "r2", "1", "b", "2", "c"), 2, "ZADD r2")
    eq(c.cmd("ZADD", "r3", "5", "b"), 1, "ZADD r3")
    eq(c.cmd("ZUNION", "3", "r1", "r2", "r3", "WITHSCORES"),
       [b"a", b"1", b"c", b"2", b"b", b"8"], "ZUNION")
    eq(c.cmd("ZINTER", "3", "r1", "r2", "r3", "AGGREGATE", "MIN", "WITHSCORES"), [b"b", b"1"],
       "ZINTER")
    eq(c.cmd("ZDIFF", "2", "r1", "r2"), [b"a"], "ZDIFF")
    eq(c.cmd("ZINTERCARD", "2", "r1", "r2"), 1, "ZINTERCARD")
    eq(c.cmd("ZINTERCARD", "3", "r1", "r2", "nothing"), 0, "ZINTERCARD with a missing key")
    eq(c.cmd("HELLO", "3")[b"proto"], 3, "RESP3")
    eq(c.cmd("ZUNION", "2", "r1", "r2", "WITHSCORES"),
       [[b"a", 1.0], [b"c", 2.0], [b"b", 3.0]], "RESP3 ZUNION pairs")
    eq(c.cmd("ZSCORE", "r3", "b"), 5.0, "RESP3 ZSCORE")


@test("zset.copy_rename_across_shards")
def copy_rename(ctx):
    c = ctx.raw()
    args = ["ZADD", "big"]
    for i in range(200):
        args += [str(i % 17), "m%d" % i]
    eq(c.cmd(*args), 200, "ZADD 200")
    eq(c.cmd("ZADD", "small", "-0", "x", "1.5", "y"), 2, "ZADD small")
    for i in range(6):
        eq(c.cmd("COPY", "big", "bigcopy:%d" % i), 1, "COPY big")
        eq(c.cmd("OBJECT", "ENCODING", "bigcopy:%d" % i), b"skiplist", "copy keeps the skiplist")
        eq(c.cmd("ZRANGE", "bigcopy:%d" % i, "100", "102", "WITHSCORES"),
           c.cmd("ZRANGE", "big", "100", "102", "WITHSCORES"), "copy has the members")
        eq(c.cmd("COPY", "small", "smallcopy:%d" % i), 1, "COPY small")
        eq(c.cmd("OBJECT", "ENCODING", "smallcopy:%d" % i), b"listpack", "copy keeps the listpack")
        eq(withscores(c, "smallcopy:%d" % i), [b"x", b"0", b"y", b"1.5"], "copy of small")
    eq(c.cmd("RENAME", "big", "moved"), Simple("OK"), "RENAME")
    eq(c.cmd("ZCARD", "moved"), 200, "renamed set")
    eq(c.cmd("ZRANK", "moved", "m199"), c.cmd("ZRANK", "bigcopy:0", "m199"), "same ranks")
    check(c.cmd("EXISTS", "big") == 0, "source gone")
