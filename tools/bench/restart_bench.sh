#!/bin/sh
# Restart-to-ready time versus log length, without and with command-side snapshots (ADR 0078).
# Builds what it needs and runs tools/bench/restart_bench.py; arguments go to it
# (--sizes 500000,1000000,2000000,5000000 --runs 3 [--kafka]).
set -eu
cd "$(dirname "$0")/../.."
ninja -C build filament log_gen >/dev/null
exec python3 tools/bench/restart_bench.py --build build "$@"
