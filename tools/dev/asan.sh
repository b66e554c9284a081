#!/usr/bin/env bash
# AddressSanitizer run (issue #14). Configures build-asan/ with -DFILAMENT_SANITIZE=address
# (cmake/Sanitizers.cmake: every target instrumented, detect_stack_use_after_return on), builds
# the `filament` binary and runs the trusted-proxy e2e test against it; the e2e harness fails a
# test whose server printed a sanitizer report.
#
#   tools/dev/asan.sh           the binary + e2e_trusted_proxy (what tools/dev/test.sh runs)
#   tools/dev/asan.sh --unit    also builds every target and runs the unit tests (ctest -L unit)
#   tools/dev/asan.sh --all     also builds every target and runs the whole suite under ASan,
#                               except the lint label: clang-tidy reads the sources, runs no
#                               instrumented code, and the normal suite already runs it
#
# Cost on 2 cores (see tools/dev/README.md for the measurements): the binary alone is a second
# build of most of the tree; --unit/--all build the test binaries too.
# Env: FILAMENT_ASAN_BUILD_DIR (default build-asan/), FILAMENT_SANITIZE (default address; e.g.
# address,undefined, as `tools/dev/test.sh --sanitize` sets), FILAMENT_BUILD_JOBS, FILAMENT_TEST_JOBS;
# ASAN_OPTIONS adds to or overrides the built-in defaults (cmake/sanitizer_defaults.cpp).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${FILAMENT_ASAN_BUILD_DIR:-$root/build-asan}
sanitize=${FILAMENT_SANITIZE:-address}
jobs=${FILAMENT_BUILD_JOBS:-$(nproc)}
mode=${1:-}
case "$mode" in
  "" | --unit | --all) ;;
  *)
    echo "usage: tools/dev/asan.sh [--unit|--all]"
    exit 2
    ;;
esac
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
configured=$(sed -n 's/^FILAMENT_SANITIZE:STRING=//p' "$build_dir/CMakeCache.txt" 2>/dev/null || true)
if [[ ! -f "$build_dir/build.ninja" || "$configured" != "$sanitize" ]]; then
  # -O1 (ASan's recommended level) and line tables only (-g1: reports still name file:line)
  # compile this second tree faster than the main build's -O2 -g1 (ADR 0110).
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DFILAMENT_SANITIZE="$sanitize" "${launcher[@]}"
fi
cd "$build_dir"
if [[ -z "$mode" ]]; then
  ninja -j "$jobs" filament
  exec ctest --output-on-failure --timeout 900 -R '^e2e_trusted_proxy$'
fi
ninja -j "$jobs"
ctest --output-on-failure --timeout 900 -j "${FILAMENT_TEST_JOBS:-2}" -R '^e2e_trusted_proxy$'
if [[ "$mode" == --unit ]]; then
  exec ctest --output-on-failure --timeout 900 -j "${FILAMENT_TEST_JOBS:-2}" -L unit
fi
exec ctest --output-on-failure --timeout 900 -j "${FILAMENT_TEST_JOBS:-2}" -E '^e2e_trusted_proxy$' \
  -LE '^lint$'
