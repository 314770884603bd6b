#!/usr/bin/env bash
# Resident bytes per key, eddy-server against redis-server, side by side: each server starts
# empty, gets the same keys through redis-cli --pipe, and the growth of its resident set
# (VmRSS) divided by the key count is the figure. Both run one thread of keyspace work
# (eddy: --workers 1) so the comparison is per core.
#
#   bench/memory_per_key.sh [build-dir] [keys] [kind]
#   kind: string32 (SET key:N <32 bytes>)  hash10 | set10 | zset10 | list10 (10 small elements)
set -euo pipefail
build=${1:-build}
keys=${2:-1000000}
kind=${3:-string32}
eddy_port=7301
redis_port=7302

gen() {
  python3 - "$keys" "$kind" <<'PY'
import sys
n, kind = int(sys.argv[1]), sys.argv[2]
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
value = b"v" * 32
for i in range(n):
    key = b"key:%010d" % i
    if kind == "string32":
        cmd(b"SET", key, value)
    elif kind == "hash10":
        args = [b"HSET", key]
        for f in range(10):
            args += [b"field%d" % f, b"value%d" % f]
        cmd(*args)
    elif kind == "set10":
        cmd(b"SADD", key, *[b"member%d" % m for m in range(10)])
    elif kind == "zset10":
        args = [b"ZADD", key]
        for m in range(10):
            args += [str(m).encode(), b"member%d" % m]
        cmd(*args)
    elif kind == "list10":
        cmd(b"RPUSH", key, *[b"item%d" % m for m in range(10)])
    else:
        raise SystemExit("unknown kind " + kind)
PY
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

measure() {  # name port pid
  local name=$1 port=$2 pid=$3
  sleep 0.5
  local before after
  before=$(rss_kb "$pid")
  gen | redis-cli -p "$port" --pipe >/dev/null
  sleep 0.5
  after=$(rss_kb "$pid")
  local count
  count=$(redis-cli -p "$port" dbsize)
  python3 -c "print(f'$name: {$count} keys, {($after-$before)*1024/$count:.1f} resident bytes per key')"
}

"$build/eddy-server" --port "$eddy_port" --workers 1 >/dev/null 2>&1 &
eddy_pid=$!
redis-server --port "$redis_port" --save '' --appendonly no >/dev/null 2>&1 &
redis_pid=$!
trap 'kill $eddy_pid $redis_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  redis-cli -p $eddy_port ping >/dev/null 2>&1 && redis-cli -p $redis_port ping >/dev/null 2>&1 && break
  sleep 0.1
done
echo "kind=$kind keys=$keys"
measure eddy $eddy_port $eddy_pid
measure redis $redis_port $redis_pid
