# shellcheck shell=bash
# Sourced by deb-trial.sh and readme-trial.sh: a fresh Debian 12 root, as an installed system
# has it (bookworm minbase; security and updates in sources.list), with /proc and /dev mounted
# and no service allowed to start (Debian's policy-rc.d convention for chroots).

# debian_root_create ROOT MIRROR LOG: debootstrap into ROOT (its output in LOG).
debian_root_create() {
  local root=$1 mirror=$2 log=$3
  command -v debootstrap >/dev/null || apt-get install -y -qq --no-install-recommends debootstrap
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$log" 2>&1 ||
    { tail -20 "$log" >&2; return 1; }
  cat >"$root/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --make-rslave "$root/dev"
}

# debian_root_unmount ROOT [MOUNT...]: unmounts the given mounts, then ROOT's /dev and /proc.
debian_root_unmount() {
  local root=$1 mount
  shift
  for mount in "$@" "$root/dev" "$root/proc"; do
    if mountpoint -q "$mount"; then umount -R "$mount" || umount -lR "$mount"; fi
  done
}
