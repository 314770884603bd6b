"""Authentication and ACLs: requirepass, AUTH, HELLO AUTH, NOAUTH, WRONGPASS, protected
mode, ACL SETUSER/GETUSER/DELUSER/LIST/USERS/WHOAMI/CAT/GENPASS/LOG/DRYRUN, NOPERM for
commands and keys (%R~/%W~), MULTI, and DELUSER closing connections.

Every test leaves the server as it found it (no password, only the default user), because
the runner FLUSHALLs between tests without authenticating."""

import socket

from harness import Closed, Error, Null, Simple, check, eq, test

OK = Simple("OK")
NOAUTH = Error("NOAUTH Authentication required.")
WRONGPASS = Error("WRONGPASS invalid username-password pair or user is disabled.")
KEY_DENIED = Error("NOPERM this user has no permissions to access one of the keys used as arguments")

# What redis-server 7.0.15 sends a non-loopback client in protected mode, byte for byte.
DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from "
    b"the loopback interface. If you want to connect from external computers to Redis you may "
    b"adopt one of the following solutions: 1) Just disable protected mode sending the command "
    b"'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    b"the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    b"from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    b"Alternatively you can just disable the protected mode by editing the Redis configuration "
    b"file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    b"If you started the server manually just for testing, restart it with the "
    b"'--protected-mode no' option. 4) Setup a an authentication password for the default "
    b"user. NOTE: You only need to do one of the above things in order for the server to start "
    b"accepting connections from the outside.\r\n")


def denied(name):
    return Error("NOPERM this user has no permissions to run the '%s' command" % name)


def cleanup(ctx, password=None):
    c = ctx.raw()
    if password is not None:
        c.cmd("AUTH", password)
    users = c.cmd("ACL", "USERS")
    for u in users if isinstance(users, list) else []:
        if u != b"default":
            c.cmd("ACL", "DELUSER", u)
    c.cmd("CONFIG", "SET", "requirepass", "")
    c.cmd("CONFIG", "SET", "protected-mode", "yes")
    c.cmd("ACL", "LOG", "RESET")


