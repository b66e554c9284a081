#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-formatted (.clang-format: Google, 100 columns).
# Fix with: git ls-files '*.cpp' '*.hpp' | grep -v testdata | xargs clang-format -i
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v clang-format >/dev/null || {
  echo "clang-format is not installed (run tools/dev/install-deps.sh)"
  exit 1
}
if git rev-parse --git-dir >/dev/null 2>&1; then
  files=$(git ls-files '*.cpp' '*.hpp' | grep -v '/testdata/' || true)
else
  files=$(find . -name '*.cpp' -o -name '*.hpp' | grep -v -e '/testdata/' -e '^./build' || true)
fi
bad=0
for f in $files; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f"
    bad=1
  fi
done
exit $bad
