#!/usr/bin/python3
"""End-to-end: messages complete (issue #8) against the built binary, on one log adapter.

Edit and delete (author, moderator, errors), reactions from two users and two sessions of one
user with the gateway events each receives, attachments of several real types round-tripping
byte for byte, the size cap answered before the rest of the body is read, the per-user quota
under 20 parallel uploads, binding attachments to messages, and a kill -9 of `filament serve`
during a stream of posts, edits and deletes followed by `replay --check`.

Usage: messages_complete_test.py --binary build/filament --log pg|kafka
"""
import asyncio
import hashlib
import http.client
import io
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor

import websockets

import upload_probe
from filament_harness import CLUSTER, ROOT, Server, run_tests

sys.path.insert(0, os.path.join(ROOT, "tools", "dev"))
import front_proxy  # noqa: E402 (the proxy's choice of api process for a guild)

ARGS = None
PASSWORD = "correct horse battery"
CAP = 1024 * 1024          # FILAMENT_MAX_ATTACHMENT_BYTES for this server
QUOTA = 4 * 1024 * 1024    # FILAMENT_USER_ATTACHMENT_QUOTA_BYTES for this server
LIMITS = {"FILAMENT_MAX_ATTACHMENT_BYTES": str(CAP),
          "FILAMENT_USER_ATTACHMENT_QUOTA_BYTES": str(QUOTA),
          "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "100000",
          # The cluster recipe's quota race creates guilds until one lands on the other api.
          "FILAMENT_MAX_CREATED_GUILDS_PER_USER": "50"}


def png_bytes(width=64, height=48):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes((x * 7 + y * 3) % 256 for x in range(width * 3)) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf_bytes():
    body = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    return body


def zip_bytes():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "hello from a zip\n" * 50)
        z.writestr("data.bin", bytes(range(256)) * 40)
    return out.getvalue()


def enc(emoji):
    return urllib.parse.quote(emoji, safe="")


