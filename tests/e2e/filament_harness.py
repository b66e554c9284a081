"""Starts the built `filament` binary (and, for Kafka, `filament kafka-mock`) for e2e tests.

Everything runs on loopback with ephemeral ports and a fresh temporary data directory (the
embedded PostgreSQL lives there); every process is stopped and the directory removed on exit.
Uses the standard library plus Debian's python3-websockets, python3-yaml and python3-jsonschema
(run with /usr/bin/python3).

Every HTTP response a test receives through `Server.request` or `Server.raw_request` is
recorded, and `run_tests` checks each one against docs/openapi.yaml after the tests ran: an
undocumented status or a body or header that does not match the document fails the test
process (tools/openapi/openapi_check.py). With FILAMENT_E2E_RECORD_DIR set, the records are also
written there as JSON lines (check them again with `openapi_check.py responses FILE`).
"""
import argparse
import json
import os
import re
import shutil
import sys
import unittest
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Every response received by any Server of this process (see record_response).
RECORDED = []
# The last diagnostic lines (see is_diagnostic) of every stopped Server (cluster mode: of every
# role), printed when a test failed: a CI report then carries the server's reason for a 500.
STOPPED_DIAGNOSTICS = []
DIAGNOSTICS_KEPT = 60


# FILAMENT_E2E_SERVER=http://127.0.0.1:PORT: drive that running server instead of starting one
# (tools/dev/deb-trial.sh runs first_journey_test.py against the packaged server this way). Only
# for tests that need no restart and no access to the server's storage.
EXTERNAL_SERVER = os.environ.get("FILAMENT_E2E_SERVER")

# FILAMENT_E2E_TOPOLOGY=cluster: `Server` starts the multi-process recipe (tools/dev/cluster.sh:
# PostgreSQL, FILAMENT_E2E_CLUSTER_APIS api processes (default 2, fenced writers, ADR 0093),
# 2 project, 2 gateway, the front proxy) with the same environment and extra flags for every
# role, and every request and WebSocket goes through the proxy (ADR 0088).
TOPOLOGY = os.environ.get("FILAMENT_E2E_TOPOLOGY", "single")
CLUSTER = TOPOLOGY == "cluster"
CLUSTER_APIS = os.environ.get("FILAMENT_E2E_CLUSTER_APIS", "2")
API_ONLY_FLAGS = ("--web-root", "--search-dir")


def skip_in_cluster(reason):
    """Decorator: skip a test whose subject is the single `serve` process itself."""
    return unittest.skipIf(CLUSTER, "single-process only: " + reason)


# How AddressSanitizer, LeakSanitizer and UBSan begin a report.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error: ")


