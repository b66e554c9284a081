#!/usr/bin/env bash
# First README command: install what is missing, build, and run `filament serve` on the
# embedded default (a private PostgreSQL under the data dir). Ctrl-C stops it cleanly.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
"$root/tools/dev/install-deps.sh"
"$root/tools/dev/build.sh" filament
# Root keeps the database in /var/lib/filament; a plain user keeps it in their home.
if [[ $(id -u) -eq 0 ]]; then
  default_data_dir=/var/lib/filament
else
  default_data_dir=${XDG_DATA_HOME:-$HOME/.local/share}/filament
fi
data_dir=${FILAMENT_DATA_DIR:-$default_data_dir}
listen=${FILAMENT_LISTEN:-0.0.0.0:3000}
echo "serve: http://$listen  data dir: $data_dir"
exec "$root/build/filament" serve --listen "$listen" --data-dir "$data_dir" "$@"
