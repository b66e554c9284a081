#!/usr/bin/python3
"""End-to-end: `filament admin make-owner` and `filament admin list-users` (ADR 0066, issue #12).

Beside a running server: make-owner records ServerOwnerChanged on the log (actor "operator",
listed by `filament audit`), the permission code honours it without a restart (a non-member
reads a private workspace's audit log), FILAMENT_SERVER_OWNER_USER_ID wins over it after a
restart with the flag, an unknown name is refused, and list-users pages the users by name.
Usage: admin_test.py --binary build/filament --log pg|kafka
"""
import json
import subprocess
import time
import unittest

from filament_harness import Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"


def run(args, timeout=180):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


class AdminTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(ARGS.binary, log=ARGS.log).start()
        self.tokens, self.ids = {}, {}
        for name in ("carol", "alice", "bob"):
            s = self.server
            self.assertEqual(s.request("POST", "/auth/register", {"username": name, "password": PASSWORD})[0], 200)
            token = s.request("POST", "/auth/login", {"username": name, "password": PASSWORD})[1]["access_token"]
            self.tokens[name] = token
            self.ids[name] = s.request("GET", "/auth/me", token=token)[1]["user_id"]

    def tearDown(self):
        self.server.stop()

    def admin(self, *args):
        return run([ARGS.binary, "admin", *args, *self.server.storage_args()])

    def audit_status(self, gid, who):
        return self.server.request("GET", f"/guilds/{gid}/audit", token=self.tokens[who])[0]

    def wait_for_audit_status(self, gid, who, want):
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.audit_status(gid, who) == want:
                return
            time.sleep(0.3)
        self.fail(f"{who} never got {want} on the audit log")

    def test_make_owner_is_a_logged_command_the_permission_code_honours(self):
        s = self.server
        gid = s.request("POST", "/guilds", {"name": "Private", "visibility": "private"}, token=self.tokens["alice"])[1]["guild_id"]
        self.assertEqual(self.audit_status(gid, "bob"), 403)

        out = self.admin("make-owner", "--username", "bob")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"bob ({self.ids['bob']}) is the server owner", out.stdout)
        self.wait_for_audit_status(gid, "bob", 200)  # no restart needed
        again = self.admin("make-owner", "--username", "bob")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("already is the server owner", again.stdout)

        missing = self.admin("make-owner", "--username", "nobody")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("no user named 'nobody'", missing.stderr)

        audit = run([ARGS.binary, "audit", "--type", "server_owner_changed", "--json", *s.storage_args()])
        self.assertEqual(audit.returncode, 0, audit.stderr)
        lines = [json.loads(line) for line in audit.stdout.splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, audit.stdout)
        self.assertIn("operator", json.dumps(lines[0]))
        self.assertIn(self.ids["bob"], json.dumps(lines[0]))

        # The configured owner wins over the recorded one.
        s.extra_args = ["--server-owner-user-id", self.ids["carol"]]
        s.restart()
        self.assertEqual(self.audit_status(gid, "bob"), 403)
        self.assertEqual(self.audit_status(gid, "carol"), 200)

        check = run([ARGS.binary, "replay", "--check", *s.storage_args()])
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)

    def test_list_users_pages_by_name(self):
        self.assertEqual(self.admin("make-owner", "--username", "carol").returncode, 0)
        first = self.admin("list-users", "--limit", "2")
        self.assertEqual(first.returncode, 0, first.stderr)
        lines = first.stdout.splitlines()
        self.assertEqual(lines, [f"{self.ids['alice']}  alice", f"{self.ids['bob']}  bob", "-- more: --after bob"])
        rest = self.admin("list-users", "--limit", "2", "--after", "bob", "--json")
        self.assertEqual(rest.returncode, 0, rest.stderr)
        rows = [json.loads(line) for line in rest.stdout.splitlines()]
        self.assertEqual([(r["username"], r["user_id"], r["recorded_owner"]) for r in rows],
                         [("carol", self.ids["carol"], True)])
        self.assertGreater(rows[0]["registered_at_unix"], 0)
        bad = self.admin("list-users", "--limit", "0")
        self.assertNotEqual(bad.returncode, 0)


if __name__ == "__main__":
    run_tests()
