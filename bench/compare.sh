#!/usr/bin/env bash
# Side-by-side redis-benchmark of eddy-server and redis-server.
#
# Both servers run on loopback at the same time, pinned to one core
# (SERVER_CPU, default 0); redis-benchmark is pinned to another (BENCH_CPU,
# default 1). For every test and pipeline depth the runs alternate
# eddy, redis, eddy, redis, ... ROUNDS times, so drift in machine load hits
# both alike. Reported figures are medians over the rounds.
#
# Usage: bench/compare.sh [--only-redis] [--rounds N] [--requests N]
#                         [--tests SET,GET,INCR,MSET] [--pipelines "1 16"]
# Environment (defaults): EDDY_SERVER (build/eddy-server), REDIS_SERVER
#   (redis-server), REDIS_BENCHMARK (redis-benchmark), ROUNDS (3),
#   REQUESTS (200000), CLIENTS (50), DATA_SIZE (256), KEYSPACE (100000),
#   PIPELINES ("1 16"), TESTS (SET,GET,INCR,MSET), SERVER_CPU (0),
#   EDDY_BASELINE (unset: another eddy-server binary, say an older commit's,
#   run as a third server "before" in the same alternation; the summary then
#   adds eddy/before),
#   BENCH_CPU (1), RUN_TIMEOUT (600 s per redis-benchmark run),
#   RESULTS_DIR (bench/results).
# The summary table goes to stdout, followed by the same table in Markdown
# (for docs/benchmarks.md); raw per-run numbers are kept in RESULTS_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"

EDDY_SERVER="${EDDY_SERVER:-$repo/build/eddy-server}"
REDIS_SERVER="${REDIS_SERVER:-redis-server}"
REDIS_BENCHMARK="${REDIS_BENCHMARK:-redis-benchmark}"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
ROUNDS="${ROUNDS:-3}"
REQUESTS="${REQUESTS:-200000}"
CLIENTS="${CLIENTS:-50}"
DATA_SIZE="${DATA_SIZE:-256}"
KEYSPACE="${KEYSPACE:-100000}"
PIPELINES="${PIPELINES:-1 16}"
TESTS="${TESTS:-SET,GET,INCR,MSET}"
SERVER_CPU="${SERVER_CPU:-0}"
BENCH_CPU="${BENCH_CPU:-1}"
RUN_TIMEOUT="${RUN_TIMEOUT:-600}"
RESULTS_DIR="${RESULTS_DIR:-$here/results}"
PY="${PY:-/usr/bin/python3}"
[[ -x "$PY" ]] || PY=python3
only_redis=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --only-redis) only_redis=1; shift ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --requests|-n) REQUESTS="$2"; shift 2 ;;
    --tests) TESTS="$2"; shift 2 ;;
    --pipelines) PIPELINES="$2"; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

die() { echo "compare.sh: $*" >&2; exit 1; }
for tool in "$REDIS_SERVER" "$REDIS_BENCHMARK" "$REDIS_CLI" taskset timeout; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
if [[ $only_redis == 0 ]]; then
  [[ -x "$EDDY_SERVER" ]] || die "eddy-server not found at $EDDY_SERVER (set EDDY_SERVER, or use --only-redis)"
fi
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"
[[ "$REQUESTS" =~ ^[1-9][0-9]*$ ]] || die "REQUESTS must be a positive integer"

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

mkdir -p "$RESULTS_DIR"
stamp="$(date +%Y%m%d-%H%M%S)"
raw="$RESULTS_DIR/compare-$stamp.tsv"
logdir="$(mktemp -d "${TMPDIR:-/tmp}/eddy-bench.XXXXXX")"

