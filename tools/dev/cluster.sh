#!/usr/bin/env bash
# The multi-process deployment on loopback (issue #10, ADR 0088): PostgreSQL, optionally the
# Kafka mock, `--api N` `filament api` (1..4; with N > 1 each runs FILAMENT_WRITER_MODE=fenced,
# ADR 0091: partitions taken on demand, the newest owner fences the older), 2 `project` (the
# projections split with --only), 2 `gateway`, and the front proxy (tools/dev/front_proxy.py)
# on one port. Prints where each listens, then runs until Ctrl-C/SIGTERM (forwarded to every
# process: proxy, gateways and api drain first, then the projections, then the log and
# PostgreSQL). Exits non-zero when a process dies on its own (unless --supervise) or does not
# stop cleanly. Every FILAMENT_* variable in the environment reaches every role:
# with FILAMENT_DATABASE_URL set no PostgreSQL is started (that database is used), with
# FILAMENT_KAFKA_BROKERS set and --log kafka no mock is started (that cluster is used).
# The roles trust the proxy's X-Forwarded-For (FILAMENT_TRUSTED_PROXY_CIDRS, default
# 127.0.0.1/32); FILAMENT_PROXY_FLAGS adds flags to front_proxy.py (e.g. --trusted-clients).
# Each role's pid is in <data dir>/pids/<role> (api.1, project.2, gateway.1, proxy).
#
# Usage: cluster.sh [--log pg|kafka] [--api N] [--project N] [--gateway N] [--port P]
#                   [--data-dir DIR] [--binary PATH] [--no-fsync] [--supervise]
#                   [--api-arg FLAG]... [-- FLAGS FOR EVERY ROLE]
# --api-arg: a flag for the api only (repeat it; e.g. --api-arg --web-root=DIR).
# --supervise: a role (not the proxy) that exits on its own is started again on its own port
#   after 1 s, like a service manager would ("cluster: restarted ROLE (pid N)" on stdout; the
#   pid file is rewritten), instead of stopping the whole recipe. For the chaos test.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
log=pg api=1 projects=2 gateways=2 port=3000 data_dir="" binary="$root/build/filament" durable=1
supervise=0
role_flags=() api_flags=()
while (($#)); do
  case $1 in
    --log) log=$2; shift 2 ;;
    --api) api=$2; shift 2 ;;
    --project) projects=$2; shift 2 ;;
    --gateway) gateways=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --data-dir) data_dir=$2; shift 2 ;;
    --binary) binary=$2; shift 2 ;;
    --no-fsync) durable=0; shift ;;
    --supervise) supervise=1; shift ;;
    --api-arg) api_flags+=("$2"); shift 2 ;;
    --) shift; role_flags=("$@"); break ;;
    *) echo "cluster: unknown argument $1 (see the usage at the top of $0)" >&2; exit 2 ;;
  esac
done
[[ $log == pg || $log == kafka ]] || { echo "cluster: --log is pg or kafka" >&2; exit 2; }
[[ $api =~ ^[1-4]$ ]] || { echo "cluster: --api is 1..4" >&2; exit 2; }
((projects >= 1 && projects <= 5 && gateways >= 1)) || { echo "cluster: bad counts" >&2; exit 2; }
[[ -x $binary ]] || { echo "cluster: no binary at $binary (tools/dev/build.sh filament)" >&2; exit 2; }

keep_dir=1
if [[ -z $data_dir ]]; then data_dir=$(mktemp -d /tmp/filament-cluster.XXXXXX); keep_dir=0; fi
mkdir -p "$data_dir/logs" "$data_dir/pids" && chmod 755 "$data_dir"
# pid -> role name; role name -> pid, its command line (printf %q), its port once known
declare -A name_of=() pid_of=() args_of=() port_num=()
declare -a table=() front=() back=() infra=()
stopping=0 failed=0

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
as_pg() { if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi; }
pgbin=${FILAMENT_PG_BIN_DIR:-/usr/lib/postgresql/15/bin}

