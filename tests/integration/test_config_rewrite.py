"""CONFIG REWRITE: the TOML file eddy-server started from is rewritten to hold the current
settings, keeping the user's lines, and eddy-server started again on that file alone has the
same configuration. Without a file, and with a directory it cannot write in, Redis's errors.

Each test starts its own server on its own file (eddy only: the file is TOML, not redis.conf)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

import redis

import harness
from harness import check, eq, test

PASSWORD = 'we"ird \\ pass#= \u00e9'


class FileServer(object):
    """eddy-server started with a config file and nothing else on its command line."""

    def __init__(self, ctx, path, port, as_user=None):
        self.port = port
        self.log = tempfile.NamedTemporaryFile(prefix="eddy-it-rewrite-", suffix=".log",
                                               delete=False)
        argv = [ctx.server.path, path]
        if as_user is not None:
            argv = ["setpriv", "--reuid=%d" % as_user, "--regid=%d" % as_user,
                    "--clear-groups"] + argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        # Up once it accepts (with a password set PING answers NOAUTH, so no PING here).
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection((harness.HOST, port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        check(self.proc.poll() is None, "eddy-server on %s did not start: %s" % (
            path, self.log_text()))
        ctx.track(self.stop)

    def client(self, **kw):
        kw.setdefault("socket_timeout", 15)
        return redis.Redis(host=harness.HOST, port=self.port, **kw)

    def log_text(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def error_of(r, *args):
    try:
        r.execute_command(*args)
    except redis.ResponseError as e:
        return str(e)
    return None


@test("config_rewrite.no_file")
def t_no_file(ctx):
    r = ctx.client()
    eq(error_of(r, "CONFIG", "REWRITE"), "The server is running without a config file",
       "CONFIG REWRITE without a file")
    if ctx.kind == "eddy":
        eq(error_of(r, "CONFIG", "REWRITE", "extra"),
           "wrong number of arguments for 'config|rewrite' command", "CONFIG REWRITE extra")


@test("config_rewrite.round_trip", timeout=60)
def t_round_trip(ctx):
    if ctx.kind != "eddy":
        return
    directory = tempfile.mkdtemp(prefix="eddy-it-rewrite-")
    ctx.track(lambda: shutil.rmtree(directory, ignore_errors=True))
    path = os.path.join(directory, "eddy.toml")
    port = harness.free_port()
    write(path,
          "# eddy-server for the rewrite test\n"
          "port = %d\n"
          "workers = 2     # two cores\n"
          "\n"
          "timeout = 10    # idle seconds\n"
          "hash-max-ziplist-entries = 100\n"
          "pin-threads = \"no\"\n"
          "# the end of the user's part\n" % port)
    first = FileServer(ctx, path, port)
    r = first.client(decode_responses=True)
    eq(r.config_get("hash-max-listpack-entries")["hash-max-listpack-entries"], "100",
       "the file's alias took")
    settings = [
        ("protected-mode", "no"),                       # bool
        ("maxclients", "777"),                          # integer
        ("timeout", "0"),                               # in the file, back to its default
        ("tcp-keepalive", "60"),                        # integer, not in the file
        ("proto-max-bulk-len", "100mb"),                # memory, with units
        ("client-query-buffer-limit", "1234567"),       # memory, not a round number
        ("hash-max-listpack-entries", "1000"),          # through the file's alias
        ("list-max-ziplist-size", "-3"),                # negative, set by alias
        ("client-output-buffer-limit", "normal 10mb 5mb 30 pubsub 64mb 16mb 90"),
        ("maxmemory-clients", "10%"),
        ("save", ""),                                   # custom, at its default
        ("requirepass", PASSWORD),                      # quotes, backslash, '#', '=', UTF-8
    ]
    for name, value in settings:
        check(r.config_set(name, value), "CONFIG SET %s %r" % (name, value))
    r = first.client(decode_responses=True, password=PASSWORD)
    # Fixed parameters still refuse other values: nothing of theirs reaches the file.
    eq(error_of(r, "CONFIG", "SET", "maxmemory", "100mb"),
       "CONFIG SET failed (possibly related to argument 'maxmemory') - eddy has no maxmemory "
       "eviction yet (docs/config.md)", "maxmemory stays fixed")
    eq(r.execute_command("CONFIG", "REWRITE"), "OK", "CONFIG REWRITE")
    eq(r.info("server")["config_file"], path, "INFO's config_file")
    before = r.config_get("*")
    text = read(path)
    ctx.note(text.replace("\n", " | "))
    lines = text.splitlines()
    # The user's lines are where they were: comments, blank line, order, spacing, keys.
    eq(lines[:8], ["# eddy-server for the rewrite test",
                   "port = %d" % port,
                   "workers = 2     # two cores",
                   "",
                   "timeout = 0    # idle seconds",
                   "hash-max-ziplist-entries = 1000",
                   "pin-threads = \"no\"",
                   "# the end of the user's part"], "the user's part")
    eq(lines[8], "# Generated by CONFIG REWRITE", "the signature")
    for expected in ["maxclients = 777", "tcp-keepalive = 60",
                     "proto-max-bulk-len = \"100mb\"", "client-query-buffer-limit = 1234567",
                     "list-max-listpack-size = -3", "protected-mode = \"no\"",
                     "client-output-buffer-limit = \"normal 10mb 5mb 30 replica 256mb 64mb 60 "
                     "pubsub 64mb 16mb 90\"",
                     "maxmemory-clients = \"10%\""]:
        check(expected in lines, "%r in the file" % expected)
    check("requirepass = " in text and "save" not in text, "requirepass written, save not")
    # A second rewrite with nothing changed writes the same bytes.
    eq(r.execute_command("CONFIG", "REWRITE"), "OK", "second CONFIG REWRITE")
    eq(read(path), text, "a second rewrite")
    first.stop()

    # eddy-server on that file alone: the same configuration, parameter by parameter.
    second = FileServer(ctx, path, port)
    r2 = second.client(decode_responses=True, password=PASSWORD)
    after = r2.config_get("*")
    for name in sorted(before):
        eq(after.get(name), before[name], "CONFIG GET %s after the restart" % name)
    eq(sorted(after), sorted(before), "the same parameters")
    eq(r2.config_get("requirepass")["requirepass"], PASSWORD, "the password, byte for byte")
    eq(r2.config_get("io-threads")["io-threads"], "2", "workers from the file")
    # The file's own leftovers: no temporary files beside it.
    eq(sorted(os.listdir(directory)), ["eddy.toml"], "the directory after two rewrites")


@test("config_rewrite.unwritable", timeout=60)
def t_unwritable(ctx):
    if ctx.kind != "eddy":
        return
    directory = tempfile.mkdtemp(prefix="eddy-it-rewrite-")
    ctx.track(lambda: shutil.rmtree(directory, ignore_errors=True))
    inner = os.path.join(directory, "conf")
    os.mkdir(inner)
    path = os.path.join(inner, "eddy.toml")
    port = harness.free_port()
    original = "port = %d\n# keep me\n" % port
    write(path, original)
    # Root passes the mode bits, so as root the server runs as nobody, owning the directory.
    nobody = None
    if os.geteuid() == 0:
        check(shutil.which("setpriv") is not None, "setpriv (util-linux) to drop root")
        nobody = 65534
        os.chmod(directory, 0o755)  # mkdtemp's 0700 would keep nobody out
        os.chown(inner, nobody, nobody)
    server = FileServer(ctx, path, port, as_user=nobody)
    r = server.client(decode_responses=True)
    r.config_set("timeout", "5")
    # A directory the server may not write in.
    os.chmod(inner, 0o555)
    try:
        eq(error_of(r, "CONFIG", "REWRITE"), "Rewriting config file: Permission denied",
           "a read-only directory")
    finally:
        os.chmod(inner, 0o755)
    eq(read(path), original, "the file after the failed rewrite")
    eq(os.listdir(inner), ["eddy.toml"], "no temporary file left")
    # The directory gone: nowhere to put the temporary file.
    shutil.rmtree(inner)
    eq(error_of(r, "CONFIG", "REWRITE"), "Rewriting config file: No such file or directory",
       "a removed directory")
    # A file where the directory was.
    write(inner, "")
    eq(error_of(r, "CONFIG", "REWRITE"), "Rewriting config file: Not a directory",
       "a file in the directory's place")
    os.remove(inner)
    os.mkdir(inner)
    if nobody is not None:
        os.chown(inner, nobody, nobody)
    eq(r.execute_command("CONFIG", "REWRITE"), "OK", "the directory back: a new file")
    eq(read(path), "# Generated by CONFIG REWRITE\nport = %d\ntimeout = 5\n" % port,
       "the file written anew")
    check(server.proc.poll() is None, "the server is still up")
