#!/usr/bin/env bash
# Stand-in for eddy-server while it does not exist yet (or to benchmark Redis
# against itself): takes eddy-server's command line, runs redis-server.
# --workers is dropped; everything else is passed through.
# Usage: EDDY_SERVER=bench/redis_as_eddy.sh bench/compare.sh
set -euo pipefail
args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workers) shift 2 ;;
    --workers=*) shift ;;
    *) args+=("$1"); shift ;;
  esac
done
exec "${REDIS_SERVER:-redis-server}" "${args[@]}" --save '' --appendonly no
