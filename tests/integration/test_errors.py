"""Error replies (exact Redis wording), malformed protocol input, a client that
floods and never reads, QUIT; then a final check that the server survived."""

import select
import socket
import struct
import time

from harness import (HOST, Error, RawClient, Simple, assert_pong, check, encode_command, eq,
                     raw_roundtrip, test)

OK = Simple("OK")


@test("errors.unknown_command")
def unknown_command(ctx):
    c = ctx.raw()
    eq(c.cmd("foo", "a", "b"), Error("ERR unknown command 'foo', with args beginning with: 'a' 'b' "),
       "unknown command with args")
    eq(c.cmd("foo"), Error("ERR unknown command 'foo', with args beginning with: "), "unknown command, no args")
    c.send(b"foo a b\r\n")
    eq(c.read_raw(), b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", "inline, exact bytes")
    eq(c.cmd("FOO", "x y"), Error("ERR unknown command 'FOO', with args beginning with: 'x y' "),
       "name case kept in the message")
    # Arguments are quoted until the list reaches 128 characters.
    eq(c.cmd("foo", "x" * 200, "y"),
       Error("ERR unknown command 'foo', with args beginning with: '%s' " % ("x" * 128)), "long argument cut")
    # "'" + 100 a + "' " is 103 characters, leaving 128 - 103 = 25 for the next argument.
    eq(c.cmd("foo", "a" * 100, "b" * 100, "c"),
       Error("ERR unknown command 'foo', with args beginning with: '%s' '%s' " % ("a" * 100, "b" * 25)),
       "arguments cut once the list reaches 128 characters")
    eq(c.cmd("foo" + "z" * 200), Error("ERR unknown command '%s', with args beginning with: " % ("foo" + "z" * 125)),
       "long command name cut at 128")
    eq(c.cmd_raw("PING"), b"+PONG\r\n", "connection still usable")


@test("errors.wrong_arity")
def wrong_arity(ctx):
    c = ctx.raw()
    for args, name in ((("GET",), "get"), (("GET", "a", "b"), "get"), (("SET", "k"), "set"),
                       (("MSET", "a"), "mset"), (("INCR",), "incr"), (("DEL",), "del"),
                       (("EXPIRE", "k"), "expire"), (("TTL",), "ttl"), (("RENAME", "a"), "rename"),
                       (("APPEND", "a"), "append"), (("SELECT",), "select"), (("DBSIZE", "x"), "dbsize"),
                       (("get",), "get"), (("GeT",), "get")):
        eq(c.cmd(*args), Error("ERR wrong number of arguments for '%s' command" % name), "arity of %r" % (args,))
    eq(c.cmd("CONFIG", "GET"), Error("ERR wrong number of arguments for 'config|get' command"), "subcommand arity")


@test("errors.syntax")
def syntax(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "k", "v", "XX", "NX"), Error("ERR syntax error"), "SET XX NX")
    eq(c.cmd("SET", "k", "v", "BOGUS"), Error("ERR syntax error"), "SET unknown option")
    eq(c.cmd("EXISTS", "k"), 0, "nothing was set")
    eq(c.cmd("SET", "k", "v", "EX", "10", "PX", "100"), Error("ERR syntax error"), "SET EX PX")


def expect_protocol_error(ctx, data, message, what):
    reply, closed = raw_roundtrip(ctx.port, data)
    eq(reply, b"-ERR Protocol error: " + message + b"\r\n", what + ": reply")
    check(closed, what + ": the server must close the connection after a protocol error")
    assert_pong(ctx.port, "after " + what)


@test("errors.protocol_invalid_multibulk_length")
def proto_multibulk(ctx):
    expect_protocol_error(ctx, b"*abc\r\n", b"invalid multibulk length", "*abc")
    expect_protocol_error(ctx, b"*2147483648\r\n", b"invalid multibulk length", "*2^31")
    expect_protocol_error(ctx, b"*1" + b"1" * 70000, b"too big mbulk count string", "endless *count")


@test("errors.protocol_invalid_bulk_length")
def proto_bulk(ctx):
    expect_protocol_error(ctx, b"*1\r\n$1073741824\r\n", b"invalid bulk length", "1 GB bulk")
    expect_protocol_error(ctx, b"*1\r\n$536870913\r\n", b"invalid bulk length", "512 MB + 1 bulk")
    expect_protocol_error(ctx, b"*1\r\n$abc\r\n", b"invalid bulk length", "$abc")
    expect_protocol_error(ctx, b"*2\r\n$3\r\nGET\r\n$-1\r\n", b"invalid bulk length", "$-1 inside a request")
    expect_protocol_error(ctx, b"*1\r\n$" + b"1" * 70000, b"too big bulk count string", "endless $count")


