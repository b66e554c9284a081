#!/usr/bin/python3
"""Identity benchmarks (issue #6): login and refresh throughput, and avatar uploads (MiB/s and
the server's peak RSS with 20 concurrent 2 MiB uploads), on `filament serve` with the
PostgreSQL log. Bounded in time; stops by itself.

Usage: /usr/bin/python3 tools/bench/identity_bench.py --binary ../build-bench/filament
       [--clients 8 --seconds 10 --upload-rounds 3]
"""
import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))
from delivery_bench import PASSWORD, Server  # noqa: E402
import sample_media  # noqa: E402
from filament_harness import Server as HarnessServer  # noqa: E402  (request helper only)


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def hammer(clients, seconds, step):
    """Runs `step(client_index)` in `clients` threads for `seconds`; returns (ok, latencies)."""
    stop = time.time() + seconds
    latencies, failures = [], [0]
    lock = threading.Lock()

    def loop(i):
        while time.time() < stop:
            started = time.perf_counter()
            ok = step(i)
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - started)
                else:
                    failures[0] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, failures[0]


def report(name, latencies, failures, seconds):
    print(f"| {name} | {len(latencies) / seconds:.1f} | {percentile(latencies, 0.5) * 1000:.1f} | "
          f"{percentile(latencies, 0.99) * 1000:.1f} | {failures} |")


def upload(port, token, data):
    head = (f"POST /users/me/profile/avatar HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: image/png\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
        conn.sendall(head + data)
        reply = conn.recv(65536)
        return reply.startswith(b"HTTP/1.1 200")


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--upload-rounds", type=int, default=3)
    args = parser.parse_args()
    server = Server(args.binary, "pg").start()
    try:
        client = HarnessServer.__new__(HarnessServer)
        client.port = server.port
        users = []
        for i in range(max(args.clients, 20)):
            client.request("POST", "/auth/register", {"username": f"bench_{i}", "password": PASSWORD})
            tokens = client.request("POST", "/auth/login", {"username": f"bench_{i}", "password": PASSWORD})[1]
            users.append(tokens)
        print(f"clients {args.clients}, {args.seconds:.0f} s each, PostgreSQL log, {os.cpu_count()} cores\n")
        print("| operation | req/s | p50 ms | p99 ms | failed |\n| --- | ---: | ---: | ---: | ---: |")

        def login(i):
            return client.request("POST", "/auth/login", {"username": f"bench_{i}", "password": PASSWORD})[0] == 200

        latencies, failed = hammer(args.clients, args.seconds, login)
        report("POST /auth/login (Argon2id)", latencies, failed, args.seconds)
        current = [u["refresh_token"] for u in users]

        def refresh(i):
            status, body, _ = client.request("POST", "/auth/refresh", {"refresh_token": current[i]})
            if status == 200:
                current[i] = body["refresh_token"]
            return status == 200

        latencies, failed = hammer(args.clients, args.seconds, refresh)
        report("POST /auth/refresh (rotate + log append)", latencies, failed, args.seconds)

        image = sample_media.png(noise=b"x" * (2 * 1024 * 1024 - 200))
        pid = server.proc.pid
        baseline = rss_kib(pid, "VmRSS")
        peak, total_bytes, elapsed = baseline, 0, 0.0
        for _ in range(args.upload_rounds):
            results = [False] * 20
            threads = [threading.Thread(target=lambda i=i: results.__setitem__(
                i, upload(server.port, users[i]["access_token"], image))) for i in range(20)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            while any(t.is_alive() for t in threads):
                peak = max(peak, rss_kib(pid, "VmRSS"))
                time.sleep(0.01)
            elapsed += time.perf_counter() - started
            total_bytes += len(image) * sum(results)
        print(f"\navatar uploads: {args.upload_rounds} rounds x 20 concurrent x "
              f"{len(image) / 1048576:.2f} MiB: {total_bytes / 1048576 / elapsed:.1f} MiB/s; "
              f"server RSS {baseline / 1024:.0f} MiB before, peak {peak / 1024:.0f} MiB "
              f"(+{(peak - baseline) / 1024:.0f} MiB), VmHWM {rss_kib(pid, 'VmHWM') / 1024:.0f} MiB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
