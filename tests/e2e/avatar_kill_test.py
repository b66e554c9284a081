#!/usr/bin/python3
"""End-to-end: `filament serve` is SIGKILLed in the middle of 20 concurrent avatar uploads.
After a restart every upload that answered 200 downloads intact, no partial object is ever
served (every 200 download is exactly one uploaded image, with its own ETag), and the read
models still rebuild equal (`replay --check`).

Usage: avatar_kill_test.py --binary build/filament --log pg|kafka
"""
import hashlib
import json
import socket
import subprocess
import threading
import time
import unittest

import sample_media
from filament_harness import Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"
UPLOADS = 20
SIZE = 2 * 1024 * 1024 - 4096


def upload(port, token, data):
    """One raw upload; returns the status, or None when the server died under it."""
    head = (f"POST /users/me/profile/avatar HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: image/png\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
            conn.sendall(head)
            for i in range(0, len(data), 16384):
                conn.sendall(data[i:i + 16384])
                time.sleep(0.002)  # spread the bodies out so the kill lands mid-stream
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                reply += chunk
            return int(reply.split(b" ")[1])
    except OSError:
        return None


class AvatarKill(unittest.TestCase):
    def test_kill_during_concurrent_uploads(self):
        server = Server(ARGS.binary, log=ARGS.log).start()
        try:
            self.run_scenario(server)
        finally:
            server.stop()

    def run_scenario(self, server):
        users = []
        for i in range(UPLOADS):
            name = f"kill_{i}"
            server.request("POST", "/auth/register", {"username": name, "password": PASSWORD})
            tokens = server.request("POST", "/auth/login", {"username": name, "password": PASSWORD})[1]
            me = server.request("GET", "/auth/me", token=tokens["access_token"])[1]
            image = sample_media.png(noise=(b"%02d" % i) * ((SIZE - 200) // 2))
            users.append((me["user_id"], tokens["access_token"], image))
        results = [None] * UPLOADS
        port = server.port

        def run(i):
            results[i] = upload(port, users[i][1], users[i][2])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(UPLOADS)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        server.kill()  # SIGKILL (every role in cluster mode): no shutdown path runs
        for t in threads:
            t.join()
        answered = [i for i, status in enumerate(results) if status == 200]
        print(f"avatar_kill: {len(answered)} of {UPLOADS} uploads answered 200 before the kill")

        server.restart()
        images = {hashlib.sha256(image).hexdigest(): image for _, _, image in users}
        for i, (user_id, _, image) in enumerate(users):
            status, headers, body = server.raw_request(
                f"GET /users/{user_id}/avatar HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            if i in answered:
                self.assertEqual(status, 200, i)
                self.assertEqual(body, image, i)
            else:
                self.assertIn(status, (200, 404), i)
            if status == 200:  # never a partial or foreign object
                digest = hashlib.sha256(body).hexdigest()
                self.assertEqual(headers["etag"], f'"{digest}"')
                self.assertEqual(images.get(digest), body)
                self.assertEqual(body, image)
        check = subprocess.run([ARGS.binary, "replay", "--check", *server.storage_args()],
                               capture_output=True, text=True, timeout=300)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertNotIn("DIFF", check.stdout)
        # The server still takes uploads after the crash.
        user_id, token, image = users[0]
        self.assertEqual(upload(server.port, token, image), 200)


if __name__ == "__main__":
    run_tests()
