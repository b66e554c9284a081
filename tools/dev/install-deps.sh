#!/usr/bin/env bash
# Installs the Debian 12 packages Filament needs to build, test and run, skipping what is
# already installed. Needs root (or sudo). Idempotent.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config python3 python3-yaml python3-websockets
  libpoco-dev librdkafka-dev nlohmann-json3-dev libpqxx-dev libpq-dev libcli11-dev
  libsodium-dev libcmark-dev libmagic-dev libxapian-dev libgtest-dev libgmock-dev googletest
  libbenchmark-dev postgresql postgresql-client kcat clang-format clang-tidy-14 git
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  "${missing[@]}"
