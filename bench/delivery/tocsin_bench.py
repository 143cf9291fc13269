"""Shared parts of the delivery and ingest benchmarks (python3 standard library only).

A Receiver is a local webhook far end that records when each request arrived (time.monotonic(),
the same clock the benchmark reads when it sends a push, so send->arrival is one subtraction).
A Daemon is a real `tocsin run` on a temp dir with a push source, the API and the given
sources, KPIs, rules and notifiers.
"""

import http.client
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse

TOKEN = "bench-token-0123456789abcdef"


class Receiver:
    """A threaded HTTP/1.1 server (keep-alive) that answers 200 and records every POST."""

    def __init__(self):
        self.lock = threading.Condition()
        self.arrivals = []  # (monotonic time, parsed body, Idempotency-Key)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                now = time.monotonic()
                key = self.headers.get("Idempotency-Key", "")
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                with receiver.lock:
                    receiver.arrivals.append((now, body, key))
                    receiver.lock.notify_all()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def count(self):
        with self.lock:
            return len(self.arrivals)

    def wait_count(self, n, timeout):
        """Waits until `n` requests arrived; the arrival time of the n-th, or None."""
        end = time.monotonic() + timeout
        with self.lock:
            while len(self.arrivals) < n:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)
            return self.arrivals[n - 1][0]

    def wait_alert(self, label, value, timeout, status="firing"):
        """Waits for a request about the alert whose label `label` is `value`; its arrival time."""
        end = time.monotonic() + timeout
        seen = 0
        with self.lock:
            while True:
                for arrived, body, _ in self.arrivals[seen:]:
                    doc = json.loads(body)
                    if doc.get("status") == status and any(
                        a["labels"].get(label) == value for a in doc["alerts"]
                    ):
                        return arrived
                seen = len(self.arrivals)
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.lock.wait(left)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Daemon:
    """`tocsin run` on a fresh temp dir; `sources`, `notifiers` and `rules` are YAML text."""

    def __init__(self, build_dir, sources="", notifiers="", rules="", log_level="info"):
        build_dir = os.path.abspath(build_dir)
        self.dir = tempfile.mkdtemp(prefix="tocsin-bench-")
        binary = os.path.join(build_dir, "bin", "tocsin")
        plugins = os.path.join(build_dir, "plugins")
        with open(os.path.join(self.dir, "token"), "w") as f:
            f.write(TOKEN + "\n")
        with open(os.path.join(self.dir, "rules.yaml"), "w") as f:
            f.write(rules)
        with open(os.path.join(self.dir, "tocsin.yaml"), "w") as f:
            f.write(
                "state_dir: state\n"
                "plugin_dirs: [%s]\n"
                "rule_files: [rules.yaml]\n"
                "api: { listen: 127.0.0.1:0, token_file: token }\n"
                "sources:\n"
                "  pushed: { plugin: push }\n%s"
                "notifiers:\n%s"
                "default_policy: page\n" % (plugins, sources, notifiers)
            )
        self.log_path = os.path.join(self.dir, "daemon.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [binary, "run", "-c", os.path.join(self.dir, "tocsin.yaml"), "--log-level", log_level],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = self._wait_listening(30)
        parts = urllib.parse.urlsplit(self.base)
        self.host, self.port = parts.hostname, parts.port
        self.conn = None

    def _wait_listening(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with open(self.log_path) as f:
                m = re.search(r"listening on (http://127\.0\.0\.1:[0-9]+)", f.read())
            if m:
                return m.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("tocsin did not start; see " + self.log_path)

    def connection(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return self.conn

    def push(self, body, content_type="application/json"):
        """POSTs a body to /api/v1/samples on a kept-alive connection; the parsed answer."""
        conn = self.connection()
        if isinstance(body, str):
            body = body.encode()
        headers = {"Content-Type": content_type, "Authorization": "Bearer " + TOKEN}
        conn.request("POST", "/api/v1/samples", body, headers)
        answer = conn.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise RuntimeError("push answered %d: %s" % (answer.status, data[:300]))
        return json.loads(data)

    def get(self, path):
        conn = self.connection()
        conn.request("GET", path)
        answer = conn.getresponse()
        return json.loads(answer.read())

    def stop(self, keep=False):
        if self.conn is not None:
            self.conn.close()
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def samples_json(kpi, value, label, names):
    """A JSON array of samples of `kpi`, one per label value in `names`."""
    return (
        "["
        + ",".join(
            '{"kpi":"%s","value":%s,"labels":{"%s":"%s"}}' % (kpi, value, label, n) for n in names
        )
        + "]"
    )


def percentile(values, p):
    """The p-th percentile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-p * len(ordered) // 100))))
    return ordered[rank - 1]


def summary_ms(values):
    """'median X ms, p99 Y ms, min, max' of a list of seconds."""
    return "median %.2f ms, p99 %.2f ms (min %.2f, max %.2f, n=%d)" % (
        statistics.median(values) * 1000,
        percentile(values, 99) * 1000,
        min(values) * 1000,
        max(values) * 1000,
        len(values),
    )


def default_build_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "build", "bench")
