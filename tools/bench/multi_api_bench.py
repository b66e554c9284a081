#!/usr/bin/python3
"""Posts/s and POST latency against a running `tools/dev/cluster.sh --api N` (ADR 0093).

Registers one poster, creates G public guilds with a channel each, then runs wrk (keep-alive
connections, POST a message to a random one of the guilds) for S seconds, in one of two ways:
- `proxy`: one wrk through the front proxy (which routes each guild to its api process; the
  proxy forwards `Connection: close`, so every request is a new backend connection);
- `direct`: one wrk per api process on its own port with the guilds the proxy would route
  there (client-side affinity, the same CRC-32): the servers without the Python proxy.
Prints one JSON line: {"apis", "mode", "rps", "p50", "p99", "non2xx", "requests", "load"}.

Usage: multi_api_bench.py --proxy PORT --apis PORT[,PORT...] [--mode proxy|direct]
       [--guilds 8] [--connections 32] [--seconds 10]
Run with /usr/bin/python3; needs wrk.
"""
import argparse
import asyncio
import concurrent.futures
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "dev"))
from delivery_bench import make_guild, register_all, run_wrk  # noqa: E402
from front_proxy import affinity_key, backend_index  # noqa: E402


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def api_index(gid, count):
    return backend_index(affinity_key(f"/guilds/{gid}", None), count)  # the proxy's choice


async def setup(port, guilds):
    tokens = await register_all(port, ["poster"])
    token = tokens["poster"][0]
    made = [await make_guild(port, token, f"bench{g}") for g in range(guilds)]
    return token, [f"/guilds/{gid}/channels/{cid}/messages" for gid, cid in made], made


def merge(results, seconds):
    """One row from several wrk runs: summed rate, the worst percentiles (an upper bound)."""
    return {"rps": round(sum(r["rps"] for r in results), 1),
            "p50": max(r["p50"] for r in results), "p99": max(r["p99"] for r in results),
            "non2xx": sum(r["non2xx"] for r in results),
            "requests": sum(r["requests"] for r in results)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--proxy", type=int, required=True)
    parser.add_argument("--apis", required=True, help="the api ports, in cluster.sh order")
    parser.add_argument("--mode", choices=["proxy", "direct"], default="proxy")
    parser.add_argument("--guilds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    apis = [int(p) for p in args.apis.split(",")]
    token, paths, made = asyncio.run(setup(args.proxy, args.guilds))
    before = loadavg()
    if args.mode == "proxy":
        results = [run_wrk(args.proxy, token, paths, args.connections, args.seconds)]
    else:
        jobs = []
        for i, port in enumerate(apis):
            mine = [p for p, (gid, _) in zip(paths, made) if api_index(gid, len(apis)) == i]
            if mine:
                jobs.append((port, mine, max(1, args.connections * len(mine) // len(paths))))
        with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
            results = list(pool.map(lambda j: run_wrk(j[0], token, j[1], j[2], args.seconds),
                                    jobs))
    row = {"apis": len(apis), "mode": args.mode, **merge(results, args.seconds),
           "load": f"{before} → {loadavg()}"}
    print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
