#!/usr/bin/python3
"""Delivery benchmark: REST post -> gateway message_create latency, and sustained posts/s.

Starts `filament serve` itself (PostgreSQL log, then Kafka log on `filament kafka-mock`), on
loopback with ephemeral ports and a temporary data dir, registers 1 poster + S subscribers,
joins them to one public guild, subscribes them to one channel, posts at a fixed rate and
measures, per message and per subscriber socket, POST-send -> message_create received.
Then measures sustained posts/s with wrk (C keep-alive connections) and where the CPU goes
(per-process CPU from /proc, optional `perf record` of the server), with and without the
read-your-writes wait. Everything is bounded and stops by itself.

Usage: delivery_bench.py --binary BUILD/filament [--logs pg,kafka] [--subscribers 1,100,1000]
Run with /usr/bin/python3 (Debian's python3-websockets).
"""
import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_http import Http, ProcessCpu, percentile  # noqa: E402

import websockets  # noqa: E402

PASSWORD = "bench password 123"
HIGH_LIMITS = {
    "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "100000000",
    "FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE": "100000000",
    "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP": "100000000",
    "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_USER": "100000000",
    "FILAMENT_GATEWAY_OUTBOUND_QUEUE": "10000",
    "FILAMENT_MAX_CREATED_GUILDS_PER_USER": "1000",
}
STAMP = re.compile(r'"content":"bench#(\d+)#')


class Server:
    """`filament serve` (and `filament kafka-mock` for the Kafka log) on loopback."""

    def __init__(self, binary, log, extra_args=()):
        self.binary, self.log, self.extra_args = binary, log, list(extra_args)
        # TMPDIR=/dev/shm: a data dir whose fsync costs nothing (what the disk adds to a number)
        self.data_dir = tempfile.mkdtemp(prefix="filament-delivery-", dir=os.environ.get("TMPDIR", "/tmp"))
        os.chmod(self.data_dir, 0o755)
        self.mock = self.proc = self.port = None
        self.brokers = None

    def start(self, extra_env=None):
        if self.log == "kafka" and self.mock is None:
            self.mock = subprocess.Popen([self.binary, "kafka-mock"], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
            self.brokers = self.mock.stdout.readline().strip()
        args = [self.binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir]
        if self.brokers:
            args += ["--kafka-brokers", self.brokers]
        args += self.extra_args
        env = dict(os.environ, **HIGH_LIMITS, **(extra_env or {}))
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        deadline = time.time() + 90
        lines = []
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"listening on port (\d+)", line)
            if match:
                self.port = int(match.group(1))
                self._drain()
                return self
        raise RuntimeError("server did not start:\n" + "".join(lines))

    def _drain(self):
        import threading
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def stop_server(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stop(self):
        self.stop_server()
        if self.mock and self.mock.poll() is None:
            self.mock.terminate()
            self.mock.wait(timeout=10)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def pids(self):
        """{'filament': [pid], 'postgres': [...], 'kafka-mock': [...]} for CPU accounting."""
        out = {"filament": [self.proc.pid], "postgres": [], "kafka-mock": []}
        if self.mock:
            out["kafka-mock"].append(self.mock.pid)
        postmaster = None
        for pid in _all_pids():
            if f"{self.data_dir}/postgres" in _cmdline(pid) and _ppid(pid) != postmaster:
                postmaster = postmaster or pid
        if postmaster:
            out["postgres"] = [postmaster] + [p for p in _all_pids() if _ppid(p) == postmaster]
        return out


def _all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


async def register_all(port, names, concurrency=16):
    """Registers and logs in every name; returns {name: (token, user_id)}. Argon2 bound."""
    queue = list(names)
    tokens = {}

    async def worker():
        http = Http(port)
        while queue:
            name = queue.pop()
            await http.call("POST", "/auth/register", {"username": name, "password": PASSWORD})
            status, body = await http.call("POST", "/auth/login",
                                           {"username": name, "password": PASSWORD})
            if status != 200:
                raise RuntimeError(f"login {name}: {status} {body}")
            _, me = await http.call("GET", "/auth/me", token=body["access_token"])
            tokens[name] = (body["access_token"], me["user_id"])
        await http.close()

    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return tokens


async def make_guild(port, owner_token, name="bench"):
    http = Http(port)
    status, guild = await http.call("POST", "/guilds", {"name": name, "visibility": "public"},
                                    token=owner_token)
    assert status == 200, (status, guild)
    gid = guild["guild_id"]
    status, channel = await http.call("POST", f"/guilds/{gid}/channels", {"name": "general"},
                                      token=owner_token)
    assert status == 200, (status, channel)
    await http.close()
    return gid, channel["channel_id"]


async def join_all(port, gid, tokens, concurrency=16):
    queue = list(tokens)

    async def worker():
        http = Http(port)
        while queue:
            status, body = await http.call("POST", f"/guilds/{gid}/join", token=queue.pop())
            assert status == 200, (status, body)
        await http.close()

    await asyncio.gather(*[worker() for _ in range(concurrency)])


async def open_subscriber(port, token, gid, cid):
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/gateway/ws?access_token={token}",
                                  max_size=2**20, ping_interval=None, compression=None,
                                  open_timeout=60, max_queue=None)
    ready = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert ready["t"] == "ready", ready
    await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame["t"] == "subscribed":
            return ws


