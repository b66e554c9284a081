#!/usr/bin/env bash
# The README's two set-up commands, tried as a new user would: in a fresh Debian 12 root made by
# debootstrap (minbase: no compiler, no PostgreSQL, no Python), with a copy of this checkout's
# HEAD (`git archive`, so only committed files), as root:
#   1. tools/dev/serve.sh in the background until `GET /health` answers 200 from this host (the
#      chroot shares its network), then Ctrl-C (SIGINT) and check its PostgreSQL stopped;
#   2. tools/dev/test.sh with the ctest arguments given after `--` (default: the whole suite).
# A step missing from install-deps.sh shows up here as a failed build or test, which a machine
# that has been worked on hides.
# Needs root, debootstrap (installed if missing) and the Debian mirror. Not in CI.
# Usage: tools/dev/readme-trial.sh [--keep] [--ccache DIR] [-- ctest args...]
#   --keep        leave the root (and its build) for inspection
#   --ccache DIR  install ccache in the root and compile through DIR (bind-mounted): a shortcut for
#                 repeated trials; it cannot hide a missing package (a hit needs the same headers).
# Env: FILAMENT_TRIAL_DIR (default /var/tmp/filament-readme-trial; emptied first),
#      FILAMENT_TRIAL_MIRROR (default http://deb.debian.org/debian), FILAMENT_TRIAL_PORT (3377).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
. "$repo/tools/dev/debian_root.sh"
trial=${FILAMENT_TRIAL_DIR:-/var/tmp/filament-readme-trial}
mirror=${FILAMENT_TRIAL_MIRROR:-http://deb.debian.org/debian}
port=${FILAMENT_TRIAL_PORT:-3377}
keep=0
ccache_dir=""
while (($#)); do
  case "$1" in
    --keep) keep=1 ;;
    --ccache) ccache_dir=$(realpath "$2"); shift ;;
    --) shift; break ;;
    *) echo "usage: $0 [--keep] [--ccache DIR] [-- ctest args...]" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) -eq 0 ]] || { echo "readme-trial: run as root (debootstrap, chroot)" >&2; exit 2; }
root_fs="$trial/root"
serve_pid=""
t0=$(date +%s)
summary=()
step() { summary+=("$(printf '%5ds  %s' $(($(date +%s) - t0)) "$*")"); echo "== readme-trial: $*"; }

cleanup() {
  if [[ -n "$serve_pid" ]]; then kill -INT "$serve_pid" 2>/dev/null || true; wait "$serve_pid" || true; fi
  debian_root_unmount "$root_fs" "$root_fs/ccache"
  if ((keep == 0)); then rm -rf "$root_fs"; fi
  printf '%s\n' "${summary[@]}"
}
trap cleanup EXIT

env_vars=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
  HOME=/root DEBIAN_FRONTEND=noninteractive)
if [[ -n "$ccache_dir" ]]; then
  env_vars+=(CMAKE_CXX_COMPILER_LAUNCHER=ccache CCACHE_DIR=/ccache CCACHE_BASEDIR=/root
    CCACHE_NOHASHDIR=1)
fi
in_root() { chroot "$root_fs" /usr/bin/env -i "${env_vars[@]}" "$@"; }

rm -rf "$trial" && mkdir -p "$trial"
debian_root_create "$root_fs" "$mirror" "$trial/debootstrap.log"
mkdir -p "$root_fs/root/filament"
git -C "$repo" archive HEAD | tar -x -C "$root_fs/root/filament"
step "debootstrap bookworm (minbase) + checkout of $(git -C "$repo" rev-parse --short HEAD)"
# This machine's network trust, which every machine of its kind has: extra CA certificates (a
# TLS proxy signs the npm registry's certificate here). Without them npm cannot reach it.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  in_root apt-get update -qq >/dev/null && in_root apt-get install -y -qq ca-certificates >/dev/null
  cp /usr/local/share/ca-certificates/*.crt "$root_fs/usr/local/share/ca-certificates/"
  in_root update-ca-certificates >/dev/null
  env_vars+=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
  step "this machine's extra CA certificates trusted in the root"
fi
if [[ -n "$ccache_dir" ]]; then
  mkdir -p "$root_fs/ccache" && mount --bind "$ccache_dir" "$root_fs/ccache"
  in_root apt-get update -qq >/dev/null && in_root apt-get install -y -qq ccache >/dev/null
  step "ccache installed in the root (--ccache)"
fi

# --- the first command: serve, reachable, Ctrl-C stops it and its PostgreSQL
in_root /bin/bash -c "cd /root/filament && FILAMENT_LISTEN=127.0.0.1:$port tools/dev/serve.sh" \
  >"$trial/serve.log" 2>&1 &
serve_pid=$!
healthy=0
for _ in $(seq 1 7200); do  # a cold build on 2 cores takes a while
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; then healthy=1; break; fi
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 1
done
((healthy)) || { tail -40 "$trial/serve.log" >&2; step "FAILED: serve.sh never answered /health"; exit 1; }
step "tools/dev/serve.sh: GET /health 200 on 127.0.0.1:$port"
pkill -INT -f "filament serve --listen 127.0.0.1:$port" || true
wait "$serve_pid" || true
serve_pid=""
if [[ -e "$root_fs/var/lib/filament/postgres/postmaster.pid" ]]; then
  step "FAILED: Ctrl-C left the server's PostgreSQL running"
  exit 1
fi
step "Ctrl-C: server and its PostgreSQL stopped"

# --- the second command: the test suite
printf -v test_args ' %q' "$@"
if in_root /bin/bash -c "cd /root/filament && tools/dev/test.sh$test_args" >"$trial/test.log" 2>&1; then
  step "tools/dev/test.sh $*: passed ($(grep -m1 -o '[0-9]*% tests passed.*' "$trial/test.log"))"
else
  tail -60 "$trial/test.log" >&2
  step "FAILED: tools/dev/test.sh $* (log: $trial/test.log)"
  exit 1
fi
