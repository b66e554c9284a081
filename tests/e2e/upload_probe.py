"""Probes for streamed uploads refused from their head (issue #6): the answer must come before
the client sends its body, and no spool file may be created for it.

SpoolWatch watches the server's spool directory (its data dir) with inotify for the anonymous
`filament-upload-*` files an upload spools into; refused_before_body sends only the head of a
large upload and times the answer.
"""
import ctypes
import os
import socket
import struct
import time

import filament_harness

_IN_CREATE = 0x100
_IN_NONBLOCK = 0o4000
_libc = ctypes.CDLL(None, use_errno=True)


class SpoolWatch:
    """Counts `filament-upload-*` files created in `directory` (a path, or a list of them: one
    spool directory per api process in cluster mode, `Server.spool_dirs()`; Linux inotify)."""

    def __init__(self, directory):
        self.fd = _libc.inotify_init1(_IN_NONBLOCK)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        for path in [directory] if isinstance(directory, str) else directory:
            if _libc.inotify_add_watch(self.fd, path.encode(), _IN_CREATE) < 0:
                raise OSError(ctypes.get_errno(), "inotify_add_watch")

    def created(self):
        """Spool files created since the last call."""
        count = 0
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return count
            offset = 0
            while offset < len(data):
                _, mask, _, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16:offset + 16 + length].rstrip(b"\0")
                if mask & _IN_CREATE and name.startswith(b"filament-upload-"):
                    count += 1
                offset += 16 + length

    def close(self):
        os.close(self.fd)


def refused_before_body(port, method, target, headers, declared, sent=64 * 1024):
    """Sends the head of an upload declaring `declared` bytes and only `sent` of them, then
    reads the answer. Returns (status, headers dict, body bytes, seconds to the answer,
    closed by the server)."""
    head = f"{method} {target} HTTP/1.1\r\nHost: x\r\n"
    for name, value in headers.items():
        head += f"{name}: {value}\r\n"
    head += f"Content-Length: {declared}\r\n\r\n"
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.encode() + b"\0" * min(sent, declared))
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = conn.recv(65536)
            if not chunk:
                break
            reply += chunk
        elapsed = time.monotonic() - start
        head_part, _, body = reply.partition(b"\r\n\r\n")
        lines = head_part.decode("latin-1").split("\r\n")
        got = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        while len(body) < int(got.get("content-length", "0")):
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        try:
            closed = conn.recv(1) == b""
        except OSError:
            closed = True
    status = int(lines[0].split(" ")[1]) if lines and lines[0] else 0
    filament_harness.record_response(method, target, status, list(got.items()), body)
    return status, got, body, elapsed, closed
