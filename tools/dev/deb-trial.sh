#!/usr/bin/env bash
# Issue #12's "done when" for the Debian package (ADR 0063), for real: in a fresh Debian 12 root
# made by debootstrap, `apt install ./filament_<V1>.deb`, set `listen` in the packaged config as
# an administrator would, start `filament serve` exactly as filament.service would (its
# ExecStart, User, WorkingDirectory, Environment and UMask; via runuser, as a chroot has no
# systemd, so the unit's sandboxing is not applied), run tests/e2e/first_journey_test.py from
# this host against it (the chroot shares the host's network), post a marker message, stop it,
# `apt install ./filament_<V2>.deb` (a newer build) over it, start it again and check the marker
# and the marker user's password survived.
# Needs root, debootstrap (installed if missing) and the Debian mirror. Not in CI: ~10 minutes,
# mostly downloads. Output: a timed summary; logs in the trial directory.
# --systemd then also boots the root with systemd (systemd-nspawn, installed if missing) and checks
# the real filament.service, sandboxing included: enabled, it starts on the upgraded data, the
# marker is there, `systemd-analyze security` rates it, and `systemctl stop` stops its PostgreSQL.
# Usage: tools/dev/deb-trial.sh [--keep] [--systemd]   (--keep: leave the root for inspection)
# Env: FILAMENT_TRIAL_DIR (default /var/tmp/filament-deb-trial; emptied first),
#      FILAMENT_TRIAL_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
root_dir=$(cd "$(dirname "$0")/../.." && pwd)
. "$root_dir/tools/dev/debian_root.sh"
trial=${FILAMENT_TRIAL_DIR:-/var/tmp/filament-deb-trial}
mirror=${FILAMENT_TRIAL_MIRROR:-http://deb.debian.org/debian}
keep=0
with_systemd=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --systemd) with_systemd=1 ;;
    *) echo "usage: $0 [--keep] [--systemd]" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "deb-trial: run as root (debootstrap, chroot)" >&2; exit 2; }
chroot_dir="$trial/root"
server_pid=""
nspawn_pid=""
t0=$(date +%s)
summary=()
step() { summary+=("$(printf '%4ds  %s' $(($(date +%s) - t0)) "$*")"); echo "== deb-trial: $*"; }

cleanup() {
  stop_server || true
  if [[ -n "$nspawn_pid" ]]; then kill -TERM "$nspawn_pid" 2>/dev/null || true; wait "$nspawn_pid" || true; fi
  debian_root_unmount "$chroot_dir"
  if ((keep == 0)); then rm -rf "$chroot_dir"; fi
}
trap cleanup EXIT

in_root() { chroot "$chroot_dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# The unit's own lines, read from the installed file.
unit_value() { sed -n "s/^$1=//p" "$chroot_dir/lib/systemd/system/filament.service"; }

start_server() {  # $1: log file
  local exec_start user dir umask env_lines
  exec_start=$(unit_value ExecStart)
  user=$(unit_value User)
  dir=$(unit_value WorkingDirectory)
  umask=$(unit_value UMask)
  env_lines=$(unit_value Environment | tr '\n' ' ')
  # chroot execs runuser, which forwards SIGTERM to filament: $! is the process to signal.
  # shellcheck disable=SC2086
  chroot "$chroot_dir" /usr/sbin/runuser -u "$user" -- /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin $env_lines \
    /bin/sh -c "umask $umask && cd $dir && exec $exec_start" >"$1" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 240); do
    grep -q "listening on port $port" "$1" && return 0
    kill -0 "$server_pid" 2>/dev/null || { cat "$1" >&2; return 1; }
    sleep 0.5
  done
  cat "$1" >&2
  return 1
}

# SIGTERM to filament itself, as systemd does (KillMode=mixed): runuser would forward it but kill
# its child 2 s later, before filament has stopped its PostgreSQL.
stop_server() {
  [[ -n "$server_pid" ]] || return 0
  local child
  child=$(ps -o pid= --ppid "$server_pid" | tr -d ' ' | head -1)
  kill -TERM "${child:-$server_pid}" 2>/dev/null || true
  wait "$server_pid" || true
  server_pid=""
  if [[ -e "$chroot_dir/var/lib/filament/postgres/postmaster.pid" ]]; then
    echo "deb-trial: the server left its PostgreSQL running" >&2
    return 1
  fi
}

# --- the two builds: V1, and V2 = V1+trial2 (a newer version for dpkg)
rm -rf "$trial" && mkdir -p "$trial"
v1=$("$root_dir/tools/dev/package.sh" --out "$trial/v1" | tail -1)
base_version=$(dpkg-deb -f "$v1" Version)
v2=$("$root_dir/tools/dev/package.sh" --version "$base_version+trial2" --out "$trial/v2" | tail -1)
step "built $(basename "$v1") and $(basename "$v2")"

# --- a fresh Debian 12 root, as an installed system has it (security and updates too). No
# service starts in a chroot: postgresql-15's own `main` cluster is created but not started.
# Filament starts its own PostgreSQL.
debian_root_create "$chroot_dir" "$mirror" "$trial/debootstrap.log"
step "debootstrap bookworm (minbase): $(du -sh "$chroot_dir" | cut -f1)"

