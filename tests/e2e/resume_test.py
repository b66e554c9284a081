#!/usr/bin/python3
"""End-to-end resume test of gateway protocol v2 (issue #9, ADR 0060).

`filament serve` (REST + gateway A) and a separate `filament gateway` process (gateway B) run on
one log. A v2 client subscribed to a busy channel is cut off at random moments — it drops its
socket (network cut), gateway B is killed with SIGKILL (and restarted), or it just reconnects to
the other gateway — while a driver posts messages, edits them and flips the client's view of the
channel (a member permission override denying / clearing create_message). After every cut the
client resumes with the cursor of the last frame it received.

At the end the client's message_create / message_update frames must be exactly the oracle: every
such event of the channel at or after the client's first cursor that the client could see at the
event's log position (contract §3.4, evaluated independently from `filament log tail --json` by
permission_leak_test.Model), each once, in log order — 0 gaps, 0 duplicates, 0 leaks.

Usage: resume_test.py --binary build/filament --log pg|kafka [--ops N] [--cuts N] [--seed S]
(defaults: 600 operations, 50 cuts; the issue's full run is --ops 5000).
"""
import asyncio
import json
import random
import signal
import subprocess
import sys
import threading
import time
import unittest

import websockets

from filament_harness import Server, run_tests
from permission_leak_test import Model

ARGS = None
PASSWORD = "correct horse battery"
OPTIONS = {"ops": 600, "cuts": 50, "seed": 11}


def take_options():
    for name in OPTIONS:
        flag = "--" + name
        if flag in sys.argv:
            at = sys.argv.index(flag)
            OPTIONS[name] = int(sys.argv[at + 1])
            del sys.argv[at:at + 2]