pids=()
bench_pid=""
cleanup() {
  local pid
  if [[ -n "$bench_pid" ]]; then kill "$bench_pid" 2>/dev/null || true; wait "$bench_pid" 2>/dev/null || true; fi
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$logdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

declare -A port pid
servers=()

wait_ping() {  # name
  local name=$1
  for _ in $(seq 100); do
    if [[ "$("$REDIS_CLI" -h 127.0.0.1 -p "${port[$name]}" PING 2>/dev/null)" == PONG ]]; then
      return 0
    fi
    kill -0 "${pid[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "--- $name log:" >&2
  tail -n 20 "$logdir/$name.log" >&2 || true
  die "$name did not answer PING on port ${port[$name]}"
}

start_server() {  # name argv...
  local name=$1; shift
  port[$name]=$(free_port)
  taskset -c "$SERVER_CPU" "$@" --port "${port[$name]}" --bind 127.0.0.1 >"$logdir/$name.log" 2>&1 &
  pid[$name]=$!
  pids+=("${pid[$name]}")
  servers+=("$name")
  wait_ping "$name"
}

if [[ $only_redis == 0 ]]; then
  start_server eddy "$EDDY_SERVER" --workers 1
  if [[ -n "${EDDY_BASELINE:-}" ]]; then
    [[ -x "$EDDY_BASELINE" ]] || die "EDDY_BASELINE $EDDY_BASELINE is not an executable"
    start_server before "$EDDY_BASELINE" --workers 1
  fi
fi
start_server redis "$REDIS_SERVER" --save '' --appendonly no

version_of() {
  "$REDIS_CLI" -h 127.0.0.1 -p "${port[$1]}" INFO server 2>/dev/null | tr -d '\r' \
    | sed -n 's/^redis_version:/version /p' | head -n 1
}
{
  echo "# date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "# host: $(uname -srm); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); cores: $(nproc)"
  for s in "${servers[@]}"; do
    case $s in
      eddy) bin="$EDDY_SERVER" ;;
      before) bin="$EDDY_BASELINE" ;;
      *) bin="$REDIS_SERVER" ;;
    esac
    echo "# $s: $bin ($(version_of "$s")) pid ${pid[$s]} port ${port[$s]} cpu $SERVER_CPU"
  done
  if [[ $only_redis == 0 ]]; then
    echo "# eddy git: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (dirty)')"
  fi
  echo "# $("$REDIS_BENCHMARK" --version) on cpu $BENCH_CPU: -c $CLIENTS -n $REQUESTS -d $DATA_SIZE -r $KEYSPACE, pipelines: $PIPELINES, rounds: $ROUNDS"
} | tee "$raw.meta" >&2

printf 'test\tpipeline\tserver\tround\trps\tp50_ms\tp99_ms\n' >"$raw"
declare -A dead=()
dead_list=""
IFS=',' read -r -a test_list <<<"$TESTS"
total=$(( ${#test_list[@]} * $(wc -w <<<"$PIPELINES") * ROUNDS * ${#servers[@]} ))
n=0
for t in "${test_list[@]}"; do
  tl="$(tr '[:upper:]' '[:lower:]' <<<"$t")"
  for p in $PIPELINES; do
    for round in $(seq "$ROUNDS"); do
      for s in "${servers[@]}"; do
        n=$((n + 1))
        if [[ -n "${dead[$s]:-}" ]]; then continue; fi
        printf '[%d/%d] %-5s P=%-3s round %d %-5s ... ' "$n" "$total" "$t" "$p" "$round" "$s" >&2
        out="$logdir/run.csv"
        # In the background and waited for, so that a signal to this script
        # is handled at once rather than after the run.
        timeout "$RUN_TIMEOUT" taskset -c "$BENCH_CPU" "$REDIS_BENCHMARK" -h 127.0.0.1 -p "${port[$s]}" \
          -c "$CLIENTS" -n "$REQUESTS" -d "$DATA_SIZE" -r "$KEYSPACE" -P "$p" -t "$tl" --csv \
          >"$out" 2>"$logdir/run.err" &
        bench_pid=$!
        # redis-benchmark spins forever if the server dies under it: watch both.
        while kill -0 "$bench_pid" 2>/dev/null; do
          if ! kill -0 "${pid[$s]}" 2>/dev/null; then
            kill "$bench_pid" 2>/dev/null || true
            break
          fi
          sleep 0.2
        done
        if wait "$bench_pid"; then
          bench_pid=""
          row="$("$PY" "$here/parse_csv.py" <"$out" || true)"
        else
          bench_pid=""
          row=""
        fi
        if [[ -z "$row" ]]; then
          echo "FAILED" >&2
          tail -n 5 "$logdir/run.err" | sed 's/^/    /' >&2 || true
          if ! kill -0 "${pid[$s]}" 2>/dev/null; then
            echo "    $s died; its remaining runs are skipped. Log tail:" >&2
            tail -n 20 "$logdir/$s.log" | sed 's/^/    /' >&2 || true
            dead[$s]=1
            dead_list+=" $s"
          fi
          continue
        fi
        read -r rps p50 p99 <<<"$row"
        echo "$rps ops/s  p50 $p50 ms  p99 $p99 ms" >&2
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$p" "$s" "$round" "$rps" "$p50" "$p99" >>"$raw"
      done
    done
  done
done

echo >&2
echo "raw results: $raw" >&2
"$PY" "$here/summarize.py" "$raw"
if [[ -n "$dead_list" ]]; then
  die "server(s) died during the run:$dead_list"
fi
