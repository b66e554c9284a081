#!/usr/bin/python3
"""Role-change benchmark: how long an access change takes to reach N open WebSocket connections.

Starts `filament serve` itself (like delivery_bench.py: loopback, ephemeral port, temporary data
dir; PostgreSQL log and/or Kafka log on `filament kafka-mock`), registers U members of one public
guild and opens N gateway connections (round robin over the members), all subscribed to two
channels: `general`, which the rounds hide and reveal, and `lobby`, which stays visible (so a
connection stays in the guild and hears the reveal; GATEWAY.md §5). Then, R rounds of:

  hide    the guild owner denies create_message to @everyone on the channel (the channel
          permission-override route). Per connection: REST answer → the
          `workspace_channel_permission_override_update` frame (the bridge revalidates the
          guild's subscriptions right after fanning that event out). Then a post to `general`
          made right after must reach none of the N connections (leaks).
  reveal  the owner clears the override. Per connection: REST answer → the event, and REST
          answer → `subscribed` for a subscribe the connection sends as soon as it sees the event
          (a grant is usable once the gateway has folded it). Then a post must reach all N.

Latencies are from the REST answer (negative: the frame came first) and from the request's
send. Everything is bounded (timeouts on every wait) and stops by itself.

Usage: role_change_bench.py --binary BUILD/filament [--logs pg,kafka] [--connections 1000]
       [--users 1000] [--rounds 5]
Run with /usr/bin/python3 (Debian's python3-websockets).
"""
import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_http import Http, percentile  # noqa: E402
import websockets  # noqa: E402
from delivery_bench import Server, join_all, loop_lag_probe, make_guild, register_all  # noqa: E402

OVERRIDE_EVENT = "workspace_channel_permission_override_update"


class Conn:
    """One subscribed socket and what it saw, stamped with time.perf_counter()."""

    def __init__(self, ws, gid, cid):
        self.ws, self.gid, self.cid = ws, gid, cid
        self.events, self.subscribed, self.messages = [], [], []
        self.resubscribe = False

    async def read(self):
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame["t"]
                if kind == OVERRIDE_EVENT:
                    self.events.append(now)
                    if self.resubscribe:
                        await self.ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {
                            "guild_id": self.gid, "channel_id": self.cid}}))
                elif kind == "subscribed":
                    self.subscribed.append(now)
                elif kind == "message_create":
                    self.messages.append(frame["d"]["content"])
        except Exception:  # noqa: BLE001 - a closed socket ends its reader; counted as missing
            pass


async def open_conn(port, token, gid, channels):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/gateway/ws?access_token={token}",
                                  max_size=2**20, ping_interval=None, compression=None,
                                  open_timeout=60, max_queue=None)
    assert json.loads(await asyncio.wait_for(ws.recv(), 30))["t"] == "ready"
    for cid in channels:
        await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
        while json.loads(await asyncio.wait_for(ws.recv(), 30))["t"] != "subscribed":
            pass
    return ws


async def wait_all(conns, attr, count, timeout=60):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if all(len(getattr(c, attr)) >= count for c in conns):
            return True
        await asyncio.sleep(0.005)
    return False


async def change(http, token, path, deny):
    sent = time.perf_counter()
    status, body = await http.call("POST", path, {"allow": [], "deny": deny}, token=token)
    answered = time.perf_counter()
    assert status == 200, (status, body)
    return sent, answered


async def post_and_count(http, token, gid, cid, conns, content, expect_all):
    status, body = await http.call("POST", f"/guilds/{gid}/channels/{cid}/messages",
                                   {"content": content}, token=token)
    assert status == 200, (status, body)
    deadline = time.perf_counter() + (30 if expect_all else 1.0)  # none expected: a grace second
    while time.perf_counter() < deadline:
        got = sum(1 for c in conns if content in c.messages)
        if expect_all and got == len(conns):
            break
        await asyncio.sleep(0.01)
    return sum(1 for c in conns if content in c.messages)