@test("errors.protocol_expected_dollar")
def proto_dollar(ctx):
    expect_protocol_error(ctx, b"*1\r\nfoo\r\n", b"expected '$', got 'f'", "*1 then foo")
    expect_protocol_error(ctx, b"*2\r\n$4\r\nPING\r\n:5\r\n", b"expected '$', got ':'", "integer argument")


@test("errors.protocol_unbalanced_quotes")
def proto_quotes(ctx):
    expect_protocol_error(ctx, b'SET a "b\r\n', b"unbalanced quotes in request", 'SET a "b')
    expect_protocol_error(ctx, b"'unterminated\r\n", b"unbalanced quotes in request", "single quote")
    expect_protocol_error(ctx, b'SET a "x"y\r\n', b"unbalanced quotes in request", "text after closing quote")


@test("errors.protocol_too_big_inline")
def proto_inline(ctx):
    expect_protocol_error(ctx, b"a" * 70000, b"too big inline request", "70 KB inline without newline")


@test("errors.protocol_replies_before_error_are_sent")
def proto_partial(ctx):
    reply, closed = raw_roundtrip(ctx.port, b"*1\r\n$4\r\nPING\r\nSET k v\r\n*x\r\nPING\r\n")
    eq(reply, b"+PONG\r\n+OK\r\n-ERR Protocol error: invalid multibulk length\r\n",
       "good commands before the bad one are answered, nothing after it")
    check(closed, "closed after the protocol error")
    assert_pong(ctx.port)


@test("errors.protocol_tolerated_input")
def proto_tolerated(ctx):
    """Input Redis accepts silently: empty and negative multibulk counts,
    blank inline lines, LF-only inline lines, inline quoting."""
    c = ctx.raw()
    c.send(b"*0\r\n*-1\r\n*-5\r\n\r\n\n")
    c.send(b"PING\nPING\r\n")
    eq(c.read_raw(), b"+PONG\r\n", "after empty multibulks and blank lines")
    eq(c.read_raw(), b"+PONG\r\n", "LF-only inline line")
    c.send(b"SET \"a\\x41b\\n\" 'c d'\r\nGET \"aAb\\n\"\r\n")
    eq(c.read(), OK, "inline SET with quoting and escapes")
    eq(c.read(), b"c d", "inline GET of the escaped key")
    c.send(b"  ECHO    spaced   \r\n")
    eq(c.read(), b"spaced", "extra spaces in inline command")
    # An incomplete command waits for the rest.
    c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n")
    c.settimeout(0.3)
    try:
        data = c.sock.recv(100)
        check(False, "server answered an incomplete command: %r" % data)
    except socket.timeout:
        pass
    c.settimeout(10)
    c.send(b"$1\r\nv\r\n")
    eq(c.read(), OK, "completed command")
    eq(c.cmd("GET", "k"), b"v", "value")


@test("errors.quit")
def quit_cmd(ctx):
    reply, closed = raw_roundtrip(ctx.port, encode_command(("QUIT",)))
    eq(reply, b"+OK\r\n", "QUIT reply")
    check(closed, "connection closed after QUIT")
    reply, closed = raw_roundtrip(ctx.port, b"SET q 1\r\nQUIT\r\nSET q 2\r\n")
    eq(reply, b"+OK\r\n+OK\r\n", "pipelined SET QUIT SET")
    check(closed, "closed after pipelined QUIT")
    c = ctx.raw()
    eq(c.cmd("GET", "q"), b"1", "commands after QUIT were not executed")


@test("errors.abrupt_disconnects")
def abrupt(ctx):
    c = ctx.raw()
    eq(c.cmd("SET", "big", b"b" * 200000), OK, "SET 200 KB")
    for _ in range(20):
        s = socket.create_connection((HOST, ctx.port), timeout=5)
        s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nonly-part")  # half a command
        s.close()
        s = socket.create_connection((HOST, ctx.port), timeout=5)
        s.sendall(encode_command(("GET", "big")) * 20)  # big replies pending
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
    eq(c.cmd("EXISTS", "k"), 0, "half command never executed")
    eq(c.cmd("STRLEN", "big"), 200000, "server fine")
    assert_pong(ctx.port)


