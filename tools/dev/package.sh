#!/usr/bin/env bash
# Builds the Debian package (packaging/, ADR 0063) from build/:
#   tools/dev/package.sh [--version V] [--out DIR]
# writes DIR/filament_<V>_<arch>.deb (default V: the project version, DIR: build/packages) and
# prints its path on the last line. --version V builds the binary as version V (what
# `filament --version` says) for this package only: build/ goes back to the project version
# afterwards (its next build relinks the binary).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${FILAMENT_BUILD_DIR:-$root/build}
out="$build_dir/packages"
version=""
while (($#)); do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--version V] [--out DIR]" >&2; exit 2 ;;
  esac
done
configure() {
  cmake -S "$root" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${FILAMENT_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
}
if [[ -n "$version" ]]; then
  configure -DFILAMENT_PACKAGE_VERSION="$version"
  trap 'configure -DFILAMENT_PACKAGE_VERSION=' EXIT
elif [[ ! -f "$build_dir/build.ninja" ]]; then
  configure
fi
"$root/tools/dev/build.sh" filament filament_packaged_config
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$build_dir" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) ||
  { cat "$out/cpack.log" >&2; exit 1; }
rm -rf "$out/_CPack_Packages"
grep -o "$out/filament_[^ ]*\.deb" "$out/cpack.log" | tail -1
