#!/usr/bin/python3
"""End-to-end: the first user journey against the built binary (issue #3 "done when").

Usage: first_journey_test.py --binary build/filament --log pg|kafka
"""
import asyncio
import json
import os
import sys
import unittest

import websockets

from filament_harness import CLUSTER, CLUSTER_APIS, ROOT, Server, run_tests

sys.path.insert(0, os.path.join(ROOT, "tools", "dev"))
import front_proxy  # noqa: E402 (the proxy's backend choice, for check_spread)

ARGS = None
PASSWORD = "correct horse battery"


class FirstJourney(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def call(self, *args, **kwargs):
        return self.server.request(*args, **kwargs)

    def register_and_login(self, name):
        status, body, _ = self.call("POST", "/auth/register", {"username": name, "password": PASSWORD})
        self.assertEqual((status, body), (200, {"accepted": True}))
        status, body, _ = self.call("POST", "/auth/login", {"username": name, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["expires_in_secs"], 900)
        return body["access_token"]

    def ws_url(self, token):
        return f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={token}"

    def test_journey(self):
        asyncio.run(self.journey())

    async def journey(self):
        alice = self.register_and_login("alice")
        bob = self.register_and_login("bob")
        status, me, _ = self.call("GET", "/auth/me", token=bob)
        self.assertEqual(status, 200)
        self.assertEqual(me["username"], "bob")
        bob_id = me["user_id"]

        status, guild, headers = self.call("POST", "/guilds", {"name": "Makers", "visibility": "public"}, token=alice)
        self.assertEqual(status, 200, guild)
        self.assertEqual(guild["visibility"], "public")
        self.assertRegex(headers.get("x-filament-position", ""), r"^\d+:\d+$")
        gid = guild["guild_id"]
        status, channel, _ = self.call("POST", f"/guilds/{gid}/channels", {"name": "general"}, token=alice)
        self.assertEqual((status, channel["kind"]), (200, "text"))
        cid = channel["channel_id"]

        status, directory, _ = self.call("GET", "/guilds/public?q=MAK", token=bob)
        self.assertEqual(status, 200)
        self.assertIn(gid, [g["guild_id"] for g in directory["guilds"]])
        status, joined, _ = self.call("POST", f"/guilds/{gid}/join", token=bob)
        self.assertEqual((status, joined), (200, {"guild_id": gid, "outcome": "accepted"}))
        status, again, _ = self.call("POST", f"/guilds/{gid}/join", token=bob)
        self.assertEqual(again["outcome"], "already_member")
        status, me_alice, _ = self.call("GET", "/auth/me", token=alice)
        status, lookup, _ = self.call("POST", "/users/lookup", {"user_ids": [me_alice["user_id"], bob_id.lower(), me_alice["user_id"], "01ARZ3NDEKTSV4RRFFQ69G5FAV"]}, token=bob)
        self.assertEqual(status, 200)
        self.assertEqual(lookup, {"users": [
            {"user_id": me_alice["user_id"], "username": "alice", "avatar_version": 0},
            {"user_id": bob_id, "username": "bob", "avatar_version": 0}]})
        self.assertEqual(self.call("POST", "/users/lookup", {"user_ids": []}, token=bob)[0], 400)
        self.assertEqual(self.call("POST", "/users/lookup", {"user_ids": ["nope"]}, token=bob)[0], 400)
        status, perms, _ = self.call("GET", f"/guilds/{gid}/channels/{cid}/permissions/self", token=bob)
        self.assertEqual((status, perms["role"]), (200, "member"))
        self.assertEqual(perms["permissions"], ["create_message", "subscribe_streams"])

        async with websockets.connect(self.ws_url(bob), max_size=2**20) as ws:
            ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
            self.assertEqual(ready, {"v": 1, "t": "ready", "d": {"user_id": bob_id}})
            await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
            types = []
            for _ in range(4):
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                types.append(frame["t"])
                if frame["t"] == "presence_sync":
                    self.assertIn(bob_id, frame["d"]["user_ids"])
            self.assertEqual(types, ["presence_sync", "presence_update", "subscribed", "voice_participant_sync"])

            status, posted, _ = self.call("POST", f"/guilds/{gid}/channels/{cid}/messages", {"content": "hello **bob**"}, token=alice)
            self.assertEqual(status, 200, posted)
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            self.assertEqual(frame["t"], "message_create")
            self.assertEqual(frame["d"], posted)

            status, history, _ = self.call("GET", f"/guilds/{gid}/channels/{cid}/messages", token=bob)
            self.assertEqual(status, 200)
            self.assertEqual(history["messages"][0], posted)
            self.assertEqual(history["next_before"], posted["message_id"])

            sent = []
            for i in range(20):
                status, m, _ = self.call("POST", f"/guilds/{gid}/channels/{cid}/messages", {"content": f"rapid {i}"}, token=alice)
                self.assertEqual(status, 200)
                sent.append(m)
            received = []
            while len(received) < 20:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if frame["t"] == "message_create":
                    received.append(frame["d"])
            self.assertEqual(received, sent)

        status, page, _ = self.call("GET", f"/guilds/{gid}/channels/{cid}/messages?limit=5", token=bob)
        self.assertEqual([m["content"] for m in page["messages"]], [f"rapid {i}" for i in (19, 18, 17, 16, 15)])
        status, older, _ = self.call("GET", f"/guilds/{gid}/channels/{cid}/messages?limit=5&before={page['next_before']}", token=bob)
        self.assertEqual(older["messages"][0]["content"], "rapid 14")

        # Failure cases.
        status, body, _ = self.call("POST", "/auth/login", {"username": "alice", "password": "wrong password!!"})
        self.assertEqual((status, body), (401, {"error": "invalid_credentials"}))
        status, unknown, _ = self.call("POST", "/auth/login", {"username": "nobody", "password": "wrong password!!"})
        self.assertEqual((status, unknown), (401, body))
        self.assertEqual(self.call("GET", "/auth/me", token=alice[:-4] + "AAAA")[0], 401)
        self.assertEqual(self.call("GET", "/auth/me")[0:2], (401, {"error": "invalid_credentials"}))
        carol = self.register_and_login("carol")
        self.assertEqual(self.call("GET", f"/guilds/{gid}/channels/{cid}/messages", token=carol)[0:2],
                         (403, {"error": "forbidden"}))
        self.assertEqual(self.call("POST", f"/guilds/{gid}/channels/{cid}/messages", {"content": "hi"}, token=carol)[0], 403)
        self.assertEqual(self.call("POST", f"/guilds/{gid}/channels/{cid}/messages", {"content": "x" * 2001}, token=bob)[0:2],
                         (400, {"error": "invalid_request"}))
        self.assertEqual(self.call("GET", f"/guilds/{gid}/channels/{cid}/messages?limit=0", token=bob)[0], 400)
        self.assertEqual(self.call("POST", "/guilds", raw=b'{"name": ', token=alice)[0], 400)
        self.assertEqual(self.call("POST", "/guilds", {"name": "x", "color": "red"}, token=alice)[0], 422)
        self.assertEqual(self.call("POST", "/guilds", raw=b'{"name":"x"}', token=alice,
                                   headers={"Content-Type": "text/plain"})[0], 415)
        for token in ("forged", alice[:-4] + "AAAA"):
            with self.assertRaises(websockets.InvalidStatusCode) as rejected:
                async with websockets.connect(self.ws_url(token)):
                    pass
            self.assertEqual(rejected.exception.status_code, 401)
        with self.assertRaises(websockets.InvalidStatusCode) as rejected:
            async with websockets.connect(f"ws://127.0.0.1:{self.server.port}/gateway/ws"):
                pass
        self.assertEqual(rejected.exception.status_code, 401)
        self.assertEqual(self.call("GET", "/gateway/ws")[0], 426)

        async with websockets.connect(self.ws_url(bob)) as ws:
            await asyncio.wait_for(ws.recv(), 10)  # ready
            await ws.send(json.dumps({"v": 1, "t": "presence_sync", "d": {}}))
            with self.assertRaises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 10)
        if CLUSTER:
            self.check_spread()

    def check_spread(self):
        """Through the front proxy, every api and every gateway process served this journey.
        The proxy picks an api by a hash of the guild id or token (ADR 0093), and those are
        random: so one more request per api process, with a token that hashes to it (a 401 from
        each), makes "every api served" certain."""
        apis = sum(role.startswith("api.") for role in self.server.roles)
        for index in range(apis):
            token = next(f"probe-{index}-{k}" for k in range(1000)
                         if front_proxy.backend_index(f"auth:Bearer probe-{index}-{k}", apis) == index)
            self.assertEqual(self.call("GET", "/auth/me", token=token)[0], 401)
        spread = self.server.spread()
        for pool in ("api", "gateway"):
            ports = sorted(port for role, port in self.server.roles.items()
                           if role.startswith(pool + "."))
            self.assertGreaterEqual(len(ports), 2 if pool == "gateway" else int(CLUSTER_APIS))
            served = {f"127.0.0.1:{port}": spread[pool].get(f"127.0.0.1:{port}", 0)
                      for port in ports}
            print(f"spread over {pool} processes: {served}", flush=True)
            self.assertTrue(all(count > 0 for count in served.values()), served)
            self.assertEqual(set(spread[pool]), set(served), spread)


if __name__ == "__main__":
    run_tests()
