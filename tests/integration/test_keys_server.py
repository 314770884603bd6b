"""Keyspace and server commands: TYPE KEYS SCAN RANDOMKEY DBSIZE SELECT MOVE
SWAPDB FLUSHDB FLUSHALL ECHO PING TIME INFO CONFIG CLIENT COMMAND HELLO."""

import re
import time

from harness import Error, Null, Simple, between, check, eq, test

OK = Simple("OK")
DB_RANGE = Error("ERR DB index is out of range")


@test("keys.type")
def type_cmd(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "s", "v"), OK, "SET")
    eq(c.cmd_raw("TYPE", "s"), b"+string\r\n", "TYPE string (simple string)")
    eq(c.cmd_raw("TYPE", "nope"), b"+none\r\n", "TYPE none")
    eq(c.cmd("SET", "n", "123"), OK, "SET integer")
    eq(c.cmd("TYPE", "n"), Simple("string"), "TYPE integer-encoded")
    eq(c.cmd("TYPE"), Error("ERR wrong number of arguments for 'type' command"), "arity")


@test("keys.keys_patterns")
def keys_patterns(ctx):
    c = ctx.raw()
    names = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo", "other", "HELLO"]
    for n in names:
        eq(c.cmd("SET", n, "1"), OK, "SET " + n)

    def keys(p):
        r = c.cmd("KEYS", p)
        check(isinstance(r, list), "KEYS %s returned %r" % (p, r))
        return sorted(r)

    def bs(*xs):
        return sorted(x.encode() for x in xs)

    eq(keys("*"), bs(*names), "KEYS *")
    eq(keys("h?llo"), bs("hello", "hallo", "hxllo", "h*llo", "h?llo"), "KEYS h?llo")
    eq(keys("h*llo"), bs("hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h?llo"), "KEYS h*llo")
    eq(keys("h[ae]llo"), bs("hello", "hallo"), "KEYS h[ae]llo")
    eq(keys("h[^e]llo"), bs("hallo", "hxllo", "h*llo", "h?llo"), "KEYS h[^e]llo")
    eq(keys("h[a-b]llo"), bs("hallo"), "KEYS h[a-b]llo")
    eq(keys("h\\*llo"), bs("h*llo"), "KEYS h\\*llo")
    eq(keys("h\\?llo"), bs("h?llo"), "KEYS h\\?llo")
    eq(keys("hello"), bs("hello"), "KEYS literal")
    eq(keys("HEL*"), bs("HELLO"), "KEYS is case-sensitive")
    eq(keys("nomatch*"), [], "KEYS no match")
    eq(c.cmd_raw("KEYS", "zz*"), b"*0\r\n", "empty KEYS reply bytes")


# (pattern, key, matches) on the matcher's edge cases, as redis-server 7.0.15 answers them
# (tests/unit/glob_test.cc holds the same table for the matcher itself).
GLOB_CASES = [
    (b"*", b"", True), (b"**", b"", False), (b"?", b"", False),
    (b"[abc", b"b", True), (b"[abc", b"d", False), (b"[", b"[", False), (b"[^", b"x", True),
    (b"[]", b"]", False), (b"[]a]", b"a", False), (b"[^]", b"]", True),
    (b"[a-]", b"]", True), (b"[a-]", b"-", False), (b"[a-]x", b"x", True), (b"[a-]x", b"]x", False),
    (b"[z-a]", b"m", True), (b"[-a]", b"-", True), (b"[a-", b"-", True), (b"[a-", b"b", False),
    (b"[\\]", b"]", True), (b"[\\]", b"\\", False), (b"[a\\-z]", b"b", False),
    (b"[a\\-z]", b"-", True), (b"[a-\\]", b"\\", True), (b"[a-\\]", b"]", True),
    (b"[a\\", b"\\", True), (b"\\", b"\\", True), (b"x\\", b"x\\", True), (b"x\\", b"x", False),
    (b"\\*", b"*", True), (b"\\*", b"a", False), (b"[!a]", b"!", True), (b"a*b", b"acbd", False),
    (b"[a-\xff]", b"\x00", True), (b"[a-\xff]", b"b", False), (b"[\x01-\x80]", b"\x90", True),
    (b"[\x01-\x80]", b"a", False),
]

# CONFIG GET matches case-insensitively: (pattern, whether "maxmemory" is among the answers).
GLOB_NOCASE_CASES = [
    (b"[Z-m]axmemory", False), (b"[A-z]axmemory", True), (b"[L-N]axmemory", True),
    (b"[\\M]axmemory", False), (b"[\\m]axmemory", True), (b"\\Maxmemor?", True),
]


