#!/usr/bin/python3
"""End-to-end: every documented route, its success and the errors a client can provoke, so the
harness validates a real response of each against docs/openapi.yaml (issue #6). The last check
fails when an operation of the document got no successful response here: a new route is
documented, then driven from this file.

Usage: api_contract_test.py --binary build/filament --log pg|kafka
"""
import os
import sys
import time
import unittest

import filament_harness
from filament_harness import Server, run_tests

sys.path.insert(0, os.path.join(filament_harness.ROOT, "tools", "openapi"))
import openapi_check  # noqa: E402

ARGS = None
PASSWORD = "correct horse battery"
MARKDOWN = ("# Title\n\n*em* **strong** `code` <b>raw</b> https://example.com/x.\n\n"
            "1. one\n2. two\n\n- [link](mailto:a@example.com)\n\n```Py\nprint(1)\n```\n"
            "line  \nbreak\nsoft")
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000114944"
                    "4154789c63f8cfc0c0f01f8c8018001df003fdd3d07d260000000049454e44ae426082")
ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
UPGRADE = ("GET /gateway/ws{query} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
           "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")


class ApiContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log,
                            env={"FILAMENT_MAX_CREATED_GUILDS_PER_USER": "2",
                                 "FILAMENT_LIVEKIT_API_KEY": "contractkey",
                                 "FILAMENT_LIVEKIT_API_SECRET": "contract-secret-contract-secret"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def call(self, *args, **kwargs):
        return self.server.request(*args, **kwargs)

    def expect(self, status, *args, **kwargs):
        got, body, headers = self.call(*args, **kwargs)
        self.assertEqual(got, status, (args, body))
        return body, headers

    def user(self, name):
        self.expect(200, "POST", "/auth/register", {"username": name, "password": PASSWORD})
        tokens, _ = self.expect(200, "POST", "/auth/login",
                                {"username": name, "password": PASSWORD})
        return tokens["access_token"]

    def test_every_route(self):
        self.ops_routes()
        owner, member, outsider = self.user("owner"), self.user("member"), self.user("outsider")
        self.auth_routes(owner)
        gid, cid = self.guild_routes(owner, member, outsider)
        self.message_routes(gid, cid, owner, member, outsider)
        self.identity_routes(owner, member, outsider)
        self.message_extra_routes(gid, cid, owner, member, outsider)
        self.governance_routes(gid, cid, owner, member, outsider)
        self.voice_routes(gid, cid, owner, outsider)
        self.gateway_routes(member)
        self.unrouted()
        self.assert_every_operation_succeeded()

    def ops_routes(self):
        self.expect(200, "GET", "/health")
        self.expect(200, "GET", "/metrics")
        deadline = time.time() + 60  # ready once the projections caught up (ADR 0076)
        while self.server.request("GET", "/ready")[0] != 200 and time.time() < deadline:
            time.sleep(0.2)
        self.expect(200, "GET", "/ready")
        self.expect(200, "GET", "/slow")
        self.expect(200, "POST", "/echo", {"message": "hi"})
        self.expect(400, "POST", "/echo", {"message": ""})
        self.expect(415, "POST", "/echo", raw=b'{"message":"x"}', headers={"Content-Type": "text/plain"})
        self.expect(422, "POST", "/echo", {"message": 1})
        self.expect(400, "POST", "/echo", raw=b'{"message":')

    def auth_routes(self, owner):
        _, headers = self.expect(200, "POST", "/auth/register", {"username": "owner", "password": "x" * 12})
        self.assertNotIn("x-filament-position", {k.lower() for k in headers})  # taken: nothing appended
        self.expect(400, "POST", "/auth/register", {"username": "no!", "password": PASSWORD})
        self.expect(422, "POST", "/auth/register", {"username": "abc"})
        self.expect(401, "POST", "/auth/login", {"username": "owner", "password": "wrong password"})
        me, _ = self.expect(200, "GET", "/auth/me", token=owner)
        self.expect(401, "GET", "/auth/me", token="v4.local.forged")
        found, _ = self.expect(200, "POST", "/users/lookup", {"user_ids": [me["user_id"]]}, token=owner)
        self.assertEqual(found["users"][0]["username"], "owner")
        self.expect(400, "POST", "/users/lookup", {"user_ids": ["not-a-ulid"]}, token=owner)
        self.expect(401, "POST", "/users/lookup", {"user_ids": [me["user_id"]]})

    def guild_routes(self, owner, member, outsider):
        guild, _ = self.expect(200, "POST", "/guilds", {"name": "Public", "visibility": "public"}, token=owner)
        private, _ = self.expect(200, "POST", "/guilds", {"name": "Private"}, token=owner)
        body, _ = self.expect(403, "POST", "/guilds", {"name": "Third"}, token=owner)
        self.assertEqual(body, {"error": "guild_creation_limit_reached"})
        self.expect(400, "POST", "/guilds", {"name": ""}, token=owner)
        self.expect(401, "POST", "/guilds", {"name": "x"})
        gid = guild["guild_id"]
        self.expect(200, "GET", "/guilds", token=owner)
        self.expect(200, "GET", "/guilds/public?q=pub&limit=5", token=member)
        self.expect(400, "GET", "/guilds/public?limit=0", token=member)
        joined, _ = self.expect(200, "POST", f"/guilds/{gid}/join", token=member)
        self.assertEqual(joined["outcome"], "accepted")
        again, _ = self.expect(200, "POST", f"/guilds/{gid}/join", token=member)
        self.assertEqual(again["outcome"], "already_member")
        self.expect(404, "POST", f"/guilds/{private['guild_id']}/join", token=member)
        self.expect(400, "POST", "/guilds/%FF/join", token=member)
        channel, _ = self.expect(200, "POST", f"/guilds/{gid}/channels", {"name": "general", "kind": "voice"}, token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/channels", {"name": "mine"}, token=member)
        self.expect(400, "POST", f"/guilds/{gid}/channels", {"name": "\u00e9"}, token=owner)
        self.expect(422, "POST", f"/guilds/{gid}/channels", {"name": "x", "kind": "video"}, token=owner)
        self.expect(200, "GET", f"/guilds/{gid}/channels", token=member)
        self.expect(403, "GET", f"/guilds/{gid}/channels", token=outsider)
        cid = channel["channel_id"]
        perms, _ = self.expect(200, "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", token=owner)
        self.assertEqual(perms["role"], "owner")
        self.expect(404, "GET", f"/guilds/{gid}/channels/nope/permissions/self", token=member)
        self.expect(403, "GET", f"/guilds/{gid}/channels/{cid}/permissions/self", token=outsider)
        return gid, cid

    def message_routes(self, gid, cid, owner, member, outsider):
        path = f"/guilds/{gid}/channels/{cid}/messages"
        posted, _ = self.expect(200, "POST", path, {"content": MARKDOWN}, token=member)
        types = {t["type"] for t in posted["markdown_tokens"]}
        self.assertTrue({"heading_start", "list_start", "link_start", "fenced_code", "code",
                         "hard_break", "soft_break", "emphasis_start", "strong_start"} <= types, types)
        self.expect(200, "POST", path, {"content": "plain", "attachment_ids": []}, token=owner)
        self.expect(400, "POST", path, {"content": "x" * 2001}, token=member)
        self.expect(400, "POST", path, {"content": "x", "attachment_ids": ["01ARZ3NDEKTSV4RRFFQ69G5FAV"]}, token=member)
        self.expect(403, "POST", path, {"content": "hi"}, token=outsider)
        self.expect(404, "POST", f"/guilds/{gid}/channels/nope/messages", {"content": "hi"}, token=member)
        page, _ = self.expect(200, "GET", path + "?limit=1", token=member)
        self.expect(200, "GET", f"{path}?before={page['next_before']}", token=member)
        self.expect(400, "GET", path + "?before=nope", token=member)
        self.expect(403, "GET", path, token=outsider)
        self.expect(404, "GET", f"/guilds/{gid}/channels/nope/messages", token=member)

    def identity_routes(self, owner, member, outsider):
        tokens, _ = self.expect(200, "POST", "/auth/login", {"username": "outsider", "password": PASSWORD})
        fresh, _ = self.expect(200, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        self.expect(401, "POST", "/auth/refresh", {"refresh_token": tokens["refresh_token"]})  # replay
        self.expect(422, "POST", "/auth/refresh", {"refresh_token": 1})
        self.expect(401, "POST", "/auth/logout", {"refresh_token": fresh["refresh_token"]})  # revoked
        again, _ = self.expect(200, "POST", "/auth/login", {"username": "outsider", "password": PASSWORD})
        self.expect(204, "POST", "/auth/logout", {"refresh_token": again["refresh_token"]})
        me, _ = self.expect(200, "GET", "/auth/me", token=member)
        member_id = me["user_id"]
        owner_id = self.expect(200, "GET", "/auth/me", token=owner)[0]["user_id"]
        self.expect(200, "GET", f"/users/{member_id}/profile", token=outsider)
        self.expect(400, "GET", "/users/nope/profile", token=outsider)
        self.expect(404, "GET", "/users/01ARZ3NDEKTSV4RRFFQ69G5FAV/profile", token=outsider)
        self.expect(200, "PATCH", "/users/me/profile", {"about_markdown": MARKDOWN}, token=member)
        self.expect(400, "PATCH", "/users/me/profile", {"username": "owner"}, token=member)
        self.expect(422, "PATCH", "/users/me/profile", {"bio": "x"}, token=member)
        self.expect(401, "PATCH", "/users/me/profile", {"about_markdown": "x"})
        request, _ = self.expect(200, "POST", "/friends/requests", {"recipient_user_id": owner_id}, token=member)
        self.expect(400, "POST", "/friends/requests", {"recipient_user_id": member_id}, token=owner)
        self.expect(200, "GET", "/friends/requests", token=owner)
        rid = request["request_id"]
        self.expect(404, "POST", f"/friends/requests/{rid}/accept", token=member)
        self.expect(200, "POST", f"/friends/requests/{rid}/accept", token=owner)
        listed, _ = self.expect(200, "GET", "/friends", token=owner)
        self.assertEqual(listed["friends"][0]["user_id"], member_id)
        self.expect(204, "DELETE", f"/friends/{member_id}", token=owner)
        self.expect(400, "DELETE", "/friends/nope", token=owner)
        declined, _ = self.expect(200, "POST", "/friends/requests", {"recipient_user_id": owner_id}, token=member)
        self.expect(404, "DELETE", f"/friends/requests/{declined['request_id']}", token=outsider)
        self.expect(204, "DELETE", f"/friends/requests/{declined['request_id']}", token=owner)
        self.expect(401, "GET", "/friends")
        png = PNG
        for kind in ("avatar", "banner"):
            self.expect(404, "GET", f"/users/{member_id}/{kind}")
            self.expect(200, "POST", f"/users/me/profile/{kind}", raw=png, token=member,
                        headers={"Content-Type": "image/png"})
            self.expect(400, "POST", f"/users/me/profile/{kind}", raw=b"text", token=member,
                        headers={"Content-Type": "image/png"})
            self.expect(401, "POST", f"/users/me/profile/{kind}", raw=png, headers={"Content-Type": "image/png"})
            self.expect(200, "GET", f"/users/{member_id}/{kind}")
            self.expect(400, "GET", f"/users/nope/{kind}")

    def message_extra_routes(self, gid, cid, owner, member, outsider):
        base = f"/guilds/{gid}/channels/{cid}"
        uploaded, _ = self.expect(200, "POST", f"{base}/attachments?filename=dot.png", raw=PNG,
                                  token=member, headers={"Content-Type": "image/png"})
        self.assertEqual(uploaded["mime_type"], "image/png")
        aid = uploaded["attachment_id"]
        self.expect(400, "POST", f"{base}/attachments?filename=a/b", raw=PNG, token=member,
                    headers={"Content-Type": "image/png"})
        self.expect(403, "POST", f"{base}/attachments", raw=PNG, token=outsider,
                    headers={"Content-Type": "image/png"})
        got, body, headers = self.call("GET", f"{base}/attachments/{aid}", token=member)
        self.assertEqual((got, headers.get("Content-Type")), (200, "image/png"))
        self.expect(404, "GET", f"{base}/attachments/{ULID}", token=member)
        self.expect(403, "GET", f"{base}/attachments/{aid}", token=outsider)
        posted, _ = self.expect(200, "POST", f"{base}/messages",
                                {"content": "searchable words", "attachment_ids": [aid]}, token=member)
        mid = posted["message_id"]
        self.assertEqual(posted["attachments"][0]["attachment_id"], aid)
        edited, _ = self.expect(200, "PATCH", f"{base}/messages/{mid}", {"content": "searchable edit"}, token=member)
        self.assertEqual(edited["content"], "searchable edit")
        self.expect(400, "PATCH", f"{base}/messages/{mid}", {"content": ""}, token=member)
        self.expect(403, "PATCH", f"{base}/messages/{mid}", {"content": "x"}, token=outsider)
        self.expect(404, "PATCH", f"{base}/messages/{ULID}", {"content": "x"}, token=member)
        added, _ = self.expect(200, "POST", f"{base}/messages/{mid}/reactions/%F0%9F%91%8D", token=owner)
        self.assertEqual((added["count"], added["reacted_by_me"]), (1, True))
        self.expect(400, "POST", f"{base}/messages/{mid}/reactions/a%20b", token=owner)
        self.expect(404, "POST", f"{base}/messages/{ULID}/reactions/x", token=owner)
        removed, _ = self.expect(200, "DELETE", f"{base}/messages/{mid}/reactions/%F0%9F%91%8D", token=owner)
        self.assertEqual(removed["reacted_by_me"], False)
        found, _ = self.expect(200, "GET", f"/guilds/{gid}/search?q=searchable&limit=5", token=member)
        self.assertIn(mid, found["message_ids"])
        self.expect(400, "GET", f"/guilds/{gid}/search?q=a:b", token=member)
        self.expect(400, "GET", f"/guilds/{gid}/search", token=member)  # plain text
        self.expect(403, "GET", f"/guilds/{gid}/search?q=x", token=outsider)
        self.expect(200, "POST", f"/guilds/{gid}/search/reconcile", token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/search/reconcile", token=member)
        self.expect(204, "POST", f"/guilds/{gid}/search/rebuild", token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/search/rebuild", token=member)
        self.expect(403, "DELETE", f"{base}/messages/{mid}", token=outsider)
        self.expect(204, "DELETE", f"{base}/messages/{mid}", token=member)
        self.expect(404, "DELETE", f"{base}/messages/{mid}", token=member)
        spare, _ = self.expect(200, "POST", f"{base}/attachments", raw=PNG, token=member,
                               headers={"Content-Type": "image/png"})
        self.expect(204, "DELETE", f"{base}/attachments/{spare['attachment_id']}", token=member)
        self.expect(404, "DELETE", f"{base}/attachments/{spare['attachment_id']}", token=member)

    def governance_routes(self, gid, cid, owner, member, outsider):
        member_id = self.expect(200, "GET", "/auth/me", token=member)[0]["user_id"]
        outsider_id = self.expect(200, "GET", "/auth/me", token=outsider)[0]["user_id"]
        guild, _ = self.expect(200, "PATCH", f"/guilds/{gid}", {"name": "Renamed"}, token=owner)
        self.assertEqual(guild["name"], "Renamed")
        self.expect(403, "PATCH", f"/guilds/{gid}", {"name": "x"}, token=member)
        self.expect(400, "PATCH", f"/guilds/{gid}", {}, token=owner)
        page, _ = self.expect(200, "GET", f"/guilds/{gid}/members?limit=10", token=member)
        self.assertIn(member_id, [m["user_id"] for m in page["members"]])
        self.expect(400, "GET", f"/guilds/{gid}/members?bogus=1", token=member)
        self.expect(403, "GET", f"/guilds/{gid}/members", token=outsider)
        role, _ = self.expect(200, "POST", f"/guilds/{gid}/roles",
                              {"name": "helpers", "permissions": ["create_message"], "color_hex": "#00ff00"},
                              token=owner)
        self.assertEqual(role["color_hex"], "#00FF00")
        rid = role["role_id"]
        self.expect(400, "POST", f"/guilds/{gid}/roles", {"name": "", "permissions": []}, token=owner)
        self.expect(422, "POST", f"/guilds/{gid}/roles", {"name": "x", "permissions": ["fly"]}, token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/roles", {"name": "x", "permissions": []}, token=member)
        roles, _ = self.expect(200, "GET", f"/guilds/{gid}/roles", token=member)
        self.assertIn(rid, [r["role_id"] for r in roles["roles"]])
        self.expect(403, "GET", f"/guilds/{gid}/roles", token=outsider)
        self.expect(200, "PATCH", f"/guilds/{gid}/roles/{rid}", {"color_hex": None}, token=owner)
        self.expect(404, "PATCH", f"/guilds/{gid}/roles/{ULID}", {"name": "x"}, token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/roles/reorder", {"role_ids": [rid]}, token=owner)
        self.expect(400, "POST", f"/guilds/{gid}/roles/reorder", {"role_ids": []}, token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/roles/default", {"role_id": rid}, token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/roles/default", {"role_id": None}, token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/roles/{rid}/members/{member_id}", token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/roles/{rid}/members/{member_id}", token=member)
        self.expect(200, "DELETE", f"/guilds/{gid}/roles/{rid}/members/{member_id}", token=owner)
        body = {"allow": ["create_message"], "deny": []}
        self.expect(200, "POST", f"/guilds/{gid}/channels/{cid}/overrides/member", body, token=owner)
        self.expect(400, "POST", f"/guilds/{gid}/channels/{cid}/overrides/member",
                    {"allow": ["create_message"], "deny": ["create_message"]}, token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/channels/{cid}/overrides/member", body, token=member)
        self.expect(200, "POST", f"/guilds/{gid}/channels/{cid}/permission-overrides/role/{rid}", body, token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/channels/{cid}/permission-overrides/member/{member_id}",
                    body, token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/channels/{cid}/permission-overrides/role/{rid}", body,
                    token=member)
        self.expect(200, "DELETE", f"/guilds/{gid}/roles/{rid}", token=owner)
        self.expect(404, "DELETE", f"/guilds/{gid}/roles/{rid}", token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/members/{outsider_id}", token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/members/{outsider_id}", token=member)
        self.expect(200, "PATCH", f"/guilds/{gid}/members/{outsider_id}", {"role": "moderator"}, token=owner)
        self.expect(422, "PATCH", f"/guilds/{gid}/members/{outsider_id}", {"role": "king"}, token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/members/{outsider_id}/kick", token=owner)
        self.expect(404, "POST", f"/guilds/{gid}/members/{outsider_id}/kick", token=owner)
        self.expect(200, "POST", f"/guilds/{gid}/members/{outsider_id}/ban", token=owner)
        self.expect(403, "POST", f"/guilds/{gid}/members/{outsider_id}/ban", token=member)
        bans, _ = self.expect(200, "GET", f"/guilds/{gid}/ip-bans?limit=5", token=owner)
        self.assertEqual(bans["bans"], [])
        self.expect(403, "GET", f"/guilds/{gid}/ip-bans", token=member)
        created, _ = self.expect(200, "POST", f"/guilds/{gid}/ip-bans/by-user",
                                 {"target_user_id": member_id, "reason": "spam"}, token=owner)
        self.expect(400, "POST", f"/guilds/{gid}/ip-bans/by-user", {"target_user_id": "nope"}, token=owner)
        if created["ban_ids"]:  # the member joined from this host: lift the ban again
            self.expect(200, "DELETE", f"/guilds/{gid}/ip-bans/{created['ban_ids'][0]}", token=owner)
        else:
            self.fail("join observed no IP for the member")
        self.expect(404, "DELETE", f"/guilds/{gid}/ip-bans/{ULID}", token=owner)
        self.expect(400, "DELETE", f"/guilds/{gid}/ip-bans/nope", token=owner)
        events, _ = self.expect(200, "GET", f"/guilds/{gid}/audit?limit=50&action_prefix=role.", token=owner)
        self.assertIn("role.create", [e["action"] for e in events["events"]])
        body, _ = self.expect(403, "GET", f"/guilds/{gid}/audit", token=member)
        self.assertEqual(body, {"error": "audit_access_denied"})
        self.expect(400, "GET", f"/guilds/{gid}/audit?bogus=1", token=owner)

    def voice_routes(self, gid, cid, owner, outsider):
        base = f"/guilds/{gid}/channels/{cid}/voice"
        token, _ = self.expect(200, "POST", f"{base}/token", {"can_subscribe": True}, token=owner)
        self.assertEqual((token["can_publish"], token["publish_sources"]), (True, ["microphone"]))
        self.expect(403, "POST", f"{base}/token", {}, token=outsider)
        self.expect(400, "POST", f"{base}/token", {"can_publish": False}, token=owner)
        self.expect(204, "POST", f"{base}/state", {"is_muted": True}, token=owner)
        self.expect(400, "POST", f"{base}/state", {}, token=owner)
        self.expect(204, "POST", f"{base}/leave", token=owner)
        self.expect(204, "POST", f"{base}/leave", token=owner)  # idempotent
        self.expect(401, "POST", f"{base}/leave")

    def gateway_routes(self, member):
        self.expect(426, "GET", "/gateway/ws")
        status, _, _ = self.server.raw_request(UPGRADE.format(query="?access_token=" + member).encode())
        self.assertEqual(status, 101)
        status, _, _ = self.server.raw_request(UPGRADE.format(query="?access_token=forged").encode())
        self.assertEqual(status, 401)

    def unrouted(self):
        self.expect(404, "GET", "/no/such/route")
        _, headers = self.expect(405, "PUT", "/guilds")
        self.assertEqual(headers["allow"], "POST, GET, HEAD")

    def assert_every_operation_succeeded(self):
        document = openapi_check.Document()
        succeeded = {(r["method"], document.match_path(r["path"]))
                     for r in filament_harness.RECORDED if r["status"] < 300}
        missing = sorted(document.operations() - succeeded)
        self.assertEqual(missing, [], "documented operations without a successful response here")


if __name__ == "__main__":
    run_tests()
