#!/usr/bin/python3
"""Command batching benchmark (ADR 0070): sustained posts/s with many clients, 1 vs many guilds.

Starts `filament serve` (embedded PostgreSQL log by default) with FILAMENT_COMMAND_BATCH_MAX set
per run, creates G guilds (one poster account), and drives C keep-alive wrk connections
POSTing messages spread uniformly over the first 1 or G guilds. Beside wrk, a probe posts one
message every 250 ms into a quiet channel of the first guild and polls GET .../messages?limit=1
until it is readable: "readable after answer" is the projection lag a client sees once its
POST was answered (0 when read-your-writes already waited for it), "readable after send" the
whole post -> readable time. The load average is sampled before and after each run.

Usage: batch_bench.py --binary BUILD/filament [--clients 200] [--guilds 1,100]
       [--batch-max 128,1] [--seconds 10] [--ryw on|off] [--http-threads 64] [--perf-dir DIR]
Run with /usr/bin/python3.
"""
import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_http import Http, ProcessCpu, percentile  # noqa: E402
from delivery_bench import (Server, fmt, make_guild, register_all, run_wrk,  # noqa: E402
                            table)


def loadavg():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


async def setup(server, guilds):
    tokens = await register_all(server.port, ["poster"])
    poster = tokens["poster"][0]
    made = [await make_guild(server.port, poster, f"bench{g}") for g in range(guilds)]
    http = Http(server.port)
    status, probe = await http.call("POST", f"/guilds/{made[0][0]}/channels", {"name": "probe"},
                                    token=poster)
    assert status == 200, (status, probe)
    await http.close()
    return poster, made, probe["channel_id"]


async def probe_loop(port, token, gid, cid, stop, out):
    post, get = Http(port), Http(port)
    path = f"/guilds/{gid}/channels/{cid}/messages"
    k = 0
    while not stop.is_set():
        k += 1
        content = f"probe#{k}"
        sent = time.perf_counter()
        status, _ = await post.call("POST", path, {"content": content}, token=token)
        answered = time.perf_counter()
        if status != 200:
            out["errors"] += 1
            continue
        while True:
            status, body = await get.call("GET", path + "?limit=1", token=token)
            if status == 200 and body["messages"] and body["messages"][0]["content"] == content:
                break
            if time.perf_counter() - sent > 30:
                out["errors"] += 1
                break
            await asyncio.sleep(0.002)
        seen = time.perf_counter()
        out["after_send"].append((seen - sent) * 1000)
        out["after_answer"].append((seen - answered) * 1000)
        await asyncio.sleep(0.25)
    await post.close()
    await get.close()


def run_once(args, batch_max, guild_count):
    env = {"FILAMENT_COMMAND_BATCH_MAX": str(batch_max)}
    if args.ryw == "off":
        env["FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS"] = "0"
    server = Server(args.binary, args.log)
    server.extra_args = ["--http-threads", str(args.http_threads)]
    server.start(env)
    try:
        poster, made, probe_cid = asyncio.run(setup(server, guild_count))
        paths = [f"/guilds/{g}/channels/{c}/messages" for g, c in made]
        probe = {"after_send": [], "after_answer": [], "errors": 0}
        stop = threading.Event()
        prober = threading.Thread(target=lambda: asyncio.run(
            probe_loop(server.port, poster, made[0][0], probe_cid, stop, probe)))
        load_before = loadavg()
        cpu = ProcessCpu(server.pids())
        perf = None
        if args.perf_dir:
            perf_out = f"{args.perf_dir}/perf-b{batch_max}-g{guild_count}.data"
            perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-o", perf_out, "-p",
                                     str(server.proc.pid), "--", "sleep", str(args.seconds)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        prober.start()
        r = run_wrk(server.port, poster, paths, args.clients, args.seconds)
        stop.set()
        prober.join(timeout=60)
        used = cpu.percent()
        if perf:
            perf.wait(timeout=args.seconds + 60)
        return [args.log, args.ryw, args.http_threads, batch_max, guild_count, args.clients, fmt(r["rps"], 0),
                fmt(r["p50"], 2), fmt(r["p99"], 2), r["non2xx"],
                fmt(percentile(probe["after_answer"], .5), 1),
                fmt(percentile(probe["after_answer"], .99), 1),
                fmt(percentile(probe["after_send"], .99), 1), len(probe["after_send"]),
                fmt(used["filament"], 0), fmt(used["postgres"], 0),
                f"{load_before} → {loadavg()}"]
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--log", default="pg")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--guilds", default="1,100")
    parser.add_argument("--batch-max", default="128,1")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--ryw", default="on", choices=["on", "off"])
    parser.add_argument("--http-threads", type=int, default=64, help="filament's default: 64")
    parser.add_argument("--perf-dir", default="")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    rows = []
    header = ["log", "ryw", "HTTP threads", "batch max", "guilds", "clients", "posts/s", "POST p50 ms",
              "POST p99 ms", "non-2xx", "lag p50 ms", "lag p99 ms", "post→readable p99 ms",
              "probes", "filament CPU %", "postgres CPU %", "load avg before → after"]
    for _ in range(args.rounds):
        for guilds in [int(g) for g in args.guilds.split(",")]:
            for batch_max in [int(b) for b in args.batch_max.split(",")]:
                rows.append(run_once(args, batch_max, guilds))
                print("  " + " | ".join(str(c) for c in rows[-1]), file=sys.stderr)
                if args.out:
                    with open(args.out, "w") as f:
                        f.write(table(header, rows) + "\n")
    print(table(header, rows))


if __name__ == "__main__":
    main()