start_postgres() {
  local pgdata=$data_dir/postgres pg_port
  pg_port=$(free_port)
  if [[ ! -f $pgdata/PG_VERSION ]]; then
    mkdir -p "$pgdata" && touch "$data_dir/logs/postgresql.log"
    ((EUID != 0)) || chown postgres: "$pgdata" "$data_dir/logs/postgresql.log"
    as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      --no-sync >"$data_dir/logs/initdb.log" 2>&1 || { echo "cluster: initdb failed" >&2; return 1; }
  fi
  local fsync=off; ((durable)) && fsync=on
  as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$data_dir/logs/postgresql.log" -w -t 60 -s start -o \
    "-c listen_addresses=127.0.0.1 -c port=$pg_port -c unix_socket_directories='' \
     -c max_connections=300 -c fsync=$fsync -c synchronous_commit=$fsync" ||
    { echo "cluster: PostgreSQL did not start; see $data_dir/logs/postgresql.log" >&2; return 1; }
  as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres filament 2>/dev/null || true
  export FILAMENT_DATABASE_URL="postgresql://postgres@127.0.0.1:$pg_port/filament"
  table+=("postgres|127.0.0.1:$pg_port|$FILAMENT_DATABASE_URL")
}

start_kafka_mock() {
  "$binary" kafka-mock >"$data_dir/logs/kafka-mock.out" 2>"$data_dir/logs/kafka-mock.log" &
  infra+=(kafka-mock)
  name_of[$!]=kafka-mock
  pid_of[kafka-mock]=$!
  for _ in $(seq 100); do
    FILAMENT_KAFKA_BROKERS=$(head -n1 "$data_dir/logs/kafka-mock.out")
    [[ -n $FILAMENT_KAFKA_BROKERS ]] && break
    sleep 0.1
  done
  [[ -n $FILAMENT_KAFKA_BROKERS ]] || { echo "cluster: kafka-mock printed no address" >&2; return 1; }
  export FILAMENT_KAFKA_BROKERS
  table+=("kafka-mock|$FILAMENT_KAFKA_BROKERS|the log's topic (filament kafka-mock)")
}

# start_role NAME ARRAY SUBCOMMAND FLAGS...: starts it, appends its name to ARRAY.
start_role() {
  local name=$1 group=$2
  shift 2
  args_of[$name]=$(printf '%q ' "$@")
  launch "$name" "$@" >"$data_dir/logs/$name.log"
  eval "$group+=($name)"
}

# launch NAME SUBCOMMAND FLAGS...: runs the binary in the background with stdout as given.
# With several api processes each is a fenced writer (ADR 0091).
launch() {
  local name=$1
  shift
  if [[ $name == api.* ]] && ((api > 1)); then
    FILAMENT_WRITER_MODE=fenced "$binary" "$@" "${role_flags[@]}" 2>&1 &
  else
    "$binary" "$@" "${role_flags[@]}" 2>&1 &
  fi
  name_of[$!]=$name
  pid_of[$name]=$!
  echo "$!" >"$data_dir/pids/$name"
}

# --supervise: role $1 ended; start it again with its command line, on the port it had.
restart_role() {
  local name=$1 arg
  local -a args=()
  eval "set -- ${args_of[$name]}"
  for arg in "$@"; do
    [[ $arg == 127.0.0.1:0 ]] && arg=127.0.0.1:${port_num[$name]}
    args+=("$arg")
  done
  echo "cluster: restarting $name at $(date -u +%FT%T.%3NZ)" >>"$data_dir/logs/$name.log"
  launch "$name" "${args[@]}" >>"$data_dir/logs/$name.log"
  echo "cluster: restarted $name (pid ${pid_of[$name]})"
}

