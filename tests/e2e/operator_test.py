#!/usr/bin/python3
"""End-to-end: operator commands and split roles against the built binary (issue #2).

- `filament audit` lists the journey's mutations; `filament log tail` follows the log;
- `filament replay --check` rebuilds every read model in scratch space and finds no difference,
  run beside a live server that owns the embedded PostgreSQL;
- `filament api` + `filament project --only …` as separate processes: the projection process is
  SIGKILLed mid-stream and restarted, and every message lands exactly once.
Usage: operator_test.py --binary build/filament --log pg|kafka
"""
import json
import os
import re
import signal
import subprocess
import threading
import time
import unittest

from filament_harness import Server, run_tests, skip_in_cluster

ARGS = None
PASSWORD = "correct horse battery"


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


class OperatorTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(ARGS.binary, log=ARGS.log).start()
        self.storage = self.server.storage_args()
        s = self.server
        s.request("POST", "/auth/register", {"username": "alice", "password": PASSWORD})
        self.token = s.request("POST", "/auth/login", {"username": "alice", "password": PASSWORD})[1]["access_token"]
        self.alice = s.request("GET", "/auth/me", token=self.token)[1]["user_id"]
        self.gid = s.request("POST", "/guilds", {"name": "Ops", "visibility": "public"}, token=self.token)[1]["guild_id"]
        self.cid = s.request("POST", f"/guilds/{self.gid}/channels", {"name": "general"}, token=self.token)[1]["channel_id"]
        for i in range(30):
            self.assertEqual(self.post(s, f"m{i}")[0], 200)

    def tearDown(self):
        self.server.stop()

    def post(self, server, content):
        return server.request("POST", f"/guilds/{self.gid}/channels/{self.cid}/messages",
                              {"content": content}, token=self.token)

    def test_audit_tail_and_replay_check_beside_a_live_server(self):
        result = run([ARGS.binary, "audit", *self.storage, "--guild", self.gid, "--json"])
        self.assertEqual(result.returncode, 0, result.stderr)
        rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        types = [r["type"] for r in rows]
        self.assertEqual(types.count("message_posted"), 30)
        self.assertIn("guild_created", types)
        self.assertTrue(all(r["actor"] == self.alice for r in rows), rows[:2])
        self.assertNotIn("password", result.stdout)

        table = run([ARGS.binary, "audit", *self.storage, "--actor", self.alice, "--type", "channel_created"])
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("channel_created", table.stdout)

        tail = subprocess.Popen([ARGS.binary, "log", "tail", *self.storage, "--from-beginning", "--json"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        tail.send_signal(signal.SIGINT)
        out, err = tail.communicate(timeout=20)
        self.assertEqual(tail.returncode, 0, err)
        # 1 user + its login session + guild + channel + 30 messages
        self.assertEqual(len(out.splitlines()), 34)

        check = run([ARGS.binary, "replay", "--check", *self.storage])
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("messages", check.stdout)
        self.assertNotIn("DIFF", check.stdout)
        self.assertEqual(self.server.request("GET", "/health")[0], 200)  # the server lived through it

    @skip_in_cluster("stops the server and starts its own api and project on its data dir "
                     "(the cluster's PostgreSQL stops with it); the recipe runs split roles anyway")
    def test_projection_process_killed_mid_stream(self):
        self.server._stop_server()  # keep data dir (and Kafka mock): run the roles separately
        env = dict(os.environ, FILAMENT_READ_YOUR_WRITES_TIMEOUT_MS="300")
        api = subprocess.Popen([ARGS.binary, "api", "--listen", "127.0.0.1:0", *self.storage],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        port = None
        for line in api.stdout:
            m = re.search(r"listening on port (\d+)", line)
            if m:
                port = int(m.group(1))
                break
        self.assertIsNotNone(port, "api did not start")
        threading.Thread(target=lambda: [None for _ in api.stdout], daemon=True).start()
        self.server.port = port
        project_cmd = [ARGS.binary, "project", "--only", "users,guilds,messages", *self.storage]
        project = subprocess.Popen(project_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            posted = []
            def poster():
                for i in range(150):
                    status, body, _ = self.post(self.server, f"k{i}")
                    if status == 200:
                        posted.append(body["message_id"])
            thread = threading.Thread(target=poster)
            thread.start()
            for _ in range(3):
                time.sleep(1.0)
                project.send_signal(signal.SIGKILL)
                project.wait()
                project = subprocess.Popen(project_cmd, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
            thread.join()
            self.assertEqual(len(posted), 150)
            deadline = time.time() + 60
            ids = []
            while time.time() < deadline:
                ids = self.history_ids()
                if len(ids) >= 180:
                    break
                time.sleep(0.5)
            self.assertEqual(len(ids), 180)
            self.assertEqual(len(set(ids)), 180)
            self.assertTrue(set(posted) <= set(ids))
            check = run([ARGS.binary, "replay", "--check", *self.storage])
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        finally:
            project.terminate()
            project.wait(timeout=30)
            api.terminate()
            api.wait(timeout=30)
            api.stdout.close()

    def history_ids(self):
        ids, before = [], None
        while True:
            path = f"/guilds/{self.gid}/channels/{self.cid}/messages?limit=100"
            if before:
                path += f"&before={before}"
            status, page, _ = self.server.request("GET", path, token=self.token)
            self.assertEqual(status, 200, page)
            ids += [m["message_id"] for m in page["messages"]]
            if len(page["messages"]) < 100:
                return ids
            before = page["next_before"]


if __name__ == "__main__":
    run_tests()