class MessagesComplete(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log, env=LIMITS).start()
        s = cls.server
        cls.tokens, cls.ids = {}, {}
        for name in ("alice", "bob", "carol", "dave"):
            s.request("POST", "/auth/register", {"username": name, "password": PASSWORD})
            cls.tokens[name] = s.request("POST", "/auth/login", {"username": name, "password": PASSWORD})[1]["access_token"]
            cls.ids[name] = s.request("GET", "/auth/me", token=cls.tokens[name])[1]["user_id"]
        cls.gid = s.request("POST", "/guilds", {"name": "Complete", "visibility": "public"}, token=cls.tokens["alice"])[1]["guild_id"]
        cls.cid = s.request("POST", f"/guilds/{cls.gid}/channels", {"name": "general"}, token=cls.tokens["alice"])[1]["channel_id"]
        cls.cid2 = s.request("POST", f"/guilds/{cls.gid}/channels", {"name": "other"}, token=cls.tokens["alice"])[1]["channel_id"]
        for name in ("bob", "dave"):
            assert s.request("POST", f"/guilds/{cls.gid}/join", token=cls.tokens[name])[0] == 200

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def call(self, method, path, body=None, who="alice", **kw):
        return self.server.request(method, path, body, token=self.tokens[who] if who else None, **kw)

    @property
    def msgs(self):
        return f"/guilds/{self.gid}/channels/{self.cid}/messages"

    def post(self, content, who="alice", attachment_ids=None, channel=None):
        body = {"content": content}
        if attachment_ids is not None:
            body["attachment_ids"] = attachment_ids
        path = f"/guilds/{self.gid}/channels/{channel or self.cid}/messages"
        return self.call("POST", path, body, who=who)

    def upload(self, data, who="alice", filename=None, content_type=None, channel=None, query=None,
               port=None, guild=None):
        """POSTs raw bytes; Content-Type only when given (urllib would add one). `port`: another
        listener than the server's (an api process of the cluster recipe)."""
        q = query if query is not None else (f"?filename={urllib.parse.quote(filename)}" if filename else "")
        path = f"/guilds/{guild or self.gid}/channels/{channel or self.cid}/attachments{q}"
        headers = {"Content-Length": str(len(data))}
        if content_type:
            headers["Content-Type"] = content_type
        if who:
            headers["Authorization"] = "Bearer " + self.tokens[who]
        conn = http.client.HTTPConnection("127.0.0.1", port or self.server.port, timeout=60)
        try:
            conn.request("POST", path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None), dict(resp.headers)
        finally:
            conn.close()

    def ws_url(self, who):
        return f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={self.tokens[who]}"

    async def subscribed(self, who):
        ws = await websockets.connect(self.ws_url(who), max_size=2**22)
        await asyncio.wait_for(ws.recv(), 10)  # ready
        await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": self.gid, "channel_id": self.cid}}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["t"] == "voice_participant_sync":
                return ws

    async def next_of(self, ws, kind):
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["t"] == kind:
                return frame["d"]

    # --- edit and delete --------------------------------------------------------------------
    def test_edit_and_delete(self):
        asyncio.run(self.edit_and_delete())

    async def edit_and_delete(self):
        ws = await self.subscribed("dave")
        try:
            status, posted, _ = self.post("first *draft*", who="bob")
            self.assertEqual(status, 200)
            mid = posted["message_id"]
            time.sleep(1.1)  # so an edit time differs from the creation time
            status, edited, _ = self.call("PATCH", f"{self.msgs}/{mid}", {"content": "second **take**"}, who="bob")
            self.assertEqual(status, 200, edited)
            self.assertEqual(edited["content"], "second **take**")
            self.assertEqual(edited["created_at_unix"], posted["created_at_unix"])
            self.assertIn({"type": "strong_start"}, edited["markdown_tokens"])
            for key in ("message_id", "guild_id", "channel_id", "author_id", "attachments", "reactions"):
                self.assertEqual(edited[key], posted[key])
            update = await self.next_of(ws, "message_update")
            self.assertEqual(update["message_id"], mid)
            self.assertEqual(update["updated_fields"], {"content": edited["content"], "markdown_tokens": edited["markdown_tokens"]})
            self.assertGreaterEqual(update["updated_at_unix"], posted["created_at_unix"] + 1)

            # Errors: another member, a non-member, bad content, unknown ids.
            self.assertEqual(self.call("PATCH", f"{self.msgs}/{mid}", {"content": "x"}, who="dave")[0:2], (403, {"error": "forbidden"}))
            self.assertEqual(self.call("DELETE", f"{self.msgs}/{mid}", who="dave")[0], 403)
            self.assertEqual(self.call("PATCH", f"{self.msgs}/{mid}", {"content": "x"}, who="carol")[0], 403)
            self.assertEqual(self.call("DELETE", f"{self.msgs}/{mid}", who="carol")[0], 403)
            self.assertEqual(self.call("PATCH", f"{self.msgs}/{mid}", {"content": ""}, who="bob")[0], 400)
            self.assertEqual(self.call("PATCH", f"{self.msgs}/{mid}", {"content": "x" * 2001}, who="bob")[0], 400)
            self.assertEqual(self.call("PATCH", f"{self.msgs}/{mid}", {"content": "x"}, who=None)[0], 401)
            self.assertEqual(self.call("PATCH", f"{self.msgs}/01ARZ3NDEKTSV4RRFFQ69G5FAV", {"content": "x"}, who="bob")[0:2],
                             (404, {"error": "not_found"}))
            self.assertEqual(self.call("PATCH", f"/guilds/{self.gid}/channels/{self.cid2}/messages/{mid}", {"content": "x"}, who="bob")[0], 404)
            self.assertEqual(self.call("DELETE", f"/guilds/{self.gid}/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/messages/{mid}", who="bob")[0], 404)

            # The owner holds delete_message: a moderation edit.
            status, moderated, _ = self.call("PATCH", f"{self.msgs}/{mid}", {"content": "moderated"}, who="alice")
            self.assertEqual((status, moderated["author_id"]), (200, self.ids["bob"]))
            await self.next_of(ws, "message_update")

            status, body, headers = self.call("DELETE", f"{self.msgs}/{mid}", who="bob")
            self.assertEqual((status, body), (204, None))
            deleted = await self.next_of(ws, "message_delete")
            self.assertEqual(set(deleted), {"guild_id", "channel_id", "message_id", "deleted_at_unix"})
            self.assertEqual(deleted["message_id"], mid)
            history = self.call("GET", self.msgs, who="dave")[1]["messages"]
            self.assertNotIn(mid, [m["message_id"] for m in history])
            self.assertEqual(self.call("DELETE", f"{self.msgs}/{mid}", who="bob")[0], 404)
            self.assertEqual(self.call("PATCH", f"{self.msgs}/{mid}", {"content": "x"}, who="bob")[0], 404)

            # A moderation delete by the owner.
            other = self.post("dave's", who="dave")[1]["message_id"]
            self.assertEqual(self.call("DELETE", f"{self.msgs}/{other}", who="alice")[0], 204)
        finally:
            await ws.close()

    # --- reactions --------------------------------------------------------------------------
    def test_reactions(self):
        asyncio.run(self.reactions())

    async def reactions(self):
        mid = self.post("react to me", who="alice")[1]["message_id"]
        path = f"{self.msgs}/{mid}/reactions"
        socks = {"bob1": await self.subscribed("bob"), "bob2": await self.subscribed("bob"),
                 "dave": await self.subscribed("dave")}
        try:
            async def expect_everyone(count, operation, actor, emoji="👍"):
                for name, ws in socks.items():
                    d = await self.next_of(ws, "message_reaction")
                    self.assertEqual(d, {"guild_id": self.gid, "channel_id": self.cid, "message_id": mid,
                                         "emoji": emoji, "count": count, "operation": operation,
                                         "actor_user_id": self.ids[actor]}, name)

            self.assertEqual(self.call("POST", f"{path}/{enc('👍')}", who="bob")[0:2],
                             (200, {"emoji": "👍", "count": 1, "reacted_by_me": True}))
            await expect_everyone(1, "add", "bob")
            self.assertEqual(self.call("POST", f"{path}/{enc('👍')}", who="bob")[1]["count"], 1)  # idempotent
            await expect_everyone(1, "add", "bob")
            self.assertEqual(self.call("POST", f"{path}/{enc('👍')}", who="dave")[1]["count"], 2)
            await expect_everyone(2, "add", "dave")
            self.assertEqual(self.call("POST", f"{path}/{enc('a')}", who="dave")[1]["count"], 1)
            await expect_everyone(1, "add", "dave", "a")

            def reactions_for(who):
                history = self.call("GET", self.msgs, who=who)[1]["messages"]
                return next(m for m in history if m["message_id"] == mid)["reactions"]
            pair = sorted([self.ids["bob"], self.ids["dave"]])
            self.assertEqual(reactions_for("bob"), [
                {"emoji": "a", "count": 1, "reacted_by_me": False, "reactor_user_ids": [self.ids["dave"]]},
                {"emoji": "👍", "count": 2, "reacted_by_me": True, "reactor_user_ids": pair}])
            self.assertEqual([r["reacted_by_me"] for r in reactions_for("dave")], [True, True])
            self.assertEqual([r["reacted_by_me"] for r in reactions_for("alice")], [False, False])

            self.assertEqual(self.call("DELETE", f"{path}/{enc('👍')}", who="bob")[0:2],
                             (200, {"emoji": "👍", "count": 1, "reacted_by_me": False}))
            await expect_everyone(1, "remove", "bob")
            self.assertEqual(self.call("DELETE", f"{path}/{enc('👍')}", who="bob")[1]["count"], 1)  # idempotent
            await expect_everyone(1, "remove", "bob")
            self.assertEqual(reactions_for("bob")[1], {"emoji": "👍", "count": 1, "reacted_by_me": False,
                                                       "reactor_user_ids": [self.ids["dave"]]})

            # Errors.
            for bad in ("a%20b", "x" * 33, enc("é" * 33), "%E2%80%83", "%ZZ", "%FF"):
                self.assertEqual(self.call("POST", f"{path}/{bad}", who="bob")[0], 400, bad)
            self.assertEqual(self.call("POST", f"{path}/{enc('é' * 32)}", who="bob")[0], 200)
            self.assertEqual(self.call("POST", f"{path}/x", who="carol")[0:2], (403, {"error": "forbidden"}))
            self.assertEqual(self.call("DELETE", f"{path}/x", who="carol")[0], 403)
            self.assertEqual(self.call("POST", f"/guilds/{self.gid}/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/messages/{mid}/reactions/x", who="bob")[0], 403)
            self.assertEqual(self.call("POST", f"{self.msgs}/01ARZ3NDEKTSV4RRFFQ69G5FAV/reactions/x", who="bob")[0:2], (404, {"error": "not_found"}))
            self.assertEqual(self.call("POST", f"{path}/x", who=None)[0], 401)
        finally:
            for ws in socks.values():
                await ws.close()

    # --- attachments ------------------------------------------------------------------------
    def test_attachments_round_trip(self):
        files = [("pic.png", png_bytes(), "image/png"), ("doc.pdf", pdf_bytes(), "application/pdf"),
                 ("bundle.zip", zip_bytes(), "application/zip"), ("notes.txt", b"plain words\n" * 300, "text/plain")]
        for filename, data, mime in files:
            status, att, _ = self.upload(data, who="bob", filename=filename)
            self.assertEqual(status, 200, (filename, att))
            self.assertEqual(att["mime_type"], mime)
            self.assertEqual(att["filename"], filename)
            self.assertEqual(att["size_bytes"], len(data))
            self.assertEqual(att["sha256_hex"], hashlib.sha256(data).hexdigest())
            self.assertEqual((att["guild_id"], att["channel_id"], att["owner_id"]), (self.gid, self.cid, self.ids["bob"]))
            req = urllib.request.Request(f"{self.server.base}/guilds/{self.gid}/channels/{self.cid}/attachments/{att['attachment_id']}")
            req.add_header("Authorization", "Bearer " + self.tokens["dave"])
            with urllib.request.urlopen(req, timeout=30) as resp:
                self.assertEqual(resp.read(), data)
                self.assertEqual(resp.headers["Content-Type"], mime)
                self.assertEqual(resp.headers["Content-Length"], str(len(data)))
                self.assertEqual(resp.headers["X-Content-Type-Options"], "nosniff")
                self.assertEqual(resp.headers["Cache-Control"], "private, no-store")
            self.assertEqual(self.call("DELETE", f"/guilds/{self.gid}/channels/{self.cid}/attachments/{att['attachment_id']}", who="bob")[0], 204)
        status, att, _ = self.upload(b"hello\n", who="bob")
        self.assertEqual((status, att["filename"]), (200, "upload.bin"))
        status, att, _ = self.upload(png_bytes(), who="bob", content_type="image/PNG; charset=x")
        self.assertEqual(status, 200, att)

    def test_large_attachment_download_streams_whole(self):
        # Several store chunks (256 KiB) and response pieces (ADR 0041); HEAD reads no body.
        data = b"%PDF-1.4\n" + os.urandom(CAP - 4096 - 9)  # 4 chunks, the last one short
        status, att, _ = self.upload(data, who="bob", filename="big.pdf")
        self.assertEqual(status, 200, att)
        path = f"/guilds/{self.gid}/channels/{self.cid}/attachments/{att['attachment_id']}"
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        try:
            auth = {"Authorization": "Bearer " + self.tokens["dave"]}
            conn.request("HEAD", path, headers=auth)
            head = conn.getresponse()
            self.assertEqual(head.status, 200)
            self.assertEqual(head.read(), b"")
            self.assertEqual(head.headers["Content-Length"], str(len(data)))
            self.assertEqual(head.headers["Content-Type"], "application/pdf")
            conn.request("GET", path, headers=auth)  # same connection, after the HEAD
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.headers["Content-Length"], str(len(data)))
            self.assertEqual(resp.headers["X-Content-Type-Options"], "nosniff")
            self.assertEqual(hashlib.sha256(resp.read()).hexdigest(), hashlib.sha256(data).hexdigest())
        finally:
            conn.close()
        self.assertEqual(self.call("DELETE", path, who="bob")[0], 204)

    def test_attachment_errors(self):
        png = png_bytes()
        self.assertEqual(self.upload(png, who="bob", content_type="text/plain")[0:2], (400, {"error": "invalid_request"}))
        self.assertEqual(self.upload(png, who="bob", content_type="not a type")[0], 400)
        for bad in ("a/b", "a\\b", "a\x00b", "x" * 129, ""):
            self.assertEqual(self.upload(png, who="bob", query="?filename=" + urllib.parse.quote(bad))[0], 400, bad)
        self.assertEqual(self.upload(png, who="bob", query="?name=x")[0], 400)
        self.assertEqual(self.upload(b"", who="bob")[0], 400)
        self.assertEqual(self.upload(png, who="carol")[0:2], (403, {"error": "forbidden"}))
        self.assertEqual(self.upload(png, who="bob", channel="01ARZ3NDEKTSV4RRFFQ69G5FAV")[0], 403)
        self.assertEqual(self.upload(png, who=None)[0], 401)
        att = self.upload(png, who="bob")[1]
        base = f"/guilds/{self.gid}/channels/{self.cid}/attachments"
        self.assertEqual(self.call("GET", f"{base}/{att['attachment_id']}", who="carol")[0], 403)
        self.assertEqual(self.call("GET", f"/guilds/{self.gid}/channels/{self.cid2}/attachments/{att['attachment_id']}", who="bob")[0], 404)
        self.assertEqual(self.call("GET", f"{base}/01ARZ3NDEKTSV4RRFFQ69G5FAV", who="bob")[0], 404)
        self.assertEqual(self.call("DELETE", f"{base}/{att['attachment_id']}", who="dave")[0:2], (403, {"error": "forbidden"}))
        self.assertEqual(self.call("DELETE", f"{base}/{att['attachment_id']}", who="carol")[0], 403)
        self.assertEqual(self.call("DELETE", f"{base}/01ARZ3NDEKTSV4RRFFQ69G5FAV", who="bob")[0], 404)
        self.assertEqual(self.call("DELETE", f"{base}/{att['attachment_id']}", who="alice")[0], 204)  # owner role
        self.assertEqual(self.call("GET", f"{base}/{att['attachment_id']}", who="bob")[0], 404)

    def raw_upload(self, head_extra, first_bytes):
        """Sends the request head and `first_bytes` only; returns the status line's code."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        try:
            head = (f"POST /guilds/{self.gid}/channels/{self.cid}/attachments HTTP/1.1\r\n"
                    f"Host: x\r\nAuthorization: Bearer {self.tokens['bob']}\r\n{head_extra}\r\n")
            sock.sendall(head.encode() + first_bytes)
            reply = b""
            while b"\r\n" not in reply:
                piece = sock.recv(4096)
                if not piece:
                    break
                reply += piece
            return int(reply.split(b" ")[1])
        finally:
            sock.close()

    def test_upload_refused_from_its_head(self):
        """400 (undecodable path parameter), 401 (no or bad token) and 403 (outsider, unknown
        channel) come before the body is sent — a declared 20 MiB, over the cap: the token and permission come first — and no
        spool file is created; a bad filename is refused from the head as well."""
        base = f"/guilds/{self.gid}/channels/{self.cid}/attachments"
        unknown = f"/guilds/{self.gid}/channels/01ARZ3NDEKTSV4RRFFQ69G5FAV/attachments"
        bearer = lambda who: {"Authorization": "Bearer " + self.tokens[who]}  # noqa: E731
        cases = [(f"/guilds/{self.gid}/channels/%ZZ/attachments", {}, 400, "invalid_request"),
                 (base, {}, 401, "invalid_credentials"),
                 (base, {"Authorization": "Bearer nope"}, 401, "invalid_credentials"),
                 (base, bearer("carol"), 403, "forbidden"),
                 (unknown, bearer("bob"), 403, "forbidden"),
                 (base + "?filename=a%2Fb", bearer("bob"), 400, "invalid_request"),
                 (base + "?name=x", bearer("bob"), 400, "invalid_request"),
                 (base, {**bearer("bob"), "Content-Type": "not a type"}, 400, "invalid_request"),
                 (base, bearer("bob"), 413, "payload_too_large")]
        watch = upload_probe.SpoolWatch(self.server.spool_dirs())
        try:
            for target, headers, want, code in cases:
                status, got, body, elapsed, closed = upload_probe.refused_before_body(
                    self.server.port, "POST", target, headers, 20 * 1024 * 1024)
                self.assertEqual((status, json.loads(body)), (want, {"error": code}), (target, headers))
                self.assertLess(elapsed, 2.0, target)
                self.assertEqual(got.get("connection"), "close")
                self.assertTrue(closed)
            self.assertEqual(watch.created(), 0)
            self.assertEqual(self.upload(b"%PDF-1.4\n%%EOF\n", who="bob")[0], 200)  # the control
            self.assertEqual(watch.created(), 1)
        finally:
            watch.close()

    def test_size_cap_answers_before_the_rest_is_read(self):
        # Declared one byte over the cap: 413 with nothing of the body sent.
        self.assertEqual(self.raw_upload(f"Content-Length: {CAP + 1}\r\n", b""), 413)
        # Chunked: the cap in one chunk, then one byte more: 413 before the final chunk is sent.
        chunk = b"A" * CAP
        body = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n1\r\nB\r\n"
        self.assertEqual(self.raw_upload("Transfer-Encoding: chunked\r\n", body), 413)
        # Exactly the cap is fine.
        self.assertEqual(self.upload(b"A" * CAP, who="dave")[0], 200)

    def uploads_on_two_api_processes(self, who):
        """Cluster recipe: (guild, channel, api port) for two guilds `who` belongs to that the
        proxy places on different api processes (by log partition), each sent to its own
        process directly. The two processes then append to partitions they keep, and the
        user's quota is the only thing they share (ADR 0096). Uploads of one guild through
        both processes would move its partition to and fro under concurrent appends, which the
        Kafka mock does not fence (ADR 0082 §6)."""
        ports = [port for _, port in sorted((int(role.split(".")[1]), port)
                                            for role, port in self.server.roles.items()
                                            if role.startswith("api."))]
        self.assertGreaterEqual(len(ports), 2)
        home = front_proxy.backend_index("guild:" + self.gid, len(ports))
        for attempt in range(16):
            status, created = self.call("POST", "/guilds", {"name": f"Quota {attempt}", "visibility": "public"})[:2]
            self.assertEqual(status, 200, created)
            other = created["guild_id"]
            away = front_proxy.backend_index("guild:" + other, len(ports))
            if away != home:
                break
        self.assertNotEqual(away, home, "no guild on another api process in 16 tries")
        channel = self.call("POST", f"/guilds/{other}/channels", {"name": "uploads"})[1]["channel_id"]
        self.assertEqual(self.call("POST", f"/guilds/{other}/join", who=who)[0], 200)
        return [(self.gid, self.cid, ports[home]), (other, channel, ports[away])]

    def test_quota_race_and_reclaim(self):
        # erin: a fresh quota; 20 parallel uploads of CAP bytes = 5x the quota.
        s = self.server
        s.request("POST", "/auth/register", {"username": "erin", "password": PASSWORD})
        self.tokens["erin"] = s.request("POST", "/auth/login", {"username": "erin", "password": PASSWORD})[1]["access_token"]
        self.assertEqual(self.call("POST", f"/guilds/{self.gid}/join", who="erin")[0], 200)
        if True:
            data = b"Q" * CAP
            targets = [(self.gid, self.cid, None)]
            if CLUSTER:
                targets = self.uploads_on_two_api_processes("erin")
            with ThreadPoolExecutor(max_workers=20) as pool:
                results = list(pool.map(lambda i: self.upload(
                    data, who="erin", guild=targets[i % len(targets)][0],
                    channel=targets[i % len(targets)][1], port=targets[i % len(targets)][2]),
                    range(20)))
            ok = [r[1] for r in results if r[0] == 200]
            statuses = sorted({r[0] for r in results})
            self.assertEqual(statuses, [200, 409], statuses)
            self.assertTrue(all(r[1] == {"error": "quota_exceeded"} for r in results if r[0] == 409))
            self.assertLessEqual(len(ok) * CAP, QUOTA)
            if not CLUSTER:
                # Declared lengths are reserved whole: the quota admits exactly QUOTA // CAP.
                self.assertEqual(len(ok), QUOTA // CAP)
            else:
                # Shared reservations (ADR 0096) count an upload that is finishing while another
                # process reserves twice for a moment: a few may be refused early, never more
                # admitted. The rest of the quota stays usable (below), exactly.
                self.assertGreaterEqual(len(ok), 1)
            # Whatever is left of the quota can still be used, and no more.
            left = QUOTA - len(ok) * CAP
            while left:
                piece = min(left, CAP)
                self.assertEqual(self.upload(b"q" * piece, who="erin")[0], 200)
                left -= piece
            print(f"quota race: {len(ok)} of 20 parallel uploads accepted", flush=True)
            self.assertEqual(self.upload(b"z", who="erin")[0:2], (409, {"error": "quota_exceeded"}))
            # Deleting reclaims (each attachment in its own guild: in the cluster recipe the
            # race uploaded to two).
            def base(a):
                return f"/guilds/{a['guild_id']}/channels/{a['channel_id']}/attachments"
            self.assertEqual(self.call("DELETE", f"{base(ok[0])}/{ok[0]['attachment_id']}", who="erin")[0], 204)
            self.assertEqual(self.upload(data, who="erin")[0], 200)
            self.assertEqual(self.upload(b"z", who="erin")[0], 409)
            # A message delete reclaims its bound attachments and deletes their bytes.
            msgs = f"/guilds/{ok[1]['guild_id']}/channels/{ok[1]['channel_id']}/messages"
            posted = self.call("POST", msgs, {"content": "", "attachment_ids": [ok[1]["attachment_id"]]},
                               who="erin")
            self.assertEqual(posted[0], 200, posted[1])
            self.assertEqual(self.call("DELETE", f"{msgs}/{posted[1]['message_id']}", who="erin")[0], 204)
            self.assertEqual(self.call("GET", f"{base(ok[1])}/{ok[1]['attachment_id']}", who="erin")[0], 404)
            self.assertEqual(self.upload(data, who="erin")[0], 200)

    def test_binding(self):
        asyncio.run(self.binding())

    async def binding(self):
        ws = await self.subscribed("dave")
        try:
            png = self.upload(png_bytes(), who="bob", filename="a.png")[1]
            txt = self.upload(b"text\n", who="bob", filename="b.txt")[1]
            status, posted, _ = self.post("", who="bob", attachment_ids=[png["attachment_id"], txt["attachment_id"], png["attachment_id"].lower()])
            self.assertEqual(status, 200, posted)
            self.assertEqual(posted["attachments"], [png, txt])
            self.assertEqual(await self.next_of(ws, "message_create"), posted)
            history = self.call("GET", self.msgs, who="dave")[1]["messages"]
            self.assertEqual(next(m for m in history if m["message_id"] == posted["message_id"]), posted)
            self.assertEqual(self.post("again", who="bob", attachment_ids=[png["attachment_id"]])[0], 400)  # bound
            mine = self.upload(b"dave's\n", who="dave")[1]
            self.assertEqual(self.post("x", who="bob", attachment_ids=[mine["attachment_id"]])[0], 400)  # not owned
            elsewhere = self.upload(b"other channel\n", who="bob", channel=self.cid2)[1]
            self.assertEqual(self.post("x", who="bob", attachment_ids=[elsewhere["attachment_id"]])[0], 400)
            self.assertEqual(self.post("x", who="bob", attachment_ids=["01ARZ3NDEKTSV4RRFFQ69G5FAV"] * 6)[0], 400)
            self.assertEqual(self.post("", who="bob")[0], 400)
            # Deleting a bound attachment removes it from its message.
            base = f"/guilds/{self.gid}/channels/{self.cid}/attachments"
            self.assertEqual(self.call("DELETE", f"{base}/{txt['attachment_id']}", who="bob")[0], 204)
            history = self.call("GET", self.msgs, who="dave")[1]["messages"]
            self.assertEqual(next(m for m in history if m["message_id"] == posted["message_id"])["attachments"], [png])
            # Deleting the message deletes the bound bytes.
            self.assertEqual(self.call("DELETE", f"{self.msgs}/{posted['message_id']}", who="bob")[0], 204)
            self.assertEqual(self.call("GET", f"{base}/{png['attachment_id']}", who="bob")[0], 404)
        finally:
            await ws.close()


class Search(unittest.TestCase):
    """GET /guilds/{g}/search by word, phrase and prefix; channel scope; guild scope; rebuild,
    reconcile; each invalid query answered 400."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(ARGS.binary, log=ARGS.log).start()
        s = cls.server
        cls.tokens = {}
        for name in ("alice", "bob", "carol"):
            s.request("POST", "/auth/register", {"username": name, "password": PASSWORD})
            cls.tokens[name] = s.request("POST", "/auth/login", {"username": name, "password": PASSWORD})[1]["access_token"]
        alice = cls.tokens["alice"]
        cls.gid = s.request("POST", "/guilds", {"name": "Search", "visibility": "public"}, token=alice)[1]["guild_id"]
        cls.cid = s.request("POST", f"/guilds/{cls.gid}/channels", {"name": "one"}, token=alice)[1]["channel_id"]
        cls.cid2 = s.request("POST", f"/guilds/{cls.gid}/channels", {"name": "two"}, token=alice)[1]["channel_id"]
        cls.other = s.request("POST", "/guilds", {"name": "Elsewhere", "visibility": "public"}, token=alice)[1]["guild_id"]
        cls.other_cid = s.request("POST", f"/guilds/{cls.other}/channels", {"name": "x"}, token=alice)[1]["channel_id"]
        assert s.request("POST", f"/guilds/{cls.gid}/join", token=cls.tokens["bob"])[0] == 200

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def post(self, content, channel=None, guild=None):
        g, c = guild or self.gid, channel or self.cid
        status, m, _ = self.server.request("POST", f"/guilds/{g}/channels/{c}/messages", {"content": content}, token=self.tokens["alice"])
        self.assertEqual(status, 200)
        return m

    def search(self, query, who="bob", guild=None):
        return self.server.request("GET", f"/guilds/{guild or self.gid}/search?{query}", token=self.tokens[who])

    def ids(self, query, **kw):
        status, body, _ = self.search(query, **kw)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["message_ids"], [m["message_id"] for m in body["messages"]])
        return set(body["message_ids"])

    def test_search(self):
        a = self.post("the quick brown fox jumps")
        b = self.post("a brown dog sleeps", channel=self.cid2)
        c = self.post("quickly now, the fox")
        hidden = self.post("brown fox in another guild", guild=self.other, channel=self.other_cid)
        self.assertEqual(self.ids("q=brown"), {a["message_id"], b["message_id"]})
        self.assertEqual(self.ids("q=" + urllib.parse.quote('"quick brown"')), {a["message_id"]})
        self.assertEqual(self.ids("q=" + urllib.parse.quote('"brown quick"')), set())
        self.assertEqual(self.ids("q=quick*"), {a["message_id"], c["message_id"]})
        self.assertEqual(self.ids(f"q=brown&channel_id={self.cid2}"), {b["message_id"]})
        self.assertNotIn(hidden["message_id"], self.ids("q=fox"))
        self.assertEqual(self.search("q=fox", who="carol")[0:2], (403, {"error": "forbidden"}))
        status, body, _ = self.search("q=fox&limit=1")
        self.assertEqual((status, len(body["message_ids"])), (200, 1))
        status, body, _ = self.search("q=fox")
        self.assertEqual(body["messages"][0]["reactions"], [])

        # Edits and deletes are visible at once (the mutation waits for the index).
        path = f"/guilds/{self.gid}/channels/{self.cid}/messages/{a['message_id']}"
        self.assertEqual(self.server.request("PATCH", path, {"content": "slow green turtle"}, token=self.tokens["alice"])[0], 200)
        self.assertEqual(self.ids("q=brown"), {b["message_id"]})
        self.assertEqual(self.ids("q=turtle"), {a["message_id"]})
        self.assertEqual(self.server.request("DELETE", path, token=self.tokens["alice"])[0], 204)
        self.assertEqual(self.ids("q=turtle"), set())

        # Invalid queries.
        for bad in ("q=", "q=%20%20", "q=" + "a" * 257, "q=" + "+".join(["w"] * 21), "q=a*b*c*d*e*",
                    "q=a%3Ab", "q=a~+b~+c~", "q=fox&limit=0", "q=fox&limit=51", "q=fox&limit=x",
                    "q=fox&channel_id=nope", "q=%22open"):
            status, body, _ = self.search(bad)
            self.assertEqual(status, 400, bad)
        status, body, headers = self.search("limit=5")
        self.assertEqual(status, 400)
        self.assertTrue(headers["Content-Type"].startswith("text/plain"), headers)

        # Rebuild and reconcile: owner only.
        base = f"/guilds/{self.gid}/search"
        self.assertEqual(self.server.request("POST", f"{base}/rebuild", token=self.tokens["bob"])[0], 403)
        self.assertEqual(self.server.request("POST", f"{base}/rebuild", token=self.tokens["alice"])[0:2], (204, None))
        self.assertEqual(self.ids("q=brown"), {b["message_id"]})
        self.assertEqual(self.server.request("POST", f"{base}/reconcile", token=self.tokens["bob"])[0], 403)
        status, body, _ = self.server.request("POST", f"{base}/reconcile", token=self.tokens["alice"])
        self.assertEqual((status, body), (200, {"upserted": 0, "deleted": 0}))


