#!/usr/bin/env python3
"""Ingest benchmark: samples per second through POST /api/v1/samples (batches of 1, 100 and
10,000) and through a prometheus source scraping a local 10,000-series exposition, and the time
from a sample's arrival to its rule's evaluation, measured end to end (push sent -> webhook of a
rule without `for`). See bench/README.md.

    python3 bench/ingest/ingest_bench.py --build build/bench [--only push|scrape|latency]
"""

import argparse
import http.client
import http.server
import os
import random
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "delivery"))
import tocsin_bench as tb  # noqa: E402

SERIES = 10000

# `load` never fires (the work measured is ingest, evaluation and commit); `marker` fires for
# every new label set, so its webhook says when everything pushed before it was evaluated and
# committed (the store commits in order, and a notification goes out only after its commit).
RULES = """kpis:
  load: { source: %(source)s%(load_match)s }
  marker: { source: %(source)s%(marker_match)s }
rules:
  - alert: LoadHigh
    kpi: load
    above: { critical: 1000000000 }
  - alert: Marker
    kpi: marker
    above: { critical: 0 }
policies:
  page:
    steps:
      - notify: [hook]
"""


def push_rules():
    return RULES % {"source": "pushed", "load_match": "", "marker_match": ""}


def notifiers(receiver):
    return '  hook: { plugin: webhook, url: "%s", timeout: 10s, rate_limit: off }\n' % receiver.url


def load_body(batch, offset):
    parts = []
    for i in range(batch):
        s = (offset + i) % SERIES
        parts.append(
            '{"kpi":"load","value":%.3f,"labels":{"series":"s%d"}}' % (random.uniform(0, 100), s)
        )
    return "[" + ",".join(parts) + "]"


def push_rates(build):
    """Samples/s through the push endpoint for batches of 1, 100 and 10,000."""
    print("push: POST /api/v1/samples, one client on one kept-alive connection, %d series" % SERIES)
    for batch, requests in ((1, 2000), (100, 300), (10000, 6)):
        receiver = tb.Receiver()
        daemon = tb.Daemon(build, notifiers=notifiers(receiver), rules=push_rules())
        try:
            bodies = [load_body(batch, r * batch) for r in range(requests)]
            started = time.monotonic()
            for body in bodies:
                daemon.push(body)
            answered = time.monotonic()
            daemon.push(tb.samples_json("marker", 1, "run", ["done"]))
            drained = receiver.wait_alert("run", "done", 300)
            total = batch * requests
            print(
                "  batch %5d: %6d samples in %4d requests: accepted %9.0f samples/s "
                "(%7.0f requests/s); evaluated and committed %9.0f samples/s"
                % (
                    batch,
                    total,
                    requests,
                    total / (answered - started),
                    requests / (answered - started),
                    total / (drained - started),
                )
            )
        finally:
            daemon.stop()
            receiver.stop()


