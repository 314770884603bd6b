"""Bitmaps, HyperLogLog and LCS over TCP, replies byte-exact against Redis 7.0 (this file
passes on redis-server 7.0.15 too), keys spread over shards (no hashtags)."""

from harness import Error, Simple, eq, test

OK = Simple("OK")
CORRUPT = Error("INVALIDOBJ Corrupted HLL object detected")
NOT_HLL = Error("WRONGTYPE Key is not a valid HyperLogLog string value.")


@test("bitmap.setbit_bitcount_bitpos")
def setbit_bitcount_bitpos(ctx):
    c = ctx.raw()
    for offset in (0, 7, 8, 100, 1000):
        eq(c.cmd("SETBIT", "bm", offset, 1), 0, "SETBIT %d" % offset)
    eq(c.cmd("SETBIT", "bm", 100, 0), 1, "SETBIT clears")
    eq(c.cmd("STRLEN", "bm"), 126, "grown to the bit")
    eq(c.cmd("BITCOUNT", "bm"), 4, "BITCOUNT")
    eq(c.cmd("BITCOUNT", "bm", 0, 8, "BIT"), 3, "BITCOUNT BIT range")
    eq(c.cmd("BITPOS", "bm", 1, 1), 8, "BITPOS from byte 1")
    eq(c.cmd("BITPOS", "bm", 1, 9, -1, "BIT"), 1000, "BITPOS BIT range")
    eq(c.cmd("GETBIT", "bm", 1000), 1, "GETBIT")
    eq(c.cmd("SETBIT", "bm", 4294967296, 1),
       Error("ERR bit offset is not an integer or out of range"), "past proto-max-bulk-len")


@test("bitmap.bitop_across_shards")
def bitop_across_shards(ctx):
    c = ctx.raw()
    eq(c.cmd("MSET", "src:1", b"\x0f\xf0\xaa", "src:2", b"\xff\x0f", "src:3", b"\x01"), OK, "MSET")
    eq(c.cmd("BITOP", "AND", "dst", "src:1", "src:2", "src:3"), 3, "AND")
    eq(c.cmd("GET", "dst"), b"\x01\x00\x00", "AND bytes")
    eq(c.cmd("BITOP", "OR", "dst", "src:1", "src:2"), 3, "OR")
    eq(c.cmd("GET", "dst"), b"\xff\xff\xaa", "OR bytes")
    eq(c.cmd("BITOP", "XOR", "src:3", "src:1", "src:3"), 3, "XOR into a source")
    eq(c.cmd("GET", "src:3"), b"\x0e\xf0\xaa", "XOR bytes")
    eq(c.cmd("BITOP", "NOT", "dst", "src:2"), 2, "NOT")
    eq(c.cmd("GET", "dst"), b"\x00\xf0", "NOT bytes")
    eq(c.cmd("BITOP", "OR", "dst", "nokey:1", "nokey:2"), 0, "empty result")
    eq(c.cmd("EXISTS", "dst"), 0, "destination deleted")


@test("bitmap.bitfield")
def bitfield(ctx):
    c = ctx.raw()
    eq(c.cmd("BITFIELD", "bf", "SET", "i8", 0, -100, "GET", "i8", 0, "INCRBY", "u4", "#3", 20),
       [0, -100, 4], "SET GET INCRBY")
    eq(c.cmd("BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", 0, -100), [-128], "SAT")
    eq(c.cmd("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", 0, -1), [None], "FAIL")
    eq(c.cmd("BITFIELD_RO", "bf", "GET", "u16", 0), [32772], "BITFIELD_RO")
    eq(c.cmd("BITFIELD_RO", "bf", "SET", "u8", 0, 1),
       Error("ERR BITFIELD_RO only supports the GET subcommand"), "BITFIELD_RO refuses SET")
    r = ctx.client()
    eq(r.bitfield("bf2").set("u8", 0, 200).incrby("u8", 0, 100, "WRAP").execute(), [0, 44],
       "redis-py bitfield helper")


@test("hll.pfadd_pfcount_pfmerge")
def pfadd_pfcount_pfmerge(ctx):
    c = ctx.raw()
    eq(c.cmd("PFADD", "hll:a", "a", "b", "c"), 1, "PFADD")
    eq(c.cmd("GET", "hll:a"),
       bytes.fromhex("48594c4c01000000000000000000008060f38050b1844bfb80425a"), "sparse bytes")
    eq(c.cmd("PFADD", "hll:a", "a"), 0, "PFADD known element")
    eq(c.cmd("PFCOUNT", "hll:a"), 3, "PFCOUNT")
    for start in range(1, 3001, 1000):
        c.cmd("PFADD", "hll:big", *[str(i) for i in range(start, start + 1000)])
    eq(c.cmd("PFCOUNT", "hll:big"), 3005, "PFCOUNT 1..3000")
    eq(c.cmd("PFDEBUG", "ENCODING", "hll:big"), Simple("dense"), "dense")
    eq(c.cmd("PFCOUNT", "hll:a", "hll:big", "hll:missing"), 3009, "union count")
    eq(c.cmd("PFMERGE", "hll:m", "hll:a", "hll:big"), OK, "PFMERGE")
    eq(c.cmd("PFCOUNT", "hll:m"), 3009, "merged count")
    r = ctx.client()
    eq(r.pfadd("hll:py", "x", "y"), 1, "redis-py pfadd")
    eq(r.pfcount("hll:py", "hll:a"), 5, "redis-py pfcount of two keys")


@test("hll.redis_bytes_interchange")
def redis_bytes_interchange(ctx):
    c = ctx.raw()
    # Redis's HLL after PFADD of 1..1000 (one batch), as bytes: the same count here.
    c.cmd("PFADD", "hll:src", *[str(i) for i in range(1, 1001)])
    raw = c.cmd("GET", "hll:src")
    eq(len(raw), 1922, "sparse length")
    eq(c.cmd("SET", "hll:copy", raw), OK, "SET the bytes elsewhere")
    eq(c.cmd("PFCOUNT", "hll:copy"), 1001, "PFCOUNT of the copy")
    # A valid cache is trusted; a corrupt sparse body is refused; a bad header is not an HLL.
    header = b"HYLL\x01\x00\x00\x00" + (4242).to_bytes(8, "little")
    eq(c.cmd("SET", "hll:cached", header + b"\x7f\xff"), OK, "SET cached")
    eq(c.cmd("PFCOUNT", "hll:cached"), 4242, "cached cardinality")
    eq(c.cmd("SET", "hll:bad", b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80\x7e\x7f"), OK, "SET short")
    eq(c.cmd("PFCOUNT", "hll:bad"), CORRUPT, "corrupt sparse")
    eq(c.cmd("SET", "hll:notone", "hello"), OK, "SET plain string")
    eq(c.cmd("PFADD", "hll:notone", "x"), NOT_HLL, "not an HLL")


@test("strings.lcs")
def lcs(ctx):
    c = ctx.raw()
    eq(c.cmd("MSET", "lcs:1", "ohmytext", "lcs:2", "mynewtext"), OK, "MSET")
    eq(c.cmd("LCS", "lcs:1", "lcs:2"), b"mytext", "LCS")
    eq(c.cmd("LCS", "lcs:1", "lcs:2", "LEN"), 6, "LCS LEN")
    eq(c.cmd("LCS", "lcs:1", "lcs:2", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN"),
       [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6], "LCS IDX")
