#!/usr/bin/python3
"""Attachment upload and download throughput of `filament serve`, with the server's memory.

Starts `filament serve` (PostgreSQL log, embedded cluster; blobs in PostgreSQL), registers N
users in one guild, then:
  1. N concurrent uploads of SIZE MiB each (one per user: the per-user quota is not the limit),
  2. N concurrent downloads of them,
  3. one upload and one download alone,
and reports MiB/s (payload bytes / wall time) and the filament process's RSS before and its
peak (VmHWM, reset before each phase) during each phase. Every download is checked byte for
byte (SHA-256).

Usage: attachment_bench.py --binary ../build-bench/filament [--clients 10 --mib 25]
"""
import argparse
import hashlib
import http.client
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from delivery_bench import PASSWORD, Server  # noqa: E402


def call(port, method, path, body=None, token=None, raw=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if data is not None:
        headers["Content-Length"] = str(len(data))
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        return resp.status, payload
    finally:
        conn.close()


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def parallel(jobs):
    results = [None] * len(jobs)
    threads = [threading.Thread(target=lambda i=i, job=job: results.__setitem__(i, job()))
               for i, job in enumerate(jobs)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.monotonic() - start


def setup(port, clients):
    tokens = []
    for i in range(clients):
        name = f"bench{i}"
        call(port, "POST", "/auth/register", {"username": name, "password": PASSWORD})
        status, body = call(port, "POST", "/auth/login", {"username": name, "password": PASSWORD})
        tokens.append(json.loads(body)["access_token"])
    _, body = call(port, "POST", "/guilds", {"name": "Bench", "visibility": "public"}, tokens[0])
    gid = json.loads(body)["guild_id"]
    _, body = call(port, "POST", f"/guilds/{gid}/channels", {"name": "files"}, tokens[0])
    cid = json.loads(body)["channel_id"]
    for token in tokens[1:]:
        call(port, "POST", f"/guilds/{gid}/join", token=token)
    return tokens, f"/guilds/{gid}/channels/{cid}/attachments"


def reset_peak(pid):
    """Sets VmHWM back to the current RSS (Linux >= 4.0), so each phase reports its own peak."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass  # then the peak is the process's so far


def phase(server, label, jobs, payload_bytes, rows):
    pid = server.proc.pid
    reset_peak(pid)
    before = rss_kib(pid, "VmRSS")
    results, seconds = parallel(jobs)
    peak = rss_kib(pid, "VmHWM")
    rows.append((label, len(jobs), payload_bytes / 2**20 / seconds, seconds, before / 1024, peak / 1024))
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--mib", type=int, default=25)
    args = parser.parse_args()
    size = args.mib * 2**20
    data = b"%PDF-1.4\n" + os.urandom(size - 9)  # sniffed as application/pdf
    digest = hashlib.sha256(data).hexdigest()
    server = Server(args.binary, "pg").start()
    rows = []
    try:
        tokens, base = setup(server.port, args.clients)
        ups = phase(server, f"upload {args.mib} MiB x{args.clients} concurrent",
                    [lambda t=t: call(server.port, "POST", base, token=t, raw=data) for t in tokens],
                    size * args.clients, rows)
        assert all(status == 200 for status, _ in ups), [u[0] for u in ups]
        ids = [json.loads(body)["attachment_id"] for _, body in ups]
        downs = phase(server, f"download {args.mib} MiB x{args.clients} concurrent",
                      [lambda i=i, t=t: call(server.port, "GET", f"{base}/{i}", token=t)
                       for i, t in zip(ids, tokens)], size * args.clients, rows)
        assert all(s == 200 and hashlib.sha256(b).hexdigest() == digest for s, b in downs)
        for i, t in zip(ids, tokens):
            assert call(server.port, "DELETE", f"{base}/{i}", token=t)[0] == 204
        one = phase(server, f"upload {args.mib} MiB alone",
                    [lambda: call(server.port, "POST", base, token=tokens[0], raw=data)], size, rows)
        only = json.loads(one[0][1])["attachment_id"]
        phase(server, f"download {args.mib} MiB alone",
              [lambda: call(server.port, "GET", f"{base}/{only}", token=tokens[0])], size, rows)
    finally:
        server.stop()
    print("| phase | clients | MiB/s | seconds | filament RSS before (MiB) | filament peak RSS (MiB) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, n, rate, seconds, before, peak in rows:
        print(f"| {label} | {n} | {rate:.1f} | {seconds:.2f} | {before:.0f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
