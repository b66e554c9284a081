#!/usr/bin/env bash
# Second README command: install what is missing, build everything, run the whole test suite
# (CTest labels unit, pg, kafka, e2e, lint), then the AddressSanitizer e2e run (tools/dev/asan.sh).
# Every service a test needs (PostgreSQL clusters, the Kafka mock cluster, the server itself) is
# started by the tests and stopped after them.
#   tools/dev/test.sh --sanitize   instead: the whole suite built and run under ASan + UBSan
#                                  (build-sanitize/, tools/dev/asan.sh --all); a finding fails it.
#                                  The lint label is left out (clang-tidy runs no instrumented
#                                  code; the normal suite runs it). Costs in tools/dev/README.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ "${1:-}" == --sanitize ]]; then
  "$root/tools/dev/install-deps.sh"
  FILAMENT_SANITIZE=address,undefined FILAMENT_ASAN_BUILD_DIR="$root/build-sanitize" \
    exec "$root/tools/dev/asan.sh" --all
fi
build_dir=${FILAMENT_BUILD_DIR:-$root/build}
"$root/tools/dev/install-deps.sh"
"$root/tools/dev/build.sh"
cd "$build_dir"
# One PostgreSQL server for the whole run (tests/support/pg_test_server): every test process
# creates its database there instead of starting a cluster of its own (one initdb and server
# start per test case; ~1 s of CPU each, 121 pg tests alone went from 157 s to 52 s). Unless
# FILAMENT_TEST_DATABASE_URL already names a server. Stopped when this script exits.
if [[ -z "${FILAMENT_TEST_DATABASE_URL:-}" ]]; then
  pg_conninfo=$(mktemp)
  rm -f "$pg_conninfo"
  "$build_dir/tests/pg_test_server" "$pg_conninfo" &
  pg_server=$!
  trap 'kill "$pg_server" 2>/dev/null; wait "$pg_server" 2>/dev/null; rm -f "$pg_conninfo"' EXIT
  for ((i = 0; i < 1200; i++)); do
    [[ -s "$pg_conninfo" ]] && break
    kill -0 "$pg_server" 2>/dev/null || { echo "test.sh: pg_test_server failed" >&2; exit 1; }
    sleep 0.1
  done
  [[ -s "$pg_conninfo" ]] || { echo "test.sh: pg_test_server did not start in 120 s" >&2; exit 1; }
  FILAMENT_TEST_DATABASE_URL=$(cat "$pg_conninfo")
  export FILAMENT_TEST_DATABASE_URL
fi
ctest --output-on-failure --timeout 900 -j "${FILAMENT_TEST_JOBS:-2}" "$@"
# The whole suite ends with the AddressSanitizer run of tools/dev/asan.sh (the `filament` binary
# built in build-asan/, then e2e_trusted_proxy against it; costs in tools/dev/README.md).
# FILAMENT_ASAN=0 skips it; FILAMENT_ASAN=1 runs it after a partial run (ctest arguments) too.
if [[ "${FILAMENT_ASAN:-}" == 1 || ( $# -eq 0 && "${FILAMENT_ASAN:-}" != 0 ) ]]; then
  "$root/tools/dev/asan.sh"
fi
