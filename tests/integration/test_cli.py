"""redis-cli driving the server: arguments, inline commands on stdin, the
human-readable (--no-raw) formats, stdin command files and --pipe mode."""

import subprocess

from harness import check, eq, test

CLI = "redis-cli"


def cli(ctx, *args, stdin=None, timeout=20, shell_input=None):
    argv = [CLI, "-h", "127.0.0.1", "-p", str(ctx.port)] + list(args)
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    return p.stdout.decode("utf-8", "replace"), p.returncode


@test("cli.args")
def cli_args(ctx):
    eq(cli(ctx, "SET", "k", "v"), ("OK\n", 0), "redis-cli SET k v")
    eq(cli(ctx, "GET", "k"), ("v\n", 0), "redis-cli GET k")
    eq(cli(ctx, "GET", "missing"), ("\n", 0), "redis-cli GET missing (raw nil is empty line)")
    eq(cli(ctx, "SET", "sp", "hello world"), ("OK\n", 0), "SET with a space")
    eq(cli(ctx, "GET", "sp"), ("hello world\n", 0), "GET with a space")
    eq(cli(ctx, "INCR", "n"), ("1\n", 0), "INCR")
    eq(cli(ctx, "PING"), ("PONG\n", 0), "PING")
    eq(cli(ctx, "ECHO", "hi"), ("hi\n", 0), "ECHO")
    eq(cli(ctx, "DBSIZE"), ("3\n", 0), "DBSIZE")
    eq(cli(ctx, "MGET", "k", "missing", "sp"), ("v\n\nhello world\n", 0), "MGET raw")
    out, _rc = cli(ctx, "INCR", "k")
    eq(out, "ERR value is not an integer or out of range\n\n", "raw error")


@test("cli.inline_echo")
def cli_inline_echo(ctx):
    # Literally `echo -e '...' | redis-cli -p P` through bash.
    cmd = "echo -e 'PING\\r\\nSET a \"hello world\"\\r\\nGET a\\r\\n' | %s -h 127.0.0.1 -p %d" % (CLI, ctx.port)
    p = subprocess.run(["bash", "-c", cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    eq(p.stdout, b"PONG\nOK\nhello world\n", "echo -e inline | redis-cli")
    eq(p.returncode, 0, "exit status")


@test("cli.no_raw_formats")
def cli_no_raw(ctx):
    eq(cli(ctx, "--no-raw", "SET", "k", "v"), ("OK\n", 0), "status")
    eq(cli(ctx, "--no-raw", "GET", "k"), ('"v"\n', 0), "bulk")
    eq(cli(ctx, "--no-raw", "INCR", "n"), ("(integer) 1\n", 0), "integer")
    eq(cli(ctx, "--no-raw", "INCRBY", "n", "-5"), ("(integer) -4\n", 0), "negative integer")
    eq(cli(ctx, "--no-raw", "GET", "missing"), ("(nil)\n", 0), "nil")
    eq(cli(ctx, "--no-raw", "MGET", "k", "missing", "n"), ('1) "v"\n2) (nil)\n3) "-4"\n', 0), "array")
    eq(cli(ctx, "--no-raw", "KEYS", "nomatch*"), ("(empty array)\n", 0), "empty array")
    eq(cli(ctx, "--no-raw", "GET", "nope", "extra"),
       ("(error) ERR wrong number of arguments for 'get' command\n", 0), "error")
    eq(cli(ctx, "--no-raw", "SET", "bin", "a\nb"), ("OK\n", 0), "SET with newline")
    eq(cli(ctx, "--no-raw", "GET", "bin"), ('"a\\nb"\n', 0), "escaped newline in quoted bulk")


@test("cli.stdin_commands")
def cli_stdin(ctx):
    script = b"SET x 1\nINCR x\nINCRBY x 10\nGET x\nMGET x nope\nDEL x\nEXISTS x\n"
    out, rc = cli(ctx, stdin=script)
    eq(out, "OK\n2\n12\n12\n12\n\n1\n0\n", "commands from stdin (raw)")
    eq(rc, 0, "exit status")
    out, rc = cli(ctx, "--no-raw", stdin=b"SET x 1\nINCR x\nGET x\nMGET x nope\nGET nope\n")
    eq(out, 'OK\n(integer) 2\n"2"\n1) "2"\n2) (nil)\n(nil)\n', "commands from stdin (--no-raw)")
    # -x: last argument read from stdin
    out, rc = cli(ctx, "-x", "SET", "fromstdin", stdin=b"payload bytes")
    eq(out, "OK\n", "-x SET")
    eq(cli(ctx, "GET", "fromstdin"), ("payload bytes\n", 0), "GET after -x SET")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


@test("cli.pipe_mode")
def cli_pipe(ctx):
    n = 5000
    data = b"".join(resp("SET", "pk:%d" % i, "val:%d" % i) for i in range(n))
    data += resp("INCR", "pcount") * 100
    out, rc = cli(ctx, "--pipe", stdin=data, timeout=60)
    check("errors: 0, replies: %d" % (n + 100) in out, "--pipe summary, got %r" % out)
    eq(rc, 0, "--pipe exit status")
    eq(cli(ctx, "GET", "pk:4999"), ("val:4999\n", 0), "GET after --pipe")
    eq(cli(ctx, "GET", "pcount"), ("100\n", 0), "INCR count after --pipe")
    eq(cli(ctx, "DBSIZE"), ("%d\n" % (n + 1), 0), "DBSIZE after --pipe")
    # An error inside --pipe is counted, and the exit status says so.
    out, rc = cli(ctx, "--pipe", stdin=resp("SET", "s", "x") + resp("INCR", "s"), timeout=30)
    check("errors: 1, replies: 2" in out, "--pipe with one error, got %r" % out)
    eq(rc, 1, "--pipe exit status with an error")
