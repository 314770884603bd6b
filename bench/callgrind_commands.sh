#!/usr/bin/env bash
# Instructions per command of one or more servers, counted by valgrind's
# callgrind: a figure that does not move with machine load, so two builds of
# eddy-server (or eddy and redis-server) can be compared on a shared box.
#
# Usage: bench/callgrind_commands.sh SERVER [SERVER...]
#   SERVER is the path of an eddy-server binary (run as --workers 1) or of a
#   redis-server binary (any path whose name is redis-server; run with
#   --save '' --appendonly no). Columns appear in the order given; with two or
#   more eddy binaries a ratio column (last eddy / first eddy) is added.
# Environment (defaults): REQUESTS (20000 measured commands), BASE (1600
#   commands in the baseline run), KEYSPACE (1000), PIPELINE (16), REPEAT (2
#   runs of each measurement), LINGER (3 s of idling, to price idle time),
#   TESTS (set,get,incr,mset,setex,hset,ping), PORT (first port tried, 7460),
#   OUT_DIR (a new directory under /tmp; the callgrind profiles are kept there
#   for callgrind_annotate), CALLGRIND_ARGS (more valgrind options, e.g.
#   "--cache-sim=yes" to count simulated cache misses too: compare them with
#   callgrind_annotate --show=D1mr,DLmr on the kept profiles).
#
# Method. For each server and test, two runs, each in a fresh server under
# callgrind: the same key fill, then redis-benchmark with one client,
# pipeline 16 and random keys over KEYSPACE, once with BASE requests and once
# with BASE+REQUESTS. Start-up, the fill, the connection handshakes and
# shut-down are alike in both, so (Ir(big) - Ir(base)) / REQUESTS is the
# server's instruction count per command (all threads summed), including
# parsing, dispatch and the reply write. PING's figure is the floor that
# every command pays for the network path and the protocol. A timer-driven
# server spends instructions per second of wall time (Redis's serverCron),
# and the big run lasts longer: that idle rate is measured (runs that linger
# LINGER seconds) and priced out of each big run.
# The fill writes every key the tests touch (key:<12 digits> = "xxx",
# counter:<12 digits> = "0", hash h:<12 digits> with field f), so SET, MSET,
# INCR and HSET overwrite and GET hits; for setex the fill gives the keys a
# TTL already (SET key xxx EX 100), so the test overwrites volatile keys.
# A server that refuses its fill (a build without HSET) shows "-" there.
# MSET counts one MSET (10 keys) as one command.
# Benchmarks print figures and never gate CI.
set -euo pipefail

REQUESTS="${REQUESTS:-20000}"
BASE="${BASE:-1600}"
KEYSPACE="${KEYSPACE:-1000}"
PIPELINE="${PIPELINE:-16}"
REPEAT="${REPEAT:-2}"
LINGER="${LINGER:-3}"
TESTS="${TESTS:-set,get,incr,mset,setex,hset,ping}"
PORT="${PORT:-7460}"
REDIS_BENCHMARK="${REDIS_BENCHMARK:-redis-benchmark}"
REDIS_CLI="${REDIS_CLI:-redis-cli}"
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/callgrind-commands.XXXXXX)}"
CALLGRIND_ARGS="${CALLGRIND_ARGS:-}"

