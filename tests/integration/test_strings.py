"""String commands, replies checked byte-exact against Redis 7.0."""

from harness import Error, Simple, eq, test

OK = Simple("OK")
NOT_INT = Error("ERR value is not an integer or out of range")
OVERFLOW = Error("ERR increment or decrement would overflow")
NOT_FLOAT = Error("ERR value is not a valid float")


@test("strings.get_set_basic")
def get_set(ctx):
    c = ctx.raw()
    eq(c.cmd("GET", "k"), None, "GET missing")
    eq(c.cmd("SET", "k", "v"), OK, "SET")
    eq(c.cmd("GET", "k"), b"v", "GET")
    eq(c.cmd("SET", "k", "v2"), OK, "overwrite")
    eq(c.cmd("GET", "k"), b"v2", "GET after overwrite")
    eq(c.cmd("SET", "empty", ""), OK, "SET empty value")
    eq(c.cmd("GET", "empty"), b"", "GET empty value")
    eq(c.cmd("EXISTS", "empty"), 1, "empty value exists")
    eq(c.cmd("STRLEN", "empty"), 0, "STRLEN empty")
    blob = bytes(range(256)) * 4 + b"\r\n$3\r\n*1\r\n"
    eq(c.cmd("SET", blob[:100], blob), OK, "SET binary key and value")
    eq(c.cmd("GET", blob[:100]), blob, "binary safe")
    eq(c.cmd("SET", "", "empty-key"), OK, "SET empty key")
    eq(c.cmd("GET", ""), b"empty-key", "GET empty key")
    big = b"x" * (1 << 20) + b"end"
    eq(c.cmd("SET", "big", big), OK, "SET 1 MB")
    eq(c.cmd("GET", "big"), big, "GET 1 MB")
    eq(c.cmd("STRLEN", "big"), len(big), "STRLEN 1 MB")
    eq(c.cmd("SET", "n", "12345"), OK, "SET integer-looking")
    eq(c.cmd("GET", "n"), b"12345", "GET integer-looking")
    eq(c.cmd("STRLEN", "n"), 5, "STRLEN integer-looking")
    eq(c.cmd("set", "lower", "case"), OK, "lower-case command")
    eq(c.cmd("gEt", "lower"), b"case", "mixed-case command")
    eq(c.cmd("GET"), Error("ERR wrong number of arguments for 'get' command"), "GET arity")
    eq(c.cmd("SET", "k"), Error("ERR wrong number of arguments for 'set' command"), "SET arity")


@test("strings.setnx_getset_getdel")
def setnx_getset_getdel(ctx):
    c = ctx.raw()
    eq(c.cmd("SETNX", "k", "1"), 1, "SETNX missing")
    eq(c.cmd("SETNX", "k", "2"), 0, "SETNX existing")
    eq(c.cmd("GET", "k"), b"1", "SETNX kept the first value")
    eq(c.cmd("GETSET", "g", "1"), None, "GETSET missing")
    eq(c.cmd("GETSET", "g", "2"), b"1", "GETSET existing")
    eq(c.cmd("GET", "g"), b"2", "GETSET stored")
    eq(c.cmd("GETDEL", "g"), b"2", "GETDEL existing")
    eq(c.cmd("GETDEL", "g"), None, "GETDEL again")
    eq(c.cmd("EXISTS", "g"), 0, "GETDEL deleted")
    eq(c.cmd("SET", "t", "v", "EX", "100"), OK, "SET EX")
    eq(c.cmd("GETDEL", "t"), b"v", "GETDEL key with TTL")
    eq(c.cmd("TTL", "t"), -2, "gone")
    eq(c.cmd("SETNX", "k"), Error("ERR wrong number of arguments for 'setnx' command"), "SETNX arity")


@test("strings.append_strlen")
def append_strlen(ctx):
    c = ctx.raw()
    eq(c.cmd("APPEND", "a", "hello"), 5, "APPEND to missing creates")
    eq(c.cmd("APPEND", "a", " world"), 11, "APPEND returns new length")
    eq(c.cmd("GET", "a"), b"hello world", "value")
    eq(c.cmd("APPEND", "a", ""), 11, "APPEND empty")
    eq(c.cmd("STRLEN", "a"), 11, "STRLEN")
    eq(c.cmd("STRLEN", "none"), 0, "STRLEN missing")
    eq(c.cmd("SET", "n", "10"), OK, "SET integer")
    eq(c.cmd("APPEND", "n", "5"), 3, "APPEND to integer value")
    eq(c.cmd("INCR", "n"), 106, "still an integer")
    eq(c.cmd("APPEND", "e", ""), 0, "APPEND empty to missing")
    eq(c.cmd("EXISTS", "e"), 1, "APPEND empty creates the key")
    total = 0
    for i in range(200):
        total += i
        got = c.cmd("APPEND", "grow", b"z" * i)
        if got != total:
            eq(got, total, "APPEND #%d" % i)
    eq(c.cmd("GET", "grow"), b"z" * total, "grown value")


