#!/bin/sh
# Rebuilds every read model from a ~1M-event log and prints events/s per read model (ADR 0074).
#   tools/bench/replay_bench.sh                               # fill a temp log, replay, remove it
#   tools/bench/replay_bench.sh --data-dir D --keep           # keep the filled log ...
#   tools/bench/replay_bench.sh --data-dir D --keep --reuse   # ... and replay it again, no refill
#   tools/bench/replay_bench.sh --only messages --no-search    # any replay_bench flag (--help)
# Environment: BUILD_DIR (default <repo>/build; built RelWithDebInfo if missing).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$BUILD_DIR" -j2 replay_bench >/dev/null
echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')  commit: $(git -C "$ROOT" rev-parse --short HEAD)" \
  " nproc: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$BUILD_DIR/replay_bench" "$@"
