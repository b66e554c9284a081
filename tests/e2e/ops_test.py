#!/usr/bin/python3
"""End-to-end: operability of every role (issue #10, ADR 0076), on one log (--log pg|kafka).

- Each role (`serve`, and `api` + `project` + `gateway` as separate processes on one storage)
  answers /health with the contract's body, /ready with 200 and its checks once caught up, and
  /metrics in the text format 0.0.4 that `promtool check metrics` accepts (request latency per
  route, append latency, projection lag, gateway gauges), and logs one JSON line per request.
- SIGTERM during a steady load of posts on `serve`: every post answered 2xx is in the log (read
  back after a restart), every WebSocket client sees close code 1001 with a reason, and the
  process exits 0 within the drain bound.

Usage: ops_test.py --binary build/filament --log pg|kafka
"""
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import unittest
import urllib.error
import urllib.request

import websockets

from filament_harness import Server, run_tests, skip_in_cluster, wait_listening

ARGS = None
PASSWORD = "correct horse battery"
DRAIN_MS = 4000
ENV = {"FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "100000000",
       "FILAMENT_DRAIN_TIMEOUT_MS": str(DRAIN_MS)}
# The process's own stop after the drain (gateway close wait, projections' last batch, the
# embedded PostgreSQL's shutdown) on a loaded 2-core machine.
STOP_SLACK_S = 15