class Exposition:
    """Serves 10,000 `bench_value` series and one `bench_marker{scrape="N"}` per scrape, and
    records when each scrape request arrived."""

    def __init__(self):
        lines = ["# TYPE bench_value gauge"]
        for s in range(SERIES):
            lines.append('bench_value{series="s%d",env="prod"} %d' % (s, s % 97))
        self.static = ("\n".join(lines) + "\n").encode()
        self.lock = threading.Lock()
        self.scrapes = []  # arrival times; scrape N carries marker N
        exposition = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                now = time.monotonic()
                with exposition.lock:
                    n = len(exposition.scrapes)
                    exposition.scrapes.append(now)
                body = exposition.static + (
                    '# TYPE bench_marker gauge\nbench_marker{scrape="%d"} 1\n' % n
                ).encode()
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

    @property
    def url(self):
        return "http://127.0.0.1:%d/metrics" % self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def scrape_rate(build, scrapes):
    """A prometheus source scraping 10,000 series every second: scrape request -> the marker
    series of that scrape evaluated, committed and at the webhook."""
    exposition = Exposition()
    receiver = tb.Receiver()
    sources = "  scraped: { plugin: prometheus, scrape_url: \"%s\", every: 1s }\n" % exposition.url
    rules = RULES % {
        "source": "scraped",
        "load_match": ", match: bench_value",
        "marker_match": ", match: bench_marker",
    }
    daemon = tb.Daemon(build, sources=sources, notifiers=notifiers(receiver), rules=rules)
    try:
        times = []
        # Scrape 0 also loads every series for the first time; count the steady state after it.
        for n in range(1, scrapes + 1):
            arrived = receiver.wait_alert("scrape", str(n), 60)
            if arrived is None:
                raise RuntimeError("marker of scrape %d never arrived" % n)
            times.append(arrived - exposition.scrapes[n])
        size = len(exposition.static)
        print(
            "scrape: %d series (%d KB) every 1s, %d scrapes: scrape request -> webhook of its "
            "marker series" % (SERIES + 1, size // 1024, scrapes)
        )
        print("  " + tb.summary_ms(times))
        print(
            "  %.0f samples/s per scrape at the median (%d samples / median time)"
            % ((SERIES + 1) / statistics.median(times), SERIES + 1)
        )
    finally:
        daemon.stop()
        exposition.stop()
        receiver.stop()


def latency(build, singles, load_rate):
    """Push sent -> webhook arrival of a rule without `for`, idle and while another client pushes
    `load_rate` samples/s in batches of 100 (paced: the API answers before the store commits, so
    an unpaced client can queue more than SQLite writes and the backlog delays everything)."""
    for loaded in (False, True):
        receiver = tb.Receiver()
        daemon = tb.Daemon(build, notifiers=notifiers(receiver), rules=push_rules())
        stop = threading.Event()
        background = None
        pushed = [0]
        try:
            daemon.push(load_body(SERIES, 0))  # every series known
            if loaded:

                def keep_pushing():
                    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=60)
                    headers = {
                        "Content-Type": "application/json",
                        "Authorization": "Bearer " + tb.TOKEN,
                    }
                    offset = 0
                    next_at = time.monotonic()
                    while not stop.is_set():
                        next_at += 100.0 / load_rate
                        pause = next_at - time.monotonic()
                        if pause > 0:
                            time.sleep(pause)
                        conn.request("POST", "/api/v1/samples", load_body(100, offset), headers)
                        conn.getresponse().read()
                        offset += 100
                        pushed[0] += 100
                    conn.close()

                background = threading.Thread(target=keep_pushing)
                background.start()
            times = []
            started = time.monotonic()
            for i in range(singles):
                name = "m%d" % i
                body = tb.samples_json("marker", 1, "m", [name])
                sent = time.monotonic()
                daemon.push(body)
                arrived = receiver.wait_alert("m", name, 30)
                if arrived is None:
                    raise RuntimeError("marker %s never arrived" % name)
                times.append(arrived - sent)
            elapsed = time.monotonic() - started
            what = (
                "under load (%.0f samples/s pushed meanwhile in batches of 100)"
                % (pushed[0] / elapsed)
                if loaded
                else "idle"
            )
            print("latency: sample pushed -> rule evaluated -> webhook, %s" % what)
            print("  " + tb.summary_ms(times))
        finally:
            stop.set()
            if background is not None:
                background.join()
            daemon.stop()
            receiver.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=tb.default_build_dir(), help="a Release build directory")
    p.add_argument("--scrapes", type=int, default=20, help="scrapes to time")
    p.add_argument("--singles", type=int, default=300, help="single pushes for the latency")
    p.add_argument("--load-rate", type=float, default=50000, help="samples/s pushed meanwhile")
    p.add_argument("--only", choices=["push", "scrape", "latency"], help="run one part")
    args = p.parse_args()
    if args.only in (None, "push"):
        push_rates(args.build)
    if args.only in (None, "scrape"):
        scrape_rate(args.build, args.scrapes)
    if args.only in (None, "latency"):
        latency(args.build, args.singles, args.load_rate)


if __name__ == "__main__":
    main()
