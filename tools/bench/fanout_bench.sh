#!/bin/sh
# One command for the WebSocket fan-out benchmark (tools/bench/fanout_bench.py): installs
# nats-server and mosquitto (Debian) when missing, builds `filament` and the C++ generator
# `fanout_bench` Release in BUILD_DIR, then drives Filament, NATS and Mosquitto with the same
# generator, subscriber count and payload (10 000 subscribers at 10 and 100 msg/s, 19 000 idle).
#   tools/bench/fanout_bench.sh                       # the full run (~5 min)
#   QUICK=1 tools/bench/fanout_bench.sh               # 500 subscribers, 3 s windows (smoke)
#   tools/bench/fanout_bench.sh --targets filament    # extra flags go to fanout_bench.py
# Environment: BUILD_DIR (default build-bench next to the repo), OUT (Markdown result file).
# Loopback only; every generator run has a timeout.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/release_build.sh"
BUILD_DIR=${BUILD_DIR:-$(dirname "$ROOT")/build-bench}
OUT=${OUT:-$BUILD_DIR/bench-results/fanout-$(date -u +%Y%m%dT%H%M%SZ).md}
mkdir -p "$(dirname "$OUT")"

if ! command -v nats-server >/dev/null || ! command -v mosquitto >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y --no-install-recommends nats-server mosquitto
fi
release_build filament fanout_bench

SIZE=""
if [ -n "${QUICK:-}" ]; then
  SIZE="--connections 500 --idle-connections 1000 --seconds 3 --warmup 1"
fi
echo "load before: $(uptime)"
# shellcheck disable=SC2086
timeout 1800 /usr/bin/python3 "$ROOT/tools/bench/fanout_bench.py" --binary "$BUILD_DIR/filament" \
  --generator "$BUILD_DIR/fanout_bench" $SIZE "$@" | tee "$OUT"
echo "load after: $(uptime)"
echo "results in $OUT"