@test("keys.glob_edges")
def glob_edges(ctx):
    c = ctx.raw()
    for pattern, key, matches in GLOB_CASES:
        what = "pattern %r key %r" % (pattern, key)
        eq(c.cmd("SET", key, "1"), OK, "SET " + what)
        r = c.cmd("KEYS", pattern)
        check(isinstance(r, list), "KEYS %s returned %r" % (what, r))
        eq(key in r, matches, "KEYS " + what)
        r = c.cmd("SCAN", "0", "MATCH", pattern, "COUNT", "100")
        check(isinstance(r, list) and len(r) == 2 and r[0] == b"0", "SCAN %s returned %r" % (what, r))
        eq(key in r[1], matches, "SCAN MATCH " + what)
        eq(c.cmd("DEL", key), 1, "DEL " + what)
    for pattern, matches in GLOB_NOCASE_CASES:
        r = c.cmd("CONFIG", "GET", pattern)
        check(isinstance(r, list), "CONFIG GET %r returned %r" % (pattern, r))
        eq(b"maxmemory" in r[0::2], matches, "CONFIG GET %r" % (pattern,))


@test("keys.glob_nested_stars")
def glob_nested_stars(ctx):
    c = ctx.raw()
    # Redis's "pattern matching long nested loops" regression, then the same shape at scale:
    # 10000 stars over a 64 KiB key, which a backtracking matcher never finishes.
    eq(c.cmd("SET", "a" * 40, "1"), OK, "SET 40 a")
    eq(c.cmd("KEYS", "a*" * 20 + "b"), [], "KEYS a*a*...*b")
    long_key = b"a" * 65536
    eq(c.cmd("SET", long_key, "1"), OK, "SET 64 KiB key")
    start = time.monotonic()
    eq(c.cmd("KEYS", "a*" * 10000 + "b"), [], "KEYS with 10000 stars")
    r = c.cmd("SCAN", "0", "MATCH", "a*" * 1000 + "a", "COUNT", "100")
    check(isinstance(r, list) and r[1] == [long_key],
          "SCAN MATCH with 1000 stars: %r" % ([k[:8] for k in r[1]] if isinstance(r, list) else r,))
    # Redis (since the CVE-2024-31228 fix) gives up on patterns with more than 1000 star runs.
    eq(c.cmd("KEYS", "a*" * 1001 + "a"), [], "KEYS with 1001 stars")
    eq(c.cmd("KEYS", "a*" * 1001), [long_key], "KEYS with 1000 stars and a final one")
    eq(c.cmd("PING"), Simple("PONG"), "server still answers")
    check(time.monotonic() - start < 10, "10000 stars took %.1f s" % (time.monotonic() - start))


def full_scan(c, *opts, max_calls=100000, limit_seconds=60):
    cursor = b"0"
    seen = []
    calls = 0
    deadline = time.monotonic() + limit_seconds
    while True:
        r = c.cmd("SCAN", cursor, *opts)
        check(isinstance(r, list) and len(r) == 2 and isinstance(r[0], bytes) and isinstance(r[1], list),
              "SCAN reply shape: %r" % (r,))
        cursor = r[0]
        check(cursor.isdigit(), "cursor is a decimal string: %r" % cursor)
        seen.extend(r[1])
        calls += 1
        if cursor == b"0":
            return seen, calls
        check(calls < max_calls and time.monotonic() < deadline,
              "SCAN did not finish within %d calls / %d s" % (max_calls, limit_seconds))


