"""Shared parts of bench/compare (python3 standard library only).

- KpiServer: N gauges `kpi_value{kpi="kI"} V` in the text exposition format on loopback. Values
  change on every scrape (random in [0.1, 0.8], never above a rule's 0.9); flip(i) pins kI at 0.95
  and records when that happened and when the first scrape that served it arrived.
- Receiver: the webhook far end; records when the first firing notification of each KPI arrived.
- Procs: every process the benchmark starts, each in its own process group, so that stop_all()
  (called from finally blocks and on SIGTERM) leaves nothing behind.
- /proc readers: CPU seconds (utime+stime) and VmRSS of a process and all its descendants.

Every time is time.monotonic() in this one process, so "flip -> webhook" is one subtraction.
"""

import contextlib
import http.client
import http.server
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    """A loopback TCP port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(host, port, path, timeout=2.0):
    """(status, body) of a GET, or (None, b"") when nothing answers."""
    try:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        conn.request("GET", path)
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
        return answer.status, body
    except (OSError, http.client.HTTPException):
        return None, b""


def metric_sum(text, name):
    """Sum of every sample of metric `name` (any labels) in an exposition text; None if absent."""
    total = None
    for line in text.splitlines():
        if line.startswith(name) and len(line) > len(name) and line[len(name)] in " {":
            rest = line.rsplit("}", 1)[1] if "}" in line else line[len(name):]
            try:
                value = float(rest.split()[0])
            except (IndexError, ValueError):
                continue
            total = (total or 0.0) + value
    return total


def histogram_buckets(text, name):
    """{le: cumulative count} of histogram `name` (labels other than le summed)."""
    buckets = {}
    prefix = name + "_bucket{"
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        labels, value = line[len(prefix):].rsplit("} ", 1)
        le = None
        for part in labels.split(","):
            key, _, raw = part.partition("=")
            if key == "le":
                le = float(raw.strip('"'))
        if le is not None:
            buckets[le] = buckets.get(le, 0.0) + float(value.split()[0])
    return buckets


def histogram_quantile(before, after, q):
    """The q-quantile (upper bucket bound, as Prometheus' histogram_quantile would interpolate)
    of the observations between two snapshots of a histogram's buckets; None if none."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank = q * counts[-1]
    lower, below = 0.0, 0.0
    for bound, count in zip(bounds, counts):
        if count >= rank:
            if bound == float("inf"):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((rank - below) / inside if inside > 0 else 1.0)
        lower, below = bound, count
    return lower


def percentile(values, p):
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


# ---------------------------------------------------------------------------------------------
# Processes


def descendants(pids):
    """`pids` and every process below them (read from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids):
    """utime+stime of the processes, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def rss_bytes(pids):
    """VmRSS summed over the processes, in bytes."""
    total = 0
    for pid in pids:
        try:
            with open("/proc/%d/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


class Procs:
    """Every process started by the benchmark; each leads its own process group."""

    def __init__(self):
        self.started = []

    def start(self, argv, log_path, cwd=None):
        log = open(log_path, "ab")
        proc = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True
        )
        log.close()
        self.started.append(proc)
        return proc

    def stop(self, proc, timeout=20.0):
        """SIGTERM to the process group, SIGKILL after `timeout`."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever of its group is left
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        if proc in self.started:
            self.started.remove(proc)

    def stop_all(self):
        for proc in list(reversed(self.started)):
            self.stop(proc, timeout=10.0)


# ---------------------------------------------------------------------------------------------
# The KPI endpoint and the webhook receiver


class KpiServer:
    """Serves `n` gauges; see the module comment."""

    VARIANTS = 8  # pre-rendered value sets, so a scrape of 100,000 series costs ~one join

    def __init__(self, n):
        self.n = n
        rng = random.Random(n)
        names = ['kpi_value{kpi="k%d"} ' % i for i in range(n)]
        self.variants = [
            [("%s%.3f\n" % (names[i], rng.uniform(0.1, 0.8))).encode() for i in range(n)]
            for _ in range(self.VARIANTS)
        ]
        self.high = {}  # i -> rendered line with 0.95
        self.names = names
        self.header = b"# HELP kpi_value A business KPI.\n# TYPE kpi_value gauge\n"
        self.lock = threading.Lock()
        self.scrapes = []  # arrival time of every scrape request
        self.flipped_at = {}  # i -> t0
        self.served_at = {}  # i -> arrival time of the first scrape that carried the new value
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                now = time.monotonic()
                body = server.render(now)
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def render(self, now):
        with self.lock:
            self.scrapes.append(now)
            lines = self.variants[len(self.scrapes) % self.VARIANTS]
            high = dict(self.high)
            for i in high:
                self.served_at.setdefault(i, now)
        if high:
            lines = list(lines)
            for i, line in high.items():
                lines[i] = line
        return self.header + b"".join(lines)

    @property
    def port(self):
        return self.server.server_address[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d/metrics" % self.port

    def flip(self, i):
        """kI goes to 0.95 from now on; the time of the change."""
        with self.lock:
            now = time.monotonic()
            self.flipped_at[i] = now
            self.served_at.pop(i, None)
            self.high[i] = ("%s0.950\n" % self.names[i]).encode()
            return now

    def unflip(self, i):
        with self.lock:
            self.high.pop(i, None)

    def scrape_count(self):
        with self.lock:
            return len(self.scrapes)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Receiver:
    """A webhook far end (Alertmanager's and tocsin's JSON both carry `alerts[].labels`)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.firing = {}  # label value -> [arrival times of firing notifications]
        self.requests = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                now = time.monotonic()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.record(now, body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def record(self, now, body):
        try:
            doc = json.loads(body)
        except ValueError:
            return
        with self.cond:
            self.requests += 1
            for alert in doc.get("alerts", []):
                if alert.get("status", doc.get("status")) != "firing":
                    continue
                labels = alert.get("labels", {})
                for key in ("kpi", "n"):
                    if key in labels:
                        self.firing.setdefault(labels[key], []).append(now)
            self.cond.notify_all()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def wait_firing(self, value, after, timeout):
        """Arrival time of the first firing notification for label value `value` after `after`."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for t in self.firing.get(value, []):
                    if t >= after:
                        return t
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def wait_ready(checks, proc_list, timeout):
    """Polls every (host, port, path) until each answers 200; the time it took, or raises."""
    started = time.monotonic()
    pending = list(checks)
    while pending:
        if time.monotonic() - started > timeout:
            raise RuntimeError("not ready after %.0fs: %s" % (timeout, pending))
        for proc in proc_list:
            if proc.poll() is not None:
                raise RuntimeError("%s exited with %s" % (proc.args[0], proc.returncode))
        pending = [c for c in pending if http_get(*c, timeout=1.0)[0] != 200]
        if pending:
            time.sleep(0.005)
    return time.monotonic() - started


class Run:
    """What one system at one N runs against: a temp dir, the KPI server, the receiver."""

    def __init__(self, prefix, n):
        self.workdir = tempfile.mkdtemp(prefix=prefix)
        self.kpis, self.receiver, self.system = KpiServer(n), Receiver(), None


@contextlib.contextmanager
def run_context(prefix, n, keep):
    """A Run whose system, servers and temp dir are stopped and removed however the run ends;
    the dir (with the systems' logs) is kept when the run failed or `keep` is set."""
    run = Run(prefix, n)
    failed = False
    try:
        yield run
    except BaseException:
        failed = True
        print("  (logs kept in %s)" % run.workdir, flush=True)
        raise
    finally:
        if run.system is not None:
            run.system.stop()
        run.kpis.stop()
        run.receiver.stop()
        if not failed and not keep:
            shutil.rmtree(run.workdir, ignore_errors=True)


def flips(kpis, receiver, count, n, timeout, rng):
    """`count` flips of distinct KPIs at random phases of the scrape cycle. Returns
    (detection latencies, scrape->webhook latencies, missed) in seconds."""
    detect, after_scrape, missed = [], [], 0
    chosen = rng.sample(range(n), min(count, n))
    while len(chosen) < count:
        chosen.append(rng.randrange(n))
    for i in chosen:
        time.sleep(rng.uniform(0.2, 1.2))  # a random phase against the 1 s scrape
        t0 = kpis.flip(i)
        arrived = receiver.wait_firing("k%d" % i, t0, timeout)
        kpis.unflip(i)
        if arrived is None:
            missed += 1
            continue
        with kpis.lock:
            served = kpis.served_at.get(i)
        detect.append(arrived - t0)
        if served is not None:
            after_scrape.append(arrived - served)
    return detect, after_scrape, missed


def spread(values, fmt="%.3g"):
    """'median [min-max]' of per-repetition figures."""
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt % values[0]
    return (fmt + " [" + fmt + "-" + fmt + "]") % (statistics.median(values), min(values), max(values))