@test("strings.getrange")
def getrange(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "s", "hello world"), OK, "SET")
    cases = [("0", "4", b"hello"), ("-5", "-1", b"world"), ("6", "100", b"world"), ("5", "3", b""),
             ("-100", "2", b"hel"), ("0", "-1", b"hello world"), ("-1", "-5", b""),
             ("100", "200", b""), ("10", "10", b"d"), ("0", "0", b"h")]
    for start, end, exp in cases:
        eq(c.cmd("GETRANGE", "s", start, end), exp, "GETRANGE s %s %s" % (start, end))
    eq(c.cmd("GETRANGE", "none", "0", "10"), b"", "GETRANGE missing")
    eq(c.cmd("GETRANGE", "s", "a", "b"), NOT_INT, "GETRANGE non-integer")
    eq(c.cmd("GETRANGE", "s", "0"), Error("ERR wrong number of arguments for 'getrange' command"), "arity")
    eq(c.cmd("SET", "n", "1234567"), OK, "SET integer")
    eq(c.cmd("GETRANGE", "n", "1", "3"), b"234", "GETRANGE on integer value")


@test("strings.setrange")
def setrange(ctx):
    c = ctx.raw()
    eq(c.cmd("SETRANGE", "sr", "5", "x"), 6, "SETRANGE beyond end of missing key")
    eq(c.cmd("GET", "sr"), b"\x00\x00\x00\x00\x00x", "zero padded")
    eq(c.cmd("SETRANGE", "sr", "0", "ab"), 6, "overwrite at start")
    eq(c.cmd("GET", "sr"), b"ab\x00\x00\x00x", "value")
    eq(c.cmd("SETRANGE", "sr", "8", "yz"), 10, "extend existing with padding")
    eq(c.cmd("GET", "sr"), b"ab\x00\x00\x00x\x00\x00yz", "value")
    eq(c.cmd("SETRANGE", "sr", "3", ""), 10, "empty value on existing key returns length")
    eq(c.cmd("SETRANGE", "new", "0", ""), 0, "empty value on missing key")
    eq(c.cmd("EXISTS", "new"), 0, "not created")
    eq(c.cmd("SETRANGE", "new", "100", ""), 0, "empty value at offset on missing key")
    eq(c.cmd("EXISTS", "new"), 0, "still not created")
    eq(c.cmd("SET", "w", "Hello World"), OK, "SET")
    eq(c.cmd("SETRANGE", "w", "6", "Redis"), 11, "classic example")
    eq(c.cmd("GET", "w"), b"Hello Redis", "classic example value")
    eq(c.cmd("SET", "n", "12345"), OK, "SET integer")
    eq(c.cmd("SETRANGE", "n", "1", "9"), 5, "SETRANGE on integer value")
    eq(c.cmd("GET", "n"), b"19345", "value")
    eq(c.cmd("SETRANGE", "sr", "-1", "x"), Error("ERR offset is out of range"), "negative offset")
    too_big = Error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    eq(c.cmd("SETRANGE", "sr", "536870912", "x"), too_big, "offset at 512 MB")
    eq(c.cmd("SETRANGE", "sr", "536870911", "xy"), too_big, "end beyond 512 MB")
    eq(c.cmd("SETRANGE", "missing", "536870912", "x"), too_big, "offset at 512 MB on missing key")
    eq(c.cmd("EXISTS", "missing"), 0, "not created")
    eq(c.cmd("SETRANGE", "sr", "abc", "x"), NOT_INT, "non-integer offset")
    eq(c.cmd("STRLEN", "sr"), 10, "unchanged after errors")