@test("keys.scan_full_iteration", timeout=120)
def scan_full(ctx):
    r = ctx.client()
    all_keys = set()
    for base in range(0, 5000, 1000):
        p = r.pipeline(transaction=False)
        for i in range(base, base + 1000):
            k = "scan:%d" % i
            all_keys.add(k.encode())
            p.set(k, i)
        p.execute()
    eq(r.dbsize(), 5000, "DBSIZE")
    c = ctx.raw()
    seen, calls = full_scan(c, "COUNT", "10")
    missing = all_keys - set(seen)
    extra = set(seen) - all_keys
    check(not missing, "SCAN COUNT 10 missed %d keys, e.g. %r" % (len(missing), sorted(missing)[:5]))
    check(not extra, "SCAN returned keys that do not exist: %r" % sorted(extra)[:5])
    check(calls > 10, "SCAN COUNT 10 over 5000 keys took only %d calls" % calls)
    check(len(seen) < 2 * len(all_keys), "SCAN returned %d keys for 5000" % len(seen))
    # Default COUNT.
    seen, _ = full_scan(c)
    eq(set(seen), all_keys, "SCAN without COUNT")
    # MATCH filters.
    seen, _ = full_scan(c, "MATCH", "scan:1*", "COUNT", "100")
    eq(set(seen), {k for k in all_keys if k.startswith(b"scan:1")}, "SCAN MATCH scan:1*")
    seen, _ = full_scan(c, "MATCH", "scan:42", "COUNT", "1000")
    eq(set(seen), {b"scan:42"}, "SCAN MATCH literal")
    seen, _ = full_scan(c, "TYPE", "string", "COUNT", "500")
    eq(set(seen), all_keys, "SCAN TYPE string")
    seen, _ = full_scan(c, "TYPE", "list", "COUNT", "500")
    eq(seen, [], "SCAN TYPE list")
    seen, _ = full_scan(c, "MATCH", "scan:49*", "TYPE", "string", "COUNT", "200")
    eq(set(seen), {k for k in all_keys if k.startswith(b"scan:49")}, "SCAN MATCH + TYPE")


@test("keys.scan_while_modifying", timeout=120)
def scan_modifying(ctx):
    """Keys present for the whole iteration are returned despite concurrent
    inserts and deletes (which may trigger rehashing)."""
    r = ctx.client()
    stable = set()
    p = r.pipeline(transaction=False)
    for i in range(3000):
        k = "stable:%d" % i
        stable.add(k.encode())
        p.set(k, i)
    for i in range(2000):
        p.set("doomed:%d" % i, i)
    p.execute()
    c = ctx.raw()
    w = ctx.raw()
    cursor = b"0"
    seen = set()
    calls = 0
    added = 0
    deleted = 0
    deadline = time.monotonic() + 90
    while True:
        res = c.cmd("SCAN", cursor, "COUNT", "20")
        check(isinstance(res, list) and len(res) == 2, "SCAN reply %r" % (res,))
        cursor = res[0]
        seen.update(res[1])
        calls += 1
        # Grow and shrink the keyspace between SCAN calls.
        batch = ["added:%d" % (added + j) for j in range(30)]
        args = []
        for k in batch:
            args += [k, "x"]
        eq(w.cmd("MSET", *args), OK, "MSET during SCAN")
        added += len(batch)
        if deleted < 2000:
            dels = ["doomed:%d" % (deleted + j) for j in range(min(20, 2000 - deleted))]
            w.cmd("DEL", *dels)
            deleted += len(dels)
        if cursor == b"0":
            break
        check(calls < 20000 and time.monotonic() < deadline, "SCAN did not terminate")
    missing = stable - seen
    check(not missing, "SCAN missed %d stable keys, e.g. %r" % (len(missing), sorted(missing)[:5]))


@test("keys.scan_errors")
def scan_errors(ctx):
    c = ctx.raw()
    eq(c.cmd("SCAN", "abc"), Error("ERR invalid cursor"), "SCAN abc")
    eq(c.cmd("SCAN", "0", "COUNT", "0"), Error("ERR syntax error"), "COUNT 0")
    eq(c.cmd("SCAN", "0", "COUNT", "x"), Error("ERR value is not an integer or out of range"), "COUNT x")
    eq(c.cmd("SCAN", "0", "MATCH"), Error("ERR syntax error"), "MATCH without pattern")
    eq(c.cmd("SCAN", "0", "FOO", "bar"), Error("ERR syntax error"), "unknown option")
    eq(c.cmd("SCAN"), Error("ERR wrong number of arguments for 'scan' command"), "arity")
    eq(c.cmd_raw("SCAN", "0"), b"*2\r\n$1\r\n0\r\n*0\r\n", "SCAN on empty db, exact bytes")


