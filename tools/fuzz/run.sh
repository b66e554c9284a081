#!/usr/bin/env bash
# Fuzzes the targets of tools/fuzz with libFuzzer (ASan + UBSan) in build-fuzz/ (clang-14).
#   tools/fuzz/run.sh [--seconds N | --runs N] [--jobs N] [--fork N] [target...]
# Default: every target for 60 s. Each target runs on a scratch copy of its seed corpus
# (tools/fuzz/corpus/<target>/; new inputs land in build-fuzz/fuzz-work/<target>/corpus, the
# repository's corpus is never written) with its dictionary when there is one. Prints per
# target: executions, exec/s, crashes (artifacts in build-fuzz/fuzz-work/<target>/). A target's
# tools/fuzz/<target>.options (libFuzzer flags, one per line, # comments) follows the defaults.
# --fork N: libFuzzer's fork mode, N worker processes on one shared corpus (one run, its
# executions summed; each worker is replaced every few tens of seconds, which also keeps ASan's
# allocator warm: a long-lived process slows down, performance.md §38).
# Exits 1 if any target crashed or was interrupted. FILAMENT_FUZZ_BUILD_DIR overrides build-fuzz/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${FILAMENT_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=60
runs=""
jobs=2
fork=""
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --fork) fork=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for f in "$root"/tools/fuzz/*_fuzz.cpp; do
    t=$(basename "$f" _fuzz.cpp)
    targets+=("$t")
  done
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++-14 -DFILAMENT_FUZZ=ON "${launcher[@]}" >/dev/null
fi
nice -n 19 ninja -C "$build" -j "$jobs" "${targets[@]/#/fuzz_}"

# No allocation stacks in ASan reports: ASan stores every new allocation stack in a depot that
# never shrinks, and in a long run the depot's inserts took a fifth of the time and the run
# slowed threefold (markdown: ~2 400 exec/s fresh, ~800 after 90 min, performance.md §38).
# Detection is the same; rerun an artifact with ASAN_OPTIONS=malloc_context_size=30 for them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=0}
status=0
printf '%-18s %14s %10s %8s\n' target executions exec/s crashes
for t in "${targets[@]}"; do
  work=$build/fuzz-work/$t
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -r "$root/tools/fuzz/corpus/$t/." "$work/corpus/" 2>/dev/null || true
  args=(-artifact_prefix="$work/artifacts/" -print_final_stats=1 -max_len=65536)
  [[ -f "$root/tools/fuzz/$t.dict" ]] && args+=(-dict="$root/tools/fuzz/$t.dict")
  if [[ -f "$root/tools/fuzz/$t.options" ]]; then
    while read -r flag; do args+=("$flag"); done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' \
      "$root/tools/fuzz/$t.options")
  fi
  if [[ -n "$runs" ]]; then args+=(-runs="$runs"); else args+=(-max_total_time="$seconds"); fi
  [[ -n "$fork" ]] && args+=(-fork="$fork")
  rc=0
  started=$SECONDS
  nice -n 19 "$build/fuzz/fuzz_$t" "${args[@]}" "$work/corpus" >"$work/log" 2>&1 || rc=$?
  if [[ -n "$fork" ]]; then  # no final stats in fork mode: its last "#N: ... exec/s" line
    execs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$work/log" | tail -1)
    rate=$((${execs:-0} / (SECONDS - started > 0 ? SECONDS - started : 1)))
  else
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/log" | tail -1)
  fi
  # crash-, leak-, oom-, timeout- inputs are findings; slow-unit- ones (the machine was busy) are not.
  crashes=$(find "$work/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'oom-*' \
    -o -name 'timeout-*' \) | wc -l)
  # 72: libFuzzer (clang 14) stopped by SIGINT or SIGTERM, not a crash.
  interrupted=0
  if ((rc == 72)) && ((crashes == 0)); then
    interrupted=1
  elif ((rc != 0)) && ((crashes == 0)); then
    crashes=1
  fi
  printf '%-18s %14s %10s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$crashes"
  if ((interrupted)); then
    status=1
    echo "  interrupted before the end (log: $work/log)" >&2
  fi
  if ((crashes != 0)); then
    status=1
    echo "  log: $work/log" >&2
    find "$work/artifacts" -type f ! -name 'slow-unit-*' -printf '  artifact: %p\n' >&2
  fi
done
exit $status