die() { echo "callgrind_commands.sh: $*" >&2; exit 1; }
[[ $# -ge 1 ]] || { sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
for tool in valgrind "$REDIS_BENCHMARK" "$REDIS_CLI" ss; do
  command -v "$tool" >/dev/null || die "$tool not found"
done
for server in "$@"; do [[ -x $server ]] || die "$server is not an executable"; done
mkdir -p "$OUT_DIR"

server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill -TERM "$server_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

is_redis() { [[ $(basename "$1") == redis-server* ]]; }

# A port nobody listens on (other people's servers share this machine).
free_port() {
  local port=$PORT
  while ss -ltn "sport = :$port" | grep -q LISTEN; do port=$((port + 1)); done
  echo "$port"
}

# The fill as RESP-free inline commands for redis-cli --pipe.
fill_commands() {
  local test=$1 i key
  for ((i = 0; i < KEYSPACE; i++)); do
    printf -v key '%012d' "$i"
    if [[ $test == setex ]]; then
      printf 'SET key:%s xxx EX 100\r\n' "$key"
    else
      printf 'SET key:%s xxx\r\n' "$key"
    fi
    printf 'SET counter:%s 0\r\n' "$key"
    # Only the hset test fills hashes: older builds have no HSET.
    [[ $test != hset ]] || printf 'HSET h:%s f v\r\n' "$key"
  done
}

benchmark_args() {
  case "$1" in
    set|get|incr|mset|ping_mbulk) echo "-t $1" ;;
    ping) echo "-t ping_mbulk" ;;
    setex) echo "set key:__rand_int__ xxx EX 100" ;;
    hset) echo "hset h:__rand_int__ f v" ;;
    *) die "unknown test $1" ;;
  esac
}

# Runs one server under callgrind through the fill and N requests of TEST,
# then idles for LINGER seconds; sets measured_ir (total Ir) and measured_s
# (seconds the benchmark took). The profile stays in OUT_DIR as NAME.out.
measure() {
  local server=$1 test=$2 requests=$3 name=$4 linger=${5:-0} port
  port=$(free_port)
  local args=(--port "$port")
  if is_redis "$server"; then
    args+=(--save '' --appendonly no)
  else
    args+=(--workers 1)
  fi
  # shellcheck disable=SC2086
  valgrind --tool=callgrind --callgrind-out-file="$OUT_DIR/$name.out" $CALLGRIND_ARGS \
    "$server" "${args[@]}" >"$OUT_DIR/$name.log" 2>&1 &
  server_pid=$!
  local tries=0
  until "$REDIS_CLI" -p "$port" ping 2>/dev/null | grep -q PONG; do
    kill -0 "$server_pid" 2>/dev/null || die "$server exited (see $OUT_DIR/$name.log)"
    tries=$((tries + 1))
    [[ $tries -lt 600 ]] || die "$server did not answer PING on $port"
    sleep 0.1
  done
  # The PONG must have come from our server, not a newcomer on the port.
  ss -ltnp "sport = :$port" | grep -q "pid=$server_pid," ||
    die "port $port is not served by our $server"
  measured_ir=""
  if ! fill_commands "$test" | "$REDIS_CLI" -p "$port" --pipe >"$OUT_DIR/$name.fill" 2>&1; then
    # The server refuses the fill (a command it does not have): no figure.
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=""
    return 0
  fi
  local started finished
  started=$(date +%s.%N)
  # shellcheck disable=SC2046
  "$REDIS_BENCHMARK" -p "$port" -c 1 -P "$PIPELINE" -r "$KEYSPACE" -n "$requests" -q \
    $(benchmark_args "$test") >"$OUT_DIR/$name.bench" 2>&1 ||
    die "redis-benchmark failed (see $OUT_DIR/$name.bench)"
  finished=$(date +%s.%N)
  sleep "$linger"
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  measured_ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$OUT_DIR/$name.out")
  [[ -n $measured_ir ]] || die "no totals in $OUT_DIR/$name.out"
  measured_s=$(awk "BEGIN { printf \"%.3f\", $finished - $started }")
}