@test("keys.randomkey_dbsize")
def randomkey(ctx):
    c = ctx.raw()
    eq(c.cmd_raw("RANDOMKEY"), b"$-1\r\n", "RANDOMKEY on empty db")
    eq(c.cmd("DBSIZE"), 0, "DBSIZE empty")
    eq(c.cmd("SET", "only", "1"), OK, "SET")
    eq(c.cmd("RANDOMKEY"), b"only", "RANDOMKEY with one key")
    keys = set()
    for i in range(100):
        k = "rk:%d" % i
        keys.add(k.encode())
        c.cmd("SET", k, "1")
    keys.add(b"only")
    eq(c.cmd("DBSIZE"), 101, "DBSIZE")
    got = set()
    for _ in range(200):
        k = c.cmd("RANDOMKEY")
        check(k in keys, "RANDOMKEY returned a non-existing key %r" % (k,))
        got.add(k)
    check(len(got) > 5, "RANDOMKEY returned only %d distinct keys in 200 calls" % len(got))
    eq(c.cmd("SET", "exp", "1", "PX", "1"), OK, "SET PX 1")
    time.sleep(0.05)
    eq(c.cmd("DEL", *list(keys)), 101, "DEL all")
    eq(c.cmd("RANDOMKEY"), None, "RANDOMKEY when only an expired key remains")


@test("keys.select_isolation")
def select_isolation(ctx):
    c = ctx.raw()
    for db in range(16):
        eq(c.cmd("SELECT", str(db)), OK, "SELECT %d" % db)
        eq(c.cmd("SET", "dbkey", "db%d" % db), OK, "SET in db %d" % db)
        eq(c.cmd("SET", "only%d" % db, "x"), OK, "SET only%d" % db)
    for db in range(16):
        eq(c.cmd("SELECT", str(db)), OK, "SELECT %d" % db)
        eq(c.cmd("GET", "dbkey"), ("db%d" % db).encode(), "dbkey in db %d" % db)
        eq(c.cmd("DBSIZE"), 2, "DBSIZE in db %d" % db)
        eq(c.cmd("EXISTS", *["only%d" % i for i in range(16)]), 1, "only own key visible in db %d" % db)
    # Each connection has its own selected db.
    c2 = ctx.raw()
    eq(c2.cmd("GET", "dbkey"), b"db0", "a new connection starts in db 0")
    eq(c.cmd("GET", "dbkey"), b"db15", "the other connection is still in db 15")
    eq(c.cmd("SELECT", "16"), DB_RANGE, "SELECT 16")
    eq(c.cmd("SELECT", "-1"), DB_RANGE, "SELECT -1")
    eq(c.cmd("SELECT", "abc"), Error("ERR value is not an integer or out of range"), "SELECT abc")
    eq(c.cmd("GET", "dbkey"), b"db15", "failed SELECT kept db 15")
    info = c.cmd("INFO", "keyspace").decode()
    for db in range(16):
        check("db%d:keys=2,expires=0" % db in info, "INFO keyspace lists db%d: %r" % (db, info))


@test("keys.move")
def move(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "m", "v", "EX", "100"), OK, "SET with TTL")
    eq(c.cmd("MOVE", "m", "1"), 1, "MOVE to db 1")
    eq(c.cmd("EXISTS", "m"), 0, "gone from db 0")
    eq(c.cmd("MOVE", "m", "1"), 0, "MOVE missing key")
    eq(c.cmd("SELECT", "1"), OK, "SELECT 1")
    eq(c.cmd("GET", "m"), b"v", "present in db 1")
    between(c.cmd("TTL", "m"), 98, 100, "TTL moved with the key")
    eq(c.cmd("SET", "clash", "db1"), OK, "SET clash in db 1")
    eq(c.cmd("SELECT", "0"), OK, "SELECT 0")
    eq(c.cmd("SET", "clash", "db0"), OK, "SET clash in db 0")
    eq(c.cmd("MOVE", "clash", "1"), 0, "MOVE onto an existing key")
    eq(c.cmd("GET", "clash"), b"db0", "source kept")
    eq(c.cmd("MOVE", "clash", "0"), Error("ERR source and destination objects are the same"), "MOVE to same db")
    eq(c.cmd("MOVE", "clash", "16"), DB_RANGE, "MOVE to db 16")
    eq(c.cmd("MOVE", "clash", "abc"), Error("ERR value is not an integer or out of range"), "MOVE to db abc")
    eq(c.cmd("SELECT", "1"), OK, "SELECT 1")
    eq(c.cmd("GET", "clash"), b"db1", "destination untouched")