# The port a role printed ("listening on port N"), waiting up to 120 s.
port_of() {
  local file=$data_dir/logs/$1.log found
  for _ in $(seq 1200); do
    found=$(grep -m1 -oE 'listening on port [0-9]+' "$file" 2>/dev/null | grep -oE '[0-9]+$')
    [[ -n $found ]] && { echo "$found"; return 0; }
    [[ -n ${pid_of[$1]:-} ]] && ! kill -0 "${pid_of[$1]}" 2>/dev/null && break  # it exited
    sleep 0.1
  done
  echo "cluster: $1 did not start; last lines of $file:" >&2
  tail -n 20 "$file" >&2
  return 1
}

# 0 once role $1 logged its first `ready` line (ADR 0076; what /ready answers 200 to). Its log
# is read rather than /ready probed: a probe counts against the api's global rate limit.
wait_ready() {
  for _ in $(seq 1200); do
    grep -qE '"event":"ready"|^filament: ready( |$)' "$data_dir/logs/$1.log" && return 0
    sleep 0.1
  done
  return 1
}

# Sends SIGTERM to the given roles and waits for each; a non-zero exit marks the run failed.
stop_group() {
  local name pid code
  for name in "$@"; do kill -TERM "${pid_of[$name]}" 2>/dev/null; done
  for name in "$@"; do
    pid=${pid_of[$name]}
    wait "$pid"; code=$?
    # A signal arriving meanwhile interrupts `wait` (status > 128) while the process lives on.
    while ((code > 128)) && kill -0 "$pid" 2>/dev/null; do wait "$pid"; code=$?; done
    ((code > 128)) && { wait "$pid"; code=$?; }  # it ended meanwhile: its own status
    if ((code != 0)); then echo "cluster: ${name_of[$pid]} exited $code" >&2; failed=1; fi
  done
}

stop_all() {
  ((stopping)) && return
  stopping=1
  echo "cluster: stopping (drain)" >&2
  stop_group "${front[@]}"   # proxy, gateways, api: no new requests, WebSockets get 1001
  stop_group "${back[@]}"    # projections finish their batch
  stop_group "${infra[@]}"   # kafka-mock
  if [[ -f $data_dir/postgres/PG_VERSION ]]; then
    as_pg "$pgbin/pg_ctl" -D "$data_dir/postgres" -m fast -w -s stop || failed=1
  fi
  ((keep_dir)) || rm -rf "$data_dir"
  echo "cluster: stopped$( ((failed)) && echo ' (with failures)')" >&2
}
# A second signal while stopping is ignored: the stop in progress finishes (PostgreSQL last).
trap '((stopping)) || { stop_all; exit $((failed ? 1 : 0)); }' INT TERM
trap 'stop_all' EXIT

split_projections() {  # the read models (apps/read_models.cpp), dealt round-robin to $projects
  local names=(users guilds messages friends audit) i
  local -a groups=()
  for i in "${!names[@]}"; do groups[i % projects]+="${groups[i % projects]:+,}${names[i]}"; done
  printf '%s\n' "${groups[@]}"
}

