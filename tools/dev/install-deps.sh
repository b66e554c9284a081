#!/usr/bin/env bash
# Installs the Debian 12 packages Filament needs to build, test and run, skipping what is
# already installed, then the pinned npm package that validates docs/openapi.yaml
# (tools/openapi/package-lock.json, into tools/openapi/node_modules). Needs root (or sudo) for
# apt. Idempotent.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3 python3-yaml python3-websockets
  python3-jsonschema
  libpoco-dev libhttp-parser-dev librdkafka-dev nlohmann-json3-dev libpqxx-dev libpq-dev
  libcli11-dev libsodium-dev libcmark-dev libmagic-dev libxapian-dev libgtest-dev libgmock-dev googletest
  libjemalloc-dev  # the allocator of filament (cmake/Allocator.cmake, ADR 0109)
  libbenchmark-dev postgresql postgresql-client kcat clang-format clang-tidy-14 git
  clang-14 libfuzzer-14-dev  # tools/fuzz/run.sh: libFuzzer targets with ASan + UBSan
  libavif-bin  # avifenc: upload tests encode a real AVIF (skipped without it)
  prometheus  # promtool: the e2e ops test checks every role's /metrics (ADR 0076)
  file  # cpack's DEB generator (deb_package_check) runs `file` for its shared-library scan
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
# Node.js and npm by command, not by package: a nodejs build that bundles npm (and conflicts
# with Debian's npm package) serves as well.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# The OpenAPI validator, exactly as locked; reinstalled only when the lock file changed.
openapi_dir=$(cd "$(dirname "$0")/../openapi" && pwd)
lock_sum=$(sha256sum "$openapi_dir/package-lock.json" | cut -d' ' -f1)
stamp="$openapi_dir/node_modules/.filament-lock-sha256"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  echo "install-deps: npm ci in tools/openapi"
  npm ci --prefix "$openapi_dir" --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi

# LiveKit's server SDK, exactly as locked, for the voice e2e test's token check (tools/livekit).
livekit_dir=$(cd "$(dirname "$0")/../livekit" && pwd)
lock_sum=$(sha256sum "$livekit_dir/package-lock.json" | cut -d' ' -f1)
stamp="$livekit_dir/node_modules/.filament-lock-sha256"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  echo "install-deps: npm ci in tools/livekit"
  npm ci --prefix "$livekit_dir" --no-audit --no-fund --loglevel=error
  echo "$lock_sum" >"$stamp"
fi
