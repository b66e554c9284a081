#!/usr/bin/python3
"""Read benchmark: wrk on the reads a client makes on opening a guild and a channel, GET /guilds,
/guilds/{g}/channels, /guilds/{g}/members, /guilds/{g}/channels/{c}/messages?limit=N and an
older page (`before` the middle message), against `filament serve` on the embedded log (one or
two binaries, alternating fresh servers per round).

Each server gets one user, one guild with one channel, and M posted messages (markdown, some with
a reaction); wrk runs a 2 s warm-up (so that the connection pool is open and its processes are
counted) and then the timed window per path. CPU is `filament` and PostgreSQL (every process of
its cluster) in % of one core over the window.

Loopback only, temporary directories; every run is bounded and stops itself.
Usage: read_bench.py --binary BUILD/filament [--before OLD/filament] [--rounds 2] [--seconds 10]
       [--connections 32] [--messages 60] [--limit 50]
Needs wrk (tools/bench/http_bench.sh installs it).
"""
import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_http import Http, ProcessCpu  # noqa: E402
from delivery_bench import Server, make_guild, register_all, table  # noqa: E402
from http_bench import wrk  # noqa: E402

EXTRA_ENV = {"FILAMENT_MAX_CONNECTIONS_PER_IP": "0"}  # wrk's connections share one address


async def seed(port, messages):
    """One user and guild, `messages` posts (a reaction on every third): token, guild, channel,
    message ids oldest first."""
    token = (await register_all(port, ["reader"]))["reader"][0]
    gid, cid = await make_guild(port, token)
    base = f"/guilds/{gid}/channels/{cid}/messages"
    http, ids = Http(port), []
    try:
        for i in range(messages):
            content = f"message {i}: **bold**, `code` and a [link](https://x.y/{i})"
            status, posted = await http.call("POST", base, {"content": content}, token)
            if status != 200:
                raise RuntimeError(f"post answered {status}: {posted}")
            ids.append(posted["message_id"])
            if i % 3 == 0:
                status, _ = await http.call("POST", f"{base}/{ids[-1]}/reactions/%F0%9F%91%8D",
                                            token=token)
                if status != 200:
                    raise RuntimeError(f"reaction answered {status}")
    finally:
        await http.close()
    return token, gid, cid, ids


def run_binary(binary, args):
    server = Server(binary, "pg").start(EXTRA_ENV)
    rows = []
    try:
        token, gid, cid, ids = asyncio.run(seed(server.port, args.messages))
        base = f"/guilds/{gid}/channels/{cid}/messages"
        time.sleep(1)  # the read models have the posts (read-your-writes covers the last)
        for label, path in (("guilds", "/guilds"), ("channels", f"/guilds/{gid}/channels"),
                            ("members", f"/guilds/{gid}/members"),
                            (f"history (limit {args.limit})", f"{base}?limit={args.limit}"),
                            (f"older page (limit {args.limit // 2})",
                             f"{base}?limit={args.limit // 2}&before={ids[len(ids) // 2]}")):
            wrk(server.port, path, args.connections, 2, token)  # warm-up: the pool opens
            cpu = ProcessCpu(server.pids())
            r = wrk(server.port, path, args.connections, args.seconds, token)
            used = cpu.percent()
            rows.append([os.path.basename(os.path.dirname(os.path.abspath(binary))) + "/" +
                         os.path.basename(binary), label, args.connections, f"{r['rps']:.0f}",
                         f"{r['p50']:.2f}", f"{r['p99']:.2f}", r["non2xx"],
                         f"{used['filament']:.0f}", f"{used['postgres']:.0f}"])
            print(f"  {binary} {label}: {r['rps']:.0f}/s", file=sys.stderr)
    finally:
        server.stop()
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--before", help="a second binary, run alternately with --binary")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args()
    binaries = [args.before, args.binary] if args.before else [args.binary]
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    rows = []
    for _ in range(args.rounds):
        for binary in binaries:
            rows += run_binary(binary, args)
    print(f"started: {started}  ended: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}"
          f"  load at the end: {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print(table(["binary", "read", "connections", "req/s", "p50 ms", "p99 ms", "non-2xx",
                 "filament CPU %", "postgres CPU %"], rows))


if __name__ == "__main__":
    main()
