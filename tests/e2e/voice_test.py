#!/usr/bin/python3
"""End-to-end: voice (REST_API.md §4.14, GATEWAY.md §8, ADR 0054) — LiveKit tokens checked by
LiveKit's own SDK, participant events to channel subscribers, voice_participant_sync, the media
limiters and caps (lowered through FILAMENT_* settings), mute/deafen, leave, move, expiry after
the TTL, removal on the last connection closing, on kick and on permission loss.

Usage: voice_test.py --binary build/filament --log pg|kafka
"""
import asyncio
import json
import os
import subprocess
import time
import unittest

import websockets

from filament_harness import ROOT, Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"
UNKNOWN = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
KEY, SECRET = "devkey", "voice-e2e-secret-of-at-least-32-bytes"
VERIFY = os.path.join(ROOT, "tools", "livekit", "verify_token.mjs")
LIVEKIT_ENV = {"FILAMENT_LIVEKIT_API_KEY": KEY, "FILAMENT_LIVEKIT_API_SECRET": SECRET,
               "FILAMENT_LIVEKIT_URL": "wss://livekit.invalid"}


GRACE_MS = 1500  # FILAMENT_VOICE_DISCONNECT_GRACE_MS for the Voice cases (ADR 0081)


class VoiceBase(unittest.TestCase):
    ENV = {}
    USERS = ["owner", "member", "watcher", "third", "outsider"]

    @classmethod
    def setUpClass(cls):
        env = dict(LIVEKIT_ENV, FILAMENT_MAX_CREATED_GUILDS_PER_USER="50", **cls.ENV)
        cls.server = Server(ARGS.binary, log=ARGS.log, env=env).start()
        cls.tokens, cls.ids = {}, {}
        for name in cls.USERS:
            cls.server.request("POST", "/auth/register", {"username": name, "password": PASSWORD})
            status, body, _ = cls.server.request("POST", "/auth/login",
                                                 {"username": name, "password": PASSWORD})
            assert status == 200, body
            cls.tokens[name] = body["access_token"]
            cls.ids[name] = cls.server.request("GET", "/auth/me", token=cls.tokens[name])[1]["user_id"]

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def expect(self, who, method, path, status, body=None, error=None, raw=None):
        got, reply, _ = self.server.request(method, path, body, token=self.tokens.get(who), raw=raw)
        self.assertEqual(got, status, f"{who} {method} {path}: {reply}")
        if error is not None:
            self.assertEqual(reply, {"error": error})
        return reply

    def workspace(self, name, channels=1):
        gid = self.expect("owner", "POST", "/guilds", 200, {"name": name, "visibility": "public"})["guild_id"]
        cids = [self.expect("owner", "POST", f"/guilds/{gid}/channels", 200,
                            {"name": f"voice{i}", "kind": "voice"})["channel_id"] for i in range(channels)]
        for who in ["member", "watcher", "third"]:
            self.expect(who, "POST", f"/guilds/{gid}/join", 200)
        return gid, cids

    def token(self, who, gid, cid, status=200, body=None, error=None):
        return self.expect(who, "POST", f"/guilds/{gid}/channels/{cid}/voice/token", status,
                           {"can_subscribe": True} if body is None else body, error)

    def leave(self, who, gid, cid):
        self.expect(who, "POST", f"/guilds/{gid}/channels/{cid}/voice/leave", 204)

    def ws_url(self, who):
        return f"ws://127.0.0.1:{self.server.port}/gateway/ws?access_token={self.tokens[who]}"

    async def subscribe(self, ws, gid, cid):
        """Subscribes and returns the voice_participant_sync that ends the sequence."""
        await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": gid, "channel_id": cid}}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if frame["t"] == "voice_participant_sync" and frame["d"]["channel_id"] == cid:
                return frame["d"]

    async def frames_until(self, ws, done, timeout=15):
        frames = []
        deadline = time.monotonic() + timeout
        while not done(frames):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out; got {[(t, d.get('channel_id')) for t, d in frames]}")
            frame = json.loads(await asyncio.wait_for(ws.recv(), left))
            if frame["t"].startswith("voice_"):
                frames.append((frame["t"], frame["d"]))
        return frames

    async def frames_for(self, ws, seconds):
        """The voice frames `ws` receives in the next `seconds`."""
        frames = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), left))
            except asyncio.TimeoutError:
                break
            if frame["t"].startswith("voice_"):
                frames.append((frame["t"], frame["d"]))
        return frames

    def watch(self, gid, cids, actions, done, who="watcher", timeout=15):
        """`who` subscribes to `cids`, `actions` run, voice frames are collected until `done`."""
        async def run():
            async with websockets.connect(self.ws_url(who), max_size=2**20) as ws:
                await asyncio.wait_for(ws.recv(), 10)  # ready
                for cid in cids:
                    await self.subscribe(ws, gid, cid)
                for action in actions:
                    await asyncio.get_running_loop().run_in_executor(None, action)
                return await self.frames_until(ws, done, timeout)
        return asyncio.run(run())

    def sync(self, gid, cid, who="watcher"):
        async def run():
            async with websockets.connect(self.ws_url(who), max_size=2**20) as ws:
                await asyncio.wait_for(ws.recv(), 10)
                return await self.subscribe(ws, gid, cid)
        return asyncio.run(run())

    def participants_after(self, gid, cid, check, timeout=10):
        """The participants of a voice_participant_sync once `check` holds for them. A sync
        reflects the log as far as its gateway process has read it; in the cluster recipe the
        next connection may reach a gateway that has not yet read what another one delivered,
        so this subscribes again (a new connection) until the state arrives or time is up."""
        deadline = time.monotonic() + timeout
        while True:
            participants = self.sync(gid, cid)["participants"]
            if check(participants) or time.monotonic() > deadline:
                return participants
            time.sleep(0.1)


