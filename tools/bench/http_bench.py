#!/usr/bin/python3
"""HTTP front-end benchmark: wrk on GET /health and on an authenticated read (GET /auth/me),
1 -> 256 keep-alive connections, against `filament serve` (one or two binaries, e.g. before and
after a change) and against nginx serving a static 200 on the same machine (the ceiling).
Then, with N connections that sent headers and 3 bytes of a promised 100-byte body and stall,
wrk on GET /health again: whether other clients still get answers; and how many of N
keep-alive connections are answered at all (wrk's latencies count only answered requests).

Loopback only, ephemeral ports, temporary directories; every run is bounded and stops itself.
Usage: http_bench.py --binary BUILD/filament [--before OLD/filament] [--connections 1,4,16,64,256]
Needs wrk and nginx (tools/bench/http_bench.sh installs both).
"""
import argparse
import asyncio
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from delivery_bench import Server, parse_wrk, register_all  # noqa: E402

# The per-IP connection cap would refuse wrk's 256 loopback connections and the stalled set.
EXTRA_ENV = {"FILAMENT_MAX_CONNECTIONS_PER_IP": "0"}

NGINX_CONF = """
worker_processes 2;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{{"status":"ok"}}'; }}
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="filament-nginx-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=self.dir, port=self.port))
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def wrk(port, path, connections, seconds, token=None):
    args = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s",
            "--timeout", "2s", "--latency"]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    proc = subprocess.run(args + [f"http://127.0.0.1:{port}{path}"], capture_output=True,
                          text=True, timeout=seconds + 60)
    try:
        out = parse_wrk(proc.stdout)
    except (AttributeError, ValueError):
        out = {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "non2xx": 0, "requests": 0}
    errors = [line.strip() for line in proc.stdout.splitlines() if "Socket errors" in line]
    out["errors"] = errors[0].replace("Socket errors: ", "") if errors else ""
    return out


def stall(port, count):
    """`count` connections that promise a 100-byte body, send 3 bytes, and stop."""
    sockets = []
    for _ in range(count):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100\r\n\r\n{\"u")
            sockets.append(s)
        except OSError:
            break
    return sockets


def fairness(port, n, seconds=3):
    """`n` keep-alive connections, each sending its next GET /health as soon as the last answer
    is in (like wrk); returns how many were answered at all and the spread of their counts.
    wrk's latency figures count only answered requests, so a server that serves a few
    connections and starves the rest looks fast there; this shows it."""
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    sel = selectors.DefaultSelector()
    counts, buffers = {}, {}
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setblocking(False)
        s.send(request)
        counts[s], buffers[s] = 0, b""
        sel.register(s, selectors.EVENT_READ)
    end = time.time() + seconds
    while time.time() < end:
        for key, _ in sel.select(0.1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                sel.unregister(s)
                continue
            buffers[s] += data
            while b"\r\n\r\n" in buffers[s]:
                head, rest = buffers[s].split(b"\r\n\r\n", 1)
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
                if len(rest) < length:
                    break
                buffers[s] = rest[length:]
                counts[s] += 1
                s.send(request)
    for s in counts:
        s.close()
    values = sorted(counts.values())
    return {"served": sum(1 for v in values if v > 0), "n": n, "min": values[0],
            "median": values[len(values) // 2], "max": values[-1]}


def fmt(result):
    cell = f"{result['rps']:,.0f} · {result['p50']:.2f} / {result['p99']:.2f}"
    if result.get("non2xx"):
        cell += f" ({result['non2xx']} non-2xx)"
    if result.get("errors"):
        cell += f" (errors: {result['errors']})"
    return cell


def start_filament(binary):
    server = Server(binary, "pg").start(EXTRA_ENV)
    token = asyncio.run(register_all(server.port, ["httpbench"], concurrency=1))["httpbench"][0]
    return server, token


def ladder(targets, args):
    """Every cell runs on every target in turn, so a burst of load from other processes on this
    shared machine falls on all of them alike rather than on whichever ran at that moment."""
    results = {label: {} for label in targets}
    for c in args.connections:
        for path in ("/health", "/auth/me"):
            for label, (port, token) in targets.items():
                if label == "nginx" and path != "/health":
                    continue
                result = wrk(port, "/" if label == "nginx" else path, c, args.seconds,
                             token if path == "/auth/me" else None)
                results[label][(path, c)] = result
                print(f"  {label} {path} c={c}: {fmt(result)}", flush=True)
    return results


def stalled_runs(targets, args):
    results = {label: {} for label in targets if label != "nginx"}
    for n in args.stalled:
        for label in results:
            port = targets[label][0]
            held = stall(port, n)
            time.sleep(0.5)
            results[label][n] = wrk(port, "/health", 16, args.seconds)
            print(f"  {label} beside {len(held)} stalled: {fmt(results[label][n])}", flush=True)
            for s in held:
                s.close()
            time.sleep(1)
    return results


def fairness_runs(targets, args):
    results = {label: {} for label in targets if label != "nginx"}
    for n in args.fairness:
        for label in results:
            results[label][n] = fairness(targets[label][0], n)
            print(f"  {label} fairness n={n}: {results[label][n]}", flush=True)
    return results


def report(results, stalled, labels, args, fair=None):
    cols = [(label, path) for path in ("/health", "/auth/me") for label in labels]
    cols.append(("nginx", "/health"))
    names = ["nginx static 200" if label == "nginx" else f"{label} `{path}`" for label, path in cols]
    text = (f"### wrk, keep-alive, {args.seconds} s per cell: req/s · p50 / p99 ms\n\n"
            "| connections | " + " | ".join(names) + " |\n" + "|---" * (1 + len(cols)) + "|\n")
    for c in args.connections:
        text += f"| {c} | " + " | ".join(fmt(results[label][(path, c)]) for label, path in cols)
        text += " |\n"
    if args.stalled:
        text += ("\n### GET /health (wrk, 16 connections) beside N connections stalled mid-body\n\n"
                 "| stalled | " + " | ".join(labels) + " |\n" + "|---" * (1 + len(labels)) + "|\n")
        for n in args.stalled:
            text += f"| {n} | " + " | ".join(fmt(stalled[label][n]) for label in labels) + " |\n"
    if args.fairness:
        text += ("\n### N keep-alive connections asking GET /health back to back for 3 s: "
                 "connections answered at all (requests per connection min / median / max)\n\n"
                 "| connections | " + " | ".join(labels) + " |\n" + "|---" * (1 + len(labels))
                 + "|\n")
        for n in args.fairness:
            cells = [f"{f['served']} of {f['n']} ({f['min']} / {f['median']} / {f['max']})"
                     for f in (fair[label][n] for label in labels)]
            text += f"| {n} | " + " | ".join(cells) + " |\n"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="filament binary (after)")
    parser.add_argument("--before", help="another filament binary to compare (before)")
    parser.add_argument("--connections", default="1,4,16,64,256")
    parser.add_argument("--stalled", default="64,300", help="stalled-connection counts")
    parser.add_argument("--fairness", default="64,256", help="connection counts for the probe")
    parser.add_argument("--seconds", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--out", help="write the Markdown tables here too")
    args = parser.parse_args()
    args.connections = [int(c) for c in args.connections.split(",")]
    args.stalled = [int(n) for n in args.stalled.split(",") if n]
    args.fairness = [int(n) for n in args.fairness.split(",") if n]
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: run tools/bench/http_bench.sh (installs it)")

    binaries = ([("before", args.before)] if args.before else []) + [("after", args.binary)]
    servers, targets, nginx = [], {}, None
    try:
        for label, binary in binaries:
            server, token = start_filament(binary)
            servers.append(server)
            targets[label] = (server.port, token)
            print(f"== filament ({label}): {binary} on port {server.port}", flush=True)
        nginx = Nginx()
        targets["nginx"] = (nginx.port, None)
        results = ladder(targets, args)
        stalled = stalled_runs(targets, args)
        fair = fairness_runs(targets, args)
    finally:
        for server in servers:
            server.stop()
        if nginx:
            nginx.stop()
    text = report(results, stalled, [label for label, _ in binaries], args, fair)
    print("\n" + text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