class GatewayProcess:
    """A `filament gateway` process beside the server, on the same storage."""

    def __init__(self, server):
        self.server, self.proc, self.port = server, None, None

    def start(self):
        self.proc = subprocess.Popen([ARGS.binary, "gateway", "--listen", "127.0.0.1:0",
                                      *self.server.storage_args()],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in self.proc.stdout:
            if "listening on port" in line:
                self.port = int(line.rsplit(" ", 1)[1])
                self.drainer = threading.Thread(target=self.drain, args=(self.proc.stdout,), daemon=True)
                self.drainer.start()
                return self
        raise RuntimeError("gateway did not start")

    @staticmethod
    def drain(stream):
        for _ in stream:
            pass

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.drainer.join(timeout=10)
        self.proc.stdout.close()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.drainer.join(timeout=10)
            self.proc.stdout.close()


class Client:
    """The v2 client: remembers its cursor and every log event it received."""

    def __init__(self, token, gid, cid):
        self.token, self.subs = token, [{"guild_id": gid, "channel_id": cid}]
        self.cursor, self.first_cursor, self.events = None, None, []
        self.ws, self.reader, self.unavailable, self.resumed = None, None, 0, 0

    async def connect(self, port):
        url = f"ws://127.0.0.1:{port}/gateway/ws?access_token={self.token}&gateway_version=2"
        self.ws = await websockets.connect(url, max_size=2**22)
        ready = json.loads(await self.ws.recv())
        assert ready["v"] == 2 and ready["t"] == "ready", ready
        if self.cursor is None:
            self.cursor = self.first_cursor = ready["d"]["cursor"]
        await self.ws.send(json.dumps({"v": 2, "t": "resume",
                                       "d": {"cursor": self.cursor, "subscriptions": self.subs}}))
        self.reader = asyncio.create_task(self.read(self.ws))

    async def read(self, ws):
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if "pos" in frame:
                    self.events.append((frame["pos"], frame["t"], frame["d"]))
                    self.cursor = frame["cursor"]
                elif frame["t"] == "resumed":
                    self.cursor = frame["d"]["cursor"]
                    self.resumed += 1
                elif frame["t"] == "resume_unavailable":
                    self.unavailable += 1
        except websockets.ConnectionClosed:
            pass

    async def cut(self):
        """A network cut: stop reading and drop the socket without a close handshake."""
        self.reader.cancel()
        try:
            await self.reader
        except asyncio.CancelledError:
            pass
        self.ws.transport.abort()


class Resume(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log,
                            env={"FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "10000000"}).start()
        cls.gateway = GatewayProcess(cls.server).start()

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        cls.server.stop()

    def call(self, token, method, path, body=None):
        status, reply, _ = self.server.request(method, path, body, token=token)
        self.assertLess(status, 300, (method, path, reply))
        return reply

    def user(self, name):
        self.server.request("POST", "/auth/register", {"username": name, "password": PASSWORD})
        status, body, _ = self.server.request("POST", "/auth/login",
                                              {"username": name, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        token = body["access_token"]
        return token, self.call(token, "GET", "/auth/me")["user_id"]

    def test_gateway_version_is_strict(self):
        token, _ = self.user("resumeversion")
        upgrade = ("Host: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                   "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        for version, expected in (("3", 400), ("2x", 400), ("", 400), ("1", 101), ("2", 101)):
            status, _, body = self.server.raw_request(
                f"GET /gateway/ws?access_token={token}&gateway_version={version} HTTP/1.1\r\n"
                f"{upgrade}".encode())
            self.assertEqual(status, expected, (version, body))
            if expected == 400:
                self.assertEqual(json.loads(body), {"error": "invalid_request"})

    def test_lossless_resume_under_cuts(self):
        owner, _ = self.user("resumeowner")
        token, uid = self.user("resumeclient")
        gid = self.call(owner, "POST", "/guilds", {"name": "busy", "visibility": "public"})["guild_id"]
        cid = self.call(owner, "POST", f"/guilds/{gid}/channels", {"name": "general"})["channel_id"]
        self.call(token, "POST", f"/guilds/{gid}/join")
        last = asyncio.run(self.scenario(owner, token, uid, gid, cid))
        self.check(gid, cid, uid, last)

    def drive(self, owner, uid, gid, cid, rng, done):
        """Messages, edits and view flips, in one thread; returns the last message id."""
        messages, hidden, last = [], False, None
        override = f"/guilds/{gid}/channels/{cid}/permission-overrides/member/{uid}"
        for i in range(OPTIONS["ops"]):
            roll = rng.random()
            if roll < 0.05:
                hidden = not hidden
                self.call(owner, "POST", override,
                          {"allow": [], "deny": ["create_message"] if hidden else []})
            elif roll < 0.25 and messages:
                mid = rng.choice(messages)
                self.call(owner, "PATCH", f"/guilds/{gid}/channels/{cid}/messages/{mid}",
                          {"content": f"edit {i}"})
            else:
                last = self.call(owner, "POST", f"/guilds/{gid}/channels/{cid}/messages",
                                 {"content": f"m {i}"})["message_id"]
                messages.append(last)
        if hidden:
            self.call(owner, "POST", override, {"allow": [], "deny": []})
        last = self.call(owner, "POST", f"/guilds/{gid}/channels/{cid}/messages",
                         {"content": "the end"})["message_id"]
        done.append(last)

    async def scenario(self, owner, token, uid, gid, cid):
        rng = random.Random(OPTIONS["seed"])
        client = Client(token, gid, cid)
        await client.connect(self.server.port)
        while client.first_cursor is None or client.resumed == 0:
            await asyncio.sleep(0.05)
        done = []
        driver = threading.Thread(target=self.drive,
                                  args=(owner, uid, gid, cid, random.Random(rng.random()), done))
        driver.start()
        kinds = {"network": 0, "kill9": 0, "switch": 0}
        for _ in range(OPTIONS["cuts"]):
            # The cuts spread over the whole run: about 40 s per 600 operations here.
            await asyncio.sleep(rng.uniform(0.02, 0.25) * max(1, OPTIONS["ops"] / 600))
            on_b = client.ws.remote_address[1] == self.gateway.port
            kind = rng.choice(["network", "switch", "kill9"] if on_b else ["network", "switch"])
            kinds[kind] += 1
            if kind == "kill9":
                self.gateway.kill9()
                await client.reader  # the socket ends with the process
                self.gateway.start()
            else:
                await client.cut()
            if kind == "switch":
                port = self.server.port if on_b else self.gateway.port
            else:
                port = rng.choice([self.server.port, self.gateway.port])
            await client.connect(port)
        while driver.is_alive():
            await asyncio.sleep(0.1)
        driver.join()
        # Quiet: the last message has arrived (or was not for us) and nothing more comes.
        deadline = time.time() + 30
        while time.time() < deadline:
            count = len(client.events)
            await asyncio.sleep(1.0)
            if len(client.events) == count and any(e[2].get("message_id") == done[0]
                                                   for e in client.events):
                break
        await client.cut()
        print(f"cuts {kinds}, events {len(client.events)}, resumes {client.resumed}",
              file=sys.stderr)
        self.assertEqual(client.unavailable, 0)
        self.assertGreaterEqual(kinds["kill9"], 1)
        self.client = client
        return done[0]

    def check(self, gid, cid, uid, last):
        tail = subprocess.Popen([ARGS.binary, "log", "tail", *self.server.storage_args(),
                                 "--from-beginning", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        timer = threading.Timer(120, tail.kill)
        timer.start()
        records = []
        for line in tail.stdout:
            record = json.loads(line)
            if record["stream"] != f"guild:{gid}":
                continue
            records.append(record)
            if record["type"] == "message_posted" and record["payload"]["message_id"] == last:
                break
        timer.cancel()
        tail.send_signal(signal.SIGINT)
        tail.communicate(timeout=30)
        first = [int(x.split("+")[0]) for x in self.client.first_cursor.split(".")[1:]]
        model, expected, hidden = Model(), [], 0
        records.sort(key=lambda r: int(r["position"].split(":")[1]))
        for r in records:
            partition, offset = (int(x) for x in r["position"].split(":"))
            payload = r["payload"]
            kind = {"message_posted": "message_create", "message_edited": "message_update"}.get(r["type"])
            if kind and payload.get("channel_id") == cid and offset >= first[partition]:
                if model.visible(uid, cid):
                    expected.append((r["position"], kind))
                else:
                    hidden += 1
            model.apply(r["type"], payload)
        got = [(pos, t) for pos, t, _ in self.client.events
               if t in ("message_create", "message_update")]
        self.assertGreater(hidden, 0, "the client never lost view: the test proves nothing")
        self.assertEqual(len(got), len(set(got)), "duplicates")
        missing = [e for e in expected if e not in set(got)]
        leaked = [e for e in got if e not in set(expected)]
        self.assertEqual(missing, [], "gaps")
        self.assertEqual(leaked, [], "leaks")
        self.assertEqual(got, expected, "log order")
        print(f"expected {len(expected)} events, {hidden} hidden, received exactly those",
              file=sys.stderr)


if __name__ == "__main__":
    take_options()
    run_tests()
