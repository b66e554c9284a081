#!/usr/bin/env bash
# Second README command: install what is missing, build everything, run the whole test suite
# (CTest labels unit, pg, kafka, e2e). Every service a test needs (PostgreSQL clusters, the
# Kafka mock cluster, the server itself) is started by the tests and stopped after them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${FILAMENT_BUILD_DIR:-$root/build}
"$root/tools/dev/install-deps.sh"
"$root/tools/dev/build.sh"
cd "$build_dir"
ctest --output-on-failure --timeout 900 -j "${FILAMENT_TEST_JOBS:-2}" "$@"
