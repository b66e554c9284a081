#!/usr/bin/python3
"""End-to-end: `filament backup` of a running server while posts flow, `filament restore` onto a
new data dir (ADR 0065, issue #12).

A thread posts messages and records when each was acknowledged; `backup` runs beside the live
server; `restore` loads the file into a new data dir (and, on Kafka, a new topic of the same
mock cluster); a server started on it passes `replay --check`, holds every message acknowledged
before the backup started, lets the users log in with their old passwords and serves the
uploaded avatar and attachment byte-equal. A damaged file and a non-empty data dir are refused
with nothing written.
Usage: backup_test.py --binary build/filament --log pg|kafka
"""
import http.client
import json
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import sample_media
from filament_harness import Server, run_tests, skip_in_cluster

ARGS = None
PASSWORDS = {"alice": "correct horse battery", "bob": "bob's long passphrase"}
TOPIC = "filament.restored"


def run(args, timeout=300):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(ARGS.binary, log=ARGS.log).start()
        self.tmp = tempfile.mkdtemp(prefix="filament-backup-", dir="/tmp")
        os.chmod(self.tmp, 0o755)  # the embedded cluster's postgres user must traverse it
        self.restored_dir = os.path.join(self.tmp, "restored")
        self.restored = None
        s = self.server
        self.tokens, self.ids = {}, {}
        for name, password in PASSWORDS.items():
            self.assertEqual(s.request("POST", "/auth/register", {"username": name, "password": password})[0], 200)
            body = s.request("POST", "/auth/login", {"username": name, "password": password})[1]
            self.tokens[name] = body["access_token"]
            self.ids[name] = s.request("GET", "/auth/me", token=body["access_token"])[1]["user_id"]
        self.gid = s.request("POST", "/guilds", {"name": "Safe", "visibility": "public"}, token=self.tokens["alice"])[1]["guild_id"]
        self.cid = s.request("POST", f"/guilds/{self.gid}/channels", {"name": "general"}, token=self.tokens["alice"])[1]["channel_id"]
        self.assertEqual(s.request("POST", f"/guilds/{self.gid}/join", token=self.tokens["bob"])[0], 200)

    def tearDown(self):
        if self.restored:
            self.restored.stop()
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def restore_storage(self):
        args = ["--data-dir", self.restored_dir]
        if self.server.bootstrap:
            args += ["--kafka-brokers", self.server.bootstrap, "--kafka-topic", TOPIC]
        return args

    def raw(self, server, method, path, token, data=b"", content_type=None):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        headers = {"Authorization": "Bearer " + token, "Content-Length": str(len(data))}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=data or None, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def upload_media(self):
        avatar = sample_media.png(noise=b"backup avatar " * 50)
        status, _ = self.raw(self.server, "POST", "/users/me/profile/avatar", self.tokens["alice"], avatar, "image/png")
        self.assertEqual(status, 200)
        note = os.urandom(150_000).hex().encode()  # text/plain, more than one stored chunk
        status, body = self.raw(self.server, "POST", f"/guilds/{self.gid}/channels/{self.cid}/attachments?filename=n.txt",
                                self.tokens["bob"], note)
        self.assertEqual(status, 200, body)
        attachment_id = json.loads(body)["attachment_id"]
        status, _, _ = self.server.request("POST", f"/guilds/{self.gid}/channels/{self.cid}/messages",
                                           {"content": "with file", "attachment_ids": [attachment_id]}, token=self.tokens["bob"])
        self.assertEqual(status, 200)
        return avatar, note, attachment_id

    def post_until(self, stop, acked):
        i = 0
        while not stop.is_set():
            content = f"flow {i}"
            status, body, _ = self.server.request("POST", f"/guilds/{self.gid}/channels/{self.cid}/messages",
                                                  {"content": content}, token=self.tokens["alice"])
            if status == 200:
                acked.append((time.time(), body["message_id"], content))
            i += 1

    def all_messages(self, server, token):
        out, before = {}, None
        while True:
            q = "?limit=100" + (f"&before={before}" if before else "")
            status, body, _ = server.request("GET", f"/guilds/{self.gid}/channels/{self.cid}/messages{q}", token=token)
            self.assertEqual(status, 200, body)
            for m in body["messages"]:
                out[m["message_id"]] = m["content"]
            before = body.get("next_before")
            if not body["messages"] or not before:
                return out

    def start_restored(self):
        restored = Server(ARGS.binary, log=ARGS.log, extra_args=["--kafka-topic", TOPIC] if self.server.bootstrap else [])
        os.rmdir(restored.data_dir)
        restored.data_dir = self.restored_dir
        restored.bootstrap = self.server.bootstrap
        self.restored = restored.start_server(self.server.bootstrap)
        return self.restored

    @skip_in_cluster("restores into a `serve` data dir (its embedded PostgreSQL, with password "
                     "auth) and starts `serve` on it; cluster.sh runs its own PostgreSQL")
    def test_backup_while_posting_restores_an_equal_server(self):
        avatar, note, attachment_id = self.upload_media()
        stop, acked = threading.Event(), []
        poster = threading.Thread(target=self.post_until, args=(stop, acked))
        poster.start()
        try:
            time.sleep(1.5)
            started = time.time()
            backup = os.path.join(self.tmp, "filament.backup")
            out = run([ARGS.binary, "backup", *self.server.storage_args(), "--to", backup])
            time.sleep(0.5)
        finally:
            stop.set()
            poster.join()
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(backup).st_mode), 0o600)  # it holds secrets
        self.assertFalse(os.path.exists(backup + ".partial"))
        before = {mid for t, mid, _ in acked if t < started}
        self.assertGreater(len(before), 3, "the poster must have been acknowledged before the backup")

        result = run([ARGS.binary, "restore", "--from", backup, *self.restore_storage()])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("backup verified", result.stdout)
        # Onto a non-empty data dir: refused.
        refused = run([ARGS.binary, "restore", "--from", backup, *self.restore_storage()])
        self.assertEqual(refused.returncode, 1)
        self.assertIn("not empty", refused.stderr)

        self.server._stop_server()  # the original is gone; only the restored copy answers
        restored = self.start_restored()
        tokens = {}
        for name, password in PASSWORDS.items():
            status, body, _ = restored.request("POST", "/auth/login", {"username": name, "password": password})
            self.assertEqual(status, 200, (name, body))
            tokens[name] = body["access_token"]
        status, _, _ = restored.request("POST", "/auth/login", {"username": "alice", "password": "wrong password!"})
        self.assertEqual(status, 401)
        # Old access tokens still verify: the token keys came along.
        self.assertEqual(restored.request("GET", "/auth/me", token=self.tokens["alice"])[0], 200)

        messages = self.all_messages(restored, tokens["alice"])
        missing = before - set(messages)
        self.assertFalse(missing, f"{len(missing)} acknowledged messages missing")
        self.assertIn("with file", messages.values())

        status, got = self.raw(restored, "GET", f"/users/{self.ids['alice']}/avatar", tokens["bob"])
        self.assertEqual((status, got), (200, avatar))
        status, got = self.raw(restored, "GET", f"/guilds/{self.gid}/channels/{self.cid}/attachments/{attachment_id}",
                               tokens["alice"])
        self.assertEqual((status, got == note), (200, True))

        check = run([ARGS.binary, "replay", "--check", *self.restore_storage()])
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertNotIn("DIFF", check.stdout)
        print(f"backup: {len(acked)} posts acknowledged, {len(before)} before the backup started, "
              f"{len(messages)} messages restored")

    def test_damaged_backup_is_refused_and_writes_nothing(self):
        self.upload_media()
        backup = os.path.join(self.tmp, "filament.backup")
        out = run([ARGS.binary, "backup", *self.server.storage_args(), "--to", backup])
        self.assertEqual(out.returncode, 0, out.stderr)
        with open(backup, "rb") as f:
            data = f.read()
        for name, bad in (("truncated", data[:-9]), ("flipped", data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:]),
                          ("log_flipped", data[:300] + bytes([data[300] ^ 4]) + data[301:])):
            path = os.path.join(self.tmp, name)
            with open(path, "wb") as f:
                f.write(bad)
            result = run([ARGS.binary, "restore", "--from", path, *self.restore_storage()])
            self.assertEqual(result.returncode, 1, (name, result.stdout))
            self.assertRegex(result.stderr, r"(backup|archive) corrupt at byte", name)
            self.assertFalse(os.path.exists(self.restored_dir) and os.listdir(self.restored_dir), name)
        result = run([ARGS.binary, "restore", "--from", backup, *self.restore_storage()])
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)


if __name__ == "__main__":
    run_tests()