async def run_rounds(server, args, owner, gid, cid, conns):
    http = Http(server.port)
    _, roles = await http.call("GET", f"/guilds/{gid}/roles", token=owner)
    everyone = next(r["role_id"] for r in roles["roles"] if r["name"] == "@everyone")
    path = f"/guilds/{gid}/channels/{cid}/permission-overrides/role/{everyone}"
    out = {"hide": [], "hide_sent": [], "reveal": [], "resub": [], "resub_sent": [], "rest": [],
           "leaks": 0, "misses": 0, "timeouts": 0}
    for r in range(args.rounds):
        for c in conns:
            c.resubscribe = False
        sent, answered = await change(http, owner, path, ["create_message"])
        out["rest"].append((answered - sent) * 1000)
        if not await wait_all(conns, "events", 2 * r + 1):
            out["timeouts"] += 1
        for c in conns:
            if len(c.events) > 2 * r:
                out["hide"].append((c.events[2 * r] - answered) * 1000)
                out["hide_sent"].append((c.events[2 * r] - sent) * 1000)
        out["leaks"] += await post_and_count(http, owner, gid, cid, conns, f"hidden#{r}", False)
        for c in conns:
            c.resubscribe = True
        sent, answered = await change(http, owner, path, [])
        out["rest"].append((answered - sent) * 1000)
        if not await wait_all(conns, "subscribed", r + 1):
            out["timeouts"] += 1
        for c in conns:
            if len(c.events) > 2 * r + 1:
                out["reveal"].append((c.events[2 * r + 1] - answered) * 1000)
            if len(c.subscribed) > r:
                out["resub"].append((c.subscribed[r] - answered) * 1000)
                out["resub_sent"].append((c.subscribed[r] - sent) * 1000)
        got = await post_and_count(http, owner, gid, cid, conns, f"visible#{r}", True)
        out["misses"] += len(conns) - got
    await http.close()
    return out


async def bench(server, args):
    names = [f"m{i:04d}" for i in range(args.users)]
    tokens = await register_all(server.port, ["owner"])
    owner = tokens["owner"][0]
    gid, cid = await make_guild(server.port, owner)
    http = Http(server.port)
    status, lobby = await http.call("POST", f"/guilds/{gid}/channels", {"name": "lobby"}, token=owner)
    assert status == 200, (status, lobby)
    await http.close()
    t0 = time.perf_counter()
    tokens.update(await register_all(server.port, names))
    print(f"  {len(names)} members registered in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    await join_all(server.port, gid, [tokens[n][0] for n in names])
    conns = []
    for start in range(0, args.connections, 50):  # 50 handshakes at a time
        batch = [tokens[names[i % len(names)]][0]
                 for i in range(start, min(args.connections, start + 50))]
        sockets = await asyncio.gather(*[open_conn(server.port, t, gid, [cid, lobby["channel_id"]])
                                         for t in batch])
        conns += [Conn(ws, gid, cid) for ws in sockets]
    readers = [asyncio.create_task(c.read()) for c in conns]
    lag, stop = [], asyncio.Event()
    probe = asyncio.create_task(loop_lag_probe(lag, stop))
    try:
        out = await run_rounds(server, args, owner, gid, cid, conns)
    finally:
        stop.set()
        await probe
        await asyncio.gather(*[c.ws.close() for c in conns], return_exceptions=True)
        for task in readers:
            task.cancel()
    out["lag_p99"] = percentile(lag, 0.99) * 1000
    return out


def row(label, values):
    if not values:
        return f"| {label} | 0 | – | – | – | – |"
    return (f"| {label} | {len(values)} | {percentile(values, 0.5):.1f} | "
            f"{percentile(values, 0.99):.1f} | {max(values):.1f} | {min(values):.1f} |")


def report(adapter, args, out):
    lines = [f"### {adapter}: {args.connections} connections of {args.users} members, "
             f"{args.rounds} rounds",
             "",
             "| per connection, ms | samples | p50 | p99 | max | min |",
             "|---|---|---|---|---|---|",
             row("hide: REST answer → override event", out["hide"]),
             row("hide: REST request sent → override event", out["hide_sent"]),
             row("reveal: REST answer → override event", out["reveal"]),
             row("reveal: REST answer → re-subscribe answered", out["resub"]),
             row("reveal: REST request sent → re-subscribe answered", out["resub_sent"]),
             row("the override POST itself (REST round trip)", out["rest"]),
             "",
             f"Posts right after a hide reaching a connection (leaks): {out['leaks']}; "
             f"connections missing a post right after a reveal: {out['misses']}; "
             f"rounds not complete within 60 s: {out['timeouts']}; "
             f"client event-loop lag p99 {out['lag_p99']:.1f} ms."]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--logs", default="pg")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--users", type=int, default=1000, help="members (connections round robin)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", default="", help="also append the Markdown here")
    args = parser.parse_args()
    failed = False
    for adapter in args.logs.split(","):
        print(f"role_change_bench: {adapter} ...", file=sys.stderr)
        server = Server(args.binary, adapter).start()
        try:
            out = asyncio.run(bench(server, args))
        finally:
            server.stop()
        text = report(adapter, args, out)
        print(text + "\n", flush=True)
        if args.out:
            with open(args.out, "a") as f:
                f.write(text + "\n\n")
        failed = failed or out["leaks"] > 0 or out["misses"] > 0 or out["timeouts"] > 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
