#!/usr/bin/python3
"""End-to-end: workspace governance (issue #7) — PATCH guild, members and moderation, roles,
channel overrides — with the contract's errors, the hierarchy matrix, the guild-scoped gateway
events, and `filament replay --check` afterwards.

Usage: governance_test.py --binary build/filament --log pg|kafka
"""
import asyncio
import json
import subprocess
import time
import unittest

import websockets

import upload_probe
from filament_harness import CLUSTER, Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"
UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
ACCEPTED = {"accepted": True}


class Governance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log,
                            env={"FILAMENT_MAX_CREATED_GUILDS_PER_USER": "50",
                                 # IP-ban tests name client IPs with x-forwarded-for.
                                 "FILAMENT_TRUSTED_PROXY_CIDRS": "127.0.0.1/32"}).start()
        cls.tokens, cls.ids = {}, {}
        for name in ["owner", "mod", "member", "outsider", "sysop", "target", "other", "ipuser",
                     "evader"]:
            cls.register(name)
        # The server owner is configured by id, so it needs a restart once the id exists.
        cls.server.env["FILAMENT_SERVER_OWNER_USER_ID"] = cls.ids["sysop"].lower()
        cls.server.restart()
        for name in list(cls.tokens):
            cls.login(name)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    @classmethod
    def register(cls, name):
        cls.server.request("POST", "/auth/register", {"username": name, "password": PASSWORD})
        cls.login(name)
        cls.ids[name] = cls.server.request("GET", "/auth/me", token=cls.tokens[name])[1]["user_id"]

    @classmethod
    def login(cls, name):
        status, body, _ = cls.server.request("POST", "/auth/login", {"username": name, "password": PASSWORD})
        assert status == 200, body
        cls.tokens[name] = body["access_token"]

    def call(self, who, method, path, body=None, ip=None, **kwargs):
        headers = {"x-forwarded-for": ip} if ip else None
        status, reply, _ = self.server.request(method, path, body, token=self.tokens.get(who), headers=headers,
                                               **kwargs)
        return status, reply

    def expect(self, who, method, path, status, body=None, error=None, ip=None):
        got, reply = self.call(who, method, path, body, ip=ip)
        self.assertEqual(got, status, f"{who} {method} {path}: {reply}")
        if error is not None:
            self.assertEqual(reply, {"error": error})
        return reply

    def workspace(self, name="Guild"):
        """A public guild: owner, mod (legacy moderator), member, target, other; one channel."""
        gid = self.expect("owner", "POST", "/guilds", 200, {"name": name, "visibility": "public"})["guild_id"]
        cid = self.expect("owner", "POST", f"/guilds/{gid}/channels", 200, {"name": "general"})["channel_id"]
        for who in ["mod", "member", "target", "other"]:
            self.expect(who, "POST", f"/guilds/{gid}/join", 200)
        self.expect("owner", "PATCH", f"/guilds/{gid}/members/{self.ids['mod']}", 200, {"role": "moderator"})
        return gid, cid

    def roles(self, gid, who="owner"):
        return self.expect(who, "GET", f"/guilds/{gid}/roles", 200)

    def role_id(self, gid, name):
        return next(r["role_id"] for r in self.roles(gid)["roles"] if r["name"] == name)

    def guild_ids(self, who):
        return [g["guild_id"] for g in self.expect(who, "GET", "/guilds", 200)["guilds"]]

    # --- PATCH /guilds/{id} ------------------------------------------------------------------
    def test_patch_guild(self):
        gid, cid = self.workspace("Patchable")
        path = f"/guilds/{gid}"
        self.expect("member", "PATCH", path, 403, {}, "forbidden")  # permission before body
        self.expect("mod", "PATCH", path, 403, {"name": "x"}, "forbidden")
        self.expect("outsider", "PATCH", path, 403, {"name": "x"}, "forbidden")
        self.expect("owner", "PATCH", path, 400, {}, "invalid_request")
        self.expect("owner", "PATCH", path, 400, {"name": ""}, "invalid_request")
        self.expect("owner", "PATCH", path, 422, {"visibility": "secret"})
        self.expect("owner", "PATCH", path, 422, {"name": "x", "extra": 1})
        self.expect("owner", "PATCH", f"/guilds/{UNKNOWN}", 404, {"name": "x"}, "not_found")
        self.expect(None, "PATCH", path, 401, {"name": "x"}, "invalid_credentials")
        events = asyncio.run(self.watch("member", gid, cid, [
            lambda: self.assertEqual(
                self.expect("owner", "PATCH", path, 200, {"name": "Renamed", "visibility": "public"}),
                {"guild_id": gid, "name": "Renamed", "visibility": "public"}),
            lambda: self.expect("owner", "PATCH", path, 200, {"name": "Renamed"}),  # no change: no event
            lambda: self.expect("sysop", "PATCH", path, 200, {"visibility": "private"}),
        ], until="workspace_update", count=2))
        updates = [d for t, d in events if t == "workspace_update"]
        self.assertEqual(updates[0]["updated_fields"], {"name": "Renamed"})
        self.assertEqual(updates[0]["actor_user_id"], self.ids["owner"])
        self.assertEqual(updates[1]["updated_fields"], {"visibility": "private"})
        public = self.expect("outsider", "GET", "/guilds/public?q=renamed", 200)["guilds"]
        self.assertNotIn(gid, [g["guild_id"] for g in public])
        self.expect("outsider", "POST", f"/guilds/{gid}/join", 404, None, "not_found")

    # --- members and moderation -------------------------------------------------------------
    def test_member_list_and_add(self):
        gid, _ = self.workspace("Members")
        path = f"/guilds/{gid}/members"
        page = self.expect("member", "GET", path, 200)
        self.assertEqual(len(page["members"]), 5)
        self.assertIsNone(page["next_cursor"])
        ids = [m["user_id"] for m in page["members"]]
        self.assertEqual(ids, sorted(ids))
        owner_entry = next(m for m in page["members"] if m["user_id"] == self.ids["owner"])
        self.assertEqual(owner_entry["role_ids"], [self.role_id(gid, "workspace_owner")])
        seen, cursor = [], None
        while True:
            reply = self.expect("member", "GET", path + "?limit=2" + (f"&cursor={cursor}" if cursor else ""), 200)
            seen += [m["user_id"] for m in reply["members"]]
            cursor = reply["next_cursor"]
            if cursor is None:
                break
        self.assertEqual(seen, ids)  # distinct pages, nothing skipped
        for bad in ["?limit=0", "?limit=201", "?cursor=nope", "?foo=1", "?limit=abc"]:
            self.expect("member", "GET", path + bad, 400)
        self.expect("outsider", "GET", path, 403, None, "forbidden")
        self.assertEqual(len(self.expect("sysop", "GET", path, 200)["members"]), 5)

        add = f"/guilds/{gid}/members/{self.ids['outsider']}"
        self.expect("member", "POST", add, 403, None, "forbidden")
        self.expect("member", "POST", f"/guilds/{gid}/members/nope", 403, None, "forbidden")
        self.expect("mod", "POST", f"/guilds/{gid}/members/nope", 400, None, "invalid_request")
        self.expect("mod", "POST", f"/guilds/{gid}/members/{UNKNOWN}", 404, None, "not_found")
        self.assertEqual(self.expect("mod", "POST", add, 200), ACCEPTED)
        self.assertEqual(self.expect("mod", "POST", add, 200), ACCEPTED)  # idempotent
        self.assertIn(gid, self.guild_ids("outsider"))

    def test_legacy_member_role(self):
        gid, _ = self.workspace("Legacy")
        patch = lambda who, target, role, status, error=None: self.expect(
            who, "PATCH", f"/guilds/{gid}/members/{self.ids[target]}", status, {"role": role}, error)
        patch("mod", "member", "moderator", 403, "forbidden")
        patch("member", "target", "member", 403, "forbidden")
        patch("owner", "owner", "member", 403, "forbidden")
        patch("owner", "member", "owner", 403, "forbidden")
        patch("owner", "outsider", "member", 404, "not_found")
        self.expect("owner", "PATCH", f"/guilds/{gid}/members/nope", 400, {"role": "member"})
        self.expect("owner", "PATCH", f"/guilds/{gid}/members/{self.ids['member']}", 422, {"role": "admin"})
        patch("owner", "member", "moderator", 200)
        perms = self.expect("member", "GET", f"/guilds/{gid}/members", 200)
        entry = next(m for m in perms["members"] if m["user_id"] == self.ids["member"])
        self.assertIn(self.role_id(gid, "moderator"), entry["role_ids"])
        patch("owner", "member", "member", 200)

    def test_kick_and_ban_hierarchy(self):
        gid, cid = self.workspace("Moderation")
        kick = lambda who, target: self.call(who, "POST", f"/guilds/{gid}/members/{self.ids[target]}/kick")[0]
        ban = lambda who, target: self.call(who, "POST", f"/guilds/{gid}/members/{self.ids[target]}/ban")[0]
        # (actor) x (target): only a higher legacy rank may remove, never an owner.
        self.assertEqual(kick("member", "other"), 403)
        self.assertEqual(kick("outsider", "other"), 403)
        self.assertEqual(kick("mod", "owner"), 403)
        self.assertEqual(kick("sysop", "owner"), 403)
        self.assertEqual(kick("mod", "mod"), 403)
        self.assertEqual(kick("owner", "outsider"), 404)
        self.assertEqual(self.call("owner", "POST", f"/guilds/{gid}/members/nope/kick")[0], 400)
        self.assertEqual(ban("member", "other"), 403)
        self.assertEqual(ban("mod", "owner"), 403)
        self.assertEqual(self.call("owner", "POST", f"/guilds/{gid}/members/nope/ban")[0], 400)

        events = asyncio.run(self.watch("member", gid, cid, [
            lambda: self.assertEqual(kick("mod", "target"), 200),
            lambda: self.assertEqual(ban("mod", "other"), 200),
        ], until="workspace_member_remove", count=2))
        # The gateway follows the log asynchronously: the setup's member add/update events may
        # still arrive after the subscribe, so only the removals are compared (in order).
        kinds = [(t, d.get("reason")) for t, d in events
                 if t in ("workspace_member_remove", "workspace_member_ban")]
        self.assertEqual(kinds, [("workspace_member_remove", "kick"), ("workspace_member_ban", None),
                                 ("workspace_member_remove", "ban")])
        # Kicked: out, may come back. Banned: out of GET /guilds, cannot join, post or be added.
        self.assertNotIn(gid, self.guild_ids("target"))
        self.expect("target", "GET", f"/guilds/{gid}/channels", 403, None, "forbidden")
        self.assertEqual(self.expect("target", "POST", f"/guilds/{gid}/join", 200)["outcome"], "accepted")
        self.assertNotIn(gid, self.guild_ids("other"))
        self.expect("other", "POST", f"/guilds/{gid}/join", 403, None, "directory_join_user_banned")
        self.expect("other", "POST", f"/guilds/{gid}/channels/{cid}/messages", 403, {"content": "hi"}, "forbidden")
        self.expect("owner", "POST", f"/guilds/{gid}/members/{self.ids['other']}", 403, None, "forbidden")
        # Pre-emptive ban of a non-member; the server owner acts without membership.
        self.assertEqual(ban("mod", "outsider"), 200)
        self.expect("outsider", "POST", f"/guilds/{gid}/join", 403, None, "directory_join_user_banned")
        self.assertEqual(kick("sysop", "mod"), 200)
        self.assertEqual(ban("sysop", "target"), 200)

    # The hierarchy matrix (issue #7): server owner, workspace owner, moderator, member and
    # non-member against the governance actions, per contract §3 (kick/ban: test above).
    def test_actor_matrix(self):
        gid, cid = self.workspace("Matrix")
        roles, member = f"/guilds/{gid}/roles", self.ids["member"]
        low = self.expect("owner", "POST", roles, 200, {"name": "low", "permissions": [], "position": 1})["role_id"]
        allow = {"allow": ["create_message"], "deny": []}
        ok, no = 200, 403
        table = {  # action → (sysop, owner, mod, member, outsider)
            "role create": ((ok, ok, no, no, no), lambda who: ("POST", roles, {"name": who, "permissions": []})),
            "role update": ((ok, ok, no, no, no), lambda who: ("PATCH", f"{roles}/{low}", {"name": who})),
            "role delete": ((ok, ok, no, no, no), lambda who: ("DELETE", f"{roles}/{doomed[who]}", None)),
            "role assign": ((ok, ok, ok, no, no), lambda who: ("POST", f"{roles}/{low}/members/{member}", None)),
            "role unassign": ((ok, ok, ok, no, no), lambda who: ("DELETE", f"{roles}/{low}/members/{member}", None)),
            "override": ((ok, ok, ok, no, no), lambda who: (
                "POST", f"/guilds/{gid}/channels/{cid}/permission-overrides/member/{member}", allow)),
            "legacy override": ((ok, ok, no, no, no), lambda who: (
                "POST", f"/guilds/{gid}/channels/{cid}/overrides/member", allow)),
            "ip-ban list": ((ok, ok, ok, no, no), lambda who: ("GET", f"/guilds/{gid}/ip-bans", None)),
            "audit": ((ok, ok, ok, no, no), lambda who: ("GET", f"/guilds/{gid}/audit", None)),
        }
        actors = ["sysop", "owner", "mod", "member", "outsider"]
        doomed = {who: self.expect("owner", "POST", roles, 200, {"name": f"doomed-{who}", "permissions": []})["role_id"]
                  for who in actors}
        for action, (statuses, request) in table.items():
            for who, status in zip(actors, statuses):
                with self.subTest(action=action, actor=who):
                    method, path, body = request(who)
                    got, reply = self.call(who, method, path, body)
                    self.assertEqual(got, status, f"{who} {action}: {reply}")
                    if status == no:
                        self.assertEqual(reply, {"error": "audit_access_denied" if action == "audit" else "forbidden"})

    # The hierarchy matrix's removed actors: a moderator holding a role with every permission,
    # once banned or kicked (and not back), can do nothing any more; nothing changes.
    def test_removed_actors_lose_every_power(self):
        gid, cid = self.workspace("Removed")
        roles = f"/guilds/{gid}/roles"
        everything = ["manage_roles", "manage_member_roles", "manage_workspace_roles", "manage_channel_overrides",
                      "delete_message", "ban_member", "view_audit_log", "manage_ip_bans", "create_message",
                      "publish_video", "publish_screen_share", "subscribe_streams"]
        powers = self.expect("owner", "POST", roles, 200, {"name": "powers", "permissions": everything})["role_id"]
        self.expect("owner", "PATCH", f"/guilds/{gid}/members/{self.ids['target']}", 200, {"role": "moderator"})
        for who in ["mod", "target"]:
            self.expect("owner", "POST", f"{roles}/{powers}/members/{self.ids[who]}", 200)
            self.expect(who, "GET", f"/guilds/{gid}/audit", 200)  # they could, before
        self.expect("owner", "POST", f"/guilds/{gid}/members/{self.ids['mod']}/ban", 200)
        self.expect("owner", "POST", f"/guilds/{gid}/members/{self.ids['target']}/kick", 200)
        member, everyone = self.ids["member"], self.role_id(gid, "@everyone")
        overrides = f"/guilds/{gid}/channels/{cid}"
        deny = {"allow": [], "deny": ["create_message"]}
        actions = [
            ("POST", f"/guilds/{gid}/members/{member}/kick", None, "forbidden"),
            ("POST", f"/guilds/{gid}/members/{member}/ban", None, "forbidden"),
            ("PATCH", f"/guilds/{gid}/members/{member}", {"role": "moderator"}, "forbidden"),
            ("POST", f"/guilds/{gid}/members/{self.ids['outsider']}", None, "forbidden"),
            ("PATCH", f"/guilds/{gid}", {"name": "taken over"}, "forbidden"),
            ("POST", roles, {"name": "mine", "permissions": []}, "forbidden"),
            ("PATCH", f"{roles}/{powers}", {"name": "mine"}, "forbidden"),
            ("DELETE", f"{roles}/{powers}", None, "forbidden"),
            ("POST", f"{roles}/reorder", {"role_ids": [powers]}, "forbidden"),
            ("POST", f"{roles}/default", {"role_id": powers}, "forbidden"),
            ("POST", f"{roles}/{powers}/members/{member}", None, "forbidden"),
            ("DELETE", f"{roles}/{powers}/members/{self.ids['owner']}", None, "forbidden"),
            ("POST", f"{overrides}/overrides/member", deny, "forbidden"),
            ("POST", f"{overrides}/permission-overrides/role/{everyone}", deny, "forbidden"),
            ("GET", f"/guilds/{gid}/ip-bans", None, "forbidden"),
            ("POST", f"/guilds/{gid}/ip-bans/by-user", {"target_user_id": member}, "forbidden"),
            ("DELETE", f"/guilds/{gid}/ip-bans/{UNKNOWN}", None, "forbidden"),
            ("GET", f"/guilds/{gid}/audit", None, "audit_access_denied"),
        ]
        for who in ["mod", "target"]:
            for method, path, body, error in actions:
                with self.subTest(actor=who, action=f"{method} {path}"):
                    self.expect(who, method, path, 403, body, error)
        # Nothing moved: the role, the member and the channel are as they were.
        self.assertIn(powers, [r["role_id"] for r in self.roles(gid)["roles"]])
        self.assertIn(member, [m["user_id"] for m in self.expect("owner", "GET", f"/guilds/{gid}/members", 200)["members"]])
        self.assertEqual(self.expect("member", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 200)["role"],
                         "member")
        audit = self.expect("owner", "GET", f"/guilds/{gid}/audit?limit=100", 200)["events"]
        self.assertEqual({e["actor_user_id"] for e in audit if e["action"] != "directory.join.accepted"},
                         {self.ids["owner"]})

    # --- roles ------------------------------------------------------------------------------
    def test_role_crud(self):
        gid, _ = self.workspace("Roles")
        path = f"/guilds/{gid}/roles"
        listed = self.roles(gid, "member")
        self.assertEqual([r["name"] for r in listed["roles"]], ["workspace_owner", "moderator", "member", "@everyone"])
        self.assertIsNone(listed["default_join_role_id"])
        self.expect("outsider", "GET", path, 403, None, "forbidden")
        body = {"name": "  Helpers ", "permissions": ["delete_message"], "color_hex": "#a1b2c3"}
        self.expect("mod", "POST", path, 403, body, "forbidden")
        self.expect("member", "POST", path, 403, body, "forbidden")
        self.expect("owner", "POST", path, 422, {"name": "x", "permissions": ["not_a_permission"]})
        self.expect("owner", "POST", path, 422, {"name": "x"})
        self.expect("owner", "POST", path, 400, {"name": "x", "permissions": [], "color_hex": "red"}, "invalid_request")
        self.expect("owner", "POST", path, 400, {"name": "@Everyone", "permissions": []}, "invalid_request")
        role = self.expect("owner", "POST", path, 200, body)
        self.assertEqual({k: role[k] for k in ["name", "position", "is_system", "permissions", "color_hex"]},
                         {"name": "Helpers", "position": 9999, "is_system": False,
                          "permissions": ["delete_message"], "color_hex": "#A1B2C3"})
        rid = role["role_id"]
        one = f"{path}/{rid}"
        self.expect("owner", "PATCH", one, 400, {}, "invalid_request")
        self.expect("owner", "PATCH", f"{path}/nope", 400, {"name": "x"}, "invalid_request")
        self.expect("owner", "PATCH", f"{path}/{UNKNOWN}", 404, {"name": "x"}, "not_found")
        self.expect("mod", "PATCH", one, 403, {"name": "x"}, "forbidden")
        updated = self.expect("owner", "PATCH", one, 200, {"color_hex": None, "permissions": ["ban_member", "delete_message"]})
        self.assertEqual((updated["color_hex"], updated["permissions"], updated["position"]),
                         (None, ["delete_message", "ban_member"], 9999))
        everyone = self.role_id(gid, "@everyone")
        self.expect("owner", "PATCH", f"{path}/{everyone}", 403, {"permissions": []}, "forbidden")
        self.expect("sysop", "PATCH", f"{path}/{everyone}", 200, {"permissions": ["create_message", "subscribe_streams"]})
        self.expect("owner", "DELETE", f"{path}/{self.role_id(gid, 'workspace_owner')}", 403, None, "forbidden")
        self.expect("owner", "DELETE", f"{path}/nope", 400, None, "invalid_request")
        self.expect("owner", "DELETE", f"{path}/{UNKNOWN}", 404, None, "not_found")
        self.assertEqual(self.expect("owner", "DELETE", one, 200), ACCEPTED)
        self.assertNotIn(rid, [r["role_id"] for r in self.roles(gid)["roles"]])

    def test_role_reorder_default_and_caps(self):
        gid, _ = self.workspace("Ordering")
        path = f"/guilds/{gid}/roles"
        a = self.expect("owner", "POST", path, 200, {"name": "a", "permissions": [], "position": 5})["role_id"]
        b = self.expect("owner", "POST", path, 200, {"name": "b", "permissions": [], "position": 6})["role_id"]
        self.expect("owner", "POST", path + "/reorder", 400, {"role_ids": []}, "invalid_request")
        self.expect("owner", "POST", path + "/reorder", 400, {"role_ids": [a, a]}, "invalid_request")
        self.expect("owner", "POST", path + "/reorder", 400, {"role_ids": [UNKNOWN]}, "invalid_request")
        self.expect("owner", "POST", path + "/reorder", 403, {"role_ids": [self.role_id(gid, "@everyone")]}, "forbidden")
        self.expect("mod", "POST", path + "/reorder", 403, {"role_ids": [a, b]}, "forbidden")
        self.assertEqual(self.expect("owner", "POST", path + "/reorder", 200, {"role_ids": [a, b]}), ACCEPTED)
        positions = {r["role_id"]: r["position"] for r in self.roles(gid)["roles"]}
        self.assertEqual((positions[a], positions[b]), (2, 1))
        self.expect("owner", "POST", path + "/default", 403, {"role_id": self.role_id(gid, "workspace_owner")}, "forbidden")
        self.expect("owner", "POST", path + "/default", 400, {"role_id": UNKNOWN}, "invalid_request")
        self.expect("mod", "POST", path + "/default", 403, {"role_id": a}, "forbidden")
        self.assertEqual(self.expect("owner", "POST", path + "/default", 200, {"role_id": a}), ACCEPTED)
        self.assertEqual(self.roles(gid)["default_join_role_id"], a)
        self.expect("outsider", "POST", f"/guilds/{gid}/join", 200)
        members = self.expect("owner", "GET", f"/guilds/{gid}/members", 200)["members"]
        self.assertIn(a, next(m for m in members if m["user_id"] == self.ids["outsider"])["role_ids"])
        self.expect("owner", "POST", path + "/default", 200, {"role_id": None})
        self.assertIsNone(self.roles(gid)["default_join_role_id"])
        # 16 assignments per member, 64 roles per guild.
        created = [a, b]
        while len(created) < 16:
            created.append(self.expect("owner", "POST", path, 200, {"name": f"r{len(created)}", "permissions": []})["role_id"])
        for rid in created[:16]:
            self.expect("owner", "POST", f"{path}/{rid}/members/{self.ids['member']}", 200)
        extra = self.expect("owner", "POST", path, 200, {"name": "extra", "permissions": []})["role_id"]
        self.expect("owner", "POST", f"{path}/{extra}/members/{self.ids['member']}", 409, None, "quota_exceeded")
        while len(self.roles(gid)["roles"]) < 64:
            self.expect("owner", "POST", path, 200, {"name": "filler", "permissions": []})
        self.expect("owner", "POST", path, 409, {"name": "too many", "permissions": []}, "quota_exceeded")

    def test_role_assignment_rules(self):
        gid, cid = self.workspace("Assign")
        path = f"/guilds/{gid}/roles"
        owner_role, mod_role = self.role_id(gid, "workspace_owner"), self.role_id(gid, "moderator")
        member_role, everyone = self.role_id(gid, "member"), self.role_id(gid, "@everyone")
        deleter = self.expect("owner", "POST", path, 200,
                              {"name": "deleter", "permissions": ["delete_message"], "position": 50})["role_id"]
        at = lambda rid, who: f"{path}/{rid}/members/{self.ids[who]}"
        self.expect("owner", "POST", f"{path}/nope/members/{self.ids['member']}", 400)
        self.expect("owner", "POST", f"{path}/{deleter}/members/nope", 400)
        self.expect("owner", "POST", at(everyone, "member"), 400, None, "invalid_request")
        self.expect("member", "POST", at(deleter, "target"), 403, None, "forbidden")
        self.expect("outsider", "POST", at(deleter, "target"), 403, None, "forbidden")
        self.expect("owner", "POST", at(owner_role, "member"), 403, None, "forbidden")
        self.expect("mod", "POST", at(mod_role, "member"), 403, None, "forbidden")  # not below 100
        self.expect("owner", "POST", f"{path}/{UNKNOWN}/members/{self.ids['member']}", 404, None, "not_found")
        self.expect("owner", "POST", at(deleter, "outsider"), 404, None, "not_found")
        self.assertEqual(self.expect("mod", "POST", at(deleter, "member"), 200), ACCEPTED)
        self.expect("mod", "POST", at(deleter, "member"), 200)  # idempotent
        self.expect("owner", "POST", at(mod_role, "member"), 200)  # legacy role resynced
        self.assertEqual(self.expect("member", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 200)["role"], "moderator")
        self.expect("owner", "DELETE", at(mod_role, "member"), 200)
        self.assertEqual(self.expect("member", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 200)["role"], "member")
        self.expect("mod", "DELETE", at(deleter, "member"), 200)
        self.expect("mod", "DELETE", at(deleter, "outsider"), 200)  # need not be a member
        self.expect("member", "DELETE", at(member_role, "target"), 403, None, "forbidden")
        # The last workspace_owner holder stays, even for the server owner.
        self.expect("sysop", "DELETE", at(owner_role, "owner"), 403, None, "forbidden")
        self.expect("sysop", "POST", at(owner_role, "target"), 200)
        self.expect("sysop", "DELETE", at(owner_role, "owner"), 200)
        self.assertEqual(self.expect("owner", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 200)["role"], "member")
        self.expect("sysop", "DELETE", at(owner_role, "target"), 403, None, "forbidden")

    # --- channel overrides ------------------------------------------------------------------
    def test_channel_overrides(self):
        gid, cid = self.workspace("Overrides")
        legacy = f"/guilds/{gid}/channels/{cid}/overrides"
        deny_post = {"allow": [], "deny": ["create_message"]}
        self.expect("mod", "POST", legacy + "/member", 403, deny_post, "forbidden")
        self.expect("member", "POST", legacy + "/member", 403, deny_post, "forbidden")
        self.expect("owner", "POST", legacy + "/admin", 400, deny_post)
        self.expect("owner", "POST", legacy + "/member", 400,
                    {"allow": ["create_message"], "deny": ["create_message"]}, "invalid_request")
        self.expect("owner", "POST", legacy + "/member", 422, {"allow": []})
        self.expect("owner", "POST", f"/guilds/{gid}/channels/{UNKNOWN}/overrides/member", 404, deny_post, "not_found")
        events = asyncio.run(self.watch("mod", gid, cid, [
            lambda: self.assertEqual(self.expect("owner", "POST", legacy + "/member", 200, deny_post), ACCEPTED),
        ], until="workspace_channel_role_override_update", count=1))
        update = next(d for t, d in events if t == "workspace_channel_role_override_update")
        self.assertEqual((update["role"], update["updated_fields"]), ("member", deny_post))
        self.expect("member", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 403, None, "forbidden")
        self.assertEqual(self.expect("member", "GET", f"/guilds/{gid}/channels", 200)["channels"], [])
        self.expect("member", "POST", f"/guilds/{gid}/channels/{cid}/messages", 403, {"content": "x"}, "forbidden")

        targeted = f"/guilds/{gid}/channels/{cid}/permission-overrides"
        allow_post = {"allow": ["create_message"], "deny": []}
        self.expect("member", "POST", f"{targeted}/member/{self.ids['member']}", 403, allow_post, "forbidden")
        self.expect("mod", "POST", f"{targeted}/0/{self.ids['member']}", 400, allow_post)
        self.expect("mod", "POST", f"{targeted}/member/nope", 400, allow_post, "invalid_request")
        self.expect("mod", "POST", f"/guilds/{gid}/channels/{UNKNOWN}/permission-overrides/member/{self.ids['member']}",
                    404, allow_post, "not_found")
        self.assertEqual(self.expect("mod", "POST", f"{targeted}/member/{self.ids['member']}", 200, allow_post), ACCEPTED)
        self.assertEqual(self.expect("member", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 200)["role"], "member")
        everyone = self.role_id(gid, "@everyone")
        self.expect("mod", "POST", f"{targeted}/role/{everyone}", 200, deny_post)
        self.expect("target", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 403, None, "forbidden")
        self.expect("member", "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", 200)  # member layer wins

    # --- audit --------------------------------------------------------------------------------
    def test_audit(self):
        gid, cid = self.workspace("Audited")
        roles = f"/guilds/{gid}/roles"
        rid = self.expect("owner", "POST", roles, 200, {"name": "aud", "permissions": []})["role_id"]
        self.expect("owner", "PATCH", f"{roles}/{rid}", 200, {"permissions": ["delete_message"]})
        self.expect("owner", "PATCH", f"{roles}/{rid}", 200, {"name": "renamed"})
        self.expect("owner", "PATCH", f"{roles}/{rid}", 200, {"color_hex": "#000000"})
        self.expect("owner", "POST", f"{roles}/{rid}/members/{self.ids['member']}", 200)
        self.expect("owner", "DELETE", f"{roles}/{rid}/members/{self.ids['member']}", 200)
        self.expect("owner", "POST", f"{roles}/reorder", 200, {"role_ids": [rid]})
        self.expect("owner", "POST", f"{roles}/default", 200, {"role_id": rid})
        self.expect("owner", "POST", f"/guilds/{gid}/channels/{cid}/overrides/member", 200, {"allow": [], "deny": []})
        self.expect("owner", "POST", f"/guilds/{gid}/channels/{cid}/permission-overrides/member/{self.ids['member']}",
                    200, {"allow": [], "deny": []})
        self.expect("member", "POST", f"/guilds/{gid}/join", 200)  # already_member
        self.expect("mod", "POST", f"/guilds/{gid}/members/{self.ids['target']}/kick", 200)
        self.expect("mod", "POST", f"/guilds/{gid}/members/{self.ids['other']}/ban", 200)
        self.expect("other", "POST", f"/guilds/{gid}/join", 403, None, "directory_join_user_banned")
        self.expect("owner", "DELETE", f"{roles}/{rid}", 200)
        self.expect("owner", "PATCH", f"/guilds/{gid}", 200, {"visibility": "private"})
        self.expect("outsider", "POST", f"/guilds/{gid}/join", 404, None, "not_found")

        path = f"/guilds/{gid}/audit"
        for bad in ["?limit=0", "?limit=101", "?action_prefix=Role", "?action_prefix=", "?cursor=x",
                    "?cursor=12_nope", "?foo=1"]:
            self.expect("owner", "GET", path + bad, 400)
        self.expect("member", "GET", path, 403, None, "audit_access_denied")
        self.expect("outsider", "GET", path, 403, None, "audit_access_denied")
        self.expect("owner", "GET", f"/guilds/{UNKNOWN}/audit", 404, None, "not_found")
        self.assertEqual(len(self.expect("mod", "GET", path, 200)["events"]), 20)
        self.assertTrue(self.expect("sysop", "GET", path, 200)["events"])

        pages, cursor = [], None
        while True:
            reply = self.expect("mod", "GET", path + "?limit=3" + (f"&cursor={cursor}" if cursor else ""), 200)
            pages += reply["events"]
            cursor = reply["next_cursor"]
            if cursor is None:
                break
        ids = [e["audit_id"] for e in pages]
        self.assertEqual(len(ids), len(set(ids)), "an entry appeared on two pages")
        for e in pages:
            self.assertEqual(set(e), {"audit_id", "actor_user_id", "target_user_id", "action", "created_at_unix",
                                      "ip_ban_match"})
        actions = {e["action"] for e in pages}
        for expected in ["directory.join.accepted", "directory.join.rejected.visibility",
                         "directory.join.rejected.user_ban", "role.create", "role.update", "role.permissions.update",
                         "role.color.update", "role.delete", "role.reorder", "role.default_join.update",
                         "role.assign", "role.unassign", "member.role.update", "member.kick", "member.ban",
                         "channel.override.update", "channel.permission_override.update"]:
            self.assertIn(expected, actions)
        kick = next(e for e in pages if e["action"] == "member.kick")
        self.assertEqual((kick["actor_user_id"], kick["target_user_id"]), (self.ids["mod"], self.ids["target"]))
        only_roles = self.expect("mod", "GET", path + "?action_prefix=role.&limit=100", 200)["events"]
        self.assertEqual({e["audit_id"] for e in only_roles},
                         {e["audit_id"] for e in pages if e["action"].startswith("role.")})
        # The CLI reads the same trail straight from the log.
        cli = subprocess.run([ARGS.binary, "audit", *self.server.storage_args(), "--guild", gid, "--json"],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(cli.returncode, 0, cli.stderr)
        from_log = {json.loads(line)["event_id"]: json.loads(line)["action"] for line in cli.stdout.splitlines()
                    if line.strip() and "action" in json.loads(line)}
        self.assertEqual(from_log, {e["audit_id"]: e["action"] for e in pages})

    # --- IP bans ------------------------------------------------------------------------------
    def test_ip_bans(self):
        gid = self.expect("owner", "POST", "/guilds", 200, {"name": "IpBans", "visibility": "public"})["guild_id"]
        cid = self.expect("owner", "POST", f"/guilds/{gid}/channels", 200, {"name": "general"})["channel_id"]
        for who, ip in [("mod", "10.0.0.2"), ("member", "10.0.0.3"), ("ipuser", "10.0.0.7"),
                        ("ipuser", "10.0.0.7"), ("ipuser", "10.0.0.8")]:
            self.expect(who, "POST", f"/guilds/{gid}/join", 200, ip=ip)
        self.expect("owner", "PATCH", f"/guilds/{gid}/members/{self.ids['mod']}", 200, {"role": "moderator"})
        path = f"/guilds/{gid}/ip-bans"
        by_user = {"target_user_id": self.ids["ipuser"], "reason": "spam", "expires_in_secs": 3600}
        self.expect("member", "POST", path + "/by-user", 400, dict(by_user, reason="  "), "invalid_request")
        self.expect("member", "POST", path + "/by-user", 400, dict(by_user, expires_in_secs=0), "invalid_request")
        self.expect("member", "POST", path + "/by-user", 400, dict(by_user, target_user_id="nope"))
        self.expect("member", "POST", path + "/by-user", 403, by_user, "forbidden")
        self.expect("outsider", "POST", path + "/by-user", 403, by_user, "forbidden")
        self.expect("owner", "POST", f"/guilds/{UNKNOWN}/ip-bans/by-user", 404, by_user, "not_found")
        created = self.expect("mod", "POST", path + "/by-user", 200, by_user)
        # ipuser only ever joined from 10.0.0.7 (twice: throttled to one observation) and .8.
        self.assertEqual(created["created_count"], 2)
        self.assertEqual(self.expect("mod", "POST", path + "/by-user", 200, by_user),
                         {"created_count": 0, "ban_ids": []})
        listed = self.expect("mod", "GET", path, 200)
        self.assertEqual({b["ban_id"] for b in listed["bans"]}, set(created["ban_ids"]))
        for ban in listed["bans"]:
            self.assertEqual(set(ban), {"ban_id", "source_user_id", "reason", "created_at_unix", "expires_at_unix"})
            self.assertEqual((ban["source_user_id"], ban["reason"]), (self.ids["ipuser"], "spam"))
        self.assertNotIn("10.0.0", json.dumps(listed))
        first = self.expect("mod", "GET", path + "?limit=1", 200)
        second = self.expect("mod", "GET", path + f"?limit=1&cursor={first['next_cursor']}", 200)
        self.assertNotEqual(first["bans"][0]["ban_id"], second["bans"][0]["ban_id"])
        for bad in ["?limit=0", "?limit=101", "?cursor=x", "?foo=1"]:
            self.expect("mod", "GET", path + bad, 400)
        self.expect("member", "GET", path, 403, None, "forbidden")
        # The gate: any caller from a banned address, member or not; other addresses pass.
        self.expect("ipuser", "GET", f"/guilds/{gid}/channels", 403, None, "forbidden", ip="10.0.0.7")
        self.expect("member", "GET", f"/guilds/{gid}/channels", 403, None, "forbidden", ip="10.0.0.8")
        self.expect("member", "POST", f"/guilds/{gid}/channels/{cid}/messages", 403, {"content": "x"}, "forbidden",
                    ip="10.0.0.8")
        self.expect("member", "GET", f"/guilds/{gid}/channels", 200, ip="10.0.0.3")
        # Every gated route of contract §3.7 refuses the banned address before its own checks.
        msg = self.expect("member", "POST", f"/guilds/{gid}/channels/{cid}/messages", 200, {"content": "mine"},
                          ip="10.0.0.3")["message_id"]
        base = f"/guilds/{gid}/channels/{cid}"
        for method, route, body in [
                ("PATCH", f"{base}/messages/{msg}", {"content": "edited"}),
                ("DELETE", f"{base}/messages/{msg}", None),
                ("POST", f"{base}/messages/{msg}/reactions/%F0%9F%91%8D", None),
                ("DELETE", f"{base}/messages/{msg}/reactions/%F0%9F%91%8D", None),
                ("GET", f"{base}/attachments/{UNKNOWN}", None),
                ("DELETE", f"{base}/attachments/{UNKNOWN}", None),
                ("GET", f"/guilds/{gid}/search?q=mine", None),
                ("POST", f"/guilds/{gid}/search/rebuild", None),
                ("POST", f"/guilds/{gid}/search/reconcile", None)]:
            who = "owner" if "search/re" in route else "member"
            self.expect(who, method, route, 403, body, "forbidden", ip="10.0.0.8")
        # An attachment upload from a banned address is refused from its head (before the bad
        # filename and the declared size over the cap), without its body being read.
        status, _, reply, elapsed, closed = upload_probe.refused_before_body(
            self.server.port, "POST", f"{base}/attachments?filename=a%2Fb",
            {"Authorization": "Bearer " + self.tokens["member"], "X-Forwarded-For": "10.0.0.8"},
            100 * 1024 * 1024)
        self.assertEqual((status, json.loads(reply)), (403, {"error": "forbidden"}))
        self.assertLess(elapsed, 2.0)
        self.assertTrue(closed)
        self.expect("outsider", "POST", f"/guilds/{gid}/join", 403, None, "directory_join_ip_banned", ip="10.0.0.7")
        # A subscribe from the banned address is dropped and audited (GATEWAY.md §4.1).
        def hits_on(user):
            events = self.expect("owner", "GET", f"/guilds/{gid}/audit?limit=100", 200)["events"]
            return sum(1 for e in events
                       if e["action"] == "moderation.ip_ban.hit" and e["target_user_id"] == self.ids[user])
        hits_before = hits_on("ipuser")
        self.assertTrue(asyncio.run(self.dropped_on_subscribe("ipuser", gid, cid, "10.0.0.7")))
        deadline = time.time() + 10  # appended before the drop; the audit read model follows
        while hits_on("ipuser") == hits_before and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(hits_on("ipuser"), hits_before + 1)
        # The gateway's message_create (GATEWAY.md §4.2): the banned address is disconnected
        # and posts nothing; another address posts in the same guild.
        self.assertEqual(asyncio.run(self.gateway_post("member", gid, cid, "10.0.0.8", "via banned")),
                         "closed")
        self.assertEqual(asyncio.run(self.gateway_post("member", gid, cid, "10.0.0.3", "via clean")), "open")
        history = f"/guilds/{gid}/channels/{cid}/messages?limit=100"
        deadline = time.time() + 10  # no ack: the post is awaited in the history
        while time.time() < deadline:
            contents = [m["content"] for m in self.expect("member", "GET", history, 200, ip="10.0.0.3")["messages"]]
            if "via clean" in contents:
                break
            time.sleep(0.05)
        self.assertIn("via clean", contents)
        self.assertNotIn("via banned", contents)
        # Removal.
        self.expect("mod", "DELETE", f"{path}/nope", 400, None, "invalid_request")
        self.expect("mod", "DELETE", f"{path}/{UNKNOWN}", 404, None, "not_found")
        self.expect("member", "DELETE", f"{path}/{created['ban_ids'][0]}", 403, None, "forbidden")
        self.assertEqual(self.expect("mod", "DELETE", f"{path}/{created['ban_ids'][0]}", 200), ACCEPTED)
        self.assertEqual(len(self.expect("mod", "GET", path, 200)["bans"]), 1)
        audit = self.expect("owner", "GET", f"/guilds/{gid}/audit?limit=100", 200)["events"]
        actions = {e["action"]: e for e in audit}
        for action in ["moderation.ip_ban.add", "moderation.ip_ban.remove", "moderation.ip_ban.hit",
                       "directory.join.rejected.ip_ban"]:
            self.assertIn(action, actions)
        self.assertTrue(actions["moderation.ip_ban.hit"]["ip_ban_match"])
        self.assertFalse(actions["moderation.ip_ban.add"]["ip_ban_match"])
        # No address in clear anywhere in the log.
        dump = subprocess.run([ARGS.binary, "audit", *self.server.storage_args(), "--json"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(dump.returncode, 0, dump.stderr)
        self.assertIn("ip_bans_updated", dump.stdout)
        for address in ["10.0.0.", "127.0.0.1"]:
            self.assertNotIn(address, dump.stdout)

    # ADR 0032: a new IP ban cuts the guild (not the socket) from open connections at a banned
    # address, whoever holds them; other addresses and other guilds keep flowing.
    def test_ip_ban_cuts_live_connections(self):
        gid = self.expect("owner", "POST", "/guilds", 200, {"name": "LiveIpBan", "visibility": "public"})["guild_id"]
        cid = self.expect("owner", "POST", f"/guilds/{gid}/channels", 200, {"name": "general"})["channel_id"]
        side = self.expect("owner", "POST", "/guilds", 200, {"name": "LiveIpSide", "visibility": "public"})["guild_id"]
        side_cid = self.expect("owner", "POST", f"/guilds/{side}/channels", 200, {"name": "side"})["channel_id"]
        for who, guild, ip in [("evader", gid, "10.9.0.7"), ("evader", side, "10.9.0.7"),
                               ("target", gid, "10.9.0.4"), ("member", gid, "10.9.0.3")]:
            self.expect(who, "POST", f"/guilds/{guild}/join", 200, ip=ip)

        def ban():
            created = self.expect("owner", "POST", f"/guilds/{gid}/ip-bans/by-user", 200,
                                  {"target_user_id": self.ids["evader"]})
            self.assertEqual(created["created_count"], 1)

        def post(guild, channel, content):
            self.expect("owner", "POST", f"/guilds/{guild}/channels/{channel}/messages", 200, {"content": content},
                        ip="10.9.0.1")

        asyncio.run(self.live_ip_ban(gid, cid, side, side_cid, ban, post))

    async def live_ip_ban(self, gid, cid, side, side_cid, ban, post):
        loop = asyncio.get_running_loop()
        evader = await self.subscribed_ws("evader", "10.9.0.7", [(gid, cid), (side, side_cid)])
        same_ip = await self.subscribed_ws("target", "10.9.0.7", [(gid, cid)])  # never joined from there
        spared_frames = []  # what `spared` heard of the guild's presence from its subscribe on
        spared = await self.subscribed_ws("member", "10.9.0.3", [(gid, cid)], spared_frames)
        try:
            await loop.run_in_executor(None, ban)
            for ws in (evader, same_ip, spared):  # the sync itself still reaches everyone subscribed
                read = await self.frames_until(ws, lambda f: f["t"] == "workspace_ip_ban_sync")
                if ws is spared:
                    spared_frames += read
            await loop.run_in_executor(None, post, gid, cid, "after the ban")
            await loop.run_in_executor(None, post, side, side_cid, "other guild")
            seen = await self.frames_until(spared, lambda f: f["t"] == "message_create" and f["d"]["guild_id"] == gid)
            def offline(frames):
                return {f["d"]["user_id"] for f in frames
                        if f["t"] == "presence_update" and f["d"]["status"] == "offline"}
            cut = {self.ids["evader"], self.ids["target"]}
            if not CLUSTER:
                self.assertEqual(offline(seen), cut)
            else:
                # Several gateway processes: presence from another one travels through the
                # presence directory (ADR 0057), not ordered with the log, and a user present
                # there for a few milliseconds (subscribed, then cut) may never show here at
                # all. What must hold: none of the cut users stays online in `spared`'s view.
                def online(frames):
                    view = set()
                    for f in frames:
                        if f["t"] == "presence_sync" and f["d"]["guild_id"] == gid:
                            view = set(f["d"]["user_ids"])
                        elif f["t"] == "presence_update" and f["d"]["guild_id"] == gid:
                            (view.add if f["d"]["status"] == "online" else view.discard)(f["d"]["user_id"])
                    return view
                spared_frames += seen
                while online(spared_frames) & cut:
                    spared_frames.append(json.loads(await asyncio.wait_for(spared.recv(), 10)))
                spared_frames += await self.frames_for(spared, 0.5)
                self.assertEqual(online(spared_frames) & cut, set())
                self.assertIn(self.ids["member"], online(spared_frames))
            # The guild stream is ordered: once `spared` has the message, the cut ones would have it too.
            got = await self.frames_until(evader, lambda f: f["t"] == "message_create" and f["d"]["guild_id"] == side)
            got += await self.frames_for(evader, 0.5) + await self.frames_for(same_ip, 0.5)
            self.assertEqual([f for f in got if f["d"].get("guild_id") == gid and f["t"] != "workspace_ip_ban_sync"], [])
            # Still open; a subscribe to the guild from the address is now dropped (GATEWAY.md §4.1).
            await same_ip.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
            with self.assertRaises(websockets.ConnectionClosed):
                await self.frames_until(same_ip, lambda f: False)
        finally:
            for ws in (evader, same_ip, spared):
                await ws.close()

    async def subscribed_ws(self, who, ip, channels, frames=None):
        """A connection subscribed to `channels`; the frames read on the way go to `frames`."""
        url = f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={self.tokens[who]}"
        ws = await websockets.connect(url, extra_headers={"x-forwarded-for": ip}, max_size=2**20)
        await asyncio.wait_for(ws.recv(), 10)  # ready
        for gid, cid in channels:
            await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
            read = await self.frames_until(ws, lambda f, c=cid: f["t"] == "subscribed" and f["d"]["channel_id"] == c)
            if frames is not None:
                frames += read
        return ws

    async def frames_until(self, ws, stop, timeout=10):
        frames = []
        while not frames or not stop(frames[-1]):
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout)))
        return frames

    async def frames_for(self, ws, seconds):
        frames = []
        try:
            while True:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), seconds)))
        except asyncio.TimeoutError:
            return frames

    async def dropped_on_subscribe(self, who, gid, cid, ip):
        url = f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={self.tokens[who]}"
        async with websockets.connect(url, extra_headers={"x-forwarded-for": ip}) as ws:
            await asyncio.wait_for(ws.recv(), 10)  # ready
            await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
            try:
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                    if frame["t"] == "subscribed":
                        return False
            except websockets.ConnectionClosed:
                return True

    async def gateway_post(self, who, gid, cid, ip, content):
        """Sends a gateway message_create from `ip`; "closed" when the server then closed the
        connection within 3 s, else "open"."""
        url = f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={self.tokens[who]}"
        async with websockets.connect(url, extra_headers={"x-forwarded-for": ip}) as ws:
            await asyncio.wait_for(ws.recv(), 10)  # ready
            await ws.send(json.dumps({"v": 1, "t": "message_create",
                                      "d": {"guild_id": gid, "channel_id": cid, "content": content}}))
            try:
                while True:
                    await asyncio.wait_for(ws.recv(), 3)
            except asyncio.TimeoutError:
                return "open"
            except websockets.ConnectionClosed:
                return "closed"

    # --- gateway helper ---------------------------------------------------------------------
    async def watch(self, who, gid, cid, actions, until, count):
        """Subscribes `who` to the channel, runs `actions`, and collects (type, d) frames until
        `count` frames of type `until` arrived."""
        url = f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={self.tokens[who]}"
        frames = []
        async with websockets.connect(url, max_size=2**20) as ws:
            await asyncio.wait_for(ws.recv(), 10)  # ready
            await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["t"] == "subscribed":
                    break
            for action in actions:
                await asyncio.get_running_loop().run_in_executor(None, action)
            while sum(1 for t, _ in frames if t == until) < count:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                frames.append((frame["t"], frame["d"]))
        return frames

    # Last (alphabetical order): the read models equal a rebuild from the log.
    def test_zz_replay_check(self):
        self.workspace("Replay")
        check = subprocess.run([ARGS.binary, "replay", "--check", *self.server.storage_args()],
                               capture_output=True, text=True, timeout=300)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertNotIn("DIFF", check.stdout)


if __name__ == "__main__":
    run_tests()
