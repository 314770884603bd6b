#!/usr/bin/env bash
# eddy-server and redis-server with the append-only log on, side by side, per fsync policy.
#
# For each policy (always, everysec, no) and pipeline depth, both servers start on empty
# temporary directories with `appendonly yes` and that `appendfsync`, pinned to SERVER_CPU;
# redis-benchmark (pinned to BENCH_CPU) runs SET with CLIENTS clients. Reported: ops/s of
# each, the eddy/redis ratio, and eddy's fsyncs (INFO's eddy_aof_fsyncs) with the writes each
# covered (group commit). One round per cell: a shared machine makes these indicative only.
#
# Usage: bench/aof_compare.sh
# Environment (defaults): EDDY_SERVER (build/eddy-server), REDIS_SERVER (redis-server),
#   REDIS_BENCHMARK (redis-benchmark), REQUESTS (100000), CLIENTS (50), DATA_SIZE (64),
#   PIPELINES ("1 16"), POLICIES ("always everysec no"), SERVER_CPU (0), BENCH_CPU (1),
#   WORKERS (1: eddy-server's --workers).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
EDDY_SERVER="${EDDY_SERVER:-$repo/build/eddy-server}"
REDIS_SERVER="${REDIS_SERVER:-redis-server}"
REDIS_BENCHMARK="${REDIS_BENCHMARK:-redis-benchmark}"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
REQUESTS="${REQUESTS:-100000}"
CLIENTS="${CLIENTS:-50}"
DATA_SIZE="${DATA_SIZE:-64}"
PIPELINES="${PIPELINES:-1 16}"
POLICIES="${POLICIES:-always everysec no}"
SERVER_CPU="${SERVER_CPU:-0}"
BENCH_CPU="${BENCH_CPU:-1}"
WORKERS="${WORKERS:-1}"

pids=()
dirs=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in "${dirs[@]}"; do rm -rf "$d"; done
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 1 200); do
    "$REDIS_CLI" -p "$1" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "aof_compare.sh: server on port $1 did not start" >&2
  exit 1
}
bench_set() {  # port pipeline -> ops/s
  taskset -c "$BENCH_CPU" "$REDIS_BENCHMARK" -p "$1" -t set -n "$REQUESTS" -c "$CLIENTS" \
    -d "$DATA_SIZE" -r 100000 -P "$2" --csv -q 2>/dev/null |
    awk -F'","' '/SET/ {gsub(/"/, "", $2); print int($2)}'
}

printf '%-9s %3s %12s %12s %7s %10s %12s\n' policy P eddy_ops redis_ops ratio fsyncs writes/fsync
for policy in $POLICIES; do
  for pipeline in $PIPELINES; do
    eddy_dir="$(mktemp -d)"; redis_dir="$(mktemp -d)"; dirs+=("$eddy_dir" "$redis_dir")
    eddy_port="$(free_port)"
    taskset -c "$SERVER_CPU" "$EDDY_SERVER" --port "$eddy_port" --workers "$WORKERS" \
      --pin-threads no --dir "$eddy_dir" --appendonly yes --appendfsync "$policy" \
      >/dev/null 2>&1 &
    pids+=($!); eddy_pid=$!
    wait_up "$eddy_port"
    eddy_ops="$(bench_set "$eddy_port" "$pipeline")"
    fsyncs="$("$REDIS_CLI" -p "$eddy_port" info persistence | tr -d '\r' |
              awk -F: '/^eddy_aof_fsyncs/ {print $2}')"
    kill "$eddy_pid"; wait "$eddy_pid" 2>/dev/null || true

    redis_port="$(free_port)"
    taskset -c "$SERVER_CPU" "$REDIS_SERVER" --port "$redis_port" --save '' --dir "$redis_dir" \
      --appendonly yes --appendfsync "$policy" >/dev/null 2>&1 &
    pids+=($!); redis_pid=$!
    wait_up "$redis_port"
    redis_ops="$(bench_set "$redis_port" "$pipeline")"
    kill "$redis_pid"; wait "$redis_pid" 2>/dev/null || true

    ratio="$(awk -v a="$eddy_ops" -v b="$redis_ops" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
    per="$(awk -v n="$REQUESTS" -v f="$fsyncs" 'BEGIN { if (f > 0) printf "%.1f", n / f; else print "-" }')"
    printf '%-9s %3s %12s %12s %7s %10s %12s\n' "$policy" "$pipeline" "$eddy_ops" "$redis_ops" \
      "$ratio" "${fsyncs:-?}" "$per"
  done
done