async def loop_lag_probe(samples, stop):
    """Measures how late the event loop wakes up: the Python client's own overhead."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        samples.append(time.perf_counter() - t - 0.01)


async def delivery_run(port, poster_token, sub_tokens, gid, cid, messages, rate):
    subs = []
    for i in range(0, len(sub_tokens), 100):
        subs += await asyncio.gather(*[open_subscriber(port, t, gid, cid)
                                       for t in sub_tokens[i:i + 100]])
    sent, deliveries, post_lat, lag, first = {}, [], [], [], {}
    expected = len(subs) * messages
    all_in = asyncio.Event()

    async def reader(ws):
        async for raw in ws:
            now = time.perf_counter()
            match = STAMP.search(raw) if '"message_create"' in raw else None
            if match:
                seq = int(match.group(1))
                deliveries.append(now - sent[seq])
                first.setdefault(seq, now - sent[seq])
                if len(deliveries) == expected:
                    all_in.set()

    readers = [asyncio.create_task(reader(ws)) for ws in subs]
    stop = asyncio.Event()
    probe = asyncio.create_task(loop_lag_probe(lag, stop))
    cpu0 = time.process_time()
    http = Http(port)
    path = f"/guilds/{gid}/channels/{cid}/messages"
    start = time.perf_counter()
    for i in range(messages):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        sent[i] = time.perf_counter()
        status, body = await http.call("POST", path, {"content": f"bench#{i}# hello **all**"},
                                       token=poster_token)
        post_lat.append(time.perf_counter() - sent[i])
        assert status == 200, (status, body)
    try:
        await asyncio.wait_for(all_in.wait(), 30)
    except asyncio.TimeoutError:
        pass
    elapsed = time.perf_counter() - start
    client_cpu = (time.process_time() - cpu0) / elapsed
    stop.set()
    await probe
    await http.close()
    for ws in subs:
        await ws.close()
    for task in readers:
        task.cancel()
    return {"deliveries": deliveries, "first": list(first.values()), "expected": expected, "post": post_lat, "lag": lag,
            "client_cpu": client_cpu}


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
wrk.body = '{"content":"sustained hello **world**"}'
paths = {%s}
request = function() return wrk.format(nil, paths[math.random(#paths)]) end
"""


def run_wrk(port, token, paths, connections, seconds):
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(WRK_SCRIPT % (token, ",".join(f'"{p}"' for p in paths)))
    script.close()
    threads = min(2, connections)
    proc = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
                           "--latency", "-s", script.name, f"http://127.0.0.1:{port}/"],
                          capture_output=True, text=True, timeout=seconds + 60)
    os.unlink(script.name)
    return parse_wrk(proc.stdout)


def parse_wrk(text):
    def ms(value):
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]
    out = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))}
    for q in ("50", "99"):
        match = re.search(rf"^\s+{q}%\s+(\S+)", text, re.M)
        out["p" + q] = ms(match.group(1)) if match else float("nan")
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(match.group(1)) if match else 0
    match = re.search(r"(\d+) requests in", text)
    out["requests"] = int(match.group(1)) if match else 0
    return out


def sustained(server, token, paths, connections, seconds, perf_out=None):
    cpu = ProcessCpu(server.pids())
    perf = None
    if perf_out:
        perf = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-o", perf_out, "-p",
                                 str(server.proc.pid), "--", "sleep", str(seconds)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    result = run_wrk(server.port, token, paths, connections, seconds)
    result["cpu"] = cpu.percent()
    if perf:
        perf.wait(timeout=seconds + 60)
    return result


