#!/usr/bin/env bash
# Lifetime check (issue #14): clang-tidy 14 over every file of the compile database, looking only
# for views and pointers that outlive what they view. Exits non-zero on any finding.
#
# Checks: bugprone-dangling-handle (HandleClasses: std::basic_string_view and std::span) and
# clang's own lifetime warnings, clang-diagnostic-dangling* and -return-stack-address.
# Both are needed: with libstdc++, std::string converts to std::string_view through a
# conversion operator that clang-tidy 14's bugprone-dangling-handle does not follow, so
# `std::string_view v = MakeString();` is reported by clang-diagnostic-dangling-gsl only. Neither
# sees a conversion inside std::function (the bug of issue #14); core::ViewFunction makes that
# one a compile error instead.
#
# Usage: tools/dev/tidy.sh [file regex...]   (FILAMENT_BUILD_DIR, default build/; jobs: nproc)
# The build dir is configured if needed and its generated sources are built (not the rest).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build_dir=${FILAMENT_BUILD_DIR:-$root/build}
jobs=${FILAMENT_TIDY_JOBS:-$(nproc)}
for tool in clang-tidy-14 run-clang-tidy-14; do
  command -v "$tool" >/dev/null || {
    echo "tidy: $tool is not installed (run tools/dev/install-deps.sh)"
    exit 1
  }
done
if [[ ! -f "$build_dir/compile_commands.json" ]]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
# Sources generated into the build dir (event types, embedded SQL) and the headers made with them.
mapfile -t generated < <(/usr/bin/python3 -c '
import json, sys
build = sys.argv[1].rstrip("/") + "/"
for entry in json.load(open(build + "compile_commands.json")):
    if entry["file"].startswith(build):
        print(entry["file"][len(build):])' "$(cd "$build_dir" && pwd)")
# Only those ninja builds (configure_file outputs such as the embedded SQL exist already).
targets=()
for file in "${generated[@]}"; do
  if ninja -C "$build_dir" -t query "$file" >/dev/null 2>&1; then targets+=("$file"); fi
done
if ((${#targets[@]})); then ninja -C "$build_dir" "${targets[@]}" >/dev/null; fi

config="{Checks: '-*,bugprone-dangling-handle,clang-diagnostic-dangling*,\
clang-diagnostic-return-stack-address', WarningsAsErrors: '*', CheckOptions: [\
{key: bugprone-dangling-handle.HandleClasses, \
value: 'std::basic_string_view;std::experimental::basic_string_view;std::span'}]}"
# Diagnostics from our headers count too; third-party and system headers do not.
header_filter="^$(printf '%s' "$root" | sed 's/[.[\*^$+?(){}|]/\\&/g')/"
# The database holds g++ flags: -Wno-unknown-warning-option for those clang does not know
# (-Wno-restrict), -Wno-error so that clang's other -Wall warnings are not errors here (only the
# checks above are, through WarningsAsErrors).
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
run-clang-tidy-14 -quiet -p "$build_dir" -j "$jobs" -config "$config" \
  -header-filter "$header_filter" -extra-arg=-Wno-unknown-warning-option -extra-arg=-Wno-error \
  "$@" >"$log" 2>&1 ||
  status=$?
# run-clang-tidy colours its output and echoes each command: keep the findings, uncoloured.
sed -i 's/\x1b\[[0-9;]*m//g' "$log"
grep -E '(warning|error):' "$log" | sort -u || true
if ((status != 0)); then
  echo "tidy: lifetime findings above (or clang-tidy failed: the end of its log follows)"
  grep -q -E '(warning|error):' "$log" || tail -20 "$log"
  exit 1
fi
echo "tidy: no lifetime findings"