@test("keys.swapdb")
def swapdb(ctx):
    c = ctx.raw()
    other = ctx.raw()
    eq(c.cmd("SET", "a", "in0"), OK, "SET a in db0")
    eq(other.cmd("SELECT", "1"), OK, "other SELECT 1")
    eq(other.cmd("SET", "b", "in1"), OK, "SET b in db1")
    eq(other.cmd("SET", "t", "ttl", "EX", "100"), OK, "SET t with TTL in db1")
    eq(c.cmd("SWAPDB", "0", "1"), OK, "SWAPDB 0 1")
    eq(c.cmd("MGET", "a", "b", "t"), [None, b"in1", b"ttl"], "db0 now has db1's keys")
    between(c.cmd("TTL", "t"), 98, 100, "TTL swapped along")
    eq(other.cmd("MGET", "a", "b"), [b"in0", None], "a connection on db1 sees the old db0")
    eq(c.cmd("SWAPDB", "0", "0"), OK, "SWAPDB with itself")
    eq(c.cmd("SWAPDB", "0", "16"), DB_RANGE, "SWAPDB 0 16")
    eq(c.cmd("SWAPDB", "a", "1"), Error("ERR invalid first DB index"), "SWAPDB a 1")
    eq(c.cmd("SWAPDB", "1", "b"), Error("ERR invalid second DB index"), "SWAPDB 1 b")
    eq(c.cmd("SWAPDB", "1"), Error("ERR wrong number of arguments for 'swapdb' command"), "arity")


@test("keys.flushdb_flushall")
def flush(ctx):
    c = ctx.raw()
    for db in (0, 1, 2):
        eq(c.cmd("SELECT", str(db)), OK, "SELECT %d" % db)
        eq(c.cmd("MSET", "x", "1", "y", "2"), OK, "MSET in db %d" % db)
    eq(c.cmd("SELECT", "1"), OK, "SELECT 1")
    eq(c.cmd("FLUSHDB"), OK, "FLUSHDB in db 1")
    eq(c.cmd("DBSIZE"), 0, "db 1 empty")
    eq(c.cmd("SELECT", "0"), OK, "SELECT 0")
    eq(c.cmd("DBSIZE"), 2, "db 0 untouched")
    eq(c.cmd("SELECT", "2"), OK, "SELECT 2")
    eq(c.cmd("DBSIZE"), 2, "db 2 untouched")
    eq(c.cmd("FLUSHDB", "ASYNC"), OK, "FLUSHDB ASYNC")
    eq(c.cmd("DBSIZE"), 0, "db 2 empty")
    eq(c.cmd("FLUSHDB", "SYNC"), OK, "FLUSHDB SYNC")
    eq(c.cmd("FLUSHDB", "foo"), Error("ERR syntax error"), "FLUSHDB foo")
    eq(c.cmd("SELECT", "5"), OK, "SELECT 5")
    eq(c.cmd("SET", "z", "1"), OK, "SET in db 5")
    eq(c.cmd("FLUSHALL"), OK, "FLUSHALL")
    for db in (0, 1, 2, 5):
        eq(c.cmd("SELECT", str(db)), OK, "SELECT %d" % db)
        eq(c.cmd("DBSIZE"), 0, "db %d empty after FLUSHALL" % db)
    eq(c.cmd("FLUSHALL", "SYNC"), OK, "FLUSHALL SYNC")
    eq(c.cmd("FLUSHALL", "ASYNC"), OK, "FLUSHALL ASYNC")


@test("server.echo_ping_time")
def echo_ping_time(ctx):
    c = ctx.raw()
    eq(c.cmd_raw("PING"), b"+PONG\r\n", "PING")
    eq(c.cmd_raw("PING", "hello world"), b"$11\r\nhello world\r\n", "PING with argument is a bulk")
    eq(c.cmd_raw("ECHO", "hi"), b"$2\r\nhi\r\n", "ECHO")
    eq(c.cmd_raw("ECHO", ""), b"$0\r\n\r\n", "ECHO empty")
    eq(c.cmd("ECHO", b"\x00\r\n\xff"), b"\x00\r\n\xff", "ECHO binary")
    eq(c.cmd("PING", "a", "b"), Error("ERR wrong number of arguments for 'ping' command"), "PING arity")
    eq(c.cmd("ECHO"), Error("ERR wrong number of arguments for 'echo' command"), "ECHO arity")
    t = c.cmd("TIME")
    check(isinstance(t, list) and len(t) == 2 and all(isinstance(x, bytes) and x.isdigit() for x in t),
          "TIME returns two integer strings: %r" % (t,))
    check(abs(int(t[0]) - time.time()) < 5, "TIME seconds %r far from local clock" % t[0])
    check(0 <= int(t[1]) < 1000000, "TIME microseconds %r" % t[1])
    t2 = c.cmd("TIME")
    check((int(t2[0]), int(t2[1])) >= (int(t[0]), int(t[1])), "TIME went backwards: %r then %r" % (t, t2))


