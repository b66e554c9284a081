#!/usr/bin/env bash
# Configures and builds Filament into build/ (the binary lands at build/filament).
# Usage: tools/dev/build.sh [extra ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${FILAMENT_BUILD_DIR:-$root/build}
build_type=${FILAMENT_BUILD_TYPE:-RelWithDebInfo}
jobs=${FILAMENT_BUILD_JOBS:-$(nproc)}
if [[ ! -f "$build_dir/build.ninja" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
fi
ninja -C "$build_dir" -j "$jobs" "$@"
