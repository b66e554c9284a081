#!/bin/sh
# Restart-to-ready time versus log length, without and with snapshots (ADR 0078, 0085, 0086):
# the table of docs/performance.md §22 in one command. Builds filament and log_gen in its own
# build directory (BUILD_DIR, default build-restart-bench, configured Release on first use —
# never point it at a development build dir) and runs tools/bench/restart_bench.py; arguments
# go to it (default --sizes 100000,1000000 --runs 2; add 5000000 when there is an hour).
set -eu
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build-restart-bench}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
nice ninja -C "$BUILD_DIR" filament log_gen >/dev/null
exec python3 tools/bench/restart_bench.py --build "$BUILD_DIR" "$@"