@test("errors.flood_never_reads_bounded", timeout=90)
def flood(ctx):
    """A client pipelines ~10 MB of GETs of a 100 KB value and never reads the
    replies. Whether the server stops reading from it (back-pressure) or drops
    it, other clients must keep getting answers within 1 s, and memory must
    stay bounded."""
    c = ctx.raw()
    value = bytes(range(256)) * 400  # 102400 bytes
    eq(c.cmd("SET", "big", value), OK, "SET 100 KB value")
    pinger = ctx.raw(timeout=5)
    eq(pinger.cmd_raw("PING"), b"+PONG\r\n", "pinger ready")

    flood_sock = socket.create_connection((HOST, ctx.port), timeout=5)
    ctx.track(flood_sock.close)
    flood_sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    flood_sock.setblocking(False)
    one = encode_command(("GET", "big"))
    chunk = one * (65536 // len(one))
    target = 10 * 1024 * 1024
    sent = 0
    pos = 0
    closed_by_server = False
    blocked_since = None
    max_ping = 0.0
    pings = 0
    max_rss = 0
    rss_limit_kb = 1024 * 1024  # 1 GB
    next_ping = time.monotonic()
    deadline = time.monotonic() + 20

    def ping_check():
        nonlocal max_ping, pings, max_rss
        t0 = time.monotonic()
        pinger.settimeout(1.0)
        try:
            got = pinger.cmd_raw("PING")
        except socket.timeout:
            check(False, "PING from another client took more than 1 s during the flood "
                         "(%d bytes flooded)" % sent)
        dt = time.monotonic() - t0
        eq(got, b"+PONG\r\n", "PING during flood")
        check(dt < 1.0, "PING took %.2f s during the flood" % dt)
        max_ping = max(max_ping, dt)
        pings += 1
        rss = ctx.server.rss_kb()
        if rss is not None:
            max_rss = max(max_rss, rss)
            if rss > rss_limit_kb:
                flood_sock.close()
                check(False, "server RSS %d MB > %d MB after %d flooded bytes: buffers are not bounded"
                      % (rss // 1024, rss_limit_kb // 1024, sent))

    while sent < target and time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_ping:
            ping_check()
            next_ping = now + 0.1
        try:
            n = flood_sock.send(chunk[pos:])
            sent += n
            pos = (pos + n) % len(chunk)
            blocked_since = None
        except BlockingIOError:
            if blocked_since is None:
                blocked_since = now
            elif now - blocked_since > 3.0:
                break  # the server applies back-pressure: it stopped reading from us
            select.select([], [flood_sock], [], 0.05)
        except (ConnectionResetError, BrokenPipeError):
            closed_by_server = True
            break
    # Keep the unread connection open a little longer while others are served.
    hold = time.monotonic() + 1.0
    while time.monotonic() < hold:
        ping_check()
        time.sleep(0.1)
    flood_sock.close()
    check(pings >= 10, "only %d pings during the flood" % pings)
    # Server still fully functional.
    fresh = ctx.raw()
    eq(fresh.cmd("GET", "big"), value, "GET big from a fresh client after the flood")
    assert_pong(ctx.port, "after flood")
    ctx.note("flooded %.1f MB, %s, max PING %.0f ms over %d pings, max RSS %s MB" % (
        sent / 1048576.0,
        "server closed the flooder" if closed_by_server else
        ("back-pressure (send blocked)" if sent < target else "all sent"),
        max_ping * 1000, pings, max_rss // 1024 if max_rss else "?"))


@test("server.alive_after_bad_input")
def alive(ctx):
    check(ctx.server.alive(), "server process is running")
    c = RawClient(ctx.port, timeout=5)
    try:
        eq(c.cmd_raw("PING"), b"+PONG\r\n", "PING")
        eq(c.cmd("SET", "alive", "yes"), OK, "SET")
        eq(c.cmd("GET", "alive"), b"yes", "GET")
        eq(c.cmd("DBSIZE"), 1, "DBSIZE")
        eq(c.cmd("INCR", "n"), 1, "INCR")
        text = c.cmd("INFO", "keyspace")
        check(isinstance(text, bytes) and b"db0:keys=2" in text, "INFO keyspace: %r" % (text,))
    finally:
        c.close()
    r = ctx.client()
    p = r.pipeline(transaction=False)
    for i in range(100):
        p.set("final:%d" % i, i)
    check(all(x is True for x in p.execute()), "pipelined SETs")
