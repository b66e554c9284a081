#!/bin/sh
# Builds Release and runs the search benchmark: the Xapian index against PostgreSQL full-text
# search on the same generated corpus (1M messages by default), writing Markdown results.
#   tools/bench/run_search.sh                      # full run (~10-20 min on 2 busy cores)
#   tools/bench/run_search.sh --small              # smoke run (seconds; what CTest runs)
#   tools/bench/run_search.sh --messages 200000    # any search_bench flag (--help lists them)
# Environment: BUILD_DIR (default build-bench next to the repo), OUT (results directory,
# default $BUILD_DIR/bench-results/search-<date>).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/release_build.sh"
BUILD_DIR=${BUILD_DIR:-$(dirname "$ROOT")/build-bench}
OUT=${OUT:-$BUILD_DIR/bench-results/search-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

release_build search_bench

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "ram: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "xapian: $(dpkg-query -W -f='${Version}' libxapian30 2>/dev/null || echo '?')"
  echo "postgresql: $(/usr/lib/postgresql/15/bin/postgres --version 2>/dev/null || echo '?')"
  echo "load before: $(uptime)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"

timeout 3600 "$BUILD_DIR/search_bench" "$@" | tee "$OUT/search_bench.md"
echo "load after: $(uptime)" | tee -a "$OUT/machine.txt"
echo "results in $OUT"