class Server:
    def __init__(self, binary, log="pg", env=None, extra_args=(), cluster_args=()):
        """cluster_args: more flags for cluster.sh in cluster mode (e.g. --supervise)."""
        self.binary = binary
        self.cluster_args = list(cluster_args)
        self.log = log
        self.env = dict(os.environ, **(env or {}))
        self.extra_args = list(extra_args)
        self.data_dir = None
        if not EXTERNAL_SERVER:
            self.data_dir = tempfile.mkdtemp(prefix="filament-e2e-", dir="/tmp")
            os.chmod(self.data_dir, 0o755)
        self.mock = None
        self.proc = None
        self._drainer = None
        self.port = None
        self.output = []
        self.roles = {}  # cluster mode: role name -> port (api.1, project.1, gateway.1, ...)
        self.database_url = None

    def start(self):
        self.bootstrap = None
        if EXTERNAL_SERVER:
            url = urllib.parse.urlsplit(EXTERNAL_SERVER)
            if url.scheme != "http" or url.hostname != "127.0.0.1" or not url.port:
                raise RuntimeError("FILAMENT_E2E_SERVER must be http://127.0.0.1:PORT")
            self.port = url.port
            return self
        if self.log == "kafka":
            self.mock = subprocess.Popen([self.binary, "kafka-mock"], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
            self.bootstrap = self.mock.stdout.readline().strip()
            if not self.bootstrap:
                raise RuntimeError("kafka-mock printed no bootstrap address")
        return self.start_server(self.bootstrap)

    def storage_args(self):
        """The flags that point another `filament` subcommand at this server's storage."""
        args = ["--database-url", self.database_url] if CLUSTER else ["--data-dir", self.data_dir]
        if self.bootstrap:
            args += ["--kafka-brokers", self.bootstrap]
        return args

    def start_server(self, bootstrap):
        if CLUSTER:
            return self.start_cluster(bootstrap)
        args = [self.binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir]
        if bootstrap:
            args += ["--kafka-brokers", bootstrap]
        self.proc = subprocess.Popen(args + self.extra_args, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=self.env)
        self.port, self._drainer = wait_listening(self.proc, self.output, "server")
        return self

    def start_cluster(self, bootstrap):
        env = dict(self.env)
        env.pop("FILAMENT_DATABASE_URL", None)
        if bootstrap:
            env["FILAMENT_KAFKA_BROKERS"] = bootstrap
        trusted = env.get("FILAMENT_TRUSTED_PROXY_CIDRS")
        # The test talks to the proxy as it would to the server: what the server would trust
        # from the test, the proxy passes on unchanged.
        env["FILAMENT_PROXY_FLAGS"] = "--log-connections" + (
            f" --trusted-clients {trusted},127.0.0.1/32" if trusted else "")
        if trusted:
            env["FILAMENT_TRUSTED_PROXY_CIDRS"] = trusted + ",127.0.0.1/32"
        args = [os.path.join(ROOT, "tools", "dev", "cluster.sh"), "--binary", self.binary,
                "--log", "kafka" if bootstrap else "pg", "--port", "0", "--data-dir",
                self.data_dir, "--api", CLUSTER_APIS, *self.cluster_args]
        rest = list(self.extra_args)
        while rest and rest[0] in API_ONLY_FLAGS:  # flags the other roles refuse
            args += ["--api-arg", f"{rest[0]}={rest[1]}"]
            rest = rest[2:]
        args += ["--", *rest]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env, start_new_session=True)
        self.roles = wait_cluster_ready(self.proc, self.output)
        self.port = self.roles["proxy"]
        self.database_url = self.roles.get("postgres_url")
        self._drainer = threading.Thread(target=self._drain_cluster, args=(self.proc,),
                                         daemon=True)
        self._drainer.start()
        return self

    def _drain_cluster(self, proc):
        """Keeps cluster.sh's output; once it ended, appends every role's output (their JSON
        log lines: `drain`, `stopped`, ...) so a test reads them as it reads `serve`'s."""
        self.output.extend(proc.stdout)
        self.output.extend(self.role_output().splitlines(keepends=True))

    def spread(self):
        """Cluster mode: {"api"|"gateway": {backend "host:port": connections}} from the proxy."""
        counts = {"api": {}, "gateway": {}}
        with open(os.path.join(self.data_dir, "logs", "proxy.log"), encoding="utf-8") as f:
            for line in f:
                if line.startswith("{"):
                    record = json.loads(line)
                    pool = counts[record["pool"]]
                    pool[record["backend"]] = pool.get(record["backend"], 0) + 1
        return counts

    def spool_dirs(self):
        """Where uploads are spooled: the data dir, and in cluster mode also each further api
        process's own data dir (cluster.sh: DATA_DIR/api.K)."""
        extra = sorted(os.path.join(self.data_dir, name) for name in os.listdir(self.data_dir)
                       if CLUSTER and re.fullmatch(r"api\.\d+", name))
        return [self.data_dir] + extra

    def pid(self, role):
        """Cluster mode: the pid of role `role` (api.1, gateway.2, ...) from cluster.sh's
        DATA_DIR/pids (rewritten when --supervise restarts it)."""
        with open(os.path.join(self.data_dir, "pids", role), encoding="ascii") as f:
            return int(f.read())

    def role_output(self):
        """Cluster mode: the output of every role (data dir's logs/), one string."""
        logs = os.path.join(self.data_dir or "", "logs")
        if not CLUSTER or not os.path.isdir(logs):
            return ""
        parts = []
        for name in sorted(os.listdir(logs)):
            with open(os.path.join(logs, name), encoding="utf-8", errors="replace") as f:
                parts.append(f.read())
        return "".join(parts)

    def kill(self):
        """SIGKILL: `serve`, or in cluster mode every role at once (the process group of
        cluster.sh; its PostgreSQL and the Kafka mock live on, as a database would)."""
        if CLUSTER:
            os.killpg(self.proc.pid, signal.SIGKILL)
        else:
            self.proc.kill()
        self.proc.wait()

    def restart(self):
        """Stops the server (keeping its data dir and the Kafka mock) and starts it again."""
        self._stop_server()
        self._raise_on_sanitizer_report()
        self.output = []
        return self.start_server(self.bootstrap)

    def stop(self):
        if EXTERNAL_SERVER:
            return
        self._stop_server()
        if self.mock and self.mock.poll() is None:
            self.mock.terminate()
            self.mock.wait(timeout=10)
            self.mock.stdout.close()
        try:
            self._raise_on_sanitizer_report()
            if CLUSTER and self.proc and self.proc.returncode != 0:
                raise AssertionError(f"the cluster did not stop cleanly (exit "
                                     f"{self.proc.returncode}):\n" + "".join(self.output[-20:]))
        finally:
            text = "".join(self.output) + self.role_output()
            lines = [line for line in text.splitlines() if is_diagnostic(line)]
            STOPPED_DIAGNOSTICS.append((len(lines), lines[-DIAGNOSTICS_KEPT:]))
            keep = os.environ.get("FILAMENT_E2E_KEEP_LOGS")  # cluster mode: the role logs
            if keep and CLUSTER and os.path.isdir(os.path.join(self.data_dir, "logs")):
                shutil.copytree(os.path.join(self.data_dir, "logs"),
                                os.path.join(keep, os.path.basename(self.data_dir)))
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def _raise_on_sanitizer_report(self):
        """A sanitizer build (tools/dev/asan.sh) reports to the server's output: fail on it."""
        text = "".join(self.output) + self.role_output()
        for marker in SANITIZER_MARKERS:
            at = text.find(marker)
            if at >= 0:
                start = text.rfind("\n", 0, at) + 1
                raise AssertionError("the server reported a sanitizer finding:\n" +
                                     text[start:start + 8000])

    def _stop_server(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=120 if CLUSTER else 30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if CLUSTER and self.proc:
            try:  # roles left behind by a cluster.sh that was killed (its process group)
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            stop_orphaned_postgres(os.path.join(self.data_dir, "postgres"))
        if self._drainer:
            self._drainer.join(timeout=10)  # the rest of the output (a sanitizer report) is read
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, token=None, raw=None, headers=None):
        """Returns (status, parsed JSON body or None, headers)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None and (headers is None or "Content-Type" not in headers):
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, payload, reply_headers = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as err:
            status, payload, reply_headers = err.code, err.read(), err.headers
        record_response(method, path, status, reply_headers.items(), payload)
        return status, _json(payload), dict(reply_headers)

    def raw_request(self, data, timeout=10):
        """Sends raw bytes (one HTTP/1.1 request) on a new connection and reads one response.
        Returns (status, headers with lower-case names, body bytes); the response is recorded
        like those of `request`."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as conn:
            conn.sendall(data)
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
            head, _, body = reply.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if status == 101:
                body = b""  # WebSocket frames follow the handshake, not an HTTP body
            length = 0 if status == 101 else int(headers.get("content-length", "0"))
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
        method, target = data.split(b" ", 2)[:2]
        record_response(method.decode(), target.decode(), status, headers.items(), body)
        return status, headers, body


