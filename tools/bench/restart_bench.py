#!/usr/bin/env python3
"""Restart-to-ready time of `filament serve` versus log length, without and with command-side
snapshots (ADR 0078; docs/performance.md, "Restart time and snapshots").

For each size: log_gen writes an archive of N events, `filament log import` loads it into a
fresh data dir (embedded PostgreSQL log, or the Kafka mock with --kafka), a first start lets the
read models catch up, then the server is restarted --runs times with snapshots off (none stored
yet), then once with snapshots on until one is saved, then --runs times resuming from it.
Both the first 200 of GET /health (the HTTP server accepts requests only after every start-time
fold) and of GET /ready (ADR 0076) are timed, and the `filament: start:` lines give each stage. Prints the time of each run, the command side's own fold time (its log line),
and the load average beside each row (the machine is shared).

  tools/bench/restart_bench.sh [--sizes 100000,1000000,5000000] [--runs 2] [--kafka]
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


# Log lines that mark the end of a start-time stage (what the start spends its time on).
STAGES = [("storage", r"start: storage open"),
          ("snapshot loaded", r"snapshot: loaded snapshot"),
          ("command state", r"start: command state"),
          ("gateway bridge", r"start: gateway log bridge"),
          ("search", r"start: search index"),
          ("listening", r"listening on port")]


TABLE = []  # (events, run, /health s, /ready s, (tail, fold ms), stages, loadavg)


def print_table():
    print("\n| events | run | /health s | /ready s | command state | stages (s since exec) | loadavg |")
    print("|---:|---|---:|---:|---|---|---|")
    for n, what, health, ready, (tail, fold_ms), stages, load in TABLE:
        print(f"| {n:,} | {what} | {health:.2f} | {ready:.2f} | {fold_ms} ms, {tail} tail records "
              f"| {stages} | {load} |")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class Server:
    def __init__(self, binary, data_dir, brokers, env):
        self.output = []
        self.stamped = []
        args = [binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir]
        if brokers:
            args += ["--kafka-brokers", brokers]
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        self.port = None
        self.listening = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.output.append(line)
            self.stamped.append((time.monotonic() - self.t0, line))
            m = re.search(r"listening on port (\d+)", line)
            if m:
                self.port = int(m.group(1))
                self.listening.set()

    def _wait_200(self, path):
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                    if r.status == 200:
                        return time.monotonic() - self.t0
            except OSError:
                pass
            time.sleep(0.01)

    def wait_ready(self, timeout=900):
        """(seconds to the first 200 of /health, of /ready) since the process was started."""
        if not self.listening.wait(timeout):
            raise RuntimeError("server did not start:\n" + "".join(self.output[-30:]))
        health = self._wait_200("/health")
        return health, self._wait_200("/ready")

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=30) as r:
            return r.read().decode()

    def wait_line(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(re.search(pattern, line) for line in self.output):
                return True
            time.sleep(0.2)
        return False

    def fold_ms(self):
        for line in self.output:
            m = re.search(r"command state: folded (\d+) records after the snapshot in (\d+) ms", line)
            if m:
                return int(m.group(1)), int(m.group(2))
        return None, None

    def stages(self):
        """Seconds since process start at which each start-time stage logged its line."""
        marks = []
        for t, line in self.stamped:
            for name, pattern in STAGES:
                if re.search(pattern, line):
                    marks.append(f"{name} {t:.2f}")
        return ", ".join(marks)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)


def wait_projections(server, timeout):
    """Until the projection counters stop moving for 5 s (the read models caught up)."""
    last, stable_since, deadline = None, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        counters = re.findall(r"^filament_projection_records_(?:applied|skipped)_total\S* (\d+)",
                              server.metrics(), re.M)
        total = sum(int(c) for c in counters)
        if total != last:
            last, stable_since = total, time.monotonic()
        elif time.monotonic() - stable_since >= 5:
            return total
        time.sleep(1)
    raise RuntimeError("read models did not catch up")


def run(cmd, **kw):
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.monotonic() - t0


def bench_size(o, n, tmp, brokers_for):
    archive = os.path.join(tmp, f"log-{n}.flmt")
    data = os.path.join(tmp, f"data-{n}")
    brokers = brokers_for(n)
    if o.imported:  # a data dir with the log imported and nothing else (PostgreSQL log only)
        gen_s, import_s = 0.0, run(["cp", "-a", o.imported, data])
    else:
        gen_s = run([o.log_gen, "--events", str(n), "--partitions", "4", "--out", archive])
        os.makedirs(data)
        os.chmod(data, 0o777)
        storage = ["--data-dir", data] + (["--kafka-brokers", brokers] if brokers else [])
        import_s = run([o.binary, "log", "import", "--from", archive] + storage)
    off = dict(os.environ, FILAMENT_SNAPSHOT_EVERY_EVENTS="0", FILAMENT_SNAPSHOT_INTERVAL_SECS="0")
    # The snapshotter saves once it has folded all n events: the restarts resume at the log's end
    # (a save on a timer could catch it half-way, and the clean shutdown's catch-up is bounded).
    on = dict(os.environ, FILAMENT_SNAPSHOT_EVERY_EVENTS=str(n), FILAMENT_SNAPSHOT_INTERVAL_SECS="0")
    first = Server(o.binary, data, brokers, off)
    first_s = first.wait_ready()[1]
    wait_projections(first, 3600)
    first.stop()
    rows = [("first start (read models catch up after)", first_s, first_s, first.fold_ms(),
             first.stages(), loadavg())]
    for _ in range(o.runs):
        s = Server(o.binary, data, brokers, off)
        rows.append(("restart, no snapshot", *s.wait_ready(), s.fold_ms(), s.stages(), loadavg()))
        s.stop()
    s = Server(o.binary, data, brokers, on)
    s.wait_ready()
    if not s.wait_line(r"snapshot: saved", 1800):
        raise RuntimeError("no snapshot saved:\n" + "".join(s.output[-20:]))
    s.stop()  # the snapshotter catches up with the log's end and saves again (ADR 0078)
    saved = [line.strip() for line in s.output if "snapshot: saved" in line][-1]
    for _ in range(o.runs):
        s = Server(o.binary, data, brokers, on)
        rows.append(("restart, snapshot", *s.wait_ready(), s.fold_ms(), s.stages(), loadavg()))
        s.stop()
    print(f"\n== {n} events: log_gen {gen_s:.1f} s, import {import_s:.1f} s; {saved}")
    TABLE.extend((n, *row) for row in rows)
    for what, health, ready, (tail, fold_ms), stages, load in rows:
        print(f"  {what:42s} /health {health:6.2f} s  /ready {ready:6.2f} s   command fold "
              f"{fold_ms} ms over {tail} records   loadavg {load}\n      stages: {stages}")
    sys.stdout.flush()
    shutil.rmtree(data, ignore_errors=True)
    if os.path.exists(archive):
        os.remove(archive)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", default="build")
    p.add_argument("--sizes", default="100000,1000000")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--kafka", action="store_true", help="the Kafka mock log instead of PostgreSQL")
    p.add_argument("--imported", help="copy this data dir (log_gen + `filament log import` of one "
                   "--sizes value, nothing else) instead of generating and importing")
    o = p.parse_args()
    o.binary = os.path.abspath(os.path.join(o.build, "filament"))
    o.log_gen = os.path.abspath(os.path.join(o.build, "log_gen"))
    tmp = tempfile.mkdtemp(prefix="restart-bench-")
    os.chmod(tmp, 0o755)
    mocks = []

    def brokers_for(n):
        """A fresh Kafka mock (its default topic) per size, or None for PostgreSQL."""
        if not o.kafka:
            return None
        mock = subprocess.Popen([o.binary, "kafka-mock"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        mocks.append(mock)
        return mock.stdout.readline().strip()

    try:
        print(f"restart_bench: {o.binary}, loadavg {loadavg()}, {os.cpu_count()} cores")
        for n in [int(x) for x in o.sizes.split(",")]:
            bench_size(o, n, tmp, brokers_for)
        print_table()
    finally:
        for mock in mocks:
            mock.terminate()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