def from_127_0_0_2(port, data, seconds=3.0):
    """Connects from 127.0.0.2 (loopback device, not the loopback address Redis trusts),
    sends data, and returns what arrives until the server closes or a reply line ends."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(seconds)
    try:
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", port))
        if data:
            s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return got, False
            except ConnectionResetError:
                return got, True
            if not chunk:
                return got, True
            got += chunk
            if got.endswith(b"\r\n") and not got.startswith(b"-DENIED"):
                return got, False
    finally:
        s.close()


@test("auth.requirepass")
def requirepass(ctx):
    try:
        c = ctx.raw()
        eq(c.cmd("AUTH", "x"), Error("ERR AUTH <password> called without any password configured "
                                     "for the default user. Are you sure your configuration is "
                                     "correct?"), "AUTH with no password set")
        eq(c.cmd("AUTH", "nobody", "x"), WRONGPASS, "AUTH unknown user")
        eq(c.cmd("CONFIG", "SET", "requirepass", "s3cret"), OK, "CONFIG SET requirepass")
        eq(c.cmd("CONFIG", "GET", "requirepass"), [b"requirepass", b"s3cret"], "CONFIG GET")
        eq(c.cmd("PING"), Simple("PONG"), "the setting connection stays authenticated")
        d = ctx.raw()
        eq(d.cmd("PING"), NOAUTH, "PING before AUTH")
        eq(d.cmd("NOSUCH"), Error("ERR unknown command 'NOSUCH', with args beginning with: "),
           "unknown command before NOAUTH")
        eq(d.cmd("GET"), Error("ERR wrong number of arguments for 'get' command"), "arity first")
        eq(d.cmd("AUTH", "bad"), WRONGPASS, "wrong password")
        eq(d.cmd("AUTH", "default", "bad"), WRONGPASS, "wrong password, two-argument form")
        eq(d.cmd("AUTH", "a", "b", "c"), Error("ERR syntax error"), "AUTH with too many arguments")
        eq(d.cmd("MULTI"), NOAUTH, "MULTI before AUTH")
        eq(d.cmd("AUTH", "s3cret"), OK, "AUTH")
        eq(d.cmd("ACL", "WHOAMI"), b"default", "WHOAMI")
        h = ctx.raw()
        eq(h.cmd("HELLO", "2"), Error(
            "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
            "HELLO AUTH <user> <pass> option can be used to authenticate the client and select "
            "the RESP protocol version at the same time"), "HELLO without AUTH")
        eq(h.cmd("HELLO", "2", "AUTH", "default", "bad"), WRONGPASS, "HELLO AUTH wrong")
        r = h.cmd("HELLO", "2", "AUTH", "default", "s3cret")
        check(isinstance(r, list) and r[0] == b"server", "HELLO AUTH answers the hello map: %r" % r)
        eq(h.cmd("ACL", "WHOAMI"), b"default", "WHOAMI after HELLO AUTH")
        q = ctx.raw()
        eq(q.cmd("QUIT"), OK, "QUIT needs no AUTH")
    finally:
        cleanup(ctx, "s3cret")


@test("auth.protected_mode")
def protected_mode(ctx):
    try:
        # Nothing is sent first: the server answers at accept, and unread request bytes
        # would turn its close into a reset that can swallow the reply.
        got, closed = from_127_0_0_2(ctx.port, b"")
        eq(got, DENIED, "DENIED reply")
        check(closed, "the connection is closed after DENIED")
        c = ctx.raw()
        eq(c.cmd("CONFIG", "SET", "requirepass", "pw"), OK, "set a password")
        got, _ = from_127_0_0_2(ctx.port, b"PING\r\n")
        eq(got, b"-NOAUTH Authentication required.\r\n", "with a password: AUTH required")
        got, _ = from_127_0_0_2(ctx.port, b"AUTH pw\r\nPING\r\n")
        check(got.startswith(b"+OK\r\n"), "AUTH from 127.0.0.2: %r" % got)
        eq(c.cmd("CONFIG", "SET", "requirepass", ""), OK, "clear the password")
        eq(c.cmd("CONFIG", "SET", "protected-mode", "no"), OK, "protected mode off")
        got, _ = from_127_0_0_2(ctx.port, b"PING\r\n")
        eq(got, b"+PONG\r\n", "protected mode off lets 127.0.0.2 in")
    finally:
        cleanup(ctx, "pw")


@test("acl.rules_and_noperm")
def rules(ctx):
    try:
        a = ctx.raw()
        eq(a.cmd("ACL", "LIST"), [b"user default on nopass ~* &* +@all"], "ACL LIST fresh")
        eq(a.cmd("ACL", "SETUSER", "bob"), OK, "SETUSER new")
        eq(a.cmd("ACL", "LIST"), [b"user bob off resetchannels -@all",
                                  b"user default on nopass ~* &* +@all"], "ACL LIST")
        eq(a.cmd("ACL", "SETUSER", "u1", "on", ">pw", "~k*", "%R~r*", "%W~w*", "+@string",
                 "+@keyspace", "-del", "+config|get"), OK, "SETUSER u1")
        user = a.cmd("ACL", "GETUSER", "u1")
        # Redis 7.0 rebuilds the command rules from its bitmap (its order follows its hash
        # table); eddy keeps them as given. Both mean the same here: compare the words.
        check(isinstance(user, list) and len(user) == 12, "GETUSER: %r" % (user,))
        eq(sorted(user[5].split()), sorted(b"-@all +@string +@keyspace -del +config|get".split()),
           "GETUSER commands")
        user[5] = None
        eq(user, [
            b"flags", [b"on"], b"passwords",
            [b"30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4"],
            b"commands", None,
            b"keys", b"~k* %R~r* %W~w*", b"channels", b"", b"selectors", []], "GETUSER")
        eq(a.cmd("ACL", "GETUSER", "nobody"), None, "GETUSER unknown")
        eq(a.cmd("ACL", "USERS"), [b"bob", b"default", b"u1"], "USERS")
        eq(a.cmd("ACL", "SETUSER", "u1", "foo"),
           Error("ERR Error in ACL SETUSER modifier 'foo': Syntax error"), "bad rule")
        eq(a.cmd("ACL", "SETUSER", "u1", "+nosuch"),
           Error("ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name "
                 "in ACL"), "unknown command")
        eq(a.cmd("SET", "r1", "v"), OK, "SET r1")
        eq(a.cmd("SET", "w1", "v"), OK, "SET w1")
        c = ctx.raw()
        eq(c.cmd("AUTH", "u1", "pw"), OK, "AUTH u1")
        eq(c.cmd("GET", "k1"), None, "GET allowed key")
        eq(c.cmd("GET", "x"), KEY_DENIED, "GET key outside the patterns")
        eq(c.cmd("GET", "r1"), b"v", "GET under %R~")
        eq(c.cmd("SET", "r1", "v"), KEY_DENIED, "SET under %R~")
        eq(c.cmd("SET", "w1", "v"), OK, "SET under %W~")
        eq(c.cmd("GET", "w1"), KEY_DENIED, "GET under %W~")
        eq(c.cmd("INCR", "w1"), KEY_DENIED, "INCR needs read and write")
        eq(c.cmd("APPEND", "w1", "x"), 2, "APPEND needs write only")
        eq(c.cmd("COPY", "r1", "w2"), 1, "COPY reads its source, writes its destination")
        eq(c.cmd("COPY", "w1", "r2"), KEY_DENIED, "COPY the other way")
        eq(c.cmd("EXISTS", "zzz"), KEY_DENIED, "EXISTS with no pattern")
        eq(c.cmd("EXISTS", "w9"), 0, "EXISTS needs no permission")
        eq(c.cmd("DEL", "k1"), denied("del"), "DEL removed")
        eq(c.cmd("HSET", "k1", "a", "b"), denied("hset"), "HSET not granted")
        eq(c.cmd("CONFIG", "GET", "maxmemory"), [b"maxmemory", b"0"], "+config|get")
        eq(c.cmd("CONFIG", "SET", "maxmemory", "0"), denied("config|set"), "config|set")
        eq(c.cmd("ACL", "WHOAMI"), denied("acl|whoami"), "ACL WHOAMI not granted")
        log = a.cmd("ACL", "LOG", "1")
        check(len(log) == 1 and log[0][0:10] == [b"count", 1, b"reason", b"command", b"context",
                                                 b"toplevel", b"object", b"acl|whoami",
                                                 b"username", b"u1"], "ACL LOG: %r" % log)
        eq(a.cmd("ACL", "DRYRUN", "u1", "get", "x"),
           b"This user has no permissions to access the 'x' key", "DRYRUN key")
        eq(a.cmd("ACL", "DRYRUN", "u1", "hset", "k", "a", "b"),
           b"This user has no permissions to run the 'hset' command", "DRYRUN command")
        eq(a.cmd("ACL", "DRYRUN", "u1", "get", "k"), OK, "DRYRUN allowed")
        eq(a.cmd("ACL", "DRYRUN", "nobody", "get", "k"), Error("ERR User 'nobody' not found"),
           "DRYRUN unknown user")
        cats = a.cmd("ACL", "CAT")
        eq(len(cats), 21, "ACL CAT")
        eq(cats[0], b"keyspace", "first category")
        eq(a.cmd("ACL", "CAT", "nosuch"), Error("ERR Unknown category 'nosuch'"), "unknown category")
        eq(len(a.cmd("ACL", "GENPASS")), 64, "GENPASS")
        eq(len(a.cmd("ACL", "GENPASS", "5")), 2, "GENPASS 5")
        eq(a.cmd("ACL", "DELUSER", "default"), Error("ERR The 'default' user cannot be removed"),
           "DELUSER default")
    finally:
        cleanup(ctx)


@test("acl.multi_execabort")
def multi(ctx):
    try:
        a = ctx.raw()
        eq(a.cmd("ACL", "SETUSER", "m", "on", "nopass", "allkeys", "+@transaction", "+get",
                 "+set"), OK, "SETUSER")
        c = ctx.raw()
        eq(c.cmd("AUTH", "m", "x"), OK, "AUTH")
        eq(c.cmd("MULTI"), OK, "MULTI")
        eq(c.cmd("SET", "a", "1"), Simple("QUEUED"), "queued")
        eq(c.cmd("INCR", "a"), denied("incr"), "refused while queueing")
        eq(c.cmd("EXEC"), Error("EXECABORT Transaction discarded because of previous errors."),
           "EXEC")
        eq(a.cmd("EXISTS", "a"), 0, "nothing ran")
    finally:
        cleanup(ctx)


@test("acl.changes_and_deluser")
def changes(ctx):
    try:
        a = ctx.raw()
        eq(a.cmd("ACL", "SETUSER", "p", "on", ">pw", "allkeys", "+get"), OK, "SETUSER p")
        clients = [ctx.raw() for _ in range(6)]
        for c in clients:
            eq(c.cmd("AUTH", "p", "pw"), OK, "AUTH p")
            eq(c.cmd("SET", "k", "v"), denied("set"), "SET denied")
        eq(a.cmd("ACL", "SETUSER", "p", "+set"), OK, "grant SET")
        for c in clients:
            eq(c.cmd("SET", "k", "v"), OK, "SET now allowed on a live connection")
        eq(a.cmd("ACL", "SETUSER", "p", "off"), OK, "disable")
        for c in clients:
            eq(c.cmd("GET", "k"), b"v", "a disabled user's live connection goes on")
        eq(a.cmd("AUTH", "p", "pw"), WRONGPASS, "a disabled user cannot log in")
        eq(a.cmd("ACL", "DELUSER", "p"), 1, "DELUSER")
        for c in clients:
            try:
                r = c.cmd("PING")
                check(False, "connection of a deleted user still answers: %r" % (r,))
            except (Closed, OSError):
                pass
    finally:
        cleanup(ctx)


def start_with_aclfile(ctx, path):
    """A second server of the same kind with --aclfile; returns (process, port, log path)."""
    import subprocess
    import tempfile
    import time
    import harness
    port = harness.free_port()
    log = tempfile.NamedTemporaryFile(prefix="eddy-it-aclfile-", suffix=".log", delete=False)
    proc = subprocess.Popen(ctx.server.argv(port) + ["--aclfile", path], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None or harness.ping_once(port, 0.5):
            break
        time.sleep(0.05)
    return proc, port, log.name


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except Exception:
            proc.kill()
            proc.wait(10)


@test("acl.aclfile")
def aclfile(ctx):
    import os
    import tempfile
    from harness import RawClient
    d = tempfile.mkdtemp(prefix="eddy-it-acl-")
    bad = os.path.join(d, "bad.acl")
    with open(bad, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser alice on >pa ~a* +get\n\n"
                "user bob on +nosuch foo\n")
    proc, _, log = start_with_aclfile(ctx, bad)
    try:
        proc.wait(10)
    except Exception:
        pass
    text = open(log).read()
    stop(proc)
    check(proc.returncode not in (None, 0), "a bad aclfile stops the start (status %r)" % proc.returncode)
    check((bad + ":4: Error in applying operation '+nosuch': Unknown command or category name "
           "in ACL. " + bad + ":4: Syntax error.") in text, "the error names the line: %r" % text)

    good = os.path.join(d, "users.acl")
    with open(good, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser alice on >pa ~a* +get\n")
    proc, port, log = start_with_aclfile(ctx, good)
    try:
        c = RawClient(port)
        eq(c.cmd("ACL", "LIST"), [
            b"user alice on #9513229d435978263d82902c59d4e0fb86c941a9bf09b605cd8a6643f40149a8 ~a* "
            b"resetchannels -@all +get", b"user default on nopass ~* &* +@all"], "loaded at start")
        a = RawClient(port)
        eq(a.cmd("AUTH", "alice", "pa"), OK, "AUTH alice")
        eq(a.cmd("GET", "b"), KEY_DENIED, "alice's keys")
        eq(c.cmd("ACL", "SETUSER", "carol", "on", "nopass", "~c*", "+@read"), OK, "SETUSER")
        eq(c.cmd("ACL", "SAVE"), OK, "ACL SAVE")
        eq(open(good).read(),
           "user alice on #9513229d435978263d82902c59d4e0fb86c941a9bf09b605cd8a6643f40149a8 ~a* "
           "resetchannels -@all +get\nuser carol on nopass ~c* resetchannels -@all +@read\n"
           "user default on nopass ~* &* +@all\n", "saved file")
        with open(good, "w") as f:
            f.write("user default on nopass ~* &* +@all\nuser eve on +nosuch\n")
        eq(c.cmd("ACL", "LOAD"), Error(
            "ERR " + good + ":2: Error in applying operation '+nosuch': Unknown command or "
            "category name in ACL. WARNING: ACL errors detected, no change to the previously "
            "active ACL rules was performed"), "ACL LOAD of a bad file")
        eq(c.cmd("ACL", "USERS"), [b"alice", b"carol", b"default"], "nothing changed")
        with open(good, "w") as f:
            f.write("user default on nopass ~* &* +@all\nuser dave on nopass allkeys +get\n")
        eq(c.cmd("ACL", "LOAD"), OK, "ACL LOAD")
        eq(c.cmd("ACL", "USERS"), [b"dave", b"default"], "replaced")
        try:
            r = a.cmd("PING")
            check(False, "alice's connection survived ACL LOAD: %r" % (r,))
        except (Closed, OSError):
            pass
        eq(c.cmd("PING"), Simple("PONG"), "the default user's connection stays")
        os.remove(good)
        eq(c.cmd("ACL", "LOAD"), Error("ERR Error loading ACLs, opening file '" + good +
                                       "': No such file or directory"), "missing file")
    finally:
        stop(proc)
