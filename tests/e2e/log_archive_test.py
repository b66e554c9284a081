#!/usr/bin/python3
"""End-to-end: `filament log export` / `filament log import` (ADR 0053, issues #10 and #12).

A live server fills a log; `log export` runs beside it; `log import` loads the archive into a
fresh log (a new data dir on PostgreSQL; a new topic of the same mock cluster on Kafka); the
imported log exported again holds byte-identical records at the same positions, `replay` then
`replay --check` on the copy agree, a non-empty log and a damaged archive are refused, and a
refused import writes nothing.
Usage: log_archive_test.py --binary build/filament --log pg|kafka
"""
import os
import re
import shutil
import struct
import subprocess
import tempfile
import unittest

from filament_harness import Server, run_tests

ARGS = None
PASSWORD = "correct horse battery"


def run(args, timeout=180):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def records(path):
    """The record frames of an archive, as {(partition, offset): body} (format: ADR 0053)."""
    data = open(path, "rb").read()
    assert data[:8] == b"FLMTLOG\n", data[:8]
    at, out, kinds = 8, {}, []
    while at < len(data):
        kind, size = data[at:at + 1], struct.unpack_from("<I", data, at + 1)[0]
        body = data[at + 5:at + 5 + size]
        kinds.append(kind)
        if kind == b"R":
            partition, offset = struct.unpack_from("<iq", body, 0)
            out[(partition, offset)] = body
        at += 5 + size + 4
    assert kinds[0] == b"H" and kinds[-1] == b"T", kinds[:1] + kinds[-1:]
    return out


class LogArchiveTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(ARGS.binary, log=ARGS.log).start()
        self.tmp = tempfile.mkdtemp(prefix="filament-archive-", dir="/tmp")
        self.copy_dir = tempfile.mkdtemp(prefix="filament-copy-", dir="/tmp")
        s = self.server
        s.request("POST", "/auth/register", {"username": "alice", "password": PASSWORD})
        token = s.request("POST", "/auth/login", {"username": "alice", "password": PASSWORD})[1]["access_token"]
        gid = s.request("POST", "/guilds", {"name": "Arch", "visibility": "public"}, token=token)[1]["guild_id"]
        cid = s.request("POST", f"/guilds/{gid}/channels", {"name": "general"}, token=token)[1]["channel_id"]
        for i in range(25):
            status = s.request("POST", f"/guilds/{gid}/channels/{cid}/messages",
                                  {"content": f"m{i} é ✓"}, token=token)[0]
            self.assertEqual(status, 200)

    def tearDown(self):
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree(self.copy_dir, ignore_errors=True)

    def copy_storage(self):
        args = ["--data-dir", self.copy_dir]
        if self.server.bootstrap:
            args += ["--kafka-brokers", self.server.bootstrap, "--kafka-topic", "filament.copy"]
        return args

    def test_export_import_round_trip(self):
        archive = os.path.join(self.tmp, "log.flog")
        out = run([ARGS.binary, "log", "export", *self.server.storage_args(), "--to", archive])
        self.assertEqual(out.returncode, 0, out.stderr)
        count = int(re.search(r"exported (\d+) records", out.stdout).group(1))
        # 1 user + its login session + guild + channel + 25 messages
        self.assertEqual(count, 29, out.stdout)
        self.assertFalse(os.path.exists(archive + ".partial"))
        source = records(archive)
        self.assertEqual(len(source), count)
        piped = os.path.join(self.tmp, "piped.flog")
        with open(piped, "wb") as sink:  # `--to -`: the archive on stdout, the counts on stderr
            out = subprocess.run([ARGS.binary, "log", "export", *self.server.storage_args(), "--to", "-"],
                                 stdout=sink, stderr=subprocess.PIPE, text=False, timeout=180)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"exported", out.stderr)
        self.assertTrue(set(source.items()) <= set(records(piped).items()))  # the server lives on

        # --partitions is ignored: the log takes the archive's count (4).
        imported = run([ARGS.binary, "log", "import", *self.copy_storage(), "--partitions", "2",
                        "--from", archive])
        self.assertEqual(imported.returncode, 0, imported.stderr)
        self.assertIn(f"imported {count} records", imported.stdout)

        again = os.path.join(self.tmp, "copy.flog")
        out = run([ARGS.binary, "log", "export", *self.copy_storage(), "--to", again])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(records(again), source)  # same positions, same bytes

        replay = run([ARGS.binary, "replay", *self.copy_storage()])
        self.assertEqual(replay.returncode, 0, replay.stdout + replay.stderr)
        check = run([ARGS.binary, "replay", "--check", *self.copy_storage()])
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertNotIn("DIFF", check.stdout)

        # Into a log that is no longer empty: refused, nothing written.
        refused = run([ARGS.binary, "log", "import", *self.copy_storage(), "--from", archive])
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("not empty", refused.stderr)

    def test_damaged_archive_is_refused_before_anything_is_written(self):
        archive = os.path.join(self.tmp, "log.flog")
        out = run([ARGS.binary, "log", "export", *self.server.storage_args(), "--to", archive])
        self.assertEqual(out.returncode, 0, out.stderr)
        data = bytearray(open(archive, "rb").read())
        for name, bad in (("truncated", data[:-7]), ("flipped", data[:200] + bytes([data[200] ^ 1]) + data[201:])):
            path = os.path.join(self.tmp, name + ".flog")
            open(path, "wb").write(bytes(bad))
            result = run([ARGS.binary, "log", "import", *self.copy_storage(), "--from", path])
            self.assertEqual(result.returncode, 1, result.stdout)
            self.assertIn("archive corrupt at byte", result.stderr)
        # The log is still empty: the intact archive imports.
        result = run([ARGS.binary, "log", "import", *self.copy_storage(), "--from", archive])
        self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    run_tests()