def perf_top(perf_file, limit=15):
    report = subprocess.run(["perf", "report", "-i", perf_file, "--stdio", "--no-children",
                             "-g", "none", "--sort", "dso,sym", "--percent-limit", "1.5"],
                            capture_output=True, text=True, timeout=300).stdout
    rows = [line.strip() for line in report.splitlines() if re.match(r"\s+[\d.]+%", line)]
    return rows[:limit]


def fmt(value, digits=1):
    return f"{value:.{digits}f}"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


async def setup(server, max_subs, guilds):
    """Poster and guilds first (cheap, fails early), then the Argon2-bound subscribers."""
    tokens = await register_all(server.port, ["poster"])
    poster = tokens["poster"][0]
    gid, cid = await make_guild(server.port, poster)
    extra = [await make_guild(server.port, poster, f"bench{g}") for g in range(1, guilds)]
    names = [f"sub{i:04d}" for i in range(max_subs)]
    t0 = time.perf_counter()
    tokens.update(await register_all(server.port, names))
    reg_s = time.perf_counter() - t0
    await join_all(server.port, gid, [tokens[n][0] for n in names])
    print(f"  registered+logged in {len(names)} accounts in {reg_s:.1f} s "
          f"({len(names) / reg_s:.1f}/s, Argon2-bound)", file=sys.stderr)
    return tokens, poster, (gid, cid), extra


