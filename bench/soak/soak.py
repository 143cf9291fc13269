#!/usr/bin/env python3
"""Soak: the real `tocsin run` with many threshold rules and flapping inputs for a long time,
sampling the daemon's memory (VmRSS) and CPU (utime + stime) from /proc. See bench/README.md.

    python3 bench/soak/soak.py --build build/bench [--rules 10000] [--duration 10m] [--csv FILE]
    python3 bench/soak/soak.py --check          # the short CI version: fails if memory grows

The workload: N push KPIs, one threshold rule each (warning 50, critical 90), all routed to one
webhook notifier pointing at a local receiver (Python, answers 200). Every `--interval` the
script pushes one value for every KPI (Prometheus text, one POST). Of the KPIs, `--flap` (default
2%) alternate between normal and critical every round (a firing or a resolve each round) and
as many alternate between warning and critical (a severity change each round); the rest stay
normal. So from the second round on the number of firing alerts, the notification rate and the
sample rate are constant: nothing the workload does should make memory grow after warm-up.

--check: 2,000 rules, 75 s, a round per second. RSS is sampled every second; the first 20 s are
warm-up (plugins loaded, SQLite's page cache and the allocator's arenas filled, every alert
instance created). Over the rest, the median RSS of the last third must not exceed the median of
the first third by more than 8 MiB and 10 %. Why that bound: everything the workload does
repeats every 2 rounds, so a leak grows with the work: in the 25 s between the two thirds'
medians the daemon ingests 50,000 samples and sends about 2,000 notifications; a leak of 160
bytes per sample or 4 KB per notification crosses 8 MiB, while SQLite's page cache (2 MB per
connection by default) and glibc's per-thread arenas settle within the warm-up. Medians make one
allocator hiccup (a transient arena growth that is returned) not count.
"""

import argparse
import csv
import http.client
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOKEN = "soak-token-0123456789abcdef"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def parse_duration(text):
    m = re.fullmatch(r"([0-9.]+)(s|m|h)?", text)
    if not m:
        raise argparse.ArgumentTypeError("a duration such as 90s, 10m or 1h")
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