@test("server.info")
def info(ctx):
    c = ctx.raw()
    eq(c.cmd("MSET", "a", "1", "b", "2", "c", "3"), OK, "MSET")
    eq(c.cmd("EXPIRE", "a", "100"), 1, "EXPIRE")
    text = c.cmd("INFO")
    check(isinstance(text, bytes), "INFO is a bulk string: %r" % (text,))
    text = text.decode()
    check("\r\n" in text, "INFO lines end with CRLF")
    check("# Server\r\n" in text, "INFO has '# Server'")
    check(re.search(r"^redis_version:\d+\.\d+\.\d+\r$", text, re.M), "INFO has redis_version:X.Y.Z")
    check("# Keyspace\r\n" in text, "INFO has '# Keyspace'")
    check(re.search(r"^db0:keys=3,expires=1(,|\r$)", text, re.M), "INFO has db0:keys=3,expires=1: %r" % text)
    ks = c.cmd("INFO", "keyspace").decode()
    check(ks.startswith("# Keyspace\r\n"), "INFO keyspace starts with its header: %r" % ks)
    check("# Server" not in ks, "INFO keyspace has only that section")
    check("db0:keys=3,expires=1" in ks, "INFO keyspace: %r" % ks)
    server = c.cmd("INFO", "server").decode()
    check(server.startswith("# Server\r\n") and "redis_version:" in server, "INFO server: %r" % server)
    check("# Keyspace" not in server, "INFO server has only that section")
    eq(c.cmd("FLUSHALL"), OK, "FLUSHALL")
    ks = c.cmd("INFO", "keyspace").decode()
    check("db0:" not in ks, "no db0 line when empty: %r" % ks)


@test("server.config_get")
def config_get(ctx):
    c = ctx.raw()
    r = c.cmd("CONFIG", "GET", "maxmemory")
    check(isinstance(r, list) and len(r) == 2 and r[0] == b"maxmemory" and isinstance(r[1], bytes)
          and r[1].isdigit(), "CONFIG GET maxmemory: %r" % (r,))
    eq(c.cmd("CONFIG", "GET", "save"), [b"save", b""], "CONFIG GET save (as asked by redis-benchmark)")
    eq(c.cmd("CONFIG", "GET", "appendonly"), [b"appendonly", b"no"], "CONFIG GET appendonly")
    eq(c.cmd_raw("CONFIG", "GET", "no-such-parameter"), b"*0\r\n", "CONFIG GET unknown")
    r = c.cmd("CONFIG", "GET", "save", "appendonly")
    check(isinstance(r, list) and len(r) == 4, "CONFIG GET with two parameters: %r" % (r,))
    eq(dict(zip(r[0::2], r[1::2])), {b"save": b"", b"appendonly": b"no"}, "both parameters")
    eq(c.cmd("CONFIG", "GET"), Error("ERR wrong number of arguments for 'config|get' command"), "arity")