@test("strings.incr_decr")
def incr_decr(ctx):
    c = ctx.raw()
    eq(c.cmd("INCR", "n"), 1, "INCR missing")
    eq(c.cmd("INCR", "n"), 2, "INCR")
    eq(c.cmd("DECR", "n"), 1, "DECR")
    eq(c.cmd("INCRBY", "n", "41"), 42, "INCRBY")
    eq(c.cmd("DECRBY", "n", "50"), -8, "DECRBY")
    eq(c.cmd("INCRBY", "n", "-2"), -10, "INCRBY negative")
    eq(c.cmd("GET", "n"), b"-10", "stored as text")
    eq(c.cmd("DECR", "m"), -1, "DECR missing")
    eq(c.cmd("DECRBY", "m2", "5"), -5, "DECRBY missing")
    eq(c.cmd("INCRBY", "m3", "0"), 0, "INCRBY 0 on missing")
    eq(c.cmd("EXISTS", "m3"), 1, "INCRBY 0 creates")
    eq(c.cmd("SET", "i", "9223372036854775807"), OK, "SET max")
    eq(c.cmd("INCR", "i"), OVERFLOW, "INCR max")
    eq(c.cmd("INCRBY", "i", "0"), 9223372036854775807, "INCRBY 0 on max")
    eq(c.cmd("SET", "i", "-9223372036854775808"), OK, "SET min")
    eq(c.cmd("DECR", "i"), OVERFLOW, "DECR min")
    eq(c.cmd("INCRBY", "i", "-1"), OVERFLOW, "INCRBY -1 on min")
    eq(c.cmd("DECRBY", "i", "1"), OVERFLOW, "DECRBY 1 on min")
    eq(c.cmd("INCRBY", "i", "9223372036854775807"), -1, "min + max")
    eq(c.cmd("DECRBY", "i", "-9223372036854775808"), Error("ERR decrement would overflow"),
       "DECRBY LLONG_MIN")
    eq(c.cmd("GET", "i"), b"-1", "unchanged after errors")
    for bad in ("abc", "01", "+1", "-0", " 1", "1 ", "", "1.5", "12345678901234567890", "0x10"):
        eq(c.cmd("SET", "b", bad), OK, "SET %r" % bad)
        eq(c.cmd("INCR", "b"), NOT_INT, "INCR on %r" % bad)
        eq(c.cmd("GET", "b"), bad.encode(), "value %r unchanged" % bad)
    for bad in ("abc", "1.5", "99999999999999999999", "", " 1"):
        eq(c.cmd("INCRBY", "n", bad), NOT_INT, "INCRBY by %r" % bad)
        eq(c.cmd("DECRBY", "n", bad), NOT_INT, "DECRBY by %r" % bad)
    eq(c.cmd("SET", "z", "0"), OK, "SET 0")
    eq(c.cmd("INCR", "z"), 1, "INCR from 0")
    eq(c.cmd("SET", "z", "-5"), OK, "SET -5")
    eq(c.cmd("INCR", "z"), -4, "INCR from -5")
    eq(c.cmd("INCR", "n", "x"), Error("ERR wrong number of arguments for 'incr' command"), "INCR arity")
    eq(c.cmd("INCRBY", "n"), Error("ERR wrong number of arguments for 'incrby' command"), "INCRBY arity")


@test("strings.incrbyfloat")
def incrbyfloat(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "f", "10.5"), OK, "SET 10.5")
    eq(c.cmd("INCRBYFLOAT", "f", "0.1"), b"10.6", "10.5 + 0.1")
    eq(c.cmd("GET", "f"), b"10.6", "stored formatted")
    eq(c.cmd("SET", "f", "5.0e3"), OK, "SET 5.0e3")
    eq(c.cmd("INCRBYFLOAT", "f", "2.0e2"), b"5200", "5.0e3 + 2.0e2")
    eq(c.cmd("INCRBYFLOAT", "f", "0"), b"5200", "+ 0")
    eq(c.cmd("INCRBYFLOAT", "nf", "3"), b"3", "missing key + 3")
    eq(c.cmd("INCRBYFLOAT", "nf", "-3"), b"0", "back to 0")
    eq(c.cmd("INCRBYFLOAT", "nf", "1e-5"), b"0.00001", "no exponent in output")
    eq(c.cmd("INCRBYFLOAT", "nf", "-1.5"), b"-1.49999", "negative result")
    eq(c.cmd("SET", "s", "3"), OK, "SET 3")
    eq(c.cmd("INCRBYFLOAT", "s", "1.5e1"), b"18", "integer + exponent form")
    eq(c.cmd("INCRBYFLOAT", "s", "-18"), b"0", "to zero")
    eq(c.cmd("INCRBYFLOAT", "s", "0.25"), b"0.25", "fraction")
    eq(c.cmd("INCR", "s"), NOT_INT, "INCR on a float value")
    eq(c.cmd("SET", "i", "7"), OK, "SET 7")
    eq(c.cmd("INCRBYFLOAT", "i", "1"), b"8", "integer stays integer-looking")
    eq(c.cmd("INCR", "i"), 9, "INCR after INCRBYFLOAT")
    eq(c.cmd("INCRBYFLOAT", "nf", "abc"), NOT_FLOAT, "increment not a float")
    eq(c.cmd("INCRBYFLOAT", "nf", ""), NOT_FLOAT, "empty increment")
    eq(c.cmd("INCRBYFLOAT", "nf", "nan"), NOT_FLOAT, "nan increment")
    eq(c.cmd("INCRBYFLOAT", "nf", "1 "), NOT_FLOAT, "trailing space")
    eq(c.cmd("INCRBYFLOAT", "nf", "inf"), Error("ERR increment would produce NaN or Infinity"), "inf")
    for bad in ("abc", " 1", "1.0.0", ""):
        eq(c.cmd("SET", "bad", bad), OK, "SET %r" % bad)
        eq(c.cmd("INCRBYFLOAT", "bad", "1"), NOT_FLOAT, "INCRBYFLOAT on %r" % bad)
    eq(c.cmd("INCRBYFLOAT", "f"), Error("ERR wrong number of arguments for 'incrbyfloat' command"), "arity")


@test("strings.mget_missing")
def mget_missing(ctx):
    c = ctx.raw()
    eq(c.cmd("MSET", "a", "1", "c", "3"), OK, "MSET")
    eq(c.cmd("MGET", "a", "b", "c", "d"), [b"1", None, b"3", None], "MGET with missing keys")
    eq(c.cmd_raw("MGET", "a", "b"), b"*2\r\n$1\r\n1\r\n$-1\r\n", "exact bytes")
    eq(c.cmd("MGET", "x", "y"), [None, None], "all missing")
