"""Small helpers for delivery_bench.py: a keep-alive HTTP/1.1 client on asyncio streams,
per-process CPU accounting from /proc, and percentiles. Standard library only."""
import asyncio
import json
import os
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Http:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port; reconnects when closed."""

    def __init__(self, port):
        self.port = port
        self.reader = self.writer = None

    async def call(self, method, path, body=None, token=None):
        """Returns (status, parsed JSON or None). Bounded by a 60 s timeout."""
        return await asyncio.wait_for(self._call(method, path, body, token), 60)

    async def _call(self, method, path, body, token):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        data = json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(data)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        self.writer.write(head.encode() + b"\r\n" + data)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        raw = await self._body(headers)
        if headers.get("connection", "").lower() == "close":
            await self.close()
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")

    async def _body(self, headers):
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    return raw
                raw += chunk[:-2]
        return await self.reader.readexactly(int(headers.get("content-length", "0")))

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


def _cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return None


class ProcessCpu:
    """CPU used by groups of processes between construction and percent(), in % of one core."""

    def __init__(self, groups):
        self.groups = groups
        self.start = time.monotonic()
        self.before = {pid: _cpu_ticks(pid) for pids in groups.values() for pid in pids}

    def percent(self):
        elapsed = time.monotonic() - self.start
        out = {}
        for name, pids in self.groups.items():
            used = 0
            for pid in pids:
                now, then = _cpu_ticks(pid), self.before.get(pid)
                if now is not None and then is not None:
                    used += now - then
            out[name] = 100.0 * used / CLOCK_TICKS / elapsed
        return out


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]