@test("server.client")
def client(ctx):
    c = ctx.raw()
    my_id = c.cmd("CLIENT", "ID")
    check(isinstance(my_id, int) and my_id > 0, "CLIENT ID: %r" % (my_id,))
    c2 = ctx.raw()
    id2 = c2.cmd("CLIENT", "ID")
    check(isinstance(id2, int) and id2 > my_id, "later connection has a larger id: %r then %r" % (my_id, id2))
    eq(c.cmd("CLIENT", "ID"), my_id, "CLIENT ID is stable")
    eq(c.cmd("CLIENT", "GETNAME"), None, "no name yet")
    eq(c.cmd("CLIENT", "SETNAME", "tester"), OK, "SETNAME")
    eq(c.cmd("CLIENT", "GETNAME"), b"tester", "GETNAME")
    eq(c2.cmd("CLIENT", "GETNAME"), None, "name is per connection")
    eq(c.cmd("CLIENT", "SETNAME", "a b"),
       Error("ERR Client names cannot contain spaces, newlines or special characters."), "name with a space")
    eq(c.cmd("CLIENT", "GETNAME"), b"tester", "bad SETNAME kept the name")
    lst = c.cmd("CLIENT", "LIST")
    check(isinstance(lst, bytes), "CLIENT LIST is a bulk string: %r" % (lst,))
    lines = lst.decode().strip("\n").split("\n")
    mine = [ln for ln in lines if ln.startswith("id=%d " % my_id)]
    check(len(mine) == 1, "CLIENT LIST has one line for id=%d: %r" % (my_id, lst))
    check(" name=tester " in mine[0], "CLIENT LIST shows the name: %r" % mine[0])
    check(re.search(r" addr=127\.0\.0\.1:\d+ ", mine[0]), "CLIENT LIST shows addr: %r" % mine[0])
    check(any(ln.startswith("id=%d " % id2) for ln in lines), "CLIENT LIST shows the other connection")
    inf = c.cmd("CLIENT", "INFO")
    check(isinstance(inf, bytes), "CLIENT INFO is a bulk string")
    inf = inf.decode()
    check(inf.startswith("id=%d " % my_id) and " name=tester " in inf and inf.endswith("\n")
          and inf.count("\n") == 1, "CLIENT INFO: %r" % inf)
    eq(c.cmd("CLIENT", "SETNAME", ""), OK, "SETNAME empty clears the name")
    eq(c.cmd("CLIENT", "GETNAME"), None, "name cleared")
    # CLIENT SETINFO arrived in Redis 7.2 (redis-py 5 sends it on connect).
    # Redis 7.0 rejects it; a server implementing it must then report it.
    r = c.cmd("CLIENT", "SETINFO", "lib-name", "eddy-tests")
    if r == OK:
        check(" lib-name=eddy-tests " in c.cmd("CLIENT", "INFO").decode(), "CLIENT INFO shows lib-name")
    else:
        eq(r, Error("ERR unknown subcommand 'SETINFO'. Try CLIENT HELP."), "CLIENT SETINFO")
    eq(c.cmd("CLIENT", "NOSUCH"), Error("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."), "unknown subcommand")
    eq(c.cmd("CLIENT", "ID", "x"), Error("ERR wrong number of arguments for 'client|id' command"), "CLIENT ID arity")


@test("server.command")
def command(ctx):
    c = ctx.raw()
    n = c.cmd("COMMAND", "COUNT")
    check(isinstance(n, int) and n > 0, "COMMAND COUNT: %r" % (n,))
    info = c.cmd("COMMAND", "INFO", "get")
    check(isinstance(info, list) and len(info) == 1 and isinstance(info[0], list) and len(info[0]) >= 6,
          "COMMAND INFO get shape: %r" % (info,))
    g = info[0]
    eq(g[0], b"get", "name")
    eq(g[1], 2, "arity of GET")
    eq(g[2], [Simple("readonly"), Simple("fast")], "flags of GET")
    eq(g[3:6], [1, 1, 1], "first key, last key, step")
    info = c.cmd("COMMAND", "INFO", "SET", "mset", "nosuchcommand")
    check(isinstance(info, list) and len(info) == 3, "COMMAND INFO three names: %r" % (info,))
    eq(info[0][:2], [b"set", -3], "SET name and arity")
    eq(info[0][3:6], [1, 1, 1], "SET keys")
    eq(info[1][:2], [b"mset", -3], "MSET name and arity")
    eq(info[1][3:6], [1, -1, 2], "MSET keys")
    eq(info[2], None, "unknown command is nil")
    docs = c.cmd("COMMAND", "DOCS", "get")
    check(isinstance(docs, list) and len(docs) == 2 and docs[0] == b"get" and isinstance(docs[1], list)
          and len(docs[1]) % 2 == 0, "COMMAND DOCS get (RESP2 flattened map): %r" % (docs,))
    fields = dict(zip(docs[1][0::2], docs[1][1::2]))
    check(b"summary" in fields and isinstance(fields[b"summary"], bytes), "DOCS has a summary: %r" % fields)
    eq(fields.get(b"group"), b"string", "GET's group")
    # In RESP3 the same reply is a real map.
    c3 = ctx.raw()
    check(isinstance(c3.cmd("HELLO", "3"), dict), "HELLO 3 reply is a map")
    raw = c3.cmd_raw("COMMAND", "DOCS", "get")
    check(raw.startswith(b"%1\r\n$3\r\nget\r\n%"), "COMMAND DOCS get in RESP3 is a map of maps: %r" % raw[:60])
    eq(c.cmd("COMMAND", "COUNT", "x"), Error("ERR wrong number of arguments for 'command|count' command"), "arity")


