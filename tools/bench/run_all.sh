#!/bin/sh
# Builds Release and runs every benchmark behind a goal of docs/performance.md (issue #11: command
# throughput, fan-out beside NATS and Mosquitto, POST -> WebSocket latency on both logs, replay
# of a 1M-event log; plus the log, projection, delivery and role-change benchmarks), writing
# Markdown results into one directory.
#   tools/bench/run_all.sh                 # full run (~60-90 min on 2 quiet cores)
#   QUICK=1 tools/bench/run_all.sh         # small sizes, ~15 min (smoke test)
#   FUZZ_RUNS=10000000 tools/bench/run_all.sh   # also the fuzz targets, N executions each
#                                                # (hours: tools/fuzz/run.sh, clang build-fuzz/)
# Environment: BUILD_DIR (default build-bench next to the repo), OUT (results directory,
# default $BUILD_DIR/bench-results/<date>). Loopback only; every step has a timeout.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/release_build.sh"
BUILD_DIR=${BUILD_DIR:-$(dirname "$ROOT")/build-bench}
OUT=${OUT:-$BUILD_DIR/bench-results/$(date -u +%Y%m%dT%H%M%SZ)}
PY=/usr/bin/python3
mkdir -p "$OUT"

# The load tools the benchmarks drive (wrk for the HTTP ones, the two peers of the fan-out run,
# bc for timings, perf for the profiles delivery_bench records): Debian packages, installed when
# missing so that a fresh machine runs this one command.
missing=""
for tool in wrk:wrk nats-server:nats-server mosquitto:mosquitto bc:bc perf:linux-perf; do
  command -v "${tool%%:*}" >/dev/null || missing="$missing ${tool#*:}"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  # shellcheck disable=SC2086
  $SUDO apt-get install -y --no-install-recommends $missing
fi

release_build log_bench projection_bench command_bench replay_bench render_bench fanout_bench filament

if [ -n "${QUICK:-}" ]; then
  LOG_ARGS="--seconds 1 --latency-count 200"
  PROJ_ARGS="--members 200 --messages 10000"
  DELIVERY_ARGS="--subscribers 1,100 --messages 40 --connections 1,4,16 --seconds 3"
  ROLE_ARGS="--connections 100 --users 20 --rounds 2"
  COMMAND_ARGS="--clients 50 --seconds 2 --guilds 1,10 --batch-max 128"
  BATCH_ARGS="--clients 50 --guilds 1,10 --batch-max 128 --seconds 3"
  LATENCY_ARGS="--rate 200 --seconds 3 --rounds 1"
  REPLAY_ARGS="--events 50000"
else
  LOG_ARGS="--seconds 3 --latency-count 1000"
  PROJ_ARGS="--members 1000 --messages 100000"
  DELIVERY_ARGS="--subscribers 1,100,1000 --messages 200 --connections 1,4,16,64 --seconds 8"
  ROLE_ARGS="--connections 1000 --users 1000 --rounds 5"
  COMMAND_ARGS="--clients 200 --seconds 6 --guilds 1,100 --batch-max 128,1"
  BATCH_ARGS="--clients 200 --guilds 1,100 --batch-max 128 --seconds 10"
  LATENCY_ARGS="--rate 1000 --seconds 10 --rounds 2"
  REPLAY_ARGS="--events 1000000"
fi

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)"
  echo "nproc: $(nproc)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "ram: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "kernel: $(uname -r)"
  echo "load before: $(uptime)"
} >"$OUT/machine.txt"
cat "$OUT/machine.txt"

echo "== fsync probe (pg_test_fsync, 1 s per test)"
timeout 120 /usr/lib/postgresql/15/bin/pg_test_fsync -s 1 -f "$OUT/fsync.probe" \
  >"$OUT/fsync.txt" 2>&1 || true
rm -f "$OUT/fsync.probe"

echo "== log_bench"
# shellcheck disable=SC2086
timeout 900 "$BUILD_DIR/log_bench" $LOG_ARGS | tee "$OUT/log_bench.md"

echo "== projection_bench + filament replay"
DATA=$(mktemp -d /tmp/filament-replaybench-XXXXXX)
chmod 755 "$DATA"
# shellcheck disable=SC2086
timeout 1200 "$BUILD_DIR/projection_bench" --data-dir "$DATA" --keep $PROJ_ARGS \
  | tee "$OUT/projection_bench.md"
START=$(date +%s.%N)
timeout 900 "$BUILD_DIR/filament" replay --data-dir "$DATA" >"$OUT/replay.txt" 2>&1
END=$(date +%s.%N)
echo "filament replay (all projections, incl. embedded PostgreSQL start/stop): \
$(echo "$END - $START" | bc) s wall" | tee -a "$OUT/replay.txt"
grep "done" "$OUT/replay.txt" || true
rm -rf "$DATA"

echo "== delivery_bench"
mkdir -p "$OUT/perf"
# shellcheck disable=SC2086
timeout 2400 $PY "$ROOT/tools/bench/delivery_bench.py" --binary "$BUILD_DIR/filament" \
  $DELIVERY_ARGS --perf-dir "$OUT/perf" --out "$OUT/delivery_bench.md"

echo "== role_change_bench"
# shellcheck disable=SC2086
timeout 1800 $PY "$ROOT/tools/bench/role_change_bench.py" --binary "$BUILD_DIR/filament" \
  --logs pg,kafka $ROLE_ARGS --out "$OUT/role_change_bench.md"

echo "== command_bench (posts/s through CommandService on the durable embedded log, no HTTP)"
# shellcheck disable=SC2086
timeout 1200 "$BUILD_DIR/command_bench" $COMMAND_ARGS | tee "$OUT/command_bench.md"

echo "== batch_bench (posts/s and POST p99 through HTTP, projection lag)"
# shellcheck disable=SC2086
timeout 1800 $PY "$ROOT/tools/bench/batch_bench.py" --binary "$BUILD_DIR/filament" \
  $BATCH_ARGS --out "$OUT/batch_bench.md"

echo "== latency_bench (POST -> message_create on both logs)"
# shellcheck disable=SC2086
timeout 1800 $PY "$ROOT/tools/bench/latency_bench.py" --binary "$BUILD_DIR/filament" \
  --logs pg,kafka $LATENCY_ARGS --out "$OUT/latency_bench.md"

echo "== render_bench (per-message decode, markdown and JSON writing, no database)"
timeout 600 "$BUILD_DIR/render_bench" | tee "$OUT/render_bench.md"

echo "== replay_bench (every read model rebuilt from one log)"
# shellcheck disable=SC2086
timeout 3600 "$BUILD_DIR/replay_bench" $REPLAY_ARGS | tee "$OUT/replay_bench.md"

echo "== fanout_bench (Filament beside NATS and Mosquitto)"
OUT="$OUT/fanout_bench.md" BUILD_DIR="$BUILD_DIR" "$ROOT/tools/bench/fanout_bench.sh"

if [ -n "${FUZZ_RUNS:-}" ]; then
  echo "== fuzz targets, $FUZZ_RUNS executions each"
  "$ROOT/tools/fuzz/run.sh" --runs "$FUZZ_RUNS" | tee "$OUT/fuzz.txt"
fi

echo "load after: $(uptime)" | tee -a "$OUT/machine.txt"
echo "results in $OUT"
