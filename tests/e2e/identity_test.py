#!/usr/bin/python3
"""End-to-end: sessions, profiles and friends (issue #6) against the built binary.

Usage: identity_test.py --binary build/filament --log pg|kafka
"""
import asyncio
import hashlib
import json
import socket
import subprocess
import threading
import unittest

import websockets

import filament_harness
import sample_media
import upload_probe
from filament_harness import CLUSTER, Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"


def run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


class Identity(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def call(self, *args, **kwargs):
        return self.server.request(*args, **kwargs)

    def register(self, name):
        status, body, _ = self.call("POST", "/auth/register", {"username": name, "password": PASSWORD})
        self.assertEqual((status, body), (200, {"accepted": True}))

    def login(self, name):
        status, body, _ = self.call("POST", "/auth/login", {"username": name, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        return body

    def user(self, name):
        self.register(name)
        tokens = self.login(name)
        status, me, _ = self.call("GET", "/auth/me", token=tokens["access_token"])
        self.assertEqual(status, 200)
        return tokens["access_token"], me["user_id"]

    def refresh(self, refresh_token):
        return self.call("POST", "/auth/refresh", {"refresh_token": refresh_token})

    def ws_url(self, token):
        return f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={token}"

    # --- sessions ---------------------------------------------------------------------------

    def test_sessions_rotate_replay_and_logout(self):
        self.register("sessions_user")
        first = self.login("sessions_user")
        second = self.login("sessions_user")
        current = first
        used = []
        for _ in range(3):
            status, body, _ = self.refresh(current["refresh_token"])
            self.assertEqual(status, 200, body)
            self.assertEqual(set(body), {"access_token", "refresh_token", "expires_in_secs"})
            self.assertEqual(body["expires_in_secs"], 900)
            self.assertNotEqual(body["refresh_token"], current["refresh_token"])
            self.assertEqual(body["refresh_token"].split(".")[0], first["refresh_token"].split(".")[0])
            self.assertEqual(self.call("GET", "/auth/me", token=body["access_token"])[0], 200)
            used.append(current["refresh_token"])
            current = body
        # The second use of a rotated token is a replay: 401, and that session is dead.
        self.assertEqual(self.refresh(used[1])[0:2], (401, {"error": "invalid_credentials"}))
        self.assertEqual(self.refresh(current["refresh_token"])[0], 401)
        # ... but not the user's other session.
        status, other, _ = self.refresh(second["refresh_token"])
        self.assertEqual(status, 200, other)
        # Logout revokes only its own session, and only with the current token.
        self.assertEqual(self.call("POST", "/auth/logout", {"refresh_token": second["refresh_token"]})[0], 401)
        status, body, _ = self.call("POST", "/auth/logout", {"refresh_token": other["refresh_token"]})
        self.assertEqual((status, body), (204, None))
        self.assertEqual(self.refresh(other["refresh_token"])[0], 401)
        self.assertEqual(self.call("POST", "/auth/logout", {"refresh_token": other["refresh_token"]})[0], 401)
        for bad in ("", "x" * 513, "nodot", "01ARZ3NDEKTSV4RRFFQ69G5FAV.secret"):
            self.assertEqual(self.refresh(bad)[0:2], (401, {"error": "invalid_credentials"}), bad)
        self.assertEqual(self.call("POST", "/auth/refresh", {"refresh_token": 5})[0], 422)
        self.assertEqual(self.call("POST", "/auth/refresh", {"refresh_token": "a", "x": 1})[0], 422)

    # --- profiles ---------------------------------------------------------------------------

    def test_profile_edit_reaches_friends_and_co_members_only(self):
        asyncio.run(self.profile_edit())

    async def profile_edit(self):
        alice, alice_id = self.user("p_alice")
        friend, friend_id = self.user("p_friend")
        member, member_id = self.user("p_member")
        stranger, _ = self.user("p_stranger")
        status, req, _ = self.call("POST", "/friends/requests", {"recipient_user_id": friend_id}, token=alice)
        self.assertEqual(status, 200, req)
        self.assertEqual(self.call("POST", f"/friends/requests/{req['request_id']}/accept", token=friend)[0], 200)
        status, guild, _ = self.call("POST", "/guilds", {"name": "Profiles", "visibility": "public"}, token=alice)
        self.assertEqual(status, 200)
        self.assertEqual(self.call("POST", f"/guilds/{guild['guild_id']}/join", token=member)[0], 200)

        sockets = {}
        for name, token in (("alice", alice), ("friend", friend), ("member", member), ("stranger", stranger)):
            ws = await websockets.connect(self.ws_url(token), max_size=2**20)
            ready = json.loads(await asyncio.wait_for(ws.recv(), 10))
            self.assertEqual(ready["t"], "ready")
            sockets[name] = ws
        try:
            status, profile, _ = self.call("PATCH", "/users/me/profile",
                                           {"username": "p_alice2", "about_markdown": "hello **there**"}, token=alice)
            self.assertEqual(status, 200, profile)
            self.assertEqual(profile["username"], "p_alice2")
            self.assertEqual(profile["about_markdown"], "hello **there**")
            self.assertIn({"type": "strong_start"}, profile["about_markdown_tokens"])
            self.assertEqual((profile["avatar_version"], profile["banner_version"]), (0, 0))
            for name in ("alice", "friend", "member"):
                frame = await self.next_of(sockets[name], "profile_update")
                self.assertEqual(frame["d"]["user_id"], alice_id)
                self.assertEqual(frame["d"]["updated_fields"]["username"], "p_alice2")
                self.assertEqual(frame["d"]["updated_fields"]["about_markdown"], "hello **there**")
                self.assertIsInstance(frame["d"]["updated_at_unix"], int)
            with self.assertRaises(asyncio.TimeoutError):
                await self.next_of(sockets["stranger"], "profile_update", timeout=1.5)
            # Only about: no username key.
            self.assertEqual(self.call("PATCH", "/users/me/profile", {"about_markdown": ""}, token=alice)[0], 200)
            frame = await self.next_of(sockets["member"], "profile_update")
            self.assertEqual(set(frame["d"]["updated_fields"]), {"about_markdown", "about_markdown_tokens"})
        finally:
            for ws in sockets.values():
                await ws.close()

        status, seen, _ = self.call("GET", f"/users/{alice_id}/profile", token=stranger)
        self.assertEqual((status, seen["username"]), (200, "p_alice2"))
        self.assertEqual(self.call("GET", f"/users/{alice_id.lower()}/profile", token=stranger)[1]["user_id"], alice_id)
        self.assertEqual(self.call("GET", "/users/nope/profile", token=stranger)[0:2], (400, {"error": "invalid_request"}))
        self.assertEqual(self.call("GET", "/users/01ARZ3NDEKTSV4RRFFQ69G5FAV/profile", token=stranger)[0:2],
                         (404, {"error": "not_found"}))
        self.assertEqual(self.call("GET", f"/users/{alice_id}/profile")[0], 401)
        # The old name is free, the new one taken; the login follows the rename.
        self.assertEqual(self.call("PATCH", "/users/me/profile", {"username": "p_alice2"}, token=member)[0:2],
                         (400, {"error": "invalid_request"}))
        self.assertEqual(self.call("PATCH", "/users/me/profile", {"username": "p_alice"}, token=member)[0], 200)
        self.login("p_alice2")
        self.assertEqual(self.call("POST", "/auth/login", {"username": "p_member", "password": PASSWORD})[0], 401)
        renamed = self.login("p_alice")["access_token"]
        self.assertEqual(self.call("GET", "/auth/me", token=renamed)[1]["user_id"], member_id)
        for bad in ({}, {"username": "a b"}, {"about_markdown": "x" * 2049}, {"about_markdown": "a\u0000b"}):
            self.assertEqual(self.call("PATCH", "/users/me/profile", bad, token=alice)[0:2],
                             (400, {"error": "invalid_request"}), bad)
        self.assertEqual(self.call("PATCH", "/users/me/profile", {"bio": "x"}, token=alice)[0], 422)
        self.assertEqual(self.call("PATCH", "/users/me/profile", {"about_markdown": "x"})[0], 401)

    async def next_of(self, ws, event_type, timeout=10):
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            if frame["t"] == event_type:
                return frame

    # --- avatars and banners ----------------------------------------------------------------

    def upload(self, token, kind, data, content_type=None):
        headers = {"Content-Type": content_type} if content_type else {"Content-Type": ""}
        return self.call("POST", f"/users/me/profile/{kind}", raw=data, token=token, headers=headers)

    def upload_oversized(self, token, kind, size):
        """Sends a body of `size` bytes on a raw socket, tolerating the server closing early (413
        is answered at the cap without reading the rest). Returns (status, body bytes)."""
        head = (f"POST /users/me/profile/{kind} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: image/png\r\nContent-Length: {size}\r\n\r\n").encode()
        body = sample_media.png() + b"\x00" * (size - len(sample_media.png()))
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as conn:
            conn.sendall(head)
            try:
                for i in range(0, len(body), 65536):
                    conn.sendall(body[i:i + 65536])
            except OSError:
                pass  # closed by the server at the cap
            reply = b""
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
        head_part, _, payload = reply.partition(b"\r\n\r\n")
        status = int(head_part.split(b" ")[1]) if head_part else 0
        filament_harness.record_response("POST", f"/users/me/profile/{kind}", status,
                                         [("x-request-id", "raw"), ("content-type", "application/json")],
                                         payload)
        return status, payload

    def test_avatar_and_banner_round_trip(self):
        asyncio.run(self.images())

    async def images(self):
        owner, owner_id = self.user("img_owner")
        member, member_id = self.user("img_member")
        status, guild, _ = self.call("POST", "/guilds", {"name": "Images", "visibility": "public"}, token=owner)
        self.assertEqual(self.call("POST", f"/guilds/{guild['guild_id']}/join", token=member)[0], 200)
        self.assertEqual(self.call("GET", f"/users/{owner_id}/avatar")[0:2], (404, {"error": "not_found"}))
        self.assertEqual(self.call("GET", "/users/nope/avatar")[0:2], (400, {"error": "invalid_request"}))
        ws = await websockets.connect(self.ws_url(member), max_size=2**20)
        await ws.recv()
        try:
            version = {"avatar": 0, "banner": 0}
            for kind in ("avatar", "banner"):
                for mime, make in sample_media.ALL.items():
                    data = make()
                    status, profile, headers = self.upload(owner, kind, data, mime)
                    self.assertEqual(status, 200, (kind, mime, profile))
                    self.assertGreater(profile[f"{kind}_version"], version[kind])
                    version[kind] = profile[f"{kind}_version"]
                    self.assertIn("x-filament-position", {k.lower() for k in headers})
                    status, got, body = self.server.raw_request(
                        f"GET /users/{owner_id}/{kind} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                    self.assertEqual((status, body), (200, data), (kind, mime))
                    self.assertEqual(got["content-type"], mime)
                    self.assertEqual(got["content-length"], str(len(data)))
                    self.assertEqual(got["x-content-type-options"], "nosniff")
                    self.assertEqual(got["cache-control"], "public, max-age=300")
                    self.assertEqual(got["etag"], '"%s"' % hashlib.sha256(data).hexdigest())
                    frame = await self.next_of(ws, f"profile_{kind}_update")
                    self.assertEqual(frame["d"], {"user_id": owner_id, f"{kind}_version": version[kind],
                                                  "updated_at_unix": frame["d"]["updated_at_unix"]})
            # Rejections store nothing: the last upload (an AVIF) stays.
            last = sample_media.avif()
            truncated = sample_media.png()[:-12]
            for data, mime in ((b"just some text, really", "image/png"), (b"", "image/png"),
                               (truncated, "image/png"), (sample_media.png(), "image/gif"),
                               (sample_media.png(), "not a type"), (b"%PDF-1.4\n%%EOF\n", "application/pdf")):
                status, body, _ = self.upload(owner, "avatar", data, mime)
                self.assertEqual((status, body), (400, {"error": "invalid_request"}), (data[:8], mime))
            status, body = self.upload_oversized(owner, "avatar", 3 * 1024 * 1024)
            self.assertEqual((status, json.loads(body)), (413, {"error": "payload_too_large"}))
            status, body = self.upload_oversized(owner, "banner", 6 * 1024 * 1024 + 1)
            self.assertEqual(status, 413)
            status, profile, _ = self.call("GET", f"/users/{owner_id}/profile", token=member)
            self.assertEqual(profile["avatar_version"], version["avatar"])
            status, _, body = self.server.raw_request(
                f"GET /users/{owner_id}/avatar HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            self.assertEqual((status, body), (200, last))
            # A 2 MiB avatar (exactly the cap) is accepted.
            big = sample_media.png(noise=b"n" * (2 * 1024 * 1024 - len(sample_media.png()) - 17))
            self.assertEqual(len(big), 2 * 1024 * 1024)
            self.assertEqual(self.upload(owner, "avatar", big, "image/png")[0], 200)
            self.assertEqual(self.upload(None, "avatar", sample_media.png(), "image/png")[0], 401)
        finally:
            await ws.close()

    def test_upload_refused_from_its_head(self):
        """An avatar/banner upload without a valid token is answered 401 before its body is
        sent (a declared 5 MiB, even over the cap: the token comes first), no spool file is
        created, and the connection closes; without a body it stays open. A wrong method or
        route with a large declared body is 405/404, not 413."""
        token, _ = self.user("img_head")
        watch = upload_probe.SpoolWatch(self.server.spool_dirs())
        try:
            for kind in ("avatar", "banner"):
                for headers in ({}, {"Authorization": "Bearer not-a-token"},
                                {"Authorization": "Basic " + token}):
                    status, got, body, elapsed, closed = upload_probe.refused_before_body(
                        self.server.port, "POST", f"/users/me/profile/{kind}",
                        {"Content-Type": "image/png", **headers}, 5 * 1024 * 1024)
                    self.assertEqual((status, json.loads(body)), (401, {"error": "invalid_credentials"}),
                                     (kind, headers))
                    self.assertLess(elapsed, 2.0)
                    self.assertEqual(got.get("connection"), "close")
                    self.assertTrue(closed)
                    self.assertTrue(got.get("x-request-id"))
            # A wrong method or an unknown route is answered from the head too, whatever the
            # declared size (not 413 after reading a body the route would never take).
            for method, target, want in (("PUT", "/users/me/profile/avatar", 405),
                                         ("POST", "/users/me/profile/nope", 404)):
                status, got, _, elapsed, closed = upload_probe.refused_before_body(
                    self.server.port, method, target, {"Authorization": "Bearer " + token},
                    5 * 1024 * 1024)
                self.assertEqual(status, want, target)
                self.assertLess(elapsed, 2.0)
                self.assertTrue(closed)
            self.assertEqual(got.get("allow"), None)  # the 404 has none; the 405 is checked below
            status, got, _, _, _ = upload_probe.refused_before_body(
                self.server.port, "PUT", "/users/me/profile/avatar", {}, 5 * 1024 * 1024)
            self.assertEqual((status, got.get("allow")), (405, "POST"))
            self.assertEqual(watch.created(), 0)
            # Authenticated but over the cap by its declared length: 413 before the body, no spool.
            status, _, body, elapsed, _ = upload_probe.refused_before_body(
                self.server.port, "POST", "/users/me/profile/avatar",
                {"Authorization": "Bearer " + token}, 3 * 1024 * 1024)
            self.assertEqual((status, json.loads(body)), (413, {"error": "payload_too_large"}))
            self.assertLess(elapsed, 2.0)
            # An unparsable Content-Type is refused from the head too (after the token).
            status, _, body, _, _ = upload_probe.refused_before_body(
                self.server.port, "POST", "/users/me/profile/avatar",
                {"Authorization": "Bearer " + token, "Content-Type": "not a type"}, 1000)
            self.assertEqual((status, json.loads(body)), (400, {"error": "invalid_request"}))
            self.assertEqual(watch.created(), 0)
            # No body: 401 and the connection stays usable (a property of the server's own
            # connection: the cluster's front proxy forwards one request per connection, ADR 0088).
            if not CLUSTER:
                self.second_request_on_the_connection_answers()
            # The control: an accepted upload does spool.
            self.assertEqual(self.upload(token, "avatar", sample_media.png(), "image/png")[0], 200)
            self.assertEqual(watch.created(), 1)
        finally:
            watch.close()

    def second_request_on_the_connection_answers(self):
        """A request with no body answered 401 leaves the connection usable."""
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as conn:
            conn.sendall(b"POST /users/me/profile/avatar HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
                         b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            reply = b""
            while reply.count(b"HTTP/1.1 ") < 2 or not reply.endswith(b'{"status":"ok"}'):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 401 "), reply[:80])
        self.assertIn(b"HTTP/1.1 200 ", reply)

    # --- friends ----------------------------------------------------------------------------

    def test_a_get_made_on_an_event_sees_that_event(self):
        asyncio.run(self.get_on_event())

    async def get_on_event(self):
        """The gateway delivers a record only once the read models include it (ADR 0017): an
        observer that fetches the avatar the moment profile_avatar_update arrives gets the new
        bytes, never a 404 or the previous image."""
        owner, owner_id = self.user("evt_owner")
        member, _ = self.user("evt_member")
        status, guild, _ = self.call("POST", "/guilds", {"name": "Evt", "visibility": "public"}, token=owner)
        self.assertEqual(self.call("POST", f"/guilds/{guild['guild_id']}/join", token=member)[0], 200)
        ws = await websockets.connect(self.ws_url(member), max_size=2**20)
        await ws.recv()
        try:
            for round_no in range(8):
                data = sample_media.png(noise=b"round %d" % round_no)  # a distinct image each round
                upload = asyncio.create_task(asyncio.to_thread(self.upload, owner, "avatar", data, "image/png"))
                await self.next_of(ws, "profile_avatar_update")
                status, got, body = await asyncio.to_thread(
                    self.server.raw_request, f"GET /users/{owner_id}/avatar HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                self.assertEqual((status, hashlib.sha256(body).hexdigest()),
                                 (200, hashlib.sha256(data).hexdigest()), round_no)
                self.assertEqual((await upload)[0], 200)
        finally:
            await ws.close()

    def test_friend_flow_with_gateway_events(self):
        asyncio.run(self.friend_flow())

    async def friend_flow(self):
        ann, ann_id = self.user("f_ann")
        ben, ben_id = self.user("f_ben")
        ws_ann = await websockets.connect(self.ws_url(ann), max_size=2**20)
        ws_ben = await websockets.connect(self.ws_url(ben), max_size=2**20)
        await ws_ann.recv()
        await ws_ben.recv()
        try:
            status, req, _ = self.call("POST", "/friends/requests", {"recipient_user_id": ben_id}, token=ann)
            self.assertEqual(status, 200, req)
            self.assertEqual(set(req), {"request_id", "sender_user_id", "recipient_user_id", "created_at_unix"})
            expected = dict(req, sender_username="f_ann", recipient_username="f_ben")
            for ws in (ws_ann, ws_ben):
                frame = await self.next_of(ws, "friend_request_create")
                self.assertEqual(frame["d"], {k: expected[k] for k in frame["d"]})
                self.assertEqual(set(frame["d"]), set(expected))
            status, lists, _ = self.call("GET", "/friends/requests", token=ben)
            self.assertEqual(lists["incoming"], [expected])
            self.assertEqual(lists["outgoing"], [])
            self.assertEqual(self.call("GET", "/friends/requests", token=ann)[1]["outgoing"], [expected])
            # Duplicate either way, self, unknown, bad id.
            for body, token in (({"recipient_user_id": ben_id}, ann), ({"recipient_user_id": ann_id}, ben),
                                ({"recipient_user_id": ann_id}, ann),
                                ({"recipient_user_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, ann),
                                ({"recipient_user_id": "nope"}, ann)):
                self.assertEqual(self.call("POST", "/friends/requests", body, token=token)[0:2],
                                 (400, {"error": "invalid_request"}), body)
            # Only the recipient accepts.
            self.assertEqual(self.call("POST", f"/friends/requests/{req['request_id']}/accept", token=ann)[0:2],
                             (404, {"error": "not_found"}))
            self.assertEqual(self.call("POST", f"/friends/requests/{req['request_id']}/accept", token=ben)[0:2],
                             (200, {"accepted": True}))
            for ws, me, other, other_name in ((ws_ann, ann_id, ben_id, "f_ben"), (ws_ben, ben_id, ann_id, "f_ann")):
                d = (await self.next_of(ws, "friend_request_update"))["d"]
                self.assertEqual((d["state"], d["user_id"], d["friend_user_id"], d["friend_username"]),
                                 ("accepted", me, other, other_name))
                self.assertEqual((d["request_id"], d["actor_user_id"]), (req["request_id"], ben_id))
            status, friends, _ = self.call("GET", "/friends", token=ann)
            self.assertEqual([(f["user_id"], f["username"]) for f in friends["friends"]], [(ben_id, "f_ben")])
            self.assertGreater(friends["friends"][0]["created_at_unix"], 0)
            self.assertEqual(self.call("GET", "/friends/requests", token=ben)[1], {"incoming": [], "outgoing": []})
            self.assertEqual(self.call("POST", "/friends/requests", {"recipient_user_id": ann_id}, token=ben)[0], 400)
            # Remove (idempotent), with a per-party event only when a friendship ended.
            self.assertEqual(self.call("DELETE", f"/friends/{ann_id}", token=ben)[0], 204)
            for ws, me, other in ((ws_ann, ann_id, ben_id), (ws_ben, ben_id, ann_id)):
                d = (await self.next_of(ws, "friend_remove"))["d"]
                self.assertEqual((d["user_id"], d["friend_user_id"], d["actor_user_id"]), (me, other, ben_id))
            self.assertEqual(self.call("DELETE", f"/friends/{ann_id}", token=ben)[0], 204)
            self.assertEqual(self.call("DELETE", f"/friends/{ben_id}", token=ben)[0:2], (400, {"error": "invalid_request"}))
            self.assertEqual(self.call("DELETE", "/friends/nope", token=ben)[0], 400)
            self.assertEqual(self.call("GET", "/friends", token=ann)[1], {"friends": []})
            # Decline by the recipient, cancel by the sender; strangers get 404.
            carl, _ = self.user("f_carl")
            for deleter in ("ben", "ann"):
                status, again, _ = self.call("POST", "/friends/requests", {"recipient_user_id": ben_id}, token=ann)
                self.assertEqual(status, 200)
                for ws in (ws_ann, ws_ben):
                    await self.next_of(ws, "friend_request_create")
                path = f"/friends/requests/{again['request_id']}"
                self.assertEqual(self.call("DELETE", path, token=carl)[0:2], (404, {"error": "not_found"}))
                self.assertEqual(self.call("DELETE", path, token=ben if deleter == "ben" else ann)[0], 204)
                for ws in (ws_ann, ws_ben):
                    d = (await self.next_of(ws, "friend_request_delete"))["d"]
                    self.assertEqual(d["request_id"], again["request_id"])
                self.assertEqual(self.call("DELETE", path, token=ann)[0], 404)
            self.assertEqual(self.call("POST", "/friends/requests/nope/accept", token=ann)[0], 404)
        finally:
            await ws_ann.close()
            await ws_ben.close()

    def test_opposite_requests_at_once_leave_one_pending(self):
        if CLUSTER and ARGS.log == "kafka":
            # The two requests may reach two api processes that both decide on the pair's stream:
            # on the librdkafka mock, which does not fence the earlier owner (ADR 0082 §6), both
            # can append (a fork). PostgreSQL fences, and this runs there in the cluster recipe.
            self.skipTest("the Kafka mock does not fence a second writer (ADR 0082 §6)")
        for round_ in range(5):
            x, x_id = self.user(f"race_x{round_}")
            y, y_id = self.user(f"race_y{round_}")
            results = []
            barrier = threading.Barrier(2)

            def send(token, recipient):
                barrier.wait()
                results.append(self.call("POST", "/friends/requests", {"recipient_user_id": recipient}, token=token)[0])

            threads = [threading.Thread(target=send, args=(x, y_id)), threading.Thread(target=send, args=(y, x_id))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(sorted(results), [200, 400])
            lists = self.call("GET", "/friends/requests", token=x)[1]
            self.assertEqual(len(lists["incoming"]) + len(lists["outgoing"]), 1)

    # --- the log: audit, secrets, replay ----------------------------------------------------

    def test_zz_audit_replay_and_no_secrets_in_the_log(self):
        self.register("audit_user")
        tokens = self.login("audit_user")
        refreshed = self.refresh(tokens["refresh_token"])[1]
        self.assertEqual(self.refresh(tokens["refresh_token"])[0], 401)  # replay
        access = refreshed["access_token"]
        user_id = self.call("GET", "/auth/me", token=access)[1]["user_id"]
        self.assertEqual(self.call("PATCH", "/users/me/profile", {"about_markdown": "audited"}, token=access)[0], 200)
        storage = self.server.storage_args()
        audit = run([ARGS.binary, "audit", *storage, "--actor", user_id, "--json"])
        self.assertEqual(audit.returncode, 0, audit.stderr)
        rows = [json.loads(line) for line in audit.stdout.splitlines() if line.strip()]
        self.assertEqual([r["type"] for r in rows],
                         ["user_registered", "session_started", "session_rotated", "session_revoked",
                          "profile_updated"])
        session_id = tokens["refresh_token"].split(".")[0]
        revoked = rows[3]["payload"]
        self.assertEqual((revoked["session_id"], revoked["reason"]), (session_id, "replay"))

        tail = run([ARGS.binary, "audit", *storage, "--json"])
        self.assertEqual(tail.returncode, 0, tail.stderr)
        log_text = tail.stdout
        for secret in (tokens["refresh_token"].split(".")[1], refreshed["refresh_token"].split(".")[1],
                       "argon2", "$argon2id", PASSWORD, "127.0.0.1"):
            self.assertNotIn(secret, log_text)

        check = run([ARGS.binary, "replay", "--check", *storage], timeout=300)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("friends", check.stdout)
        self.assertNotIn("DIFF", check.stdout)


if __name__ == "__main__":
    run_tests()