@test("server.hello_resp3")
def hello(ctx):
    c = ctx.raw()
    eq(c.cmd_raw("GET", "nokey"), b"$-1\r\n", "RESP2 nil before HELLO")
    h = c.cmd("HELLO", "3")
    check(isinstance(h, dict), "HELLO 3 replies with a RESP3 map: %r" % (h,))
    for k in (b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"):
        check(k in h, "HELLO map has %r: %r" % (k, h))
    eq(h[b"proto"], 3, "proto")
    eq(h[b"id"], c.cmd("CLIENT", "ID"), "HELLO id is CLIENT ID")
    raw = c.cmd_raw("CONFIG", "GET", "maxmemory")
    check(re.match(rb"^%1\r\n\$9\r\nmaxmemory\r\n\$\d+\r\n\d+\r\n$", raw), "CONFIG GET as RESP3 map: %r" % raw)
    eq(c.cmd_raw("GET", "nokey"), b"_\r\n", "RESP3 null")
    eq(c.cmd("SET", "a", "1"), OK, "SET")
    eq(c.cmd_raw("MGET", "a", "nokey"), b"*2\r\n$1\r\n1\r\n_\r\n", "RESP3 null inside an array")
    eq(c.cmd_raw("INCR", "a"), b":2\r\n", "integer")
    eq(c.cmd_raw("PING"), b"+PONG\r\n", "simple string")
    eq(c.cmd_raw("GET", "a", "b"), b"-ERR wrong number of arguments for 'get' command\r\n", "error")
    eq(c.cmd("GET", "nokey"), Null(), "parsed RESP3 null")
    h = c.cmd("HELLO")
    check(isinstance(h, dict) and h.get(b"proto") == 3, "HELLO without version reports proto 3: %r" % (h,))
    h = c.cmd("HELLO", "2")
    check(isinstance(h, list) and len(h) % 2 == 0, "HELLO 2 replies with a flat array: %r" % (h,))
    eq(dict(zip(h[0::2], h[1::2])).get(b"proto"), 2, "proto 2")
    eq(c.cmd_raw("GET", "nokey"), b"$-1\r\n", "RESP2 nil after HELLO 2")
    eq(c.cmd_raw("CONFIG", "GET", "appendonly"), b"*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n", "RESP2 flat CONFIG GET")
    eq(c.cmd("HELLO", "4"), Error("NOPROTO unsupported protocol version"), "HELLO 4")
    eq(c.cmd("HELLO", "1"), Error("NOPROTO unsupported protocol version"), "HELLO 1")
    eq(c.cmd("HELLO", "abc"), Error("ERR Protocol version is not an integer or out of range"), "HELLO abc")
    eq(c.cmd_raw("GET", "nokey"), b"$-1\r\n", "failed HELLO kept RESP2")
    # HELLO 3 with SETNAME.
    h = c.cmd("HELLO", "3", "SETNAME", "resp3client")
    check(isinstance(h, dict), "HELLO 3 SETNAME reply is a map")
    eq(c.cmd("CLIENT", "GETNAME"), b"resp3client", "SETNAME via HELLO")
    eq(c.cmd("HELLO", "3", "FOO"), Error("ERR Syntax error in HELLO option 'FOO'"), "HELLO bad option")


@test("server.exclusive_port")
def server_exclusive_port(ctx):
    # A second server asked for the address the first one holds must refuse to start (as
    # Redis does), never quietly take a share of its connections.
    import subprocess
    p = subprocess.run(ctx.server.argv(ctx.port), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    check(p.returncode != 0, "a second server on port %d exited %d" % (ctx.port, p.returncode))
    text = (p.stdout + p.stderr).decode("utf-8", "replace")
    check("already in use" in text.lower(), "its message names the cause: %r" % text[-300:])
    # The first one still answers every connection.
    for _ in range(20):
        eq(ctx.raw().cmd("PING"), Simple("PONG"), "PING after the refused start")


@test("server.random_hash_seed", timeout=60)
def server_random_hash_seed(ctx):
    # The keyspace hash is seeded per process (OS entropy), so two servers holding the same
    # keys lay them out differently: SCAN's order is the layout's. With a fixed seed, anyone
    # could precompute keys that collide in every eddy-server.
    from harness import Server, RawClient
    keys = ["seed:%d" % i for i in range(200)]

    def first_page(port):
        c = RawClient(port)
        for k in keys:
            c.cmd("SET", k, "v")
        reply = c.cmd("SCAN", "0", "COUNT", "20")
        c.close()
        return reply[1]

    orders = []
    for _ in range(2):
        other = Server(ctx.server.path, "eddy")
        other.start()
        try:
            orders.append(first_page(other.port))
        finally:
            other.stop()
    check(len(orders[0]) >= 10, "SCAN's first page holds keys: %r" % orders[0])
    check(orders[0] != orders[1],
          "two servers gave the same SCAN order for the same keys (fixed hash seed?)")