def wait_listening(proc, output, what, timeout=90):
    """Reads `proc`'s output (kept in `output`) until its "listening on port N" line, then keeps
    draining it on a thread; returns N and that thread. Raises with the output when `proc` ends or times out."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        match = re.search(r"listening on port (\d+)", line)
        if match:
            drainer = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
            drainer.start()
            return int(match.group(1)), drainer
    raise RuntimeError(f"{what} did not start:\n" + "".join(output))


def stop_orphaned_postgres(pgdata):
    """The PostgreSQL of a cluster.sh that did not stop it (pg_ctl detaches it from the group)."""
    if not os.path.exists(os.path.join(pgdata, "postmaster.pid")):
        return
    pg_ctl = os.path.join(os.environ.get("FILAMENT_PG_BIN_DIR", "/usr/lib/postgresql/15/bin"),
                          "pg_ctl")
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run(prefix + [pg_ctl, "-D", pgdata, "-m", "fast", "-w", "-s", "stop"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


def wait_cluster_ready(proc, output, timeout=240):
    """Reads tools/dev/cluster.sh's output until "cluster: ready"; returns {role: port} from its
    table (and "postgres_url"). Raises with the output when it ends or times out."""
    deadline, roles = time.time() + timeout, {}
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        output.append(line)
        match = re.match(r"^  (\S+)\s+127\.0\.0\.1:(\d+)\s+(\S*)", line)
        if match:
            roles[match.group(1)] = int(match.group(2))
            if match.group(1) == "postgres":
                roles["postgres_url"] = match.group(3)
        if line.startswith("cluster: ready"):
            return roles
    proc.terminate()  # cluster.sh stops what it started
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("the cluster did not start:\n" + "".join(output))


def record_response(method, target, status, headers, payload):
    """Remembers one response for the OpenAPI check in run_tests."""
    parsed = urllib.parse.urlsplit(target)
    lowered = {name.lower(): value for name, value in headers}
    RECORDED.append({
        "method": method.upper(), "path": parsed.path, "query": parsed.query, "status": status,
        "headers": lowered, "content_type": lowered.get("content-type", ""),
        "body": payload.decode("utf-8", errors="replace"),
    })


def check_recorded_responses():
    """Checks RECORDED against docs/openapi.yaml; prints a summary, returns the problems."""
    sys.path.insert(0, os.path.join(ROOT, "tools", "openapi"))
    import openapi_check  # noqa: PLC0415 (kept out of the import path until needed)

    document = openapi_check.Document()
    record_dir = os.environ.get("FILAMENT_E2E_RECORD_DIR")
    if record_dir:
        os.makedirs(record_dir, exist_ok=True)
        name = os.path.basename(sys.argv[0]).replace(".py", "")
        log = getattr(sys.modules["__main__"].ARGS, "log", None)
        path = os.path.join(record_dir, f"{name}{'_' + log if log else ''}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for record in RECORDED:
                f.write(json.dumps(record) + "\n")
    problems = openapi_check.check_records(document, RECORDED)
    seen = {(r["method"], document.match_path(r["path"])) for r in RECORDED}
    covered = sorted(op for op in document.operations() if op in seen)
    print(f"openapi: {len(RECORDED)} responses checked against docs/openapi.yaml, "
          f"{len(covered)} of {len(document.operations())} operations exercised, "
          f"{len(problems)} problem(s)", file=sys.stderr)
    for problem in problems:
        print("openapi: FAIL:", problem, file=sys.stderr)
    return problems


def _json(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


# Lines of a server's output that explain a failure: the api's reason for a 500 ("api: CODE:
# message"), the process's own complaints ("filament: ..."), sweeps, sanitizer reports; of the
# JSON log lines (ADR 0076) those above level info and the partition writers' hand-overs, not
# the line per request.
DIAGNOSTIC_LINE = re.compile(r"^(api|filament|voice|voice sweep|gateway): (?!start: )|error|ERROR")


def is_diagnostic(line):
    if line.startswith("{"):
        return '"level":"info"' not in line or '"event":"partition_writer"' in line
    return bool(DIAGNOSTIC_LINE.search(line))


def print_server_diagnostics():
    """After a failed test: the last diagnostic lines of each server stopped so far."""
    for index, (total, lines) in enumerate(STOPPED_DIAGNOSTICS):
        if lines:
            print(f"server {index + 1} of {len(STOPPED_DIAGNOSTICS)}: last {len(lines)} of "
                  f"{total} diagnostic line(s):", file=sys.stderr)
            for line in lines:
                print("  " + line[:400], file=sys.stderr)


def run_tests(with_log=True):
    """Parses --binary (and --log pg|kafka), runs the calling module's unittest cases (the parsed
    arguments reach them through the module's ARGS global), then checks every recorded response
    against docs/openapi.yaml. Exits non-zero when a test failed or a response does not match."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=not EXTERNAL_SERVER)
    if with_log:
        parser.add_argument("--log", choices=["pg", "kafka"], default="pg")
    args, rest = parser.parse_known_args()
    sys.modules["__main__"].ARGS = args
    program = unittest.main(module="__main__", argv=[sys.argv[0]] + rest, verbosity=2, exit=False)
    if not program.result.wasSuccessful():
        print_server_diagnostics()
    problems = check_recorded_responses()
    sys.exit(0 if program.result.wasSuccessful() and not problems else 1)