IFS=',' read -r -a tests <<<"$TESTS"
results="$OUT_DIR/results.tsv"
: >"$results"
column=0
for server in "$@"; do
  column=$((column + 1))
  # Idle cost: a timer-driven server (Redis's serverCron) spends instructions
  # per second of wall time, and the big run lasts longer than the base run.
  # Priced as base runs that linger LINGER seconds before shut-down.
  for ((run = 1; run <= REPEAT; run++)); do
    measure "$server" ping "$BASE" "c${column}-idle-r${run}-base"
    base=$measured_ir base_s=$measured_s
    measure "$server" ping "$BASE" "c${column}-idle-r${run}-linger" "$LINGER"
    [[ -n $base && -n $measured_ir ]] || die "$server does not answer the PING fill"
    printf '%s\t%s\tidle\t%s\t%s\t%s\t%s\t%s\n' "$column" "$server" "$run" \
      "$base" "$base_s" "$measured_ir" "$measured_s" >>"$results"
    echo "  [$column] $server idle run $run: $(((measured_ir - base) / LINGER)) Ir/s" >&2
  done
  for test in "${tests[@]}"; do
    for ((run = 1; run <= REPEAT; run++)); do
      tag="c${column}-${test}-r${run}"
      measure "$server" "$test" "$BASE" "$tag-base"
      base=$measured_ir base_s=$measured_s
      if [[ -z $base ]]; then
        echo "  [$column] $server $test: the fill was refused, no figure" >&2
        break
      fi
      measure "$server" "$test" "$((BASE + REQUESTS))" "$tag-big"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$column" "$server" "$test" "$run" \
        "$base" "$base_s" "$measured_ir" "$measured_s" >>"$results"
      echo "  [$column] $server $test run $run: base $base Ir (${base_s} s)," \
        "big $measured_ir Ir (${measured_s} s):" \
        "$(((measured_ir - base) / REQUESTS)) Ir/command before the idle correction" >&2
    done
  done
done

echo "profiles and raw totals: $OUT_DIR (results.tsv: column server test run" \
  "base_Ir base_s big_Ir big_s; in idle rows the second pair is the lingering run)" >&2
python3 - "$results" "$REQUESTS" "$LINGER" "$TESTS" "$@" <<'EOF'
import os
import sys

results, requests, linger = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
tests = sys.argv[4].split(",")
servers = sys.argv[5:]
rows = [line.rstrip("\n").split("\t") for line in open(results)]
idle_rate = {}  # column -> instructions per second of idle wall time
for column, _, test, _, base, _, big, _ in rows:
    if test == "idle":
        idle_rate.setdefault(int(column), []).append((int(big) - int(base)) / linger)
# A negative mean is start-up noise swamping a server that barely idles: no correction.
idle_rate = {c: max(0.0, sum(v) / len(v)) for c, v in idle_rate.items()}
per = {}  # (column, test) -> Ir per command of each run, idle time priced out
for column, _, test, _, base, base_s, big, big_s in rows:
    if test == "idle":
        continue
    c = int(column)
    idle = idle_rate.get(c, 0.0) * (float(big_s) - float(base_s))
    per.setdefault((c, test), []).append((int(big) - int(base) - idle) / requests)

def name(i):
    path = servers[i - 1]
    tree = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    return f"[{i}] {os.path.basename(path)}" + (f" ({tree})" if tree else "")

labels = {"mset": "MSET (10 keys)", "setex": "SET k v EX 100", "hset": "HSET h f v",
          "ping": "PING (mbulk)"}
eddy = [i for i in range(1, len(servers) + 1)
        if not os.path.basename(servers[i - 1]).startswith("redis-server")]
header = ["command"] + [name(i) + " Ir/cmd (spread)" for i in range(1, len(servers) + 1)]
if len(eddy) >= 2:
    header.append(f"ratio [{eddy[-1]}]/[{eddy[0]}]")
print("| " + " | ".join(header) + " |")
print("|---|" + "---:|" * (len(header) - 1))
for test in tests:
    row = [labels.get(test, test.upper())]
    mean = {}
    for i in range(1, len(servers) + 1):
        runs = per.get((i, test), [])
        if not runs:
            row.append("-")
            continue
        mean[i] = sum(runs) / len(runs)
        spread = (max(runs) - min(runs)) / mean[i] * 100 if mean[i] else 0.0
        row.append(f"{mean[i]:,.0f} ({spread:.1f}%)")
    if len(eddy) >= 2:
        first, last = mean.get(eddy[0]), mean.get(eddy[-1])
        row.append(f"**{last / first:.2f}**" if first and last else "-")
    print("| " + " | ".join(row) + " |")
print()
print("Idle Ir per second of wall time, priced out of each big run: " +
      ", ".join(f"[{c}] {r:,.0f}" for c, r in sorted(idle_rate.items())))
EOF