main() {
  if [[ -n ${FILAMENT_DATABASE_URL:-} ]]; then
    table+=("postgres|external|FILAMENT_DATABASE_URL (not printed: it may hold a password)")
  else
    start_postgres || return 1
  fi
  if [[ $log == pg ]]; then
    unset FILAMENT_KAFKA_BROKERS
  elif [[ -n ${FILAMENT_KAFKA_BROKERS:-} ]]; then
    table+=("kafka|external|$FILAMENT_KAFKA_BROKERS")
  else
    start_kafka_mock || return 1
  fi
  export FILAMENT_TRUSTED_PROXY_CIDRS=${FILAMENT_TRUSTED_PROXY_CIDRS:-127.0.0.1/32}
  "$binary" migrate >"$data_dir/logs/migrate.log" 2>&1 ||
    { echo "cluster: migrate failed; see $data_dir/logs/migrate.log" >&2; return 1; }
  local -a names=(api.1) ports=() only
  local i gw_list="" api_list="" name p
  # --data-dir beside the URL: the api keeps its upload spool and search index there (one
  # index per process: api.2.. each get a directory of their own).
  start_role api.1 front api --listen 127.0.0.1:0 --data-dir "$data_dir" "${api_flags[@]}"
  p=$(port_of api.1) || return 1  # the first writer alone: it sets the log up
  if ((api > 1)); then
    wait_ready api.1 || { echo "cluster: api.1 never ready" >&2; return 1; }
  fi
  ports+=("$p")
  port_num[api.1]=$p
  for ((i = 2; i <= api; i++)); do
    mkdir -p "$data_dir/api.$i"
    start_role "api.$i" front api --listen 127.0.0.1:0 --data-dir "$data_dir/api.$i" \
      "${api_flags[@]}"
    names+=("api.$i")
  done
  mapfile -t only < <(split_projections)
  for ((i = 1; i <= projects; i++)); do
    start_role "project.$i" back project --ops-listen 127.0.0.1:0 --only "${only[i - 1]}"
    names+=("project.$i")
  done
  for ((i = 1; i <= gateways; i++)); do
    start_role "gateway.$i" front gateway --listen 127.0.0.1:0
    names+=("gateway.$i")
  done
  for name in "${names[@]:1}"; do
    p=$(port_of "$name") || return 1
    ports+=("$p")
    port_num[$name]=$p
  done
  for i in "${!names[@]}"; do
    wait_ready "${names[i]}" || { echo "cluster: ${names[i]} never ready" >&2; return 1; }
    local what="http://127.0.0.1:${ports[i]}/health /ready /metrics"
    [[ ${names[i]} == project.* ]] && what+="  --only ${only[${names[i]#project.} - 1]}"
    [[ ${names[i]} == gateway.* ]] && gw_list+="${gw_list:+,}127.0.0.1:${ports[i]}"
    [[ ${names[i]} == api.* ]] && api_list+="${api_list:+,}127.0.0.1:${ports[i]}"
    table+=("${names[i]}|127.0.0.1:${ports[i]}|$what")
  done
  start_proxy "$api_list" "$gw_list" || return 1
}

start_proxy() {
  /usr/bin/python3 "$root/tools/dev/front_proxy.py" --listen "127.0.0.1:$port" --api "$1" \
    --gateway "$2" --partitions "${FILAMENT_LOG_PARTITIONS:-4}" ${FILAMENT_PROXY_FLAGS:-} >"$data_dir/logs/proxy.log" 2>&1 &
  name_of[$!]=proxy
  pid_of[proxy]=$!
  echo "$!" >"$data_dir/pids/proxy"
  front=(proxy "${front[@]}")
  local proxy_port
  proxy_port=$(port_of proxy) || return 1
  table+=("proxy|127.0.0.1:$proxy_port|clients: http://127.0.0.1:$proxy_port (REST) and ws://127.0.0.1:$proxy_port/gateway/ws")
}

run() {
  if ! main; then
    failed=1
    exit 1
  fi
  echo "cluster: log $log, data dir $data_dir, role logs in $data_dir/logs"
  local row name address what dead code
  for row in "${table[@]}"; do
    IFS='|' read -r name address what <<<"$row"
    printf '  %-11s %-21s %s\n' "$name" "$address" "$what"
  done
  echo "cluster: ready (Ctrl-C stops every process)"
  while :; do  # a process that ends before we stop is a failure of the whole recipe
    # Polled, not `wait -n`: processes that end together are reported by one `wait -n` only.
    sleep 0.2
    ((stopping)) && break
    for name in "${front[@]}" "${back[@]}" "${infra[@]}"; do
      dead=${pid_of[$name]}
      kill -0 "$dead" 2>/dev/null && continue
      wait "$dead"
      code=$?
      ((stopping)) && break
      if ((supervise)) && [[ $name =~ ^(api|project|gateway)\. ]]; then
        echo "cluster: $name (pid $dead) exited $code; restarting it in 1 s"
        sleep 1
        restart_role "$name"
        continue
      fi
      echo "cluster: $name exited on its own ($code); stopping" >&2
      failed=1
      stop_all
      exit 1
    done
  done
}

run; exit  # one line: bash has read it whole, so editing this file cannot upset a running copy
