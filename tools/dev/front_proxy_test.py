#!/usr/bin/python3
"""Tests of tools/dev/front_proxy.py against fake backends (no filament binary needed).

Each fake backend records the raw head it received and answers with its own name, so a test
sees which process served each request and what the proxy sent it.
Usage: front_proxy_test.py
"""
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PROXY = os.path.join(HERE, "front_proxy.py")
sys.path.insert(0, HERE)
import front_proxy  # noqa: E402 (the key function, tested directly)


class Backend(socketserver.ThreadingTCPServer):
    """Answers each request with its name; a WebSocket upgrade gets 101 and then an echo."""
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, name):
        self.name, self.heads = name, []
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.server_address[1]}"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        self.server.heads.append(head.decode("latin-1"))
        if b"upgrade: websocket" in head.lower():
            self.request.sendall(b"HTTP/1.1 101 Switching Protocols\r\n\r\n" + body)
            while chunk := self.request.recv(65536):
                self.request.sendall(chunk)
            return
        reply = self.server.name.encode()
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                             % len(reply) + reply)


def exchange(port, data, keep_open=None):
    """Sends `data`, reads until the proxy closes; returns the bytes received."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(data)
        if keep_open:
            return keep_open(conn)
        reply = b""
        while chunk := conn.recv(65536):
            reply += chunk
        return reply


def get(port, path="/health", headers=""):
    return exchange(port, f"GET {path} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())


def header_values(head, name):
    return [line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:]
            if line.split(":", 1)[0].lower() == name]


class FrontProxyTest(unittest.TestCase):
    def setUp(self):
        self.apis = [Backend("api-a"), Backend("api-b")]
        self.gateways = [Backend("gw-a"), Backend("gw-b")]
        self.proxy = None

    def tearDown(self):
        self.stop_proxy()
        for backend in self.apis + self.gateways:
            backend.shutdown()
            backend.server_close()

    def stop_proxy(self):
        if self.proxy:
            if self.proxy.poll() is None:
                self.proxy.kill()
                self.proxy.wait()
            self.proxy.stdout.close()

    def start(self, *extra, apis=None):
        apis = apis or [b.address for b in self.apis]
        self.proxy = subprocess.Popen(
            [sys.executable, PROXY, "--listen", "127.0.0.1:0", "--api", ",".join(apis),
             "--gateway", ",".join(b.address for b in self.gateways), *extra],
            stdout=subprocess.PIPE, text=True)
        line = self.proxy.stdout.readline()
        self.assertRegex(line, r"^front proxy listening on port \d+$")
        return int(line.split()[-1])

    def test_one_connection_per_request_to_the_api_processes(self):
        port = self.start()
        served = [get(port, f"/guilds/{g}").rpartition(b"\r\n\r\n")[2].decode()
                  for g in range(12)]
        self.assertEqual(set(served), {"api-a", "api-b"})
        self.assertEqual([len(g.heads) for g in self.gateways], [0, 0])
        self.assertEqual(sum(len(b.heads) for b in self.apis), 12)
        for head in self.apis[0].heads + self.apis[1].heads:
            self.assertEqual(header_values(head, "connection"), ["close"])  # one request each

    def test_a_guild_goes_to_one_api_process_with_or_without_the_api_prefix(self):
        port = self.start()
        names = [b.name for b in self.apis]
        for guild in ("101", "102", "103", "104", "105", "106"):
            want = names[front_proxy.backend_index("guild:" + guild, 2)]
            for path in (f"/guilds/{guild}", f"/api/guilds/{guild}/channels/7/messages",
                         f"/guilds/{guild}/members?limit=5"):
                for auth in ("", "Authorization: Bearer one\r\n", "Authorization: Bearer two\r\n"):
                    self.assertTrue(get(port, path, auth).endswith(want.encode()), (path, auth))

    def test_other_requests_go_by_authorization_else_by_peer_address(self):
        port = self.start()
        names = [b.name for b in self.apis]
        tokens = [f"Bearer token-{i}" for i in range(8)]
        wants = [names[front_proxy.backend_index("auth:" + t, 2)] for t in tokens]
        self.assertEqual(set(wants), set(names))  # the sample covers both processes
        for token, want in zip(tokens * 2, wants * 2):
            for path in ("/users/@me", "/api/guilds", "/friends"):
                served = get(port, path, f"Authorization: {token}\r\n")
                self.assertTrue(served.endswith(want.encode()), (token, path))
        # Neither: the peer's address (never a forwarded header), so one client keeps one
        # process and its per-address limits (login, register) count as on one.
        want = names[front_proxy.backend_index("peer:127.0.0.1", 2)]
        for headers in ("", "X-Forwarded-For: 9.9.9.9\r\n", "X-Forwarded-For: 8.8.8.8\r\n"):
            for path in ("/auth/login", "/api/guilds", "/health"):
                self.assertTrue(get(port, path, headers).endswith(want.encode()), (path, headers))

    def test_the_key_of_a_request(self):
        key = front_proxy.affinity_key
        self.assertEqual(key("/guilds/42", None), "guild:42")
        self.assertEqual(key("/api/guilds/42/roles/3", "Bearer t"), "guild:42")
        self.assertEqual(key("/guilds/42/", None), "guild:42")
        self.assertEqual(key("/guilds", "Bearer t"), "auth:Bearer t")
        self.assertEqual(key("/guilds/", "Bearer t"), "auth:Bearer t")
        self.assertEqual(key("/api/guilds", None), None)
        self.assertEqual(key("/api/guilds", None, "10.0.0.7"), "peer:10.0.0.7")
        self.assertEqual(key("/auth/login", "", "::1"), "peer:::1")
        self.assertEqual(key("/guilds/42", None, "::1"), "guild:42")
        self.assertEqual(key("/users/@me", "Bearer t", "::1"), "auth:Bearer t")
        self.assertEqual(key("/apiguilds/42", None), None)
        self.assertEqual(key("/api", "Basic x"), "auth:Basic x")
        self.assertEqual(key("/users/@me/guilds/42", "Bearer t"), "auth:Bearer t")
        self.assertEqual(key("/health", None), None)
        self.assertEqual(key("/health", ""), None)
        # Stable across runs and processes (not Python's salted hash()): CRC-32.
        self.assertEqual([front_proxy.backend_index(k, 3) for k in ("a", "b", "c")],
                         [0xE8B7BE43 % 3, 0x71BEEFF9 % 3, 0x06B9DF6F % 3])
        # A guild by its log partition (events::PartitionFor, FNV-1a; the same values are
        # pinned in events/log_record_test.cpp), then modulo the processes; ids in any case.
        stream = "guild:01ARZ3NDEKTSV4RRFFQ69G5FAV"
        self.assertEqual(front_proxy.partition_of(stream, 4), 2632991971 % 4)
        self.assertEqual(front_proxy.partition_of(stream, 7), 2632991971 % 7)
        self.assertEqual(front_proxy.partition_of("user:01ARZ3NDEKTSV4RRFFQ69G5FAV", 4),
                         169350321 % 4)
        self.assertEqual(front_proxy.partition_of(stream, 1), 0)
        for key in (stream, stream.lower()):
            self.assertEqual(front_proxy.backend_index(key, 2, 4), (2632991971 % 4) % 2)
            self.assertEqual(front_proxy.backend_index(key, 3, 7), (2632991971 % 7) % 3)
        # Every guild of one partition goes to one process.
        guilds = [f"guild:01ARZ3NDEKTSV4RRFFQ69G5F{a}{b}" for a in "ABCD" for b in "0123456789"]
        for count in (2, 3, 4):
            owner = {}
            for key in guilds:
                owner.setdefault(front_proxy.partition_of(key, 4), set()).add(
                    front_proxy.backend_index(key, count, 4))
            self.assertTrue(all(len(v) == 1 for v in owner.values()), owner)

    def test_a_refused_affinity_backend_fails_over_to_the_next(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        dead_address = f"127.0.0.1:{dead.getsockname()[1]}"
        dead.close()
        guild = next(g for g in map(str, range(100, 200))
                     if front_proxy.backend_index("guild:" + g, 2) == 0)
        port = self.start(apis=[dead_address, self.apis[0].address])
        self.assertTrue(get(port, f"/guilds/{guild}/messages").endswith(b"api-a"))
        self.stop_proxy()
        port2 = self.start(apis=[self.apis[1].address, dead_address])
        other = next(g for g in map(str, range(100, 200))
                     if front_proxy.backend_index("guild:" + g, 2) == 1)
        self.assertTrue(get(port2, f"/guilds/{other}/messages").endswith(b"api-b"))  # wraps

    def test_spreads_websocket_upgrades_over_the_gateway_processes(self):
        port = self.start()
        upgrade = (b"GET /gateway/ws?access_token=t HTTP/1.1\r\nHost: x\r\n"
                   b"Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: k\r\n"
                   b"Sec-WebSocket-Version: 13\r\n\r\n")

        def echo(conn):
            reply = b""
            while b"\r\n\r\n" not in reply:
                reply += conn.recv(65536)
            conn.sendall(b"ping")
            while not reply.endswith(b"ping"):
                reply += conn.recv(65536)
            return reply

        for _ in range(4):
            self.assertTrue(exchange(port, upgrade, keep_open=echo).startswith(b"HTTP/1.1 101"))
        self.assertEqual([len(g.heads) for g in self.gateways], [2, 2])
        self.assertEqual(header_values(self.gateways[0].heads[0], "connection"), ["Upgrade"])
        # The same path without an upgrade is a plain request: an api process answers it.
        self.assertTrue(get(port, "/gateway/ws").endswith(self.peer_api().name.encode()))

    def peer_api(self):
        """The api backend a keyless request from 127.0.0.1 goes to."""
        return self.apis[front_proxy.backend_index("peer:127.0.0.1", len(self.apis))]

    def test_client_address_replaces_what_an_untrusted_client_claims(self):
        port = self.start()
        get(port, headers="X-Forwarded-For: 9.9.9.9\r\nCF-Connecting-IP: 8.8.8.8\r\n"
                          "Connection: keep-alive\r\n")
        head = self.peer_api().heads[0]
        self.assertEqual(header_values(head, "x-forwarded-for"), ["127.0.0.1"])
        self.assertEqual(header_values(head, "cf-connecting-ip"), [])
        self.assertEqual(header_values(head, "connection"), ["close"])

    def test_a_trusted_client_keeps_its_forwarded_headers(self):
        port = self.start("--trusted-clients", "127.0.0.0/8")
        get(port, headers="X-Forwarded-For: 9.9.9.9, 10.0.0.1\r\nCF-Connecting-IP: 8.8.8.8\r\n")
        get(port)
        first, second = self.peer_api().heads
        self.assertEqual(header_values(first, "x-forwarded-for"), ["9.9.9.9, 10.0.0.1"])
        self.assertEqual(header_values(first, "cf-connecting-ip"), ["8.8.8.8"])
        self.assertEqual(header_values(second, "x-forwarded-for"), ["127.0.0.1"])

    def test_a_head_it_cannot_parse_reaches_an_api_unchanged(self):
        port = self.start()
        big = "X-Big: " + "a" * 20000 + "\r\n"
        self.assertTrue(get(port, headers=big).endswith(b"api-a"))
        self.assertNotIn("X-Forwarded-For", self.apis[0].heads[0])
        self.assertTrue(get(port, headers=" folded\r\n").endswith(b"api-b"))
        self.assertNotIn("X-Forwarded-For", self.apis[1].heads[0])

    def test_a_refused_backend_is_skipped_and_none_left_is_502(self):
        dead = socket.socket()
        dead.bind(("127.0.0.1", 0))
        dead_address = f"127.0.0.1:{dead.getsockname()[1]}"
        dead.close()  # nothing listens there
        port = self.start(apis=[dead_address, self.apis[0].address])
        self.assertTrue(all(get(port).endswith(b"api-a") for _ in range(3)))
        self.stop_proxy()
        port = self.start(apis=[dead_address])
        self.assertTrue(get(port).startswith(b"HTTP/1.1 502 "))

    def test_sigterm_stops_accepting_and_exits_zero(self):
        port = self.start()
        get(port)
        self.proxy.send_signal(signal.SIGTERM)
        self.assertEqual(self.proxy.wait(timeout=15), 0)
        with self.assertRaises(OSError):
            get(port)


class ClusterScriptTest(unittest.TestCase):
    def test_refuses_api_counts_outside_one_to_four(self):
        script = os.path.join(HERE, "cluster.sh")
        for count in ("0", "5", "two"):
            done = subprocess.run([script, "--api", count], capture_output=True, text=True,
                                  timeout=30)
            self.assertEqual(done.returncode, 2)
            self.assertIn("--api is 1..4", done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
