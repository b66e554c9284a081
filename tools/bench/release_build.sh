# shellcheck shell=sh
# Sourced by the benchmark scripts: configures $BUILD_DIR as a Release build of $ROOT (ccache
# when present) and builds the targets given as arguments:  release_build target...
# Refuses a BUILD_DIR already configured with another build type, so pointing a benchmark at a
# development tree (build/, RelWithDebInfo) never turns it into a Release tree behind your back.
# -Wno-restrict: g++ 12 at -O3 reports a false -Wrestrict inside std::string (GCC bug 105329)
# in adapters/postgres; Release builds need it until that code is reworded.
release_build() {
  configured=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null || true)
  if [ -n "$configured" ] && [ "$configured" != Release ]; then
    echo "release_build: $BUILD_DIR is a $configured build; benchmarks need their own Release" \
      "tree (leave BUILD_DIR unset, or point it at an empty directory)" >&2
    exit 2
  fi
  launcher=""
  if command -v ccache >/dev/null; then launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; fi
  # shellcheck disable=SC2086
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release $launcher \
    -DCMAKE_CXX_FLAGS="-Wno-error=restrict -Wno-restrict" >/dev/null
  ninja -C "$BUILD_DIR" -j2 "$@"
}
