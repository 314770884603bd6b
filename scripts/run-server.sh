#!/usr/bin/env bash
# Builds eddy (Release) and starts eddy-server on its defaults: 127.0.0.1:6379, one worker
# per core. Extra arguments go to eddy-server (e.g. --port 6380, --workers 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target eddy-server
exec ./build/eddy-server "$@"
