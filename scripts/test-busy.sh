#!/usr/bin/env bash
# Runs the whole suite (npm test) N times in a row, 3 when not given, while another process keeps one core
# busy the whole time: the suite must pass on a loaded machine, so no test may hold a wall-clock bound that
# a busy core breaks (a bound is a safety net, at least 5x the quiet median). Stops at the first red run.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
node -e 'for (;;) {}' &
busy=$!
trap 'kill "$busy" 2>/dev/null || true' EXIT
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if ! npm test; then
    echo "test-busy: run $i of $runs failed (one core kept busy)" >&2
    exit 1
  fi
  echo "test-busy: run $i of $runs green in $(($(date +%s) - start)) s (one core kept busy)" >&2
done