def has(kind, count=1):
    return lambda frames: sum(1 for t, _ in frames if t == kind) >= count


class Voice(VoiceBase):
    ENV = {"FILAMENT_MEDIA_TOKEN_REQUESTS_PER_MINUTE": "4",
           "FILAMENT_MEDIA_PUBLISH_REQUESTS_PER_MINUTE": "2",
           "FILAMENT_MAX_TRACKED_VOICE_PARTICIPANTS_PER_CHANNEL": "2",
           "FILAMENT_MAX_TRACKED_VOICE_CHANNELS": "3",
           "FILAMENT_VOICE_SWEEP_INTERVAL_SECS": "1",
           "FILAMENT_VOICE_DISCONNECT_GRACE_MS": str(GRACE_MS)}

    def test_token_events_sync_audit_and_livekit_sdk(self):
        gid, [cid] = self.workspace("Tokens")
        self.assertEqual(self.sync(gid, cid)["participants"], [])
        replies = {}
        frames = self.watch(gid, [cid], [lambda: replies.update(member=self.token(
            "member", gid, cid, body={"can_subscribe": True,
                                      "publish_sources": ["microphone", "camera", "microphone"]}))],
                            has("voice_stream_publish"))
        reply = replies["member"]
        identity = f"u.{self.ids['member']}.{gid}.{cid}"
        self.assertEqual({k: v for k, v in reply.items() if k != "token"}, {
            "livekit_url": "wss://livekit.invalid", "room": f"filament.voice.{gid}.{cid}",
            "identity": identity, "can_publish": True, "can_subscribe": True,
            "publish_sources": ["microphone"], "expires_in_secs": 300})
        self.assertEqual([t for t, _ in frames], ["voice_participant_join", "voice_stream_publish"])
        joined = frames[0][1]["participant"]
        self.assertEqual((joined["user_id"], joined["identity"], joined["is_muted"],
                          joined["is_video_enabled"]), (self.ids["member"], identity, False, False))
        self.assertEqual(frames[1][1]["stream"], "microphone")
        # LiveKit's own SDK accepts the token and reads back the grant the response names.
        checked = subprocess.run(["node", VERIFY, KEY, SECRET, reply["token"]],
                                 capture_output=True, text=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stderr)
        claims = json.loads(checked.stdout)
        self.assertEqual((claims["iss"], claims["sub"], claims["name"]), (KEY, identity, "member"))
        self.assertEqual(claims["exp"] - claims["nbf"], 300)
        self.assertEqual(claims["video"], {"roomJoin": True, "room": reply["room"], "canPublish": True,
                                           "canSubscribe": True, "canPublishData": True,
                                           "canPublishSources": ["microphone"]})
        wrong = subprocess.run(["node", VERIFY, KEY, SECRET + "x", reply["token"]],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(wrong.returncode, 1)
        # The owner may publish camera and screen; can_publish:false leaves only subscribe.
        owner = self.token("owner", gid, cid, body={"publish_sources": ["screen_share", "camera"]})
        self.assertEqual((owner["publish_sources"], owner["can_subscribe"]), (["camera", "screen_share"], False))
        listen = self.token("owner", gid, cid, body={"can_publish": False, "can_subscribe": True})
        self.assertEqual((listen["can_publish"], listen["publish_sources"]), (False, []))
        participants = self.participants_after(gid, cid, lambda ps: len(ps) == 2)
        # Join time has one-second resolution; a tie falls back to the identity.
        self.assertEqual(sorted(p["user_id"] for p in participants),
                         sorted([self.ids["member"], self.ids["owner"]]))
        self.assertEqual(participants, sorted(participants,
                                              key=lambda p: (p["joined_at_unix"], p["identity"])))
        audit = self.expect("owner", "GET", f"/guilds/{gid}/audit?action_prefix=media.token", 200)
        self.assertEqual(len(audit["events"]), 3)
        self.assertEqual(audit["events"][0]["action"], "media.token.issue")
        frames = self.watch(gid, [cid], [lambda: self.leave("member", gid, cid),
                                         lambda: self.leave("member", gid, cid),
                                         lambda: self.leave("owner", gid, cid)],
                            has("voice_participant_leave", 2))
        self.assertEqual([t for t, _ in frames], ["voice_stream_unpublish", "voice_participant_leave",
                                                  "voice_participant_leave"])
        self.assertEqual(self.participants_after(gid, cid, lambda ps: ps == []), [])

    def test_errors_in_contract_order(self):
        gid, [cid] = self.workspace("Errors")
        path = f"/guilds/{gid}/channels/{cid}/voice"
        self.expect(None, "POST", path + "/token", 401, {}, "invalid_credentials")
        self.expect(None, "POST", path + "/state", 400, {}, "invalid_request")  # before auth
        self.expect("member", "POST", path + "/state", 422, {"is_muted": 1})
        self.expect("member", "POST", path + "/token", 422, {"publish_sources": ["radio"]})
        self.expect("member", "POST", path + "/token", 422, {"extra": True})
        self.expect(None, "POST", path + "/leave", 401, None, "invalid_credentials")
        self.expect("member", "POST", f"/guilds/{gid}/channels/{UNKNOWN}/voice/token", 404, {}, "not_found")
        self.expect("member", "POST", path + "/token", 400, {"can_publish": False}, "invalid_request")
        # The token limiter (4/min per ip+user+guild+channel) runs before the permission check.
        for _ in range(4):
            self.expect("outsider", "POST", path + "/token", 403, {}, "forbidden")
        self.expect("outsider", "POST", path + "/token", 429, {}, "rate_limited")
        self.expect("member", "POST", path + "/leave", 204)  # not a participant: still 204
        self.expect("outsider", "POST", path + "/leave", 204)  # no membership check
        self.expect("member", "POST", path + "/state", 204, {"is_muted": True})  # not a participant

    def test_publish_limiter_only_for_camera_and_screen(self):
        gid, [cid, other] = self.workspace("Publish", channels=2)
        media = {"publish_sources": ["microphone", "camera"]}
        self.token("owner", gid, cid, body=media)
        self.token("owner", gid, cid, body=media)
        self.token("owner", gid, cid, status=429, body=media, error="rate_limited")
        self.token("owner", gid, cid, body={"publish_sources": ["microphone"]})  # no camera: no limit
        # A member's camera is filtered out, so the publish limiter does not apply.
        for _ in range(3):
            self.token("member", gid, other, body=media)
        self.leave("owner", gid, cid)
        self.leave("member", gid, other)

    def test_caps(self):
        gid, cids = self.workspace("Caps", channels=4)
        self.token("owner", gid, cids[0])
        self.token("member", gid, cids[0])
        self.token("third", gid, cids[0], status=429, error="rate_limited")  # 2 per channel
        self.token("member", gid, cids[0])  # a participant re-issues in its channel
        self.token("third", gid, cids[1])
        self.token("watcher", gid, cids[2])
        self.token("outsider", gid, cids[3], status=403, error="forbidden")
        self.expect("outsider", "POST", f"/guilds/{gid}/join", 200)
        self.token("outsider", gid, cids[3], status=429, error="rate_limited")  # 3 channels tracked
        self.leave("watcher", gid, cids[2])
        self.token("outsider", gid, cids[3])
        for who, cid in [("owner", 0), ("member", 0), ("third", 1), ("outsider", 3)]:
            self.leave(who, gid, cids[cid])

    def test_mute_deafen_state(self):
        gid, [cid] = self.workspace("State")
        path = f"/guilds/{gid}/channels/{cid}/voice/state"
        self.token("member", gid, cid)
        frames = self.watch(gid, [cid], [
            lambda: self.expect("member", "POST", path, 204, {"is_muted": True}),
            lambda: self.expect("member", "POST", path, 204, {"is_muted": True}),  # no change
            lambda: self.expect("member", "POST", path, 204, {"is_muted": True, "is_deafened": True}),
        ], has("voice_participant_update", 2))
        # Only the updates: a gateway process that trails the log (the cluster recipe) may
        # deliver the join after this subscribe.
        self.assertEqual([d["updated_fields"] for t, d in frames if t == "voice_participant_update"],
                         [{"is_muted": True}, {"is_deafened": True}])
        [p] = self.participants_after(gid, cid, lambda ps: len(ps) == 1 and ps[0]["is_deafened"])
        self.assertEqual((p["is_muted"], p["is_deafened"]), (True, True))
        self.leave("member", gid, cid)

    def test_move_between_channels(self):
        gid, [one, two] = self.workspace("Move", channels=2)
        self.token("member", gid, one, body={"publish_sources": ["microphone"]})
        frames = self.watch(gid, [one, two], [lambda: self.token("member", gid, two)],
                            has("voice_stream_publish"))
        self.assertEqual([(t, d["channel_id"]) for t, d in frames], [
            ("voice_stream_unpublish", one), ("voice_participant_leave", one),
            ("voice_participant_join", two), ("voice_stream_publish", two)])
        self.assertEqual(self.participants_after(gid, one, lambda ps: ps == []), [])
        self.leave("member", gid, two)

    def test_removed_when_the_last_connection_closes(self):
        gid, [cid] = self.workspace("Disconnect")

        async def run():
            async with websockets.connect(self.ws_url("watcher"), max_size=2**20) as watcher:
                await asyncio.wait_for(watcher.recv(), 10)
                await self.subscribe(watcher, gid, cid)
                first = await websockets.connect(self.ws_url("member"))
                second = await websockets.connect(self.ws_url("member"))
                await asyncio.wait_for(first.recv(), 10)
                await asyncio.wait_for(second.recv(), 10)
                await asyncio.get_running_loop().run_in_executor(None, lambda: self.token("member", gid, cid))
                await self.frames_until(watcher, has("voice_participant_join"))
                await first.close()
                await asyncio.sleep(1.5)
                self.assertEqual(len((await self.subscribe(watcher, gid, cid))["participants"]), 1)
                await second.close()  # the last one
                # The web client's channel switch: a new connection a moment later keeps the
                # participant past the grace (ADR 0081).
                await asyncio.sleep(0.2)
                third = await websockets.connect(self.ws_url("member"))
                await asyncio.wait_for(third.recv(), 10)
                quiet = await self.frames_for(watcher, GRACE_MS / 1000 + 1.0)
                self.assertNotIn("voice_participant_leave", [t for t, _ in quiet])
                self.assertEqual(len((await self.subscribe(watcher, gid, cid))["participants"]), 1)
                await third.close()  # the last one, for good
                closed = time.monotonic()
                frames = await self.frames_until(watcher, has("voice_participant_leave"))
                return frames, time.monotonic() - closed
        frames, waited = asyncio.run(run())
        self.assertEqual(frames[-1][1]["user_id"], self.ids["member"])
        self.assertGreaterEqual(waited, GRACE_MS / 1000 - 0.1)

    def test_removed_when_kicked(self):
        gid, [cid] = self.workspace("Kick")
        self.token("third", gid, cid)
        frames = self.watch(gid, [cid], [lambda: self.expect(
            "owner", "POST", f"/guilds/{gid}/members/{self.ids['third']}/kick", 200)],
            has("voice_participant_leave"))
        self.assertEqual(frames[-1][1]["user_id"], self.ids["third"])
        self.expect("third", "POST", f"/guilds/{gid}/join", 200)

    def test_removed_on_permission_loss(self):
        gid, [cid] = self.workspace("Permission")
        self.token("member", gid, cid)
        deny = {"allow": [], "deny": ["create_message"]}
        frames = self.watch(gid, [cid], [lambda: self.expect(
            "owner", "POST",
            f"/guilds/{gid}/channels/{cid}/permission-overrides/member/{self.ids['member']}", 200, deny)],
            has("voice_participant_leave"))
        self.assertEqual(frames[-1][1]["user_id"], self.ids["member"])


class VoiceExpiry(VoiceBase):
    ENV = {"FILAMENT_LIVEKIT_TOKEN_TTL_SECS": "2", "FILAMENT_VOICE_SWEEP_INTERVAL_SECS": "1"}

    def test_participants_go_after_the_ttl(self):
        gid, [cid] = self.workspace("Expiry")
        started = time.monotonic()
        frames = self.watch(gid, [cid], [lambda: self.token("member", gid, cid)],
                            has("voice_participant_leave"))
        self.assertLess(time.monotonic() - started, 12)
        self.assertEqual([t for t, _ in frames], ["voice_participant_join", "voice_stream_publish",
                                                  "voice_stream_unpublish", "voice_participant_leave"])
        self.assertEqual(self.participants_after(gid, cid, lambda ps: ps == []), [])

    def test_z_unconfigured_livekit_is_500(self):
        gid, [cid] = self.workspace("Unconfigured")
        for name in LIVEKIT_ENV:
            self.server.env.pop(name, None)
        self.server.restart()
        for name in self.USERS:
            _, body, _ = self.server.request("POST", "/auth/login", {"username": name, "password": PASSWORD})
            self.tokens[name] = body["access_token"]
        self.token("member", gid, cid, status=500, error="internal_error")
        self.token("outsider", gid, cid, status=403, error="forbidden")  # access before LiveKit


if __name__ == "__main__":
    run_tests()
