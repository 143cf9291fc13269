#!/usr/bin/env python3
"""Delivery benchmark: notifications per second through the outbox to a local webhook receiver,
and the latency from an alert firing (the push request's send time) to the webhook request
reaching the receiver. See bench/README.md.

    python3 bench/delivery/delivery_bench.py --build build/bench [--alerts 10000] [--singles 300]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tocsin_bench as tb  # noqa: E402

RULES = """kpis:
  queue_depth: { source: pushed }
rules:
  - alert: QueueDeep
    kpi: queue_depth
    above: { critical: 100 }
policies:
  page:
    steps:
      - notify: [hook]
"""


def start(build, receiver, log_level):
    notifiers = '  hook: { plugin: webhook, url: "%s", timeout: 10s, rate_limit: off }\n' % (
        receiver.url
    )
    return tb.Daemon(build, notifiers=notifiers, rules=RULES, log_level=log_level)


def throughput(build, alerts, log_level):
    """Pushes `alerts` labelled samples that all fire in one POST; waits for every webhook."""
    receiver = tb.Receiver()
    daemon = start(build, receiver, log_level)
    try:
        names = ["q%d" % i for i in range(alerts)]
        body = tb.samples_json("queue_depth", 500, "queue", names)
        sent = time.monotonic()
        answer = daemon.push(body)
        accepted = time.monotonic()
        assert answer["accepted"] == alerts, answer
        first = receiver.wait_count(1, 120)
        last = receiver.wait_count(alerts, 600)
        if last is None:
            raise RuntimeError("only %d of %d arrived" % (receiver.count(), alerts))
        keys = {k for _, _, k in receiver.arrivals}
        print("throughput: %d alerts fired by one push of %d samples" % (alerts, alerts))
        print("  push answered after       %8.3f s" % (accepted - sent))
        print("  first webhook after       %8.3f s" % (first - sent))
        print("  last webhook after        %8.3f s" % (last - sent))
        print(
            "  delivered                 %8.0f notifications/s (first to last: %.0f/s)"
            % (alerts / (last - sent), (alerts - 1) / max(last - first, 1e-9))
        )
        print("  requests %d, distinct Idempotency-Keys %d" % (receiver.count(), len(keys)))
    finally:
        daemon.stop()
        receiver.stop()


def latency(build, singles, log_level):
    """One push per new alert, waiting for its webhook before the next: send -> arrival."""
    receiver = tb.Receiver()
    daemon = start(build, receiver, log_level)
    try:
        # Warm up the connection and the notifier.
        daemon.push(tb.samples_json("queue_depth", 500, "queue", ["warm"]))
        receiver.wait_alert("queue", "warm", 30)
        times = []
        for i in range(singles):
            name = "s%d" % i
            body = tb.samples_json("queue_depth", 500, "queue", [name])
            sent = time.monotonic()
            daemon.push(body)
            arrived = receiver.wait_alert("queue", name, 30)
            if arrived is None:
                raise RuntimeError("alert %s never arrived" % name)
            times.append(arrived - sent)
        print("latency: push sent -> webhook arrival, %d single pushes" % singles)
        print("  " + tb.summary_ms(times))
    finally:
        daemon.stop()
        receiver.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=tb.default_build_dir(), help="a Release build directory")
    p.add_argument("--alerts", type=int, default=10000, help="alerts fired by one push")
    p.add_argument("--singles", type=int, default=300, help="single pushes for the latency")
    p.add_argument("--log-level", default="info", help="the daemon's --log-level")
    p.add_argument("--only", choices=["throughput", "latency"], help="run one part")
    args = p.parse_args()
    if args.only in (None, "throughput"):
        throughput(args.build, args.alerts, args.log_level)
    if args.only in (None, "latency"):
        latency(args.build, args.singles, args.log_level)


if __name__ == "__main__":
    main()
