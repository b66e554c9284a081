#!/usr/bin/python3
"""Latency benchmark: REST POST -> `message_create` on a subscribed socket at a fixed rate.

Open loop: post i is sent at start + i / rate on whichever of C keep-alive connections is free
(a post that finds none waits and is counted as "late"), spread round-robin over G guilds (one
guild is one stream and appends one batch at a time: ~400-500 posts/s per guild on this
machine, docs/performance.md §3.2). One subscriber socket is subscribed to every guild's
channel; per post it measures POST written -> frame received, and the POST's own response time
(which includes the read-your-writes wait for the read models). Starts `filament serve` (and
`filament kafka-mock` for the Kafka log) itself via delivery_bench.Server; everything is bounded.

Usage: latency_bench.py --binary BUILD/filament [--logs pg,kafka] [--rate 1000] [--seconds 10]
       [--guilds 8] [--connections 32] [--rounds 2] [--barrier-ab]
Run with /usr/bin/python3 (Debian's python3-websockets).
"""
import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_http import Http, ProcessCpu, percentile  # noqa: E402
from delivery_bench import STAMP, Server, make_guild, register_all, table  # noqa: E402

import websockets  # noqa: E402


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


async def subscriber(port, token, channels):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/gateway/ws?access_token={token}",
                                  max_size=2**20, ping_interval=None, compression=None,
                                  open_timeout=60, max_queue=None)
    ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert ready["t"] == "ready", ready
    for gid, cid in channels:
        await ws.send(json.dumps({"v": 1, "t": "subscribe",
                                  "d": {"guild_id": gid, "channel_id": cid}}))
        while json.loads(await asyncio.wait_for(ws.recv(), 30))["t"] != "subscribed":
            pass
    return ws


async def run(port, poster, watcher, channels, rate, seconds, connections):
    ws = await subscriber(port, watcher, channels)
    total = rate * seconds
    sent, delivered, post_lat = {}, {}, []
    late = 0
    all_in = asyncio.Event()

    async def reader():
        async for raw in ws:
            now = time.perf_counter()
            match = STAMP.search(raw) if '"message_create"' in raw else None
            if match:
                seq = int(match.group(1))
                delivered[seq] = now - sent[seq]
                if len(delivered) == total:
                    all_in.set()

    free = asyncio.Queue()
    for _ in range(connections):
        free.put_nowait(Http(port))

    async def post(i, http):
        gid, cid = channels[i % len(channels)]
        sent[i] = time.perf_counter()
        status, body = await http.call("POST", f"/guilds/{gid}/channels/{cid}/messages",
                                       {"content": f"bench#{i}# hello **all**"}, token=poster)
        post_lat.append(time.perf_counter() - sent[i])
        assert status == 200, (status, body)
        free.put_nowait(http)

    read_task = asyncio.create_task(reader())
    tasks = []
    cpu0 = time.process_time()
    start = time.perf_counter()
    for i in range(total):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        if free.empty():
            late += 1
        tasks.append(asyncio.create_task(post(i, await free.get())))
    await asyncio.gather(*tasks)
    send_s = time.perf_counter() - start
    try:
        await asyncio.wait_for(all_in.wait(), 30)
    except asyncio.TimeoutError:
        pass
    client_cpu = (time.process_time() - cpu0) / (time.perf_counter() - start)
    await ws.close()
    read_task.cancel()
    while not free.empty():
        await (await free.get()).close()
    return {"total": total, "rate": total / send_s, "late": late,
            "delivery": [x * 1000 for x in delivered.values()],
            "post": [x * 1000 for x in post_lat], "client_cpu": client_cpu}


async def setup(port, guilds):
    tokens = await register_all(port, ["poster", "watcher"], concurrency=2)
    poster, watcher = tokens["poster"][0], tokens["watcher"][0]
    channels = [await make_guild(port, poster, f"lat{g}") for g in range(guilds)]
    http = Http(port)
    for gid, _ in channels:
        status, body = await http.call("POST", f"/guilds/{gid}/join", token=watcher)
        assert status == 200, (status, body)
    await http.close()
    return poster, watcher, channels


def one(args, log, label, env):
    server = Server(args.binary, log, ["--http-threads", str(args.http_threads)]).start(env)
    try:
        poster, watcher, channels = asyncio.run(setup(server.port, args.guilds))
        # Warm-up: connections, prepared statements, the mock's partition leaders.
        asyncio.run(run(server.port, poster, watcher, channels, 100, 1, args.connections))
        load_before = loadavg()
        cpu = ProcessCpu(server.pids())
        r = asyncio.run(run(server.port, poster, watcher, channels, args.rate, args.seconds,
                            args.connections))
        used = cpu.percent()
    finally:
        server.stop()
    d, p = r["delivery"], r["post"]
    row = [log, label, f"{r['rate']:.0f}", r["late"], f"{len(d)}/{r['total']}",
           f"{percentile(d, .5):.2f}", f"{percentile(d, .9):.2f}", f"{percentile(d, .99):.2f}",
           f"{max(d) if d else float('nan'):.2f}", f"{percentile(p, .5):.2f}",
           f"{percentile(p, .99):.2f}", f"{100 * r['client_cpu']:.0f}",
           f"{used['filament']:.0f}", f"{used['postgres']:.0f}", f"{used.get('kafka-mock', 0):.0f}",
           f"{load_before} → {loadavg()}"]
    print("  " + " | ".join(str(x) for x in row), file=sys.stderr)
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--logs", default="pg,kafka")
    parser.add_argument("--rate", type=int, default=1000, help="posts/s (open loop)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--guilds", type=int, default=8, help="posts spread over G guilds")
    parser.add_argument("--connections", type=int, default=32, help="HTTP connections")
    parser.add_argument("--http-threads", type=int, default=64,
                        help="server HTTP workers (a POST holds one for its read-your-writes "
                             "wait: 16 x ~20 ms caps the rate below 1k/s)")
    parser.add_argument("--rounds", type=int, default=2, help="fresh servers per log")
    parser.add_argument("--barrier-ab", action="store_true",
                        help="also run with FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS=0 (no "
                             "read-your-writes wait, no gateway read-model barrier)")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    variants = [("barrier on", {})]
    if args.barrier_ab:
        variants.append(("barrier off", {"FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS": "0"}))
    rows = []
    for _ in range(args.rounds):
        for log in args.logs.split(","):
            for label, env in variants:
                rows.append(one(args, log, label, env))
    text = table(["log", "read models", "posts/s sent", "late sends", "delivered",
                  "p50 ms", "p90 ms", "p99 ms", "max ms", "POST p50 ms", "POST p99 ms",
                  "client CPU %", "filament CPU %", "postgres CPU %", "kafka-mock CPU %",
                  "load avg before → after"], rows)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