def delivery_rows(adapter, server, tokens, poster, gid, cid, args):
    rows = []
    for s in args.subscribers:
        messages = args.messages if s < 1000 else max(10, args.messages // 2)
        rate = args.rate if s < 1000 else max(1, args.rate // 2)
        subs = [tokens[f"sub{i:04d}"][0] for i in range(s)]
        cpu = ProcessCpu(server.pids())
        r = asyncio.run(delivery_run(server.port, poster, subs, gid, cid, messages, rate))
        used = cpu.percent()
        d = [x * 1000 for x in r["deliveries"]]
        rows.append([adapter, s, f"{messages} @ {rate}/s", f"{len(d)}/{r['expected']}",
                     fmt(percentile(d, .5), 2), fmt(percentile(d, .99), 2),
                     fmt(max(d) if d else float("nan"), 2),
                     fmt(percentile([x * 1000 for x in r["first"]], .5), 2),
                     fmt(percentile([x * 1000 for x in r["post"]], .5), 2),
                     fmt(percentile([x * 1000 for x in r["lag"]], .99), 2),
                     fmt(100 * r["client_cpu"], 0), fmt(used["filament"], 0),
                     fmt(used["postgres"], 0)])
        print(f"  delivery S={s}: p50 {rows[-1][4]} ms p99 {rows[-1][5]} ms", file=sys.stderr)
    return rows


def sustained_rows(adapter, server, poster, paths, args, label, perf_file=None):
    rows = []
    for c in args.connections:  # the whole ladder: under shared-CPU noise one dip is not a peak
        r = sustained(server, poster, paths, c, args.seconds,
                      perf_file if (perf_file and c == args.connections[-1]) else None)
        rows.append([adapter, label, len(paths), c, fmt(r["rps"], 0), fmt(r["p50"], 2),
                     fmt(r["p99"], 2), r["non2xx"], fmt(r["cpu"]["filament"], 0),
                     fmt(r["cpu"]["postgres"], 0), fmt(r["cpu"].get("kafka-mock", 0), 0)])
        print(f"  sustained {label} C={c}: {r['rps']:.0f}/s", file=sys.stderr)
    return rows


def sustained_phase(server, poster, gid, cid, extra, args, label, perf_file=None):
    one = [f"/guilds/{gid}/channels/{cid}/messages"]
    many = one + [f"/guilds/{g}/channels/{c}/messages" for g, c in extra]
    return (sustained_rows(server.log, server, poster, one, args, label, perf_file) +
            sustained_rows(server.log, server, poster, many, args, label))


def bench_adapter(adapter, args, out):
    server = Server(args.binary, adapter).start()
    try:
        tokens, poster, (gid, cid), extra = asyncio.run(
            setup(server, max(args.subscribers), args.guilds))
        out["delivery"] += delivery_rows(adapter, server, tokens, poster, gid, cid, args)
        perf_file = f"{args.perf_dir}/perf-{adapter}.data" if args.perf_dir else None
        out["sustained"] += sustained_phase(server, poster, gid, cid, extra, args, "ryw on",
                                            perf_file)
        if perf_file and os.path.exists(perf_file):
            out["perf"][adapter] = perf_top(perf_file)
    finally:
        server.stop()
    # A fresh server (and, for Kafka, a fresh mock: the mock keeps only ~5 MiB per partition,
    # and a restarted server cannot rebuild its command state once older records are gone).
    server = Server(args.binary, adapter).start({"FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS": "0"})
    try:
        _, poster, (gid, cid), extra = asyncio.run(setup(server, 0, args.guilds))
        out["sustained"] += sustained_phase(server, poster, gid, cid, extra, args,
                                            "ryw off (0 ms)")
    finally:
        server.stop()


def ryw_ab(adapter, args, rounds):
    """Alternates fresh servers with the read-your-writes wait on and off, so that both see
    the same background load; returns rows (round, ryw, connections, posts/s, p50, p99)."""
    rows = []
    for i in range(rounds):
        for label, env in (("on", {}), ("off (0 ms)", {"FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS": "0"})):
            server = Server(args.binary, adapter).start(env)
            try:
                _, poster, (gid, cid), _ = asyncio.run(setup(server, 0, 1))
                path = [f"/guilds/{gid}/channels/{cid}/messages"]
                for c in (1, 16):
                    r = sustained(server, poster, path, c, args.seconds)
                    rows.append([adapter, i + 1, label, c, fmt(r["rps"], 0), fmt(r["p50"], 2),
                                 fmt(r["p99"], 2), fmt(r["cpu"]["filament"], 0),
                                 fmt(r["cpu"]["postgres"], 0)])
            finally:
                server.stop()
    return rows


def report(out):
    text = "### REST post → gateway message_create (per subscriber socket)\n\n" + table(
        ["log", "subscribers", "posts", "delivered", "p50 ms", "p99 ms", "max ms",
         "first socket p50 ms", "POST p50 ms", "client loop lag p99 ms", "client CPU %", "filament CPU %",
         "postgres CPU %"], out["delivery"])
    text += "\n\n### Sustained posts/s (wrk, keep-alive, one poster account)\n\n" + table(
        ["log", "read-your-writes", "guilds", "connections", "posts/s", "p50 ms", "p99 ms",
         "non-2xx", "filament CPU %", "postgres CPU %", "kafka-mock CPU %"], out["sustained"])
    if out.get("ab"):
        text += "\n\n### Read-your-writes wait on/off, alternating fresh servers (1 guild)\n\n"
        text += table(["log", "round", "ryw", "connections", "posts/s", "p50 ms", "p99 ms",
                       "filament CPU %", "postgres CPU %"], out["ab"])
    for adapter, rows in out["perf"].items():
        text += f"\n\n### perf: top of `filament serve` ({adapter} log, highest connections)\n\n"
        text += "```\n" + "\n".join(rows) + "\n```"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--logs", default="pg,kafka")
    parser.add_argument("--subscribers", default="1,100,1000")
    parser.add_argument("--messages", type=int, default=200, help="posts per delivery run")
    parser.add_argument("--rate", type=int, default=20, help="posts/s in delivery runs")
    parser.add_argument("--connections", default="1,4,16,64", help="wrk connection counts")
    parser.add_argument("--seconds", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--guilds", type=int, default=8, help="guilds for the spread run")
    parser.add_argument("--perf-dir", default="", help="perf record the server here")
    parser.add_argument("--out", default="", help="also write the Markdown tables here")
    parser.add_argument("--ryw-ab", type=int, default=0,
                        help="only run N alternating ryw on/off rounds per log (C=1 and 16)")
    args = parser.parse_args()
    args.subscribers = [int(x) for x in args.subscribers.split(",")]
    args.connections = [int(x) for x in args.connections.split(",")]
    out = {"delivery": [], "sustained": [], "perf": {}, "ab": []}
    if args.ryw_ab:
        for adapter in args.logs.split(","):
            out["ab"] += ryw_ab(adapter, args, args.ryw_ab)
        print(report(out))
        if args.out:
            with open(args.out, "w") as f:
                f.write(report(out) + "\n")
        return
    for adapter in args.logs.split(","):
        print(f"delivery_bench: {adapter} ...", file=sys.stderr)
        try:
            bench_adapter(adapter, args, out)
        finally:  # partial results survive a failure of a later phase
            if args.out:
                with open(args.out, "w") as f:
                    f.write(report(out) + "\n")
    print(report(out))


if __name__ == "__main__":
    main()
