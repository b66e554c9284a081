#!/usr/bin/python3
"""WebSocket fan-out, Filament beside NATS and Mosquitto in one run (issue #11).

Starts each server on loopback (Filament: `filament serve` on the embedded PostgreSQL log, one
user subscribed N times to one channel, publishing through REST; NATS: nats-server with its
WebSocket listener; Mosquitto: MQTT over WebSocket) and drives all three with the same C++
generator (`fanout_bench`, epoll), the same subscriber count and payload size:
  latency     N subscribers, R1 msg/s  (default 10 000 x 10/s  = 100 000 deliveries/s)
  throughput  N subscribers, R2 msg/s  (default 10 000 x 100/s = 1 000 000 deliveries/s)
  idle        M idle connections (default 19 000): server RSS per connection
Prints one Markdown table (and the raw JSON lines) per run.

Usage: fanout_bench.py --binary build-bench/filament --generator build-bench/fanout_bench
"""
import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from delivery_bench import Server, make_guild, register_all  # noqa: E402

GOALS = {"throughput": "≥ 1 000 000 deliveries/s and ≥ 1.2× the better peer",
         "latency": "p99 ≤ 20 ms at 100 000 deliveries/s",
         "idle": "≤ 10 KiB RSS per idle connection at 19 000"}


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    import socket
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class Peer:
    """nats-server or mosquitto in a temporary directory."""

    def __init__(self, kind):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"fanout-{kind}-")
        self.ws_port, self.pub_port = free_port(), free_port()
        conf = os.path.join(self.dir, f"{kind}.conf")
        with open(conf, "w") as f:
            if kind == "nats":
                f.write(f"listen: 127.0.0.1:{self.pub_port}\nmax_payload: 1048576\n"
                        f"websocket {{ host: 127.0.0.1, port: {self.ws_port}, no_tls: true }}\n")
                args = ["nats-server", "-c", conf]
            else:
                f.write(f"listener {self.pub_port} 127.0.0.1\nlistener {self.ws_port} 127.0.0.1\n"
                        "protocol websockets\nallow_anonymous true\nmax_queued_messages 10000\n")
                args = ["mosquitto", "-c", conf]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.ws_port)
        wait_port(self.pub_port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def generate(args, target, ws_port, pub_port, pid, connections, rate, extra=()):
    cmd = [args.generator, "--target", target, "--ws-port", str(ws_port), "--pub-port",
           str(pub_port), "--connections", str(connections), "--rate", str(rate), "--seconds",
           str(args.seconds), "--warmup", str(args.warmup), "--payload", str(args.payload),
           "--threads", str(args.threads), "--connect-window", str(args.connect_window),
           "--server-pid", str(pid), *extra]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{target}: generator failed ({run.returncode}): {run.stderr[-2000:]}")
    result = json.loads(lines[-1])
    print(json.dumps(result), flush=True)
    return result


def filament_target(args):
    server = Server(args.binary, "pg").start({
        "FILAMENT_MAX_CONNECTIONS": "30000", "FILAMENT_MAX_CONNECTIONS_PER_IP": "0"})
    tokens = asyncio.run(register_all(server.port, ["fanout"], concurrency=1))
    token = tokens["fanout"][0]
    gid, cid = asyncio.run(make_guild(server.port, token, "fanout"))
    extra = ["--token", token, "--guild", gid, "--channel", cid]
    return server, server.port, server.port, server.proc.pid, extra


def run(args):
    scenarios = [("latency", args.connections, args.latency_rate),
                 ("throughput", args.connections, args.throughput_rate),
                 ("idle", args.idle_connections, 0)]
    results = {}
    for target in args.targets.split(","):
        for name, connections, rate in scenarios:
            # A fresh server per scenario: one run's leftovers do not weigh on the next.
            if target == "filament":
                server, ws_port, pub_port, pid, extra = filament_target(args)
            else:
                server = Peer(target)
                ws_port, pub_port, pid, extra = server.ws_port, server.pub_port, server.proc.pid, []
            idle = ["--idle", "3"] if name == "idle" else []
            try:
                results[(target, name)] = generate(args, target, ws_port, pub_port, pid,
                                                   connections, rate, [*extra, *idle])
            finally:
                server.stop()
    print_table(results, args)


def print_table(results, args):
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, payload {args.payload} B, "
          f"window {args.seconds} s, generator threads {args.threads}\n")
    print("| scenario | target | subscribed | deliveries/s | expected/s | p50 ms | p99 ms | "
          "p99.9 ms | max ms | server CPU s per 1M | bytes/frame | idle KiB/conn | "
          "closed by server | generator CPU s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for (target, name), r in results.items():
        expected = r["expected"] / r["seconds"] if r["seconds"] else 0
        print(f"| {name} | {target} | {r['subscribed']}/{r['connections']} | "
              f"{r['deliveries_per_s']:.0f} | {expected:.0f} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['p999_ms']:.2f} | {r['max_ms']:.2f} | "
              f"{r['server_cpu_s_per_1m']:.2f} | {r['bytes_per_frame']:.0f} | "
              f"{r['idle_kib_per_conn']:.2f} | {r.get('closed_later', 0)} | "
              f"{r.get('generator_cpu_s', 0):.2f} |")
    print("\nGoals:", "; ".join(f"{k}: {v}" for k, v in GOALS.items()))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--targets", default="filament,nats,mosquitto")
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--idle-connections", type=int, default=19000)
    parser.add_argument("--latency-rate", type=float, default=10)
    parser.add_argument("--throughput-rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--payload", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connect-window", type=int, default=1024,
                        help="connections per generator thread in their handshake at once "
                             "(0: all at once, a reconnect storm)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
