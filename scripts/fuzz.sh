#!/usr/bin/env bash
# Runs eddy's libFuzzer targets (tests/fuzz, docs/fuzzing.md) for a bounded time each, two at a
# time, and fails if any of them finds a crash, a leak, a timeout (an input running over 10 s)
# or runs out of memory. The seed corpus in tests/fuzz/corpus/<target> is only read; inputs
# the run finds go to a temporary directory (or to --keep DIR/<target>).
#
#   bash scripts/fuzz.sh                      # every target, 60 s each, from build-asan
#   bash scripts/fuzz.sh --seconds 3600 command_stream
#   bash scripts/fuzz.sh --keep /tmp/found --parallel 1 resp_parser
#
# A finding is saved as <artifacts>/<target>-crash-<sha1> (or -leak-, -timeout-, -oom-);
# replay it with build-asan/fuzz/fuzz-<target> FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
build=build-asan
parallel=2
keep=""
artifacts=""
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    --parallel) parallel="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --artifacts) artifacts="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  targets=(resp_parser command_stream config record_log)
fi
artifacts="${artifacts:-$build/fuzz/artifacts}"
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Per target: libFuzzer's entropic schedule spends most of a command_stream run updating its
# feature statistics (an engine and a simulated world per input light up ~65k features); the
# plain schedule runs about 7 times more inputs there.
declare -A target_flags=([command_stream]="-entropic=0")

run_one() {
  local target="$1"
  local binary="$build/fuzz/fuzz-$target"
  local found="${keep:+$keep/$target}"
  found="${found:-$work/found-$target}"
  mkdir -p "$found"
  local dict=()
  [[ -f "tests/fuzz/$target.dict" ]] && dict=("-dict=tests/fuzz/$target.dict")
  # The first directory receives new inputs; the seed corpus after it is only read.
  local flags=()
  read -r -a flags <<<"${target_flags[$target]:-}"
  "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "${dict[@]}" "${flags[@]}" \
    "$found" "tests/fuzz/corpus/$target" >"$work/$target.log" 2>&1
}

summary() {
  local target="$1" status="$2" log="$work/$1.log"
  local execs rate units
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  units=$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)
  printf '%-16s %s  %s executions, %s/s, %s new inputs\n' "$target" "$status" \
    "${execs:-?}" "${rate:-?}" "${units:-?}"
}

failed=0
for ((i = 0; i < ${#targets[@]}; i += parallel)); do
  batch=("${targets[@]:i:parallel}")
  pids=()
  for target in "${batch[@]}"; do
    if [[ ! -x "$build/fuzz/fuzz-$target" ]]; then
      echo "fuzz.sh: no $build/fuzz/fuzz-$target (cmake --build --preset asan --target fuzz-targets)" >&2
      exit 2
    fi
    run_one "$target" &
    pids+=($!)
  done
  for j in "${!batch[@]}"; do
    target="${batch[$j]}"
    if wait "${pids[$j]}"; then
      summary "$target" ok
    else
      summary "$target" FAILED
      failed=1
      echo "---- last lines of fuzz-$target's log:"
      tail -40 "$work/$target.log"
      echo "---- findings: $(ls "$artifacts" | grep "^$target-" | tr '\n' ' ')"
      echo "---- replay: $build/fuzz/fuzz-$target $artifacts/<file>"
    fi
  done
done
exit "$failed"
