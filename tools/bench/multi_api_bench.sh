#!/usr/bin/env bash
# Posts/s and POST p50/p99 with 1, 2 and 4 `filament api` processes (ADR 0093) on the Kafka mock
# (or PostgreSQL with LOG=pg): for each count, `tools/dev/cluster.sh --api N --no-fsync`, then
# tools/bench/multi_api_bench.py through the front proxy and direct to the api ports (client-side
# affinity), REPEAT times each. One JSON line per run; the load average before → after is in it.
# Does not build: BINARY (default build/filament) must exist.
#
# Usage: [BINARY=...] [LOG=kafka|pg] [APIS="1 2 4"] [REPEAT=2] [DURATION=10] [GUILDS=8]
#        [CONNECTIONS=32] tools/bench/multi_api_bench.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${BINARY:-$root/build/filament}
log=${LOG:-kafka}
export FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE=100000000 FILAMENT_MAX_CREATED_GUILDS_PER_USER=1000

run_one() {  # run_one N: one cluster, REPEAT runs of each mode (fresh guilds each run)
  local n=$1 dir out pid proxy apis mode i
  dir=$(mktemp -d /tmp/multi-api-bench.XXXXXX)
  out=$dir.out
  "$root/tools/dev/cluster.sh" --binary "$binary" --log "$log" --api "$n" --no-fsync --port 0 \
    --data-dir "$dir" >"$out" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do grep -q '^cluster: ready' "$out" && break; sleep 0.2; done
  grep -q '^cluster: ready' "$out" || { cat "$out" >&2; kill "$pid"; return 1; }
  proxy=$(awk '$1 == "proxy" {split($2, a, ":"); print a[2]}' "$out")
  apis=$(awk '$1 ~ /^api\./ {split($2, a, ":"); printf "%s%s", sep, a[2]; sep=","}' "$out")
  for ((i = 1; i <= ${REPEAT:-2}; i++)); do
    for mode in proxy direct; do
      /usr/bin/python3 "$root/tools/bench/multi_api_bench.py" --proxy "$proxy" --apis "$apis" \
        --mode "$mode" --guilds "${GUILDS:-8}" --connections "${CONNECTIONS:-32}" \
        --seconds "${DURATION:-10}"
    done
  done
  kill -TERM "$pid"
  wait "$pid" || echo "multi_api_bench: cluster.sh --api $n did not stop cleanly ($out)" >&2
  rm -rf "$dir" "$out"
}

for n in ${APIS:-1 2 4}; do run_one "$n"; done