class Receiver:
    """Counts webhook requests; answers 200."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with receiver.lock:
                    receiver.count += 1

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def kpi_name(i):
    return "soak_%05d" % i


def write_config(workdir, plugins, rules, receiver):
    lines = ["kpis:"]
    lines += ["  %s: { source: pushed }" % kpi_name(i) for i in range(rules)]
    lines.append("rules:")
    for i in range(rules):
        lines += [
            "  - alert: Soak%05d" % i,
            "    kpi: %s" % kpi_name(i),
            "    above: { warning: 50, critical: 90 }",
            '    summary: "{{ kpi }} at {{ value }} (threshold {{ threshold }})"',
        ]
    lines += ["policies:", "  page:", "    steps:", "      - notify: [hook]"]
    with open(os.path.join(workdir, "rules.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(workdir, "token"), "w") as f:
        f.write(TOKEN + "\n")
    path = os.path.join(workdir, "tocsin.yaml")
    with open(path, "w") as f:
        f.write(
            "state_dir: state\n"
            "plugin_dirs: [%s]\n"
            "rule_files: [rules.yaml]\n"
            "api: { listen: 127.0.0.1:0, token_file: token }\n"
            "sources:\n"
            "  pushed: { plugin: push }\n"
            "notifiers:\n"
            '  hook: { plugin: webhook, url: "%s", timeout: 10s, rate_limit: off }\n'
            "default_policy: page\n" % (plugins, receiver.url)
        )
    return path


def values(rules, flappers, rnd):
    """Prometheus text for round `rnd`: flappers 0..F-1 alternate normal/critical, F..2F-1
    warning/critical, the rest stay normal."""
    out = []
    for i in range(rules):
        if i < flappers:
            v = 95 if (i + rnd) % 2 == 0 else 10
        elif i < 2 * flappers:
            v = 95 if (i + rnd) % 2 == 0 else 60
        else:
            v = 10 + (i % 7)
        out.append("%s %d\n" % (kpi_name(i), v))
    return "".join(out).encode()


def proc_sample(pid):
    """(RSS bytes, CPU seconds user+system) of a process, from /proc."""
    with open("/proc/%d/statm" % pid) as f:
        rss = int(f.read().split()[1]) * PAGE
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)
    return rss, cpu


class Daemon:
    def __init__(self, binary, config, workdir, log_level):
        self.workdir = workdir
        self.log_path = os.path.join(workdir, "daemon.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "run", "-c", config, "--log-level", log_level],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir,
        )
        end = time.monotonic() + 120
        self.port = None
        while time.monotonic() < end and self.port is None:
            with open(self.log_path) as f:
                m = re.search(r"listening on http://127\.0\.0\.1:([0-9]+)", f.read())
            if m:
                self.port = int(m.group(1))
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.1)
        if self.port is None:
            raise RuntimeError("tocsin did not start; see " + self.log_path)

    def request(self, method, path, body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body, headers or {})
            answer = conn.getresponse()
            return answer.status, answer.read()
        finally:
            conn.close()

    def status(self):
        try:
            code, body = self.request("GET", "/api/v1/status", timeout=10)
            return json.loads(body) if code == 200 else None
        except (OSError, ValueError):
            return None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


def firing_count(status):
    """Firing alerts from /api/v1/status (`alerts` may count by state)."""
    if not status:
        return ""
    alerts = status.get("alerts")
    if isinstance(alerts, dict):
        return alerts.get("firing", "")
    return ""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(root, "build", "bench"),
                   help="build dir with bin/tocsin and plugins/ (default build/bench)")
    p.add_argument("--binary", help="the tocsin binary (default <build>/bin/tocsin)")
    p.add_argument("--rules", type=int, default=10000)
    p.add_argument("--duration", type=parse_duration, default=600.0, help="e.g. 90s, 10m")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between pushes")
    p.add_argument("--flap", type=float, default=0.02, help="share of KPIs in each flapping group")
    p.add_argument("--sample", type=float, default=5.0, help="seconds between /proc samples")
    p.add_argument("--csv", help="also write the samples as CSV to this file")
    p.add_argument("--log-level", default="info")
    p.add_argument("--check", action="store_true",
                   help="CI: 2,000 rules, 75 s, 1 s rounds; fail if RSS grows after warm-up")
    p.add_argument("--warmup", type=float, default=20.0, help="--check: seconds not judged")
    p.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = p.parse_args()
    if args.check:
        args.rules, args.duration, args.interval, args.sample = 2000, 75.0, 1.0, 1.0
    binary = os.path.abspath(args.binary or os.path.join(args.build, "bin", "tocsin"))
    plugins = os.path.join(os.path.dirname(os.path.dirname(binary)), "plugins")
    flappers = max(1, int(args.rules * args.flap))

    workdir = tempfile.mkdtemp(prefix="tocsin-soak-")
    receiver = Receiver()
    config = write_config(workdir, plugins, args.rules, receiver)
    print("soak: %d rules, %d flapping normal<->critical and %d warning<->critical, a push every "
          "%.1f s for %.0f s; binary %s" % (args.rules, flappers, flappers, args.interval,
                                            args.duration, binary), flush=True)
    started = time.monotonic()
    daemon = Daemon(binary, config, workdir, args.log_level)
    print("  started in %.1f s (pid %d)" % (time.monotonic() - started, daemon.proc.pid), flush=True)
    stop = threading.Event()
    pushed = {"rounds": 0, "samples": 0, "refused": 0}

    def pusher():
        rnd = 0
        next_at = time.monotonic()
        headers = {"Content-Type": "text/plain", "Authorization": "Bearer " + TOKEN}
        while not stop.is_set():
            body = values(args.rules, flappers, rnd)
            try:
                code, _ = daemon.request("POST", "/api/v1/samples", body, headers)
            except OSError:
                code = 0
            if code == 200:
                pushed["rounds"] += 1
                pushed["samples"] += args.rules
                rnd += 1
            else:
                pushed["refused"] += 1  # 429 while the store is behind: the same round again
            next_at += args.interval
            stop.wait(max(0.0, next_at - time.monotonic()))

    thread = threading.Thread(target=pusher, daemon=True)
    rows = []
    header = ["elapsed_s", "rss_mib", "cpu_pct", "cpu_s", "firing", "outbox", "notified",
              "rounds", "db_mib"]
    print("  " + " ".join("%10s" % h for h in header), flush=True)
    failed = False
    try:
        t0 = time.monotonic()
        thread.start()
        last_cpu, last_t = proc_sample(daemon.proc.pid)[1], t0
        next_sample = t0 + args.sample
        while True:
            now = time.monotonic()
            if now >= t0 + args.duration:
                break
            time.sleep(max(0.0, min(next_sample, t0 + args.duration) - now))
            if daemon.proc.poll() is not None:
                raise RuntimeError("tocsin exited with %d; see %s" % (daemon.proc.returncode,
                                                                     daemon.log_path))
            rss, cpu = proc_sample(daemon.proc.pid)
            now = time.monotonic()
            status = daemon.status()
            db = sum(os.path.getsize(os.path.join(workdir, "state", f))
                     for f in os.listdir(os.path.join(workdir, "state"))
                     if f.startswith("state.db"))
            row = [
                round(now - t0, 1),
                round(rss / 2**20, 1),
                round(100 * (cpu - last_cpu) / max(1e-6, now - last_t), 1),
                round(cpu, 1),
                firing_count(status),
                status["outbox"]["pending"] if status else "",
                receiver.count,
                pushed["rounds"],
                round(db / 2**20, 1),
            ]
            last_cpu, last_t = cpu, now
            rows.append(row)
            if not args.check or len(rows) % 10 == 0:  # CI logs get every 10th line
                print("  " + " ".join("%10s" % v for v in row), flush=True)
            next_sample += args.sample
    finally:
        stop.set()
        thread.join(30)
        daemon.stop()
        receiver.stop()
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            w.writerows(rows)
    judged = [r for r in rows if r[0] > args.warmup]
    if len(judged) >= 6:
        third = len(judged) // 3
        first = statistics.median(r[1] for r in judged[:third])
        last = statistics.median(r[1] for r in judged[-third:])
        growth = last - first
        print("  RSS after %.0f s warm-up: first third median %.1f MiB, last third median %.1f MiB "
              "(%+.1f MiB, %+.1f %%); peak %.1f MiB" % (args.warmup, first, last, growth,
                                                         100 * growth / first,
                                                         max(r[1] for r in rows)))
        if args.check and growth > 8 and growth > 0.10 * first:
            print("FAIL: memory grows after warm-up by %.1f MiB (bound: 8 MiB and 10 %%)" % growth)
            failed = True
    elif args.check:
        print("FAIL: too few samples after warm-up to judge memory")
        failed = True
    cpu_total = rows[-1][3] if rows else 0
    elapsed = rows[-1][0] if rows else 0
    print("  %d rounds pushed (%d samples, %d refused with 429), %d notifications received, "
          "CPU %.1f s over %.0f s (%.0f %% of one core)"
          % (pushed["rounds"], pushed["samples"], pushed["refused"], receiver.count, cpu_total,
             elapsed, 100 * cpu_total / max(1e-6, elapsed)))
    if pushed["rounds"] < 2 or receiver.count == 0:
        print("FAIL: the workload did not run (no rounds or no notifications)")
        failed = True
    if failed or args.keep:
        print("  state and log kept in " + workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print("soak: %s" % ("FAIL" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