# --- install V1 the documented way
cp "$v1" "$v2" "$chroot_dir/root/"
in_root apt-get update -qq >"$trial/apt-update.log" 2>&1
in_root sh -c "cd /root && apt-get install -y ./$(basename "$v1")" >"$trial/apt-install-1.log" 2>&1 ||
  { tail -30 "$trial/apt-install-1.log" >&2; exit 1; }
pulled=$(grep -c '^Setting up' "$trial/apt-install-1.log" || true)
step "apt install ./$(basename "$v1"): $pulled packages set up"
in_root getent passwd filament | grep -q ':/var/lib/filament:' || { echo "no filament user" >&2; exit 1; }
[[ $(in_root stat -c '%U:%G %a' /var/lib/filament) == "filament:filament 750" ]] ||
  { echo "bad /var/lib/filament: $(in_root stat -c '%U:%G %a' /var/lib/filament)" >&2; exit 1; }
[[ $(in_root stat -c '%U:%G %a' /etc/filament/filament.toml) == "root:filament 640" ]] ||
  { echo "bad filament.toml mode" >&2; exit 1; }

# --- configure as an administrator would: one line of the conffile
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i "s|^# listen = .*|listen = \"127.0.0.1:$port\"|" "$chroot_dir/etc/filament/filament.toml"
start_server "$trial/serve-1.log"
step "filament serve as the unit would (user filament, /etc/filament/filament.toml) on :$port"

FILAMENT_E2E_SERVER="http://127.0.0.1:$port" /usr/bin/python3 \
  "$root_dir/tests/e2e/first_journey_test.py" >"$trial/first-journey.log" 2>&1 ||
  { cat "$trial/first-journey.log" >&2; exit 1; }
step "first_journey_test.py against it: $(grep -E '^(OK|FAILED)' "$trial/first-journey.log")"

marker="$trial/marker.json"
/usr/bin/python3 "$root_dir/tools/dev/deb_trial_marker.py" post "http://127.0.0.1:$port" "$marker"
stop_server
step "marker message posted; server stopped ($(grep -c . "$trial/serve-1.log") log lines)"

# --- upgrade to V2 over it, keeping the edited conffile, and start it again
in_root sh -c "cd /root && apt-get install -y -o Dpkg::Options::=--force-confold ./$(basename "$v2")" \
  >"$trial/apt-install-2.log" 2>&1 || { tail -30 "$trial/apt-install-2.log" >&2; exit 1; }
installed=$(in_root filament --version)
[[ "$installed" == "$base_version+trial2" ]] || { echo "upgrade left $installed" >&2; exit 1; }
grep -qx "listen = \"127.0.0.1:$port\"" "$chroot_dir/etc/filament/filament.toml" ||
  { echo "the upgrade lost the edited config" >&2; exit 1; }
step "apt install ./$(basename "$v2"): filament --version = $installed, config kept"
start_server "$trial/serve-2.log"
/usr/bin/python3 "$root_dir/tools/dev/deb_trial_marker.py" check "http://127.0.0.1:$port" "$marker"
stop_server
step "after the upgrade: the marker user logs in and the marker message is there"

if ((with_systemd)); then
  command -v systemd-nspawn >/dev/null ||
    apt-get install -y -qq --no-install-recommends systemd-container >/dev/null
  in_root apt-get install -y -q --no-install-recommends systemd systemd-sysv dbus \
    >"$trial/apt-systemd.log" 2>&1 || { tail -30 "$trial/apt-systemd.log" >&2; exit 1; }
  rm -f "$chroot_dir/usr/sbin/policy-rc.d"
  in_root systemctl enable filament.service >/dev/null 2>&1
  in_root systemctl mask postgresql.service >/dev/null 2>&1  # Debian's own cluster: not ours
  umount -R "$chroot_dir/dev" && umount "$chroot_dir/proc"
  systemd-nspawn -D "$chroot_dir" --boot --register=no --keep-unit >"$trial/nspawn.log" 2>&1 &
  nspawn_pid=$!
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    sleep 0.5
  done
  leader=$(ps -o pid= --ppid "$nspawn_pid" | tr -d ' ' | head -1)
  in_container() { nsenter -t "$leader" -a "$@"; }
  [[ $(in_container systemctl is-active filament.service) == active ]] ||
    { in_container journalctl -u filament --no-pager >&2; exit 1; }
  /usr/bin/python3 "$root_dir/tools/dev/deb_trial_marker.py" check "http://127.0.0.1:$port" "$marker"
  exposure=$(in_container systemd-analyze security filament.service --no-pager 2>&1 | tail -1)
  in_container systemctl stop filament.service
  [[ ! -e "$chroot_dir/var/lib/filament/postgres/postmaster.pid" ]] ||
    { echo "systemctl stop left PostgreSQL running" >&2; exit 1; }
  kill -TERM "$nspawn_pid" && wait "$nspawn_pid" || true
  nspawn_pid=""
  step "booted with systemd: filament.service active, marker there, ${exposure#→ }, stopped cleanly"
fi

echo
echo "deb-trial: PASSED (logs in $trial)"
printf '%s\n' "${summary[@]}"
