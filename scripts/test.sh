#!/usr/bin/env bash
# Builds and runs every test: unit and property tests, the integration suite (the real
# eddy-server driven by redis-cli and redis-py), the differential test against redis-server and seeded simulation sweeps on a Release build,
# eddy-maelstrom judged by the local Maelstrom runner (and its planted bugs caught), the unit
# tests again under ASan+UBSan (clang), the libFuzzer targets built in that same tree for a
# minute each, and the runtime's tests under TSan. Installs missing Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc)
started=$(date +%s)
# Builds started in the background (below) do not outlive a stage that fails.
background=()
trap 'for pid in "${background[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; kill "$pid" 2>/dev/null || true; done' EXIT
step() { printf '\n== %s (at %ds) ==\n' "$*" "$(($(date +%s) - started))"; }

step "Release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

step "Unit and property tests (Release)"
./build/eddy-unit-tests

# The ASan+UBSan build (clang) runs from here on, alongside the next three stages, which mostly
# wait on sockets: its compile jobs fill cores those stages leave idle (CI's time budget). It
# is waited for before the simulation sweep, which needs the cores; its log is shown if it fails.
asan_log=$(mktemp /tmp/eddy-asan-build.XXXXXX)
(cmake --preset asan >/dev/null &&
  nice -n 10 cmake --build --preset asan -j "$jobs" --target eddy-unit-tests fuzz-targets) \
  >"$asan_log" 2>&1 &
asan_build=$!
background+=("$asan_build")

step "Integration tests: eddy-server with redis-cli and redis-py"
/usr/bin/python3 tests/integration/run_all.py --server ./build/eddy-server

step "Differential: the same seeded command streams to eddy-server and redis-server, every reply compared"
/usr/bin/python3 tests/integration/differential.py --eddy ./build/eddy-server --seeds 1..600 --ops 300

step "DUMP/RESTORE interoperability: payloads both ways between eddy-server and redis-server, and a mutation fuzz"
/usr/bin/python3 tests/integration/dump_interop.py --eddy ./build/eddy-server --mutations 3000

step "Waiting for the ASan+UBSan build (clang) started before the integration tests"
if ! wait "$asan_build"; then
  cat "$asan_log"
  echo "the ASan+UBSan build failed"
  exit 1
fi
tail -n 2 "$asan_log"

step "Simulation: 1000 seeds of every fast scenario, and the determinism check"
./build/eddy-sim sweep --seeds 1..1000 --jobs "$jobs" $(printf -- '--scenario %s ' tests/sim/fast/*.toml)
./build/eddy-sim sweep --seeds 1..50 --jobs "$jobs" --check-determinism \
  $(printf -- '--scenario %s ' tests/sim/fast/*.toml)

# Likewise the TSan build, alongside the Maelstrom runs (real-time nodes at a low request rate)
# and the ASan unit tests (one core): waited for before the fuzzers take both cores.
tsan_log=$(mktemp /tmp/eddy-tsan-build.XXXXXX)
(cmake --preset tsan >/dev/null &&
  nice -n 10 cmake --build --preset tsan -j "$jobs" --target eddy-tsan-tests) >"$tsan_log" 2>&1 &
tsan_build=$!
background+=("$tsan_build")

step "Maelstrom: eddy-maelstrom under the local runner (valid), and each planted bug (invalid)"
bash tests/maelstrom/run_checks.sh build

step "ASan+UBSan unit tests (built above)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ./build-asan/eddy-unit-tests

step "Waiting for the TSan build started before the Maelstrom runs"
if ! wait "$tsan_build"; then
  cat "$tsan_log"
  echo "the TSan build failed"
  exit 1
fi
tail -n 2 "$tsan_log"

step "Fuzzing: each libFuzzer target for 30 s, two at a time, from the seed corpus (docs/fuzzing.md)"
bash scripts/fuzz.sh --seconds 30 --parallel "$jobs"

step "TSan: the runtime, blocked clients, MULTI/EXEC, ACL changes, CLIENT KILL, maxclients and client limits across cores"
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/eddy-tsan-tests \
  "[runtime],[blocking],[multi],[acl],[auth],[config],[client-limits]"

step "All test stages passed"
echo "stages: 9 passed, 0 failed"
