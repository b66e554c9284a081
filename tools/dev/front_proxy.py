#!/usr/bin/python3
"""A small front proxy for the multi-process recipe (tools/dev/cluster.sh, ADR 0088).

One listening port: a WebSocket upgrade of `/gateway/ws` goes to the next gateway process
(round-robin), every other request to an api process chosen by affinity (ADR 0093): the
guild id when the path (with or without the `/api` prefix) starts with `/guilds/<id>`, else the
`Authorization` header, else the connection's peer address (register, login, refresh: one
client address keeps one process, so the per-address auth limits count as on one process); the
guild's log partition (`--partitions`, FNV-1a like the server's PartitionFor) modulo the
number of api processes picks the process for a guild, so every guild of one partition goes to
one process; other keys go by CRC-32 modulo the number of processes. Partition ownership (ADR
0091, fenced writers) then does not move on every request. Correctness never depends on this:
any api process may serve any request. A head the proxy cannot parse goes round-robin. Each
request is routed
on its own: the proxy forwards a non-upgrade request with `Connection: close`, so the backend
closes after its response and a keep-alive client opens a new connection (a new pick) for its
next request; pipelined requests behind the first on one connection are not forwarded.

The client address goes on in `X-Forwarded-For` (what `--trusted-proxy-cidrs` reads, REST_API.md
§1.1): from a peer outside `--trusted-clients`, any `X-Forwarded-For` / `CF-Connecting-IP` it
sent is dropped and `X-Forwarded-For: <peer>` set; from a trusted peer (another proxy in front)
its headers are kept as sent (`X-Forwarded-For: <peer>` added when it has none).

Bounded: a head is read up to 16 KiB + 1 KiB (the server's own cap is 16 KiB) and 30 s; a head
the proxy cannot take apart (too long, not HTTP/1.x, no end) is passed on to an api process
unchanged, which answers with its own error. SIGTERM/SIGINT: stop accepting, let open
connections finish for up to --drain-s seconds, then exit 0. Not a production load balancer:
no TLS, no health checks beyond a refused connect (the next backends in order are tried: a
killed api process fails no request while another lives), no keep-alive to backends. Standard library only; run with /usr/bin/python3.

Usage: front_proxy.py --listen 127.0.0.1:0 --api H:P[,H:P] --gateway H:P[,H:P]
                      [--partitions 4] [--trusted-clients CIDR[,CIDR]] [--log-connections]
Prints "front proxy listening on port N" once listening.
"""
import argparse
import asyncio
import ipaddress
import json
import signal
import sys
import zlib

MAX_HEAD = 16384 + 1024
HEAD_TIMEOUT_S = 30
MAX_CONNECTIONS = 4096
CHUNK = 65536
GATEWAY_PATH = "/gateway/ws"
DROPPED_FROM_UNTRUSTED = {"x-forwarded-for", "cf-connecting-ip"}