class KillDuringMessageStream(unittest.TestCase):
    """kill -9 of `filament serve` during posts, edits and deletes; then replay --check."""

    def test_kill_and_check(self):
        server = Server(ARGS.binary, log=ARGS.log).start()
        try:
            s = server
            s.request("POST", "/auth/register", {"username": "alice", "password": PASSWORD})
            token = s.request("POST", "/auth/login", {"username": "alice", "password": PASSWORD})[1]["access_token"]
            gid = s.request("POST", "/guilds", {"name": "Kill", "visibility": "public"}, token=token)[1]["guild_id"]
            cid = s.request("POST", f"/guilds/{gid}/channels", {"name": "general"}, token=token)[1]["channel_id"]
            path = f"/guilds/{gid}/channels/{cid}/messages"
            stop = threading.Event()

            def churn():
                i = 0
                while not stop.is_set():
                    try:
                        status, m, _ = s.request("POST", path, {"content": f"m{i}"}, token=token)
                        if status == 200:
                            s.request("PATCH", f"{path}/{m['message_id']}", {"content": f"e{i}"}, token=token)
                            s.request("POST", f"{path}/{m['message_id']}/reactions/x", token=token)
                            if i % 2:
                                s.request("DELETE", f"{path}/{m['message_id']}", token=token)
                    except Exception:  # the server died under us
                        return
                    i += 1

            thread = threading.Thread(target=churn)
            thread.start()
            time.sleep(3)
            s.kill()  # SIGKILL (every role in cluster mode)
            stop.set()
            thread.join()
            s.restart()
            status, history, _ = s.request("GET", f"{path}?limit=100", token=token)
            self.assertEqual(status, 200)
            self.assertGreater(len(history["messages"]), 0)
            check = subprocess.run([ARGS.binary, "replay", "--check", *s.storage_args()],
                                   capture_output=True, text=True, timeout=300)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            self.assertIn("messages", check.stdout)
            self.assertNotIn("DIFF", check.stdout)
        finally:
            server.stop()


if __name__ == "__main__":
    run_tests()
