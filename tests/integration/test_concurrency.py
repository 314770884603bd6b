"""Many clients at once, each on its own connection."""

import threading
import time

from harness import HOST, check, eq, test

import redis


def run_threads(n, target, limit_seconds):
    errors = []
    lock = threading.Lock()

    def wrap(i):
        try:
            target(i)
        except Exception as e:
            with lock:
                if len(errors) < 5:
                    errors.append("thread %d: %s: %s" % (i, type(e).__name__, e))

    threads = [threading.Thread(target=wrap, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + limit_seconds
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(1 for t in threads if t.is_alive())
    check(stuck == 0, "%d of %d threads still running after %d s" % (stuck, n, limit_seconds))
    check(not errors, "; ".join(errors))


@test("concurrency.200_clients_incr_and_own_keys", timeout=180)
def clients_200(ctx):
    n_clients, n_ops = 200, 200
    barrier = threading.Barrier(n_clients, timeout=60)
    conns = []
    conns_lock = threading.Lock()

    def worker(i):
        r = redis.Redis(host=HOST, port=ctx.port, socket_timeout=30, socket_connect_timeout=10,
                        single_connection_client=True)
        with conns_lock:
            conns.append(r)
        r.ping()
        barrier.wait()  # all 200 connections are open at the same time
        key = "own:%d" % i
        for j in range(n_ops):
            r.incr("counter")
            val = ("%d:%d" % (i, j)).encode()
            if r.set(key, val) is not True:
                raise AssertionError("SET %s did not reply OK" % key)
            got = r.get(key)
            if got != val:
                raise AssertionError("GET %s: expected %r, got %r" % (key, val, got))

    try:
        run_threads(n_clients, worker, 150)
    finally:
        for r in conns:
            try:
                r.close()
            except Exception:
                pass
    r = ctx.client()
    eq(r.get("counter"), str(n_clients * n_ops).encode(), "shared counter")
    eq(r.dbsize(), n_clients + 1, "DBSIZE")
    vals = r.mget(["own:%d" % i for i in range(n_clients)])
    eq(vals, [("%d:%d" % (i, n_ops - 1)).encode() for i in range(n_clients)], "last value of each own key")


@test("concurrency.pipelined_incrby_many_keys", timeout=120)
def incrby_many(ctx):
    n_threads, rounds, n_keys = 40, 25, 32

    def worker(i):
        r = redis.Redis(host=HOST, port=ctx.port, socket_timeout=30, single_connection_client=True)
        try:
            for _ in range(rounds):
                p = r.pipeline(transaction=False)
                for k in range(n_keys):
                    p.incrby("ctr:%d" % k, i + 1)
                    p.decrby("neg:%d" % k, 1)
                p.execute()
        finally:
            r.close()

    run_threads(n_threads, worker, 100)
    r = ctx.client()
    total = rounds * sum(i + 1 for i in range(n_threads))
    eq(r.mget(["ctr:%d" % k for k in range(n_keys)]), [str(total).encode()] * n_keys, "INCRBY totals")
    eq(r.mget(["neg:%d" % k for k in range(n_keys)]), [str(-rounds * n_threads).encode()] * n_keys,
       "DECRBY totals")


@test("concurrency.setnx_single_winner", timeout=60)
def setnx_race(ctx):
    """50 clients race SETNX on 100 keys; exactly one winner per key."""
    n_threads, n_keys = 50, 100
    wins = [0] * n_threads
    barrier = threading.Barrier(n_threads, timeout=30)

    def worker(i):
        r = redis.Redis(host=HOST, port=ctx.port, socket_timeout=30, single_connection_client=True)
        try:
            barrier.wait()
            p = r.pipeline(transaction=False)
            for k in range(n_keys):
                p.setnx("race:%d" % k, str(i))
            wins[i] = sum(1 for x in p.execute() if x)
        finally:
            r.close()

    run_threads(n_threads, worker, 50)
    eq(sum(wins), n_keys, "total SETNX winners")
    r = ctx.client()
    vals = r.mget(["race:%d" % k for k in range(n_keys)])
    counted = [0] * n_threads
    for v in vals:
        check(v is not None, "every race key exists")
        counted[int(v)] += 1
    eq(counted, wins, "each thread's wins match the stored owners")