def parse_address(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536:
        raise argparse.ArgumentTypeError(f"not HOST:PORT: {text!r}")
    return host.strip("[]"), int(port)


def parse_pool(text):
    pool = [parse_address(item) for item in text.split(",") if item]
    if not pool:
        raise argparse.ArgumentTypeError("empty backend list")
    return pool


def parse_cidrs(text):
    return [ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item]


def head_end(buffer):
    """Index just past the blank line ending the head (CRLF or bare LF lines), or -1."""
    ends = [i for i in (buffer.find(b"\n\r\n"), buffer.find(b"\n\n")) if i >= 0]
    if not ends:
        return -1
    at = min(ends)
    return at + (3 if buffer[at + 1:at + 2] == b"\r" else 2)


def affinity_key(path, authorization, peer=None):
    """What picks the api process of a request: "guild:<id>" for a path (with or without the
    `/api` prefix) under /guilds/<id>, else "auth:<Authorization value>", else "peer:<peer>"
    (the TCP peer's address, never a forwarded header), else None."""
    if path == "/api" or path.startswith("/api/"):
        path = path[4:]
    parts = path.split("/")
    if len(parts) >= 3 and parts[0] == "" and parts[1] == "guilds" and parts[2]:
        return "guild:" + parts[2]
    if authorization:
        return "auth:" + authorization
    if peer:
        return "peer:" + peer
    return None


def partition_of(stream, partitions):
    """The log partition of `stream`: events::PartitionFor (FNV-1a 32-bit modulo the count),
    part of the log's format (a stream never moves), pinned by events_test."""
    value = 2166136261
    for byte in stream.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value % partitions if partitions > 1 else 0


def backend_index(key, count, partitions=4):
    """The stable (process- and run-independent) index of `key` among `count` backends: a
    guild by its log partition (ULIDs in canonical upper case, as the server names streams),
    so that a partition has one process; any other key by its CRC-32."""
    if key.startswith("guild:"):
        return partition_of("guild:" + key[6:].upper(), partitions) % count
    return zlib.crc32(key.encode("utf-8")) % count


def has_token(value, token):
    return any(part.strip().lower() == token for part in value.split(","))


class Request:
    """The request line and header fields of one head; None from parse when it is not HTTP/1.x."""

    def __init__(self, line, fields):
        self.line, self.fields = line, fields
        self.method, target, _ = line.split(" ", 2)
        self.path = target.split("?", 1)[0]

    @staticmethod
    def parse(head):
        lines = head.decode("latin-1").split("\n")
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return None
        fields = []
        for line in lines[1:]:
            if not line:
                break
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip() or line[0] in " \t":
                return None  # malformed or obs-fold: the server judges it
            fields.append((name, value.strip()))
        return Request(lines[0], fields)

    def header(self, name):
        return [v for n, v in self.fields if n.lower() == name]

    def affinity(self, peer):
        authorization = self.header("authorization")
        return affinity_key(self.path, authorization[0] if authorization else None, peer)

    def is_upgrade(self):
        return (self.method == "GET" and self.path == GATEWAY_PATH and
                any(has_token(v, "websocket") for v in self.header("upgrade")))

    def rewritten(self, peer, trusted):
        upgrade = self.is_upgrade()
        fields = []
        for name, value in self.fields:
            lower = name.lower()
            if lower in DROPPED_FROM_UNTRUSTED and not trusted:
                continue
            if not upgrade and lower in ("connection", "keep-alive"):
                continue
            fields.append((name, value))
        if not trusted or not self.header("x-forwarded-for"):
            fields.append(("X-Forwarded-For", peer))
        if not upgrade:
            fields.append(("Connection", "close"))
        lines = [self.line] + [f"{name}: {value}" for name, value in fields]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class Proxy:
    def __init__(self, args):
        self.pools = {"api": args.api, "gateway": args.gateway}
        self.next = {"api": 0, "gateway": 0}
        self.trusted = args.trusted_clients
        self.partitions = args.partitions
        self.log_connections = args.log_connections
        self.tasks = set()

    def pick(self, pool, key=None):
        """The backends of `pool` in the order to try: the key's backend (round-robin without a
        key: gateways, unparsed heads), then the ones after it."""
        backends = self.pools[pool]
        if key is not None:
            start = backend_index(key, len(backends), self.partitions)
        else:
            start = self.next[pool]
            self.next[pool] = (start + 1) % len(backends)
        return [backends[(start + i) % len(backends)] for i in range(len(backends))]

    def is_trusted(self, peer):
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in block for block in self.trusted)

    async def handle(self, reader, writer):
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            if len(self.tasks) > MAX_CONNECTIONS:
                return
            await self.serve(reader, writer)
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            self.tasks.discard(task)
            writer.close()

    async def read_head(self, reader):
        buffer = b""
        while len(buffer) <= MAX_HEAD:
            end = head_end(buffer)
            if end >= 0:
                return buffer[:end], buffer[end:]
            chunk = await reader.read(CHUNK)
            if not chunk:
                return None, buffer
            buffer += chunk
        return None, buffer

    async def serve(self, reader, writer):
        peer = writer.get_extra_info("peername")[0]
        head, rest = await asyncio.wait_for(self.read_head(reader), HEAD_TIMEOUT_S)
        request = Request.parse(head) if head is not None else None
        pool = "gateway" if request is not None and request.is_upgrade() else "api"
        key = request.affinity(peer) if request is not None and pool == "api" else None
        if request is not None:
            first = request.rewritten(peer, self.is_trusted(peer)) + rest
        else:
            first = (head or b"") + rest  # passed on unchanged: the api answers it
        backend = await self.connect(pool, key)
        if backend is None:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            return
        (up_reader, up_writer), address = backend
        if self.log_connections:
            print(json.dumps({"event": "proxied", "pool": pool,
                              "backend": f"{address[0]}:{address[1]}"}), flush=True)
        up_writer.write(first)
        upstream = asyncio.ensure_future(pipe(reader, up_writer))
        try:
            await pipe(up_reader, writer)  # the backend's answer ends the exchange
        finally:
            upstream.cancel()
            await asyncio.gather(upstream, return_exceptions=True)
            up_writer.close()

    async def connect(self, pool, key):
        for address in self.pick(pool, key):
            try:
                return await asyncio.open_connection(*address), address
            except OSError:
                continue
        return None


async def pipe(reader, writer):
    """Copies until EOF, then half-closes the other side (a WebSocket or a request body)."""
    try:
        while True:
            chunk = await reader.read(CHUNK)
            if not chunk:
                break
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.close()


async def main(args):
    proxy = Proxy(args)
    host, port = args.listen
    server = await asyncio.start_server(proxy.handle, host, port, limit=CHUNK)
    print(f"front proxy listening on port {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    pending = set(proxy.tasks)
    if pending:
        _, still_open = await asyncio.wait(pending, timeout=args.drain_s)
        for task in still_open:
            task.cancel()
        await asyncio.gather(*still_open, return_exceptions=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", type=parse_address, default=("127.0.0.1", 0))
    parser.add_argument("--api", type=parse_pool, required=True)
    parser.add_argument("--gateway", type=parse_pool, required=True)
    parser.add_argument("--trusted-clients", type=parse_cidrs, default=[])
    parser.add_argument("--drain-s", type=float, default=10.0)
    parser.add_argument("--partitions", type=int, default=4,
                        help="the log's partition count (FILAMENT_LOG_PARTITIONS)")
    parser.add_argument("--log-connections", action="store_true",
                        help="one JSON line per proxied connection on stdout")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args(sys.argv[1:])))
