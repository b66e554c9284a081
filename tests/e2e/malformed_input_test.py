#!/usr/bin/python3
"""End-to-end: the malformed-input sweep of issue #11. Every route the binary serves (its own
table, `filament routes`) gets bad path parameters (broken ULIDs, bad percent-encoding, huge
values), and every JSON route gets malformed JSON, wrong types, huge and negative numbers,
oversized strings and arrays, unknown fields and bad ULIDs in the body, against a valid base
body and real ids so each request reaches the decoder; GET routes get junk queries; a set of
mutations gets broken transports (conflicting and oversized headers, truncated bodies).

It fails when any response has status >= 500, when a mutation is accepted (2xx), when the
server stops answering, or when the log grew by even one record during the sweep (the
projections' applied-record counters on /metrics, which count every record of the log).

Usage: malformed_input_test.py --binary build/filament --log pg|kafka
"""
import json
import os
import socket
import subprocess
import time
import unittest

import yaml

from filament_harness import ROOT, Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000002000000020802000000fdd49a73000000114944"
                    "4154789c63f8cfc0c0f01f8c8018001df003fdd3d07d260000000049454e44ae426082")
MISSING = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
MUTATING = {"POST", "PATCH", "PUT", "DELETE"}
# Routes of the test build that exist only to exercise the transport.
SKIPPED = {("POST", "/echo"), ("GET", "/slow"), ("GET", "/gateway/ws")}
# Routes the contract answers 204 for any path, with no check and no effect when there is
# nothing to do (REST_API.md §4.14: voice/leave is idempotent with no membership check,
# voice/state answers 204 also for a non-participant): a 2xx there is no accepted mutation;
# the log-growth check still holds for them.
NO_OP_2XX = {("POST", "/guilds/{guild_id}/channels/{channel_id}/voice/leave"),
             ("POST", "/guilds/{guild_id}/channels/{channel_id}/voice/state")}

BAD_PATH_VALUES = [
    "not-a-ulid", MISSING[:-1], MISSING + "0", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ", "01arz3ndektsv4rrffq69g5fai",
    "%zz", "%", "%00", "%C0%AF", "%FF%FE", "..", "%2e%2e", "a%2Fb", "-1", "0", "9" * 40,
    "x" * 4000, "%F0%9F%91",
]
# Emoji are 1..32 characters without white space (so "..", "a/b" or a ULID are emoji): these
# are not.
BAD_EMOJI = ["%00", "%zz", "%", "%C0%AF", "%FF%FE", "%F0%9F%91", "x" * 33, "a%20b", "%09", "%7F",
             "%C2%85", "%E3%80%80", "%ED%A0%80"]
# Bodies that are not one JSON object.
BROKEN_BODIES = [
    b"", b"{", b"}", b"[]", b"null", b"true", b"\"str\"", b"123", b"-1e999999", b"{\"a\":",
    b"{}}", b"{\"a\" 1}", b"{'a': 1}", b"{\"a\":1,}", b"\xff\xfe{}", b"{\"\xff\": 1}",
    b"[" * 100000, b"{\"a\":" * 50000, b"\x00", b"{\"a\":\"\\ud800\"}", b"{\"a\":NaN}",
    b"{\"a\":Infinity}", b"{\"a\":01}", b"{\"a\":\"\x01\"}",
]
HUGE_NUMBERS = ["1e400", "-1e400", "18446744073709551616", "-9223372036854775809",
                "340282366920938463463374607431768211456", "1.5", "1e2"]


class MalformedInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = {
            "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "100000000",
            "FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE": "100000000",
            "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP": "100000000",
            "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_USER": "100000000",
            "FILAMENT_MEDIA_TOKEN_REQUESTS_PER_MINUTE": "100000000",
            "FILAMENT_MEDIA_PUBLISH_REQUESTS_PER_MINUTE": "100000000",
            "FILAMENT_LOGIN_LOCK_THRESHOLD": "1000",
            "FILAMENT_MAX_CONNECTIONS_PER_IP": "100000",
            "FILAMENT_AUTH_SESSION_SWEEP_INTERVAL_SECS": "86400",
            "FILAMENT_BLOB_SWEEP_INTERVAL_SECS": "86400",
            "FILAMENT_REQUEST_TIMEOUT_SECS": "3",
            "FILAMENT_HEADER_TIMEOUT_SECS": "3",
            "FILAMENT_LIVEKIT_API_KEY": "sweepkey",
            "FILAMENT_LIVEKIT_API_SECRET": "sweep-secret-sweep-secret-sweep-secret",
        }
        cls.server = Server(ARGS.binary, log=ARGS.log, env=env).start()
        cls.problems = []
        cls.sent = 0

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    # ---- fixtures -------------------------------------------------------------------------

    def expect(self, status, method, path, body=None, **kwargs):
        got, reply, _ = self.server.request(method, path, body, **kwargs)
        self.assertEqual(got, status, (method, path, reply))
        return reply

    def user(self, name):
        self.expect(200, "POST", "/auth/register", {"username": name, "password": PASSWORD})
        tokens = self.expect(200, "POST", "/auth/login", {"username": name, "password": PASSWORD})
        me = self.expect(200, "GET", "/auth/me", token=tokens["access_token"])
        return tokens, me["user_id"]

    def make_fixtures(self):
        """Real ids the owner may act on, so a request with a broken part gets past routing and
        permission checks to the decoder."""
        owner, owner_id = self.user("sweepowner")
        member, member_id = self.user("sweepmember")
        _, third_id = self.user("sweepthird")
        token = owner["access_token"]
        gid = self.expect(200, "POST", "/guilds", {"name": "Sweep", "visibility": "public"},
                          token=token)["guild_id"]
        cid = self.expect(200, "POST", f"/guilds/{gid}/channels", {"name": "general"},
                          token=token)["channel_id"]
        self.expect(200, "POST", f"/guilds/{gid}/join", token=member["access_token"])
        mid = self.expect(200, "POST", f"/guilds/{gid}/channels/{cid}/messages",
                          {"content": "hello"}, token=token)["message_id"]
        rid = self.expect(200, "POST", f"/guilds/{gid}/roles",
                          {"name": "sweepers", "permissions": ["create_message"]},
                          token=token)["role_id"]
        request_id = self.expect(200, "POST", "/friends/requests", {"recipient_user_id": third_id},
                                 token=token)["request_id"]
        aid = self.expect(200, "POST", f"/guilds/{gid}/channels/{cid}/attachments?filename=a.png",
                          raw=PNG, token=token,
                          headers={"Content-Type": "image/png"})["attachment_id"]
        self.token = token
        self.refresh = owner["refresh_token"]
        self.params = {
            "guild_id": gid, "channel_id": cid, "message_id": mid, "user_id": member_id,
            "role_id": rid, "request_id": request_id, "friend_user_id": third_id,
            "attachment_id": aid, "emoji": "%F0%9F%91%8D", "role": "member",
            "target_kind": "role", "target_id": rid, "ban_id": MISSING,
        }
        self.base_bodies = {
            ("POST", "/auth/register"): {"username": "sweepnew", "password": PASSWORD},
            ("POST", "/auth/login"): {"username": "sweepowner", "password": PASSWORD},
            ("POST", "/auth/refresh"): {"refresh_token": self.refresh},
            ("POST", "/auth/logout"): {"refresh_token": self.refresh},
            ("POST", "/users/lookup"): {"user_ids": [member_id]},
            ("PATCH", "/users/me/profile"): {"about_markdown": "about"},
            ("POST", "/friends/requests"): {"recipient_user_id": member_id},
            ("POST", "/guilds"): {"name": "Other", "visibility": "private"},
            ("PATCH", "/guilds/{guild_id}"): {"name": "Renamed", "visibility": "public"},
            ("POST", "/guilds/{guild_id}/channels"): {"name": "second", "kind": "text"},
            ("POST", "/guilds/{guild_id}/channels/{channel_id}/messages"):
                {"content": "x", "attachment_ids": [aid]},
            ("PATCH", "/guilds/{guild_id}/channels/{channel_id}/messages/{message_id}"):
                {"content": "edited"},
            ("PATCH", "/guilds/{guild_id}/members/{user_id}"): {"role": "moderator"},
            ("POST", "/guilds/{guild_id}/channels/{channel_id}/overrides/{role}"):
                {"allow": ["create_message"], "deny": []},
            ("POST", "/guilds/{guild_id}/channels/{channel_id}/permission-overrides/"
                     "{target_kind}/{target_id}"): {"allow": [], "deny": ["create_message"]},
            ("POST", "/guilds/{guild_id}/roles"):
                {"name": "r2", "permissions": ["create_message"], "position": 1,
                 "color_hex": "#112233"},
            ("PATCH", "/guilds/{guild_id}/roles/{role_id}"):
                {"name": "r3", "permissions": [], "position": 1, "color_hex": "#112233"},
            ("POST", "/guilds/{guild_id}/roles/reorder"): {"role_ids": [rid]},
            ("POST", "/guilds/{guild_id}/roles/default"): {"role_id": rid},
            ("POST", "/guilds/{guild_id}/channels/{channel_id}/voice/token"):
                {"can_publish": True, "can_subscribe": True, "publish_sources": ["microphone"]},
            ("POST", "/guilds/{guild_id}/channels/{channel_id}/voice/state"):
                {"is_muted": True, "is_deafened": False},
            ("POST", "/guilds/{guild_id}/ip-bans/by-user"):
                {"target_user_id": third_id, "reason": "spam", "expires_in_secs": 60},
        }

    # ---- sending ----------------------------------------------------------------------------

    def path_for(self, pattern, override=None):
        path = pattern
        for name, value in self.params.items():
            if override and override[0] == name:
                value = override[1]
            path = path.replace("{" + name + "}", value)
        if "{" in path:  # a parameter this sweep has no fixture for: a valid-looking id
            start = path.index("{")
            name = path[start + 1:path.index("}", start)]
            if override and override[0] == name:
                return path.replace("{" + name + "}", override[1])
            return self.path_for(pattern.replace("{" + name + "}", MISSING), override)
        return path

    def send(self, method, path, raw=None, headers=None, label="", pattern=None):
        self.__class__.sent += 1
        try:
            status, reply, _ = self.server.request(method, path, raw=raw, token=self.token,
                                                   headers=headers)
        except OSError as err:  # no answer at all
            self.problems.append(f"{method} {path} {label}: no response ({err})")
            return None
        self.judge(method, path, status, reply, label, (method, pattern) in NO_OP_2XX)
        return status

    def judge(self, method, path, status, reply, label, no_op_2xx=False):
        shown = (path[:120] + "…") if len(path) > 120 else path
        if status >= 500:
            self.problems.append(f"{method} {shown} {label}: {status} {str(reply)[:200]}")
        elif method in MUTATING and 200 <= status < 300 and not no_op_2xx:
            self.problems.append(f"{method} {shown} {label}: accepted ({status})")

    def raw(self, data, timeout=10):
        """Sends raw bytes, half-closes, returns the status line's code (None: no response)."""
        self.__class__.sent += 1
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout) as conn:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
            reply = b""
            try:
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    reply += chunk
            except OSError:
                pass
        if not reply.startswith(b"HTTP/1.1 "):
            return None
        return int(reply[9:12])

    def applied_records(self):
        """The sum of every projection's applied-record counter: grows with each log record."""
        _, text, _ = self.server.request("GET", "/metrics")
        total = 0
        for line in str(text).splitlines():
            if line.startswith("filament_projection_records_applied_total"):
                total += int(float(line.rsplit(" ", 1)[1]))
        return total

    def settled_applied_records(self):
        last, stable_since = self.applied_records(), time.time()
        while time.time() - stable_since < 1.5:
            time.sleep(0.25)
            now = self.applied_records()
            if now != last:
                last, stable_since = now, time.time()
        return last

    # ---- the sweep --------------------------------------------------------------------------

    def test_sweep(self):
        self.make_fixtures()
        routes = subprocess.run([ARGS.binary, "routes"], check=True, capture_output=True,
                                text=True).stdout.split("\n")
        routes = [tuple(line.split(" ", 1)) for line in routes if line.strip()]
        routes = [r for r in routes if r not in SKIPPED]
        self.assertGreater(len(routes), 50)
        before = self.settled_applied_records()
        for method, pattern in routes:
            self.bad_path_params(method, pattern)
            if (method, pattern) in self.base_bodies:
                self.broken_bodies(method, pattern)
                self.wrong_fields(method, pattern)
            if method == "GET":
                self.junk_queries(pattern)
        self.broken_transport()
        self.assertEqual(self.expect(200, "GET", "/health")["status"], "ok")
        after = self.settled_applied_records()
        print(f"malformed-input sweep: {self.sent} requests over {len(routes)} routes, "
              f"{len(self.problems)} problem(s), log records {before} -> {after}")
        self.assertEqual(self.problems, [], "\n" + "\n".join(self.problems))
        self.assertEqual(after, before, "the sweep appended to the log")

    def bad_path_params(self, method, pattern):
        names = [part[1:-1] for part in pattern.split("/") if part.startswith("{")]
        body = self.base_bodies.get((method, pattern))
        raw = json.dumps(body).encode() if body is not None else None
        for name in names:
            for value in BAD_EMOJI if name == "emoji" else BAD_PATH_VALUES:
                self.send(method, self.path_for(pattern, (name, value)), raw=raw,
                          label=f"[{name}={value[:20]}]", pattern=pattern)

    def broken_bodies(self, method, pattern):
        path = self.path_for(pattern)
        for raw in BROKEN_BODIES:
            self.send(method, path, raw=raw, label=f"[body {raw[:16]!r}]")
        base = self.base_bodies[(method, pattern)]
        text = json.dumps(base).encode()
        for cut in (1, len(text) // 2, len(text) - 1):
            self.send(method, path, raw=text[:cut], label=f"[truncated {cut}]")
        self.send(method, path, raw=json.dumps(dict(base, unknown_field=1)).encode(),
                  label="[unknown field]")
        for content_type in ("text/plain", "application/x-www-form-urlencoded",
                             "application/json; charset=latin-1", "multipart/form-data"):
            self.send(method, path, raw=text[:-1], headers={"Content-Type": content_type},
                      label=f"[{content_type} truncated]")

    def wrong_fields(self, method, pattern):
        path = self.path_for(pattern)
        base = self.base_bodies[(method, pattern)]
        schema = self.request_schema(method, pattern)
        for field, good in base.items():
            prop = self.resolve(schema.get("properties", {}).get(field, {}))
            nullable = any(option.get("type") == "null" for option in prop.get("oneOf", []))
            required = field in schema.get("required", []) and not nullable
            for bad in self.wrong_values(field, good, prop, required, pattern):
                body = dict(base)
                body[field] = "\x00MARK"
                raw = json.dumps(body).replace('"\\u0000MARK"', bad).encode()
                self.send(method, path, raw=raw, label=f"[{field}={bad[:24]}]")

    def request_schema(self, method, pattern):
        """The JSON schema of the route's body in docs/openapi.yaml (the same document the
        harness checks every response against)."""
        if not hasattr(self, "document"):
            with open(os.path.join(ROOT, "docs", "openapi.yaml"), encoding="utf-8") as f:
                self.document = yaml.safe_load(f)
        operation = self.document["paths"][pattern][method.lower()]
        return self.resolve(operation["requestBody"]["content"]["application/json"]["schema"])

    def resolve(self, schema):
        while "$ref" in schema:
            schema = self.document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        return schema

    @staticmethod
    def wrong_values(field, good, prop, required, pattern):
        """JSON texts that are wrong for a field whose valid value is `good`. Null is wrong only
        for a required, non-nullable field (an optional one reads null as absent); a blank string only where
        the contract forbids it."""
        out = ["{}", "[[]]"] + (["null"] if required else [])
        if isinstance(good, bool):
            return out + ['"true"', "1"]
        if isinstance(good, int):
            return out + ['"1"', "true", "[1]", "-2147483649", "2147483648"] + HUGE_NUMBERS
        if isinstance(good, list):
            items = [json.dumps(item) for item in good] or ['"x"']
            out += ['"x"', "1", "[1]", "[null]", "[{}]", '["not-a-ulid"]',
                    '["' + "x" * 70000 + '"]', "[" + ",".join(['"%s"' % MISSING[:-1]] * 3) + "]"]
            if "maxItems" in prop:
                out.append("[" + ",".join(items * (prop["maxItems"] + 1)) + "]")
            return out
        out += ["1", "-1", "1.5", "true", '["x"]', '"' + "x" * 70000 + '"',
                '"' + "\u00e9" * 40000 + '"', '"\\ud800"', '"\\u0000"', '"a\\u0000b"']
        if field.endswith("_id") or field == "refresh_token":
            out += ['"not-a-ulid"', '"%s"' % MISSING[:-1], '"8ZZZZZZZZZZZZZZZZZZZZZZZZZZ"']
        if field == "color_hex":
            out += ['"#12345"', '"#GGGGGG"', '"red"']
        if field in ("visibility", "kind", "role"):
            out += ['"nope"', '""']
        if field == "reason" or (field == "name" and "/roles" in pattern):
            out.append('"  "')
        return out

    def junk_queries(self, pattern):
        path = self.path_for(pattern)
        for query in ("limit=-1", "limit=0", "limit=99999999999999999999", "limit=abc",
                      "limit=1e3", "limit=%zz", "before=not-a-ulid", "before=%FF",
                      "q=" + "x" * 5000, "limit=1&limit=2", "%zz=1", "=", "&&&", "a" * 9000):
            self.send("GET", f"{path}?{query}", label=f"[?{query[:20]}]")

    def broken_transport(self):
        """Requests broken at the HTTP layer, on a route that would otherwise accept them."""
        path = self.path_for("/guilds/{guild_id}/channels/{channel_id}/messages")
        body = json.dumps({"content": "should not land"}).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {self.token}\r\n"
                "Content-Type: application/json\r\n")
        cases = {
            "conflicting Content-Length": f"Content-Length: {len(body)}\r\nContent-Length: 3\r\n",
            "Content-Length and chunked": (f"Content-Length: {len(body)}\r\n"
                                           "Transfer-Encoding: chunked\r\n"),
            "negative Content-Length": "Content-Length: -1\r\n",
            "huge Content-Length": "Content-Length: 99999999999999999999999\r\n",
            "oversized header": f"Content-Length: {len(body)}\r\nX-Big: {'x' * 70000}\r\n",
            "many headers": f"Content-Length: {len(body)}\r\n" + "X-A: b\r\n" * 2000,
            "header without colon": f"Content-Length: {len(body)}\r\nBroken header\r\n",
            "NUL in header": f"Content-Length: {len(body)}\r\nX-A: a\x00b\r\n",
        }
        for name, extra in cases.items():
            status = self.raw((head + extra + "\r\n").encode() + body)
            if status is not None and (status >= 500 or 200 <= status < 300):
                self.problems.append(f"transport [{name}]: {status}")
        truncated = self.raw((head + f"Content-Length: {len(body) + 50}\r\n\r\n").encode() + body)
        if truncated is not None and (truncated >= 500 or 200 <= truncated < 300):
            self.problems.append(f"transport [truncated body]: {truncated}")
        bad_chunks = self.raw((head + "Transfer-Encoding: chunked\r\n\r\nzz\r\n").encode() + body)
        if bad_chunks is not None and (bad_chunks >= 500 or 200 <= bad_chunks < 300):
            self.problems.append(f"transport [bad chunk size]: {bad_chunks}")
        duplicate_auth = self.raw((head.replace("Content-Type", "Authorization: Bearer v4.local."
                                                "forged\r\nContent-Type") +
                                   f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        if duplicate_auth is not None and (duplicate_auth >= 500 or 200 <= duplicate_auth < 300):
            self.problems.append(f"transport [two Authorization headers]: {duplicate_auth}")


if __name__ == "__main__":
    run_tests()
