#!/bin/sh
# One command for the HTTP front-end benchmark (tools/bench/http_bench.py): installs wrk and
# nginx (Debian) when missing, builds `filament` Release in BUILD_DIR, and runs the wrk ladder
# against it, against BEFORE (another filament binary, optional) and against nginx.
#   tools/bench/http_bench.sh                          # after only, plus nginx
#   BEFORE=/path/to/old/filament tools/bench/http_bench.sh
# Environment: BUILD_DIR (default build-bench next to the repo), OUT (Markdown result file),
# SECONDS_PER_RUN (default 5). Loopback only; every step has a timeout.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tools/bench/release_build.sh"
BUILD_DIR=${BUILD_DIR:-$(dirname "$ROOT")/build-bench}
OUT=${OUT:-$BUILD_DIR/bench-results/http-$(date -u +%Y%m%dT%H%M%SZ).md}
mkdir -p "$(dirname "$OUT")"

if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y --no-install-recommends wrk nginx-light
fi

if [ -z "${BINARY:-}" ]; then
  release_build filament
  BINARY=$BUILD_DIR/filament
fi

echo "load before: $(uptime)"
# shellcheck disable=SC2086
timeout 1800 /usr/bin/python3 "$ROOT/tools/bench/http_bench.py" --binary "$BINARY" \
  ${BEFORE:+--before "$BEFORE"} --seconds "${SECONDS_PER_RUN:-5}" --out "$OUT"
echo "load after: $(uptime)"
echo "results in $OUT"
