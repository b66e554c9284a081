#!/usr/bin/env bash
# CTest deb_package_check: builds the Debian package of BUILD_DIR into a scratch directory and
# checks it: file name, exact contents, control fields, maintainer scripts, the conffile (equal
# to what the binary generates, every `serve --help` flag in it, parses back with
# `filament serve --config`), and the systemd unit (systemd-analyze verify when present).
# Usage: packaging/check_package.sh BUILD_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)
bin="$build_dir/filament"
tmp=$(mktemp -d /tmp/deb-check-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "deb_package_check: FAIL: $*" >&2; exit 1; }

(cd "$build_dir" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) ||
  { cat "$tmp/cpack.log" >&2; fail "cpack"; }
version=$("$bin" --version)
deb="$tmp/out/filament_${version}_$(dpkg --print-architecture).deb"
[[ -f "$deb" ]] || fail "no $deb; cpack made: $(ls "$tmp/out")"

# Exactly these files (directories aside).
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort >"$tmp/files"
diff -u - "$tmp/files" <<'LIST' || fail "package contents differ"
./etc/filament/filament.toml
./lib/systemd/system/filament.service
./usr/bin/filament
./usr/share/doc/filament/README.md
LIST

depends=$(dpkg-deb -f "$deb" Depends)
for need in adduser postgresql-15 libmagic-mgc libc6 libpqxx librdkafka1 libsodium23 libxapian30; do
  [[ "$depends" == *"$need"* ]] || fail "Depends lacks $need: $depends"
done
[[ $(dpkg-deb -f "$deb" Package) == filament && $(dpkg-deb -f "$deb" Version) == "$version" ]] ||
  fail "Package/Version fields"

dpkg-deb -e "$deb" "$tmp/control"
[[ $(cat "$tmp/control/conffiles") == /etc/filament/filament.toml ]] || fail "conffiles"
for script in postinst prerm postrm; do
  [[ -x "$tmp/control/$script" ]] || fail "$script missing or not executable"
  sh -n "$tmp/control/$script" || fail "$script: syntax"
done
grep -q 'adduser --system --group' "$tmp/control/postinst" || fail "postinst creates no user"

dpkg-deb -x "$deb" "$tmp/root"
conf="$tmp/root/etc/filament/filament.toml"
"$bin" config print-default --set data-dir=/var/lib/filament | diff -u - "$conf" ||
  fail "the packaged config is not what the binary generates"
grep -qx 'data-dir = "/var/lib/filament"' "$conf" || fail "data-dir is not active"
# Every flag of `serve --help` is in the file (but --help and the one-shot --skip-position).
"$bin" serve --help | grep -oE '^ +--[a-z0-9-]+' | sed 's/ *--//' | sort -u >"$tmp/flags"
[[ $(wc -l <"$tmp/flags") -gt 40 ]] || fail "too few flags parsed from --help"
while read -r flag; do
  [[ "$flag" == help || "$flag" == skip-position ]] && continue
  grep -qE "^(# )?$flag = \"" "$conf" || fail "the config file lacks $flag"
done <"$tmp/flags"
# Parses back with every setting active (its default), and a misspelt one is refused.
sed -E 's/^# ([a-z0-9-]+ = ")/\1/' "$conf" >"$tmp/all.toml"
"$bin" serve --config "$tmp/all.toml" --help >/dev/null || fail "the config does not parse back"
printf 'lisen = "127.0.0.1:1"\n' >>"$tmp/all.toml"
if "$bin" serve --config "$tmp/all.toml" --help >/dev/null 2>&1; then
  fail "a misspelt setting was accepted"
fi

unit="$tmp/root/lib/systemd/system/filament.service"
grep -qx 'ExecStart=/usr/bin/filament serve --config /etc/filament/filament.toml' "$unit" ||
  fail "unit ExecStart"
for line in User=filament StateDirectory=filament ReadWritePaths=/var/lib/filament \
  NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes; do
  grep -qx "$line" "$unit" || fail "unit lacks $line"
done
if command -v systemd-analyze >/dev/null; then
  # A copy whose ExecStart names the extracted binary (verify wants it to exist). verify exits 0
  # on unknown keys and bad values too: any output is a failure.
  sed "s|^ExecStart=/usr/bin/filament|ExecStart=$tmp/root/usr/bin/filament|" "$unit" \
    >"$tmp/filament.service"
  systemd-analyze verify "$tmp/filament.service" >"$tmp/verify.log" 2>&1 || true
  if [[ -s "$tmp/verify.log" ]]; then
    cat "$tmp/verify.log" >&2
    fail "systemd-analyze verify reported on the unit"
  fi
else
  echo "deb_package_check: systemd-analyze absent, unit checked by its lines only"
fi
echo "deb_package_check: $deb ($(stat -c %s "$deb") bytes) OK"
