#!/usr/bin/python3
"""tools/dev/deb-trial.sh: post a marker message before the package upgrade, check it after.

  deb_trial_marker.py post URL FILE    registers a user, makes a workspace and channel, posts a
                                       message; writes what to check to FILE (JSON)
  deb_trial_marker.py check URL FILE   logs in with the same password and finds the message
"""
import json
import sys
import time
import urllib.error
import urllib.request

PASSWORD = "upgrade keeps data"


def call(base, method, path, body=None, token=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def expect(result, what):
    status, body = result
    if status != 200:
        sys.exit(f"deb_trial_marker: {what}: {status} {body}")
    return body


def login(base, username):
    body = expect(call(base, "POST", "/auth/login", {"username": username, "password": PASSWORD}),
                  "login " + username)
    return body["access_token"]


def post(base, path):
    username = "keeper%d" % (int(time.time()) % 100000)
    expect(call(base, "POST", "/auth/register", {"username": username, "password": PASSWORD}),
           "register")
    token = login(base, username)
    guild = expect(call(base, "POST", "/guilds", {"name": "Upgrade", "visibility": "private"},
                        token=token), "create guild")
    channel = expect(call(base, "POST", f"/guilds/{guild['guild_id']}/channels",
                          {"name": "kept"}, token=token), "create channel")
    message = expect(call(base, "POST",
                          f"/guilds/{guild['guild_id']}/channels/{channel['channel_id']}/messages",
                          {"content": "posted before the upgrade"}, token=token), "post")
    with open(path, "w") as out:
        json.dump({"username": username, "guild_id": guild["guild_id"],
                   "channel_id": channel["channel_id"], "message": message}, out)
    print(f"deb_trial_marker: {username} posted {message['message_id']}")


def check(base, path):
    with open(path) as f:
        marker = json.load(f)
    token = login(base, marker["username"])
    history = expect(call(base, "GET", f"/guilds/{marker['guild_id']}/channels/"
                          f"{marker['channel_id']}/messages", token=token), "history")
    if marker["message"] not in history["messages"]:
        sys.exit(f"deb_trial_marker: message {marker['message']['message_id']} is gone: {history}")
    print(f"deb_trial_marker: {marker['username']} logged in; {marker['message']['message_id']} kept")


if __name__ == "__main__":
    {"post": post, "check": check}[sys.argv[1]](sys.argv[2].rstrip("/"), sys.argv[3])
