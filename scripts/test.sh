#!/usr/bin/env bash
# Builds and runs every test: unit and property tests, the integration suite (the real
# eddy-server driven by redis-cli and redis-py), the differential test against redis-server and seeded simulation sweeps on a Release build,
# eddy-maelstrom judged by the local Maelstrom runner (and its planted bugs caught), the unit
# tests again under ASan+UBSan, and the runtime's tests under TSan. Installs missing
# Debian packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

jobs=$(nproc)
started=$(date +%s)
step() { printf '\n== %s (at %ds) ==\n' "$*" "$(($(date +%s) - started))"; }

step "Release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"

step "Unit and property tests (Release)"
./build/eddy-unit-tests

step "Integration tests: eddy-server with redis-cli and redis-py"
/usr/bin/python3 tests/integration/run_all.py --server ./build/eddy-server

step "Differential: the same seeded command streams to eddy-server and redis-server, every reply compared"
/usr/bin/python3 tests/integration/differential.py --eddy ./build/eddy-server --seeds 1..900 --ops 300

step "DUMP/RESTORE interoperability: payloads both ways between eddy-server and redis-server, and a mutation fuzz"
/usr/bin/python3 tests/integration/dump_interop.py --eddy ./build/eddy-server --mutations 3000

step "Simulation: 1000 seeds of every fast scenario, and the determinism check"
./build/eddy-sim sweep --seeds 1..1000 --jobs "$jobs" $(printf -- '--scenario %s ' tests/sim/fast/*.toml)
./build/eddy-sim sweep --seeds 1..50 --jobs "$jobs" --check-determinism \
  $(printf -- '--scenario %s ' tests/sim/fast/*.toml)

step "Maelstrom: eddy-maelstrom under the local runner (valid), and each planted bug (invalid)"
bash tests/maelstrom/run_checks.sh build

step "ASan+UBSan build and unit tests"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs" --target eddy-unit-tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ./build-asan/eddy-unit-tests

step "TSan build: the runtime, blocked clients, MULTI/EXEC, ACL changes, CLIENT KILL, maxclients and client limits across cores"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs" --target eddy-tsan-tests
TSAN_OPTIONS=halt_on_error=1 ./build-tsan/eddy-tsan-tests \
  "[runtime],[blocking],[multi],[acl],[auth],[config],[client-limits]"

step "All test stages passed"
echo "stages: 8 passed, 0 failed"
