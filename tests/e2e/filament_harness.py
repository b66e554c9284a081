"""Starts the built `filament` binary (and, for Kafka, `filament kafka-mock`) for e2e tests.

Everything runs on loopback with ephemeral ports and a fresh temporary data directory (the
embedded PostgreSQL lives there); every process is stopped and the directory removed on exit.
Uses only the standard library plus Debian's python3-websockets (run with /usr/bin/python3).
"""
import argparse
import json
import os
import re
import shutil
import sys
import unittest
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request


# How AddressSanitizer, LeakSanitizer and UBSan begin a report.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error: ")


class Server:
    def __init__(self, binary, log="pg", env=None, extra_args=()):
        self.binary = binary
        self.log = log
        self.env = dict(os.environ, **(env or {}))
        self.extra_args = list(extra_args)
        self.data_dir = tempfile.mkdtemp(prefix="filament-e2e-", dir="/tmp")
        os.chmod(self.data_dir, 0o755)
        self.mock = None
        self.proc = None
        self._drainer = None
        self.port = None
        self.output = []

    def start(self):
        self.bootstrap = None
        if self.log == "kafka":
            self.mock = subprocess.Popen([self.binary, "kafka-mock"], stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, text=True)
            self.bootstrap = self.mock.stdout.readline().strip()
            if not self.bootstrap:
                raise RuntimeError("kafka-mock printed no bootstrap address")
        return self.start_server(self.bootstrap)

    def storage_args(self):
        """The flags that point another `filament` subcommand at this server's storage."""
        args = ["--data-dir", self.data_dir]
        if self.bootstrap:
            args += ["--kafka-brokers", self.bootstrap]
        return args

    def start_server(self, bootstrap):
        args = [self.binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir]
        if bootstrap:
            args += ["--kafka-brokers", bootstrap]
        self.proc = subprocess.Popen(args + self.extra_args, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, env=self.env)
        deadline = time.time() + 90
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            match = re.search(r"listening on port (\d+)", line)
            if match:
                self.port = int(match.group(1))
                self._drainer = threading.Thread(target=self._drain, daemon=True)
                self._drainer.start()
                return self
        raise RuntimeError("server did not start:\n" + "".join(self.output))

    def _drain(self):
        for line in self.proc.stdout:
            self.output.append(line)

    def restart(self):
        """Stops the server (keeping its data dir and the Kafka mock) and starts it again."""
        self._stop_server()
        self._raise_on_sanitizer_report()
        self.output = []
        return self.start_server(self.bootstrap)

    def stop(self):
        self._stop_server()
        if self.mock and self.mock.poll() is None:
            self.mock.terminate()
            self.mock.wait(timeout=10)
            self.mock.stdout.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self._raise_on_sanitizer_report()

    def _raise_on_sanitizer_report(self):
        """A sanitizer build (tools/dev/asan.sh) reports to the server's output: fail on it."""
        text = "".join(self.output)
        for marker in SANITIZER_MARKERS:
            at = text.find(marker)
            if at >= 0:
                start = text.rfind("\n", 0, at) + 1
                raise AssertionError("the server reported a sanitizer finding:\n" +
                                     text[start:start + 8000])

    def _stop_server(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._drainer:
            self._drainer.join(timeout=10)  # the rest of the output (a sanitizer report) is read
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, token=None, raw=None, headers=None):
        """Returns (status, parsed JSON body or None, headers)."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None and (headers is None or "Content-Type" not in headers):
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, _json(resp.read()), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, _json(err.read()), dict(err.headers)


def _json(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def run_tests(with_log=True):
    """Parses --binary (and --log pg|kafka), runs the calling module's unittest cases, and
    returns the parsed arguments through the module's ARGS global before the tests start."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    if with_log:
        parser.add_argument("--log", choices=["pg", "kafka"], default="pg")
    args, rest = parser.parse_known_args()
    sys.modules["__main__"].ARGS = args
    unittest.main(module="__main__", argv=[sys.argv[0]] + rest, verbosity=2)
