#!/usr/bin/python3
"""End-to-end: every documented route, its success and the errors a client can provoke, so the
harness validates a real response of each against docs/openapi.yaml (issue #6). The last check
fails when an operation of the document got no successful response here: a new route is
documented, then driven from this file.

Usage: api_contract_test.py --binary build/filament --log pg|kafka
"""
import os
import sys
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
UPGRADE = ("GET /gateway/ws{query} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
           "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")


class ApiContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log,
                            env={"FILAMENT_MAX_CREATED_GUILDS_PER_USER": "2"}).start()

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
        self.gateway_routes(member)
        self.unrouted()
        self.assert_every_operation_succeeded()

    def ops_routes(self):
        self.expect(200, "GET", "/health")
        self.expect(200, "GET", "/metrics")
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
        png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000114944"
                            "4154789c63f8cfc0c0f01f8c8018001df003fdd3d07d260000000049454e44ae426082")
        for kind in ("avatar", "banner"):
            self.expect(404, "GET", f"/users/{member_id}/{kind}")
            self.expect(200, "POST", f"/users/me/profile/{kind}", raw=png, token=member,
                        headers={"Content-Type": "image/png"})
            self.expect(400, "POST", f"/users/me/profile/{kind}", raw=b"text", token=member,
                        headers={"Content-Type": "image/png"})
            self.expect(401, "POST", f"/users/me/profile/{kind}", raw=png, headers={"Content-Type": "image/png"})
            self.expect(200, "GET", f"/users/{member_id}/{kind}")
            self.expect(400, "GET", f"/users/nope/{kind}")

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
