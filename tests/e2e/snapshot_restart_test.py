#!/usr/bin/python3
"""End-to-end: command-side snapshots (ADR 0078). A server takes a snapshot, more commands go
into the log after it (the tail), and after a restart — snapshot + tail — commands get exactly
the answers a full fold gives: deleted messages stay deleted (before and after the snapshot),
bans hold, a role granted before the snapshot still grants, a user registered in the tail
exists. The server is SIGKILLed (no shutdown snapshot) before that restart. After a clean
shutdown the snapshot taken at shutdown covers everything (no tail), with the same answers.

Usage: snapshot_restart_test.py --binary build/filament --log pg|kafka
"""
import re
import time
import unittest

from filament_harness import Server, run_tests, skip_in_cluster

ARGS = None
PASSWORD = "correct horse battery"


@skip_in_cluster("watches the `serve` process's own output for its snapshot lines while it runs")
class SnapshotRestart(unittest.TestCase):
    def setUp(self):
        self.server = Server(ARGS.binary, log=ARGS.log,
                             env={"FILAMENT_SNAPSHOT_EVERY_EVENTS": "0",
                                  "FILAMENT_SNAPSHOT_INTERVAL_SECS": "1"}).start()
        self.tokens, self.ids = {}, {}

    def tearDown(self):
        self.server.stop()

    def register(self, name):
        self.server.request("POST", "/auth/register", {"username": name, "password": PASSWORD})
        self.login(name)
        self.ids[name] = self.call(name, "GET", "/auth/me")[1]["user_id"]

    def login(self, name):
        status, body, _ = self.server.request("POST", "/auth/login",
                                              {"username": name, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        self.tokens[name] = body["access_token"]

    def call(self, who, method, path, body=None):
        status, reply, _ = self.server.request(method, path, body, token=self.tokens.get(who))
        return status, reply

    def expect(self, who, method, path, status, body=None):
        got, reply = self.call(who, method, path, body)
        self.assertEqual(got, status, f"{who} {method} {path}: {reply}")
        return reply

    def saved_snapshots(self):
        return sum("snapshot: saved" in line for line in self.server.output)

    def wait_for_snapshot(self, before):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.saved_snapshots() > before:
                return
            time.sleep(0.2)
        self.fail("no snapshot saved:\n" + "".join(self.server.output[-20:]))

    def restart(self):
        self.server.restart()
        for name in list(self.tokens):
            self.login(name)
        text = "".join(self.server.output)
        self.assertRegex(text, r"snapshot: loaded snapshot \d+")
        return int(re.search(r"command state: folded (\d+) records after the snapshot", text)[1])

    def post(self, who, gid, cid, content):
        return self.expect(who, "POST", f"/guilds/{gid}/channels/{cid}/messages", 200,
                           {"content": content})["message_id"]

    def test_snapshot_plus_tail_answers_like_a_full_fold(self):
        for name in ["owner", "mod", "plain", "target", "other"]:
            self.register(name)
        gid = self.expect("owner", "POST", "/guilds", 200,
                          {"name": "Snap", "visibility": "public"})["guild_id"]
        cid = self.expect("owner", "POST", f"/guilds/{gid}/channels", 200,
                          {"name": "general"})["channel_id"]
        for who in ["mod", "plain", "target", "other"]:
            self.expect(who, "POST", f"/guilds/{gid}/join", 200)
        self.expect("owner", "PATCH", f"/guilds/{gid}/members/{self.ids['mod']}", 200,
                    {"role": "moderator"})
        m = [self.post("owner", gid, cid, f"message {i}") for i in range(5)]
        msg = lambda i: f"/guilds/{gid}/channels/{cid}/messages/{m[i]}"  # noqa: E731
        self.expect("owner", "DELETE", msg(0), 204)
        self.expect("owner", "POST", f"/guilds/{gid}/members/{self.ids['target']}/ban", 200)
        self.wait_for_snapshot(0)

        # The tail: after the snapshot.
        self.expect("owner", "DELETE", msg(1), 204)
        self.expect("owner", "POST", f"/guilds/{gid}/members/{self.ids['other']}/ban", 200)
        self.register("late")
        tail_message = self.post("plain", gid, cid, "after the snapshot")

        # SIGKILL: no shutdown snapshot, so the restart folds the tail after the first one.
        self.server.proc.kill()
        self.server.proc.wait()
        self.assertGreater(self.restart(), 0)
        self.check_answers(gid, cid, msg, tail_message)
        # Once the snapshotter runs (10 s after start), a clean shutdown snapshots everything:
        # the next start folds no tail.
        self.wait_for_snapshot(0)
        self.post("owner", gid, cid, "just before the shutdown")
        self.assertEqual(self.restart(), 0)
        self.expect("mod", "DELETE", msg(3), 404)  # deleted by check_answers before the restart
        self.expect("plain", "DELETE", msg(4), 403)
        self.expect("target", "POST", f"/guilds/{gid}/join", 403)

    def check_answers(self, gid, cid, msg, tail_message):
        self.expect("owner", "DELETE", msg(0), 404)  # deleted before the snapshot
        self.expect("owner", "DELETE", msg(1), 404)  # deleted in the tail
        self.expect("plain", "DELETE", msg(2), 403)  # no delete_message: not author
        self.expect("mod", "DELETE", msg(3), 204)    # moderator since before the snapshot
        for banned in ["target", "other"]:
            reply = self.expect(banned, "POST", f"/guilds/{gid}/join", 403)
            self.assertEqual(reply, {"error": "directory_join_user_banned"})
            self.expect(banned, "POST", f"/guilds/{gid}/channels/{cid}/messages", 403,
                        {"content": "banned"})
        self.expect("late", "POST", f"/guilds/{gid}/join", 200)  # registered in the tail
        self.expect("plain", "PATCH", f"/guilds/{gid}/channels/{cid}/messages/{tail_message}",
                    200, {"content": "edited after restart"})
        newer = self.post("late", gid, cid, "after restart")
        self.assertGreater(newer, tail_message)  # ids keep increasing across the restart


if __name__ == "__main__":
    run_tests()
