#!/usr/bin/env bash
# Checker tests against the real node: short eddy-maelstrom-runner runs of eddy-maelstrom whose
# verdicts are known in advance. A correct node must be judged valid (exit 0); each planted bug
# (eddy-maelstrom --plant NAME) must be judged invalid (exit 1). Fixed seeds fix the workload's
# and the nemesis's random choices (the partition schedule is the same on every machine; only
# real-clock timing varies).
#
#   tests/maelstrom/run_checks.sh BUILD_DIR
#
# Environment: NODE_BIN (default BUILD_DIR/eddy-maelstrom), RUNNER (default
# BUILD_DIR/eddy-maelstrom-runner), RESULTS_DIR (default: a fresh temporary directory, kept).
# About 2.5 minutes on 2 cores. Exits 0 when every verdict is as expected.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
runner=${RUNNER:-$build/eddy-maelstrom-runner}
node=${NODE_BIN:-$build/eddy-maelstrom}
results=${RESULTS_DIR:-$(mktemp -d /tmp/eddy-maelstrom-checks.XXXXXX)}
for f in "$runner" "$node"; do
  if [[ ! -x $f ]]; then
    echo "$0: $f is not an executable (build eddy-maelstrom-runner and eddy-maelstrom)" >&2
    exit 2
  fi
done
mkdir -p "$results"

failures=0
runs=0

# expect NAME WANT(valid|invalid) ARGS... : one run, one line.
expect() {
  local name=$1 want=$2
  shift 2
  local want_rc=0
  [[ $want == invalid ]] && want_rc=1
  local dir=$results/$name
  local started=$SECONDS
  local rc=0
  "$runner" test --bin "$node" --results "$dir" "$@" >"$results/$name.out" 2>"$results/$name.err" || rc=$?
  local verdict
  verdict=$(sed -n 's/^verdict *//p' "$results/$name.out" | head -n 1)
  [[ -n $verdict ]] || verdict="(no verdict; see $results/$name.err)"
  runs=$((runs + 1))
  local mark=ok
  if [[ $rc -ne $want_rc ]]; then
    mark=FAIL
    failures=$((failures + 1))
  fi
  printf '%-4s %-38s want %-7s exit %d (%2ds): %s\n' "$mark" "$name" "$want" "$rc" \
    $((SECONDS - started)) "$verdict"
  if [[ $mark == FAIL ]]; then
    sed -n 's/^replay */       replay: /p' "$results/$name.out"
    echo "       results: $dir"
  fi
}

echo "eddy-maelstrom checker tests: $node (results in $results)"

# A correct node is valid.
expect echo-1-node valid -w echo --node-count 1 --time-limit 3 --rate 20 --seed 1
expect lin-kv-1-node valid -w lin-kv --node-count 1 --concurrency 2n --time-limit 5 --rate 50 \
  --seed 2
expect lin-kv-3-nodes valid -w lin-kv --node-count 3 --concurrency 2n --time-limit 5 --rate 100 \
  --seed 3
# lin-kv on Raft through partitions (issue 10's CI run): 20 s, every ~3 s a new partition.
expect lin-kv-3-nodes-partitions valid -w lin-kv --node-count 3 --concurrency 2n \
  --time-limit 20 --rate 100 --nemesis partition --nemesis-interval 3 --seed 6
# ... on 5 nodes likewise, and at rate 1000 on 3 nodes without partitions.
expect lin-kv-5-nodes-partitions valid -w lin-kv --node-count 5 --concurrency 2n \
  --time-limit 20 --rate 100 --nemesis partition --nemesis-interval 3 --seed 2
expect lin-kv-3-nodes-rate-1000 valid -w lin-kv --node-count 3 --concurrency 2n \
  --time-limit 20 --rate 1000 --seed 3
for w in g-set g-counter pn-counter; do
  expect "$w-3-nodes-partitions" valid -w "$w" --node-count 3 --time-limit 6 --rate 20 \
    --nemesis partition --nemesis-interval 1 --recovery-time 3 --seed 4
done
expect broadcast-5-nodes-partitions valid -w broadcast --node-count 5 --time-limit 6 --rate 20 \
  --latency 10 --nemesis partition --nemesis-interval 1 --recovery-time 3 --seed 5

# Each planted bug is caught, on two seeds.
for seed in 11 12; do
  expect "plant-lin-kv-local-read-$seed" invalid -w lin-kv --node-count 3 --concurrency 2n \
    --time-limit 4 --rate 100 --seed "$seed" -- --plant lin-kv-local-read
done
for seed in 21 22; do
  expect "plant-counter-drops-increments-$seed" invalid -w g-counter --node-count 3 \
    --time-limit 4 --rate 20 --recovery-time 2 --seed "$seed" -- --plant counter-drops-increments
done
# These seeds' partition schedules cut a node off for over 3 s (the node forgets after 1 s of
# silence) while the node whose final read comes last (n2) learns from a peer.
for seed in 32 35; do
  expect "plant-set-forgets-after-partition-$seed" invalid -w g-set --node-count 3 \
    --time-limit 8 --rate 20 --nemesis partition --nemesis-interval 2 --recovery-time 2 \
    --seed "$seed" -- --plant set-forgets-after-partition
done

# Hostile input straight to one node (no runner): a forged node-to-node message.
runs=$((runs + 1))
if ! /usr/bin/python3 "$(dirname "$0")/forged_messages.py" "$node"; then
  failures=$((failures + 1))
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures of $runs runs had an unexpected verdict"
  exit 1
fi
echo "all $runs runs had the expected verdict"
