#!/usr/bin/python3
"""End-to-end: hCaptcha on register, against a verifier this test starts on loopback.

Usage: captcha_test.py --binary build/filament --log pg|kafka
"""
import http.server
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

from filament_harness import Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"
GOOD = "good-" + "a" * 30


class Verifier(http.server.BaseHTTPRequestHandler):
    """Answers by the token's prefix: good → success, bad → success:false, json → not JSON,
    status → 500, slow → after 5 s (past the 3 s timeout)."""
    seen = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        Verifier.seen.append(form)
        token = form.get("response", [""])[0]
        status, body = 200, b'{"success": true}'
        if token.startswith("bad"):
            body = b'{"success": false, "error-codes": ["invalid-input-response"]}'
        elif token.startswith("json"):
            body = b"<html>not json</html>"
        elif token.startswith("status"):
            status = 500
        elif token.startswith("slow"):
            time.sleep(5)
        elif token.startswith("string"):
            body = b'{"success": "true"}'
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the server gave up first (the slow case)

    def log_message(self, *args):
        pass


class Captcha(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.verifier = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Verifier)
        threading.Thread(target=cls.verifier.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{cls.verifier.server_address[1]}/siteverify"
        cls.server = Server(ARGS.binary, log=ARGS.log, env={
            "FILAMENT_HCAPTCHA_SITE_KEY": "site-key-1", "FILAMENT_HCAPTCHA_SECRET": "secret-1",
            "FILAMENT_HCAPTCHA_VERIFY_URL": url}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.verifier.shutdown()

    def register(self, name, token=None, password=PASSWORD):
        body = {"username": name, "password": password}
        if token is not None:
            body["captcha_token"] = token
        return self.server.request("POST", "/auth/register", body)[0:2]

    def test_every_failure_is_captcha_failed(self):
        failed = (403, {"error": "captcha_failed"})
        for token in (None, "", "short", "x" * 4097, "has space" + "a" * 20, "bad-" + "a" * 30,
                      "json-" + "a" * 30, "status-" + "a" * 30, "string-" + "a" * 30):
            self.assertEqual(self.register("cap_user", token), failed, token)
        started = time.time()
        self.assertEqual(self.register("cap_user", "slow-" + "a" * 30), failed)
        self.assertLess(time.time() - started, 4.9)  # the 3 s timeout, not the verifier's 5 s
        # Checked before the fields: a bad password with a bad token is still captcha_failed.
        self.assertEqual(self.register("cap_user", None, password="short"), failed)
        self.assertEqual(self.server.request("POST", "/auth/login",
                                             {"username": "cap_user", "password": PASSWORD})[0], 401)

    def test_good_token_registers_and_the_form_is_complete(self):
        Verifier.seen.clear()
        self.assertEqual(self.register("cap_good", GOOD), (200, {"accepted": True}))
        form = Verifier.seen[-1]
        self.assertEqual((form["secret"], form["sitekey"], form["response"]), (["secret-1"], ["site-key-1"], [GOOD]))
        self.assertEqual(form["remoteip"], ["127.0.0.1"])
        self.assertEqual(self.server.request("POST", "/auth/login",
                                             {"username": "cap_good", "password": PASSWORD})[0], 200)
        self.assertEqual(self.register("no spaces!", GOOD), (400, {"error": "invalid_request"}))

    def test_start_up_validation(self):
        for env in ({"FILAMENT_HCAPTCHA_SITE_KEY": "only-key"},
                    {"FILAMENT_HCAPTCHA_SECRET": "only-secret"},
                    {"FILAMENT_HCAPTCHA_SITE_KEY": "k", "FILAMENT_HCAPTCHA_SECRET": "s",
                     "FILAMENT_HCAPTCHA_VERIFY_URL": "http://example.com/siteverify"}):
            with tempfile.TemporaryDirectory() as data_dir:
                result = subprocess.run([ARGS.binary, "serve", "--listen", "127.0.0.1:0",
                                         "--data-dir", data_dir], env=env, capture_output=True,
                                        text=True, timeout=60)
            self.assertNotEqual(result.returncode, 0, env)
            self.assertIn("hcaptcha", result.stderr.lower() + result.stdout.lower(), env)


if __name__ == "__main__":
    run_tests()