def get(port, path, timeout=10):
    """(status, headers, body bytes) of a plain GET, outside the OpenAPI recorder."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


class Role:
    """A `filament <role>` process on existing storage; its port from its first output line."""

    def __init__(self, role, storage, extra=()):
        listen = ["--ops-listen" if role == "project" else "--listen", "127.0.0.1:0"]
        self.proc = subprocess.Popen([ARGS.binary, role, *listen, *storage, *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(os.environ, **ENV))
        self.output = []
        self.port, _ = wait_listening(self.proc, self.output, role, timeout=120)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
        return self.proc.returncode


def wait_ready(port, timeout=90):
    deadline = time.time() + timeout
    body = None
    while time.time() < deadline:
        status, _, body = get(port, "/ready")
        if status == 200:
            return json.loads(body)
        time.sleep(0.2)
    raise AssertionError(f"not ready on port {port}: {body!r}")


def json_lines(output, event):
    out = []
    for line in output:
        line = line.strip()
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == event:
                out.append(record)
    return out


class OpsTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(ARGS.binary, log=ARGS.log, env=ENV).start()

    def tearDown(self):
        self.server.stop()

    def login(self, name):
        self.assertEqual(self.server.request("POST", "/auth/register",
                                             {"username": name, "password": PASSWORD})[0], 200)
        status, body, _ = self.server.request("POST", "/auth/login",
                                              {"username": name, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        return body["access_token"]

    def channel(self, token):
        status, guild, _ = self.server.request("POST", "/guilds", {"name": "Ops"}, token=token)
        self.assertEqual(status, 200, guild)
        gid = guild["guild_id"]
        status, channel, _ = self.server.request("POST", f"/guilds/{gid}/channels",
                                                 {"name": "general"}, token=token)
        self.assertEqual(status, 200, channel)
        return gid, channel["channel_id"]

    def check_role(self, port, role, output):
        status, _, body = get(port, "/health")
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
        ready = wait_ready(port)
        self.assertEqual((ready["status"], ready["role"]), ("ready", role))
        for name in ("log", "migrations", "draining"):
            self.assertTrue(ready["checks"][name]["ok"], ready)
        # One shared reader follows the log's head for the process's readers (ADR 0098); a
        # read model joins it once it has caught up, which can be just after /ready answers.
        shared_polls = re.compile(r'\nfilament_log_tail_polls_total\{reader="shared"\} [1-9]')
        deadline = time.time() + 10
        while True:
            status, headers, body = get(port, "/metrics")
            self.assertEqual(status, 200)
            text = body.decode()
            if (role not in ("serve", "project") or shared_polls.search(text)
                    or time.time() > deadline):
                break
            time.sleep(0.1)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        checked = subprocess.run([shutil.which("promtool") or "promtool", "check", "metrics"],
                                 input=text, capture_output=True, text=True)
        self.assertEqual(checked.returncode, 0, f"{role}: {checked.stdout}{checked.stderr}")
        for family in ("filament_ready 1", "filament_http_request_duration_seconds_count",
                       "filament_log_reachable 1", "# TYPE filament_log_append_seconds histogram"):
            self.assertIn(family, text, role)
        if role in ("serve", "api"):  # where commands are appended
            self.assertRegex(text, r"\nfilament_log_append_seconds_count [1-9]")
        self.assertIn("# TYPE filament_log_tail_own_readers_total counter", text, role)
        self.assertIn('filament_log_tail_polls_total{reader="own"}', text, role)
        if role in ("serve", "project"):  # their read models follow the head
            self.assertRegex(text, shared_polls)
        deadline = time.time() + 10  # the line is read from the process's pipe by a thread
        while time.time() < deadline:
            requests = json_lines(output, "request")
            if any(r["route"] == "/metrics" for r in requests):
                break
            time.sleep(0.1)
        self.assertTrue(any(r["route"] == "/metrics" for r in requests),
                        f"{role}: no request line in {output[-5:]}")
        for record in requests:
            self.assertEqual(set(record) >= {"ts", "method", "route", "status", "duration_ms",
                                             "request_id"}, True, record)
        return ready, text

    @skip_in_cluster("probes the `serve` process, then stops it and starts api, project and "
                     "gateway by hand on its data dir")
    def test_every_role_answers_health_ready_metrics(self):
        token = self.login("olive")
        gid, cid = self.channel(token)
        # An upload its body sink refuses before the body (no token: 401) is a request too.
        upload = f"/guilds/{gid}/channels/{cid}/attachments?filename=a.txt"
        status, _, _ = self.server.request("POST", upload, raw=b"hello",
                                           headers={"Content-Type": "text/plain"})
        self.assertEqual(status, 401)
        ready, text = self.check_role(self.server.port, "serve", self.server.output)
        self.assertIn('filament_http_requests_total{method="POST",route='
                      '"/guilds/{guild_id}/channels/{channel_id}/attachments",status="401"} 1', text)
        self.assertIn(("POST", "/guilds/{guild_id}/channels/{channel_id}/attachments", 401),
                      [(r["method"], r["route"], r["status"]) for r in json_lines(self.server.output, "request")])
        self.assertIn("users", ready["checks"]["projections"]["lag_ms"])
        self.assertIn('filament_projection_lag_seconds{projection="messages"}', text)
        self.assertIn('route="/guilds/{guild_id}/channels"', text)
        self.assertIn("filament_gateway_connections", text)
        # The same storage served by one process per role (serve stopped: one command writer).
        self.server._stop_server()
        storage = self.server.storage_args()
        search_dir = self.server.data_dir + "/api-search"
        roles = {"project": Role("project", storage)}
        roles["api"] = Role("api", storage, ["--search-dir", search_dir])
        roles["gateway"] = Role("gateway", storage)
        try:
            api = roles["api"].port
            wait_ready(api)
            status, _, _ = self.post(api, token, gid, cid, "after the split")
            self.assertEqual(status, 200)
            for role, process in roles.items():
                ready, text = self.check_role(process.port, role, process.output)
                if role == "project":
                    self.assertEqual(ready["checks"]["started"]["owned_partitions"], 0)
                    self.assertIn('filament_projection_lag_records{projection="guilds"}', text)
                if role == "api":
                    self.assertGreater(ready["checks"]["command_state"]["owned_partitions"], 0)
                    self.assertIn('route="/guilds/{guild_id}/channels/{channel_id}/messages"', text)
                if role == "gateway":
                    self.assertTrue(ready["checks"]["gateway_bridge"]["ok"], ready)
                    self.assertIn("filament_gateway_ingress_queue_depth 0", text)
            self.assertEqual(get(roles["project"].port, "/nope")[0], 404)
        finally:
            # The first started (project) owns the embedded PostgreSQL: it stops last.
            codes = {role: roles[role].stop() for role in ("gateway", "api", "project")}
        self.assertEqual(codes, {"project": 0, "api": 0, "gateway": 0})
        self.server.proc = None
        self.server.start_server(self.server.bootstrap)  # for tearDown's stop

    def post(self, port, token, gid, cid, content):
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/guilds/{gid}/channels/{cid}/messages",
            data=json.dumps({"content": content}).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read()), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, None, {}

    def test_sigterm_drains(self):
        token = self.login("dora")
        gid, cid = self.channel(token)
        port = self.server.port
        acked, failures, stop = [], [], threading.Event()

        def load(worker):
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    status, body, _ = self.post(port, token, gid, cid, f"w{worker} m{n}")
                except Exception as err:  # noqa: BLE001 refused or cut once draining
                    failures.append(repr(err))
                    time.sleep(0.05)
                    continue
                if 200 <= status < 300:
                    acked.append(body["message_id"])
                else:
                    failures.append(status)

        closes = []
        opened = threading.Event()

        async def clients():
            url = f"ws://127.0.0.1:{port}/gateway/ws?access_token={token}"
            sockets = [await websockets.connect(url) for _ in range(3)]
            for ws in sockets:
                await ws.recv()  # ready
            opened.set()
            for ws in sockets:
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), timeout=60)
                except websockets.ConnectionClosed:
                    pass
                closes.append((ws.close_code, ws.close_reason))

        ws_thread = threading.Thread(target=lambda: asyncio.run(clients()))
        ws_thread.start()
        self.assertTrue(opened.wait(30))
        workers = [threading.Thread(target=load, args=(i,)) for i in range(4)]
        for worker in workers:
            worker.start()
        time.sleep(2.0)
        started = time.time()
        self.server.proc.send_signal(signal.SIGTERM)
        code = self.server.proc.wait(timeout=DRAIN_MS / 1000 + STOP_SLACK_S + 30)
        elapsed = time.time() - started
        stop.set()
        for worker in workers:
            worker.join()
        ws_thread.join(timeout=30)
        print(f"drain: exit {code} after {elapsed:.2f}s, {len(acked)} posts acknowledged, "
              f"{len(failures)} refused", flush=True)
        self.assertEqual(code, 0, "".join(self.server.output[-20:]))
        self.assertLess(elapsed, DRAIN_MS / 1000 + STOP_SLACK_S)
        self.assertEqual(closes, [(1001, "server shutting down")] * 3)
        self.assertGreater(len(acked), 0)
        self.server._drainer.join(timeout=10)  # the rest of its output
        output = list(self.server.output)
        self.assertTrue(json_lines(output, "drain"), output[-10:])
        self.assertTrue(json_lines(output, "stopped"), output[-10:])
        # Every acknowledged post is in the log: read back after a restart.
        self.server.proc = None
        self.server.start_server(self.server.bootstrap)
        wait_ready(self.server.port)
        seen, before = set(), None
        while True:
            query = "?limit=100" + (f"&before={before}" if before else "")
            status, page, _ = self.server.request(
                "GET", f"/guilds/{gid}/channels/{cid}/messages{query}", token=token)
            self.assertEqual(status, 200, page)
            seen.update(m["message_id"] for m in page["messages"])
            before = page.get("next_before")
            if not before or not page["messages"]:
                break
        missing = [m for m in acked if m not in seen]
        self.assertEqual(missing, [], f"{len(missing)} of {len(acked)} acknowledged posts lost")


if __name__ == "__main__":
    run_tests()
