#!/usr/bin/python3
"""End-to-end: `filament serve --web-root DIR` (issue #12, "the web client same-origin") — the
built web client's files, the client-route fallback to index.html, and every API route also
under /api (a streamed upload and a download included), the gateway at /gateway/ws. Nothing
here touches the log beyond what any route does, so one log (PostgreSQL) is enough.

Responses of /api/... routes are checked against docs/openapi.yaml under their unprefixed path;
static responses are not API responses and are checked here only.

Usage: web_root_test.py --binary build/filament
"""
import asyncio
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import websockets

from filament_harness import Server, record_response, run_tests

ARGS = None
PASSWORD = "correct horse battery"
INDEX = b"<!doctype html><html><body><div id=app></div><script src=/assets/x.js></script>"
SCRIPT = b"console.log('filament web client');\n"
PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def png_bytes():
    import struct
    import zlib

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + bytes([x % 256 for x in range(16 * 3)]) for _ in range(16))
    return (PNG_HEADER + chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class WebRootTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.outer = tempfile.mkdtemp(prefix="filament-webroot-", dir="/tmp")
        cls.site = os.path.join(cls.outer, "dist")
        os.makedirs(os.path.join(cls.site, "assets"))
        with open(os.path.join(cls.site, "index.html"), "wb") as f:
            f.write(INDEX)
        with open(os.path.join(cls.site, "assets", "x.js"), "wb") as f:
            f.write(SCRIPT)
        with open(os.path.join(cls.outer, "webroot-secret.txt"), "w") as f:
            f.write("secret")
        cls.server = Server(ARGS.binary, extra_args=["--web-root", cls.site]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.outer, ignore_errors=True)

    def fetch(self, method, path, body=None, headers=None):
        """One request on a fresh connection; returns (status, headers lower-cased, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            payload = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, payload
        finally:
            conn.close()

    def api(self, method, path, body=None, token=None, raw=None, headers=None):
        """`path` under /api; the response is recorded (OpenAPI check) under `path` itself."""
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = "Bearer " + token
        status, reply_headers, payload = self.fetch(method, "/api" + path, data, headers)
        record_response(method, path, status, reply_headers.items(), payload)
        return status, (json.loads(payload) if payload and payload[:1] in b"{[" else payload), \
            reply_headers

    def assert_static_headers(self, headers):
        self.assertEqual(headers.get("x-content-type-options"), "nosniff")
        self.assertEqual(headers.get("referrer-policy"), "no-referrer")
        self.assertEqual(headers.get("x-frame-options"), "DENY")

    def test_index_and_assets(self):
        status, headers, body = self.fetch("GET", "/")
        self.assertEqual((status, body), (200, INDEX))
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertEqual(headers["cache-control"], "no-cache")
        self.assert_static_headers(headers)
        status, headers, body = self.fetch("GET", "/assets/x.js")
        self.assertEqual((status, body), (200, SCRIPT))
        self.assertEqual(headers["content-type"], "text/javascript; charset=utf-8")
        self.assertEqual(headers["cache-control"], "public, max-age=31536000, immutable")
        self.assertEqual(headers["content-length"], str(len(SCRIPT)))
        self.assert_static_headers(headers)
        status, headers, body = self.fetch("GET", "/assets/x.js",
                                           headers={"If-None-Match": headers["etag"]})
        self.assertEqual((status, body), (304, b""))
        status, headers, body = self.fetch("HEAD", "/assets/x.js")
        self.assertEqual((status, body, headers["content-length"]), (200, b"", str(len(SCRIPT))))

    def test_client_routes_fall_back_to_index(self):
        for path in ("/login", "/app", "/app/guilds/01ARZ3NDEKTSV4RRFFQ69G5FAV", "/register"):
            status, headers, body = self.fetch("GET", path)
            self.assertEqual((status, body), (200, INDEX), path)
            self.assertEqual(headers["cache-control"], "no-cache", path)
        for path in ("/missing.js", "/assets/gone-123.js", "/%2e%2e/webroot-secret.txt",
                     "/../webroot-secret.txt", "/.hidden"):
            status, headers, body = self.fetch("GET", path)
            self.assertEqual(status, 404, path)
            self.assertNotIn(b"secret", body)
            self.assert_static_headers(headers)

    def test_api_paths_are_not_the_sites(self):
        status, headers, body = self.fetch("GET", "/health")  # unprefixed keeps working
        self.assertEqual((status, json.loads(body)), (200, {"status": "ok"}))
        self.assertEqual(self.api("GET", "/health")[0:2], (200, {"status": "ok"}))
        self.assertEqual(self.api("GET", "/nope")[0:2], (404, {"error": "not_found"}))
        # A POST-only API path answers 405 from the API, not the client's index.
        status, headers, body = self.fetch("GET", "/auth/register")
        self.assertEqual((status, json.loads(body)), (405, {"error": "method_not_allowed"}))
        status, _, body = self.fetch("POST", "/login", b"{}", {"Content-Type": "application/json"})
        self.assertEqual((status, json.loads(body)), (404, {"error": "not_found"}))

    def test_api_routes_with_auth_upload_and_download(self):
        self.assertEqual(self.api("POST", "/auth/register",
                                  {"username": "webby", "password": PASSWORD})[0], 200)
        status, login, _ = self.api("POST", "/auth/login",
                                    {"username": "webby", "password": PASSWORD})
        self.assertEqual(status, 200, login)
        token = login["access_token"]
        self.assertEqual(self.api("GET", "/auth/me")[0:2], (401, {"error": "invalid_credentials"}))
        status, me, _ = self.api("GET", "/auth/me", token=token)
        self.assertEqual((status, me["username"]), (200, "webby"))
        gid = self.api("POST", "/guilds", {"name": "Web", "visibility": "public"},
                       token=token)[1]["guild_id"]
        cid = self.api("POST", f"/guilds/{gid}/channels", {"name": "general"},
                       token=token)[1]["channel_id"]
        data = png_bytes()
        base = f"/guilds/{gid}/channels/{cid}/attachments"
        # Streamed upload: refused from its head without a token, accepted with one.
        status, body, _ = self.api("POST", base + "?filename=pic.png", raw=data,
                                   headers={"Content-Type": "image/png"})
        self.assertEqual((status, body), (401, {"error": "invalid_credentials"}))
        status, att, _ = self.api("POST", base + "?filename=pic.png", raw=data, token=token,
                                  headers={"Content-Type": "image/png"})
        self.assertEqual(status, 200, att)
        self.assertEqual(att["sha256_hex"], hashlib.sha256(data).hexdigest())
        status, headers, payload = self.fetch(
            "GET", "/api" + base + "/" + att["attachment_id"],
            headers={"Authorization": "Bearer " + token})
        self.assertEqual((status, payload), (200, data))
        self.assertEqual(headers["content-type"], "image/png")
        status, message, _ = self.api("POST", f"/guilds/{gid}/channels/{cid}/messages",
                                      {"content": "hi", "attachment_ids": [att["attachment_id"]]},
                                      token=token)
        self.assertEqual(status, 200, message)
        asyncio.run(self.gateway_ready(token))

    async def gateway_ready(self, token):
        url = f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={token}"
        async with websockets.connect(url) as ws:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            self.assertEqual(frame["t"], "ready")

    def test_start_up_refuses_a_root_without_index(self):
        empty = tempfile.mkdtemp(prefix="filament-webroot-empty-", dir="/tmp")
        try:
            for root in (empty, "/nonexistent/filament-dist"):
                proc = subprocess.run(
                    [ARGS.binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", empty,
                     "--web-root", root], capture_output=True, text=True, timeout=60)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn("--web-root", proc.stderr)
        finally:
            shutil.rmtree(empty, ignore_errors=True)


if __name__ == "__main__":
    run_tests(with_log=False)
