#!/usr/bin/env python3
"""How tocsin's costs grow with the number of rules (tocsin alone, the compare.py scenario).

For each N: N KPIs scraped every second from the same loopback endpoint as compare.py, one rule
per KPI. Reports CPU (per second and per 1,000 rule evaluations), VmRSS, the engine's own step
duration (tocsin_engine_step_duration_seconds: median/p90/p99 over the steady window), scrape ->
webhook of a flipped KPI, and the push endpoint: POST /api/v1/samples -> webhook arrival (median,
p99) while the scrapes go on. See README.md.

    python3 bench/compare/scaling.py --n 100,1000,10000,100000
    # profile one size: any command prefix, e.g.
    python3 bench/compare/scaling.py --n 10000 --steady 20 --pushes 0 --flips 0 \\
        --wrap "valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out"
"""

import argparse
import http.client
import os
import random
import shlex
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare  # noqa: E402
import harness as h  # noqa: E402
import systems  # noqa: E402

TOKEN = "compare-token-0123456789abcdef"  # systems.Tocsin writes it to its token file


def push_latency(system, receiver, count, timeout):
    """POST one sample of a new label set (its rule fires) -> its webhook; seconds each."""
    conn = http.client.HTTPConnection("127.0.0.1", system.port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + TOKEN}
    times = []
    try:
        for i in range(count):
            label = "p%d" % i
            body = '[{"kpi":"pushed","value":1,"labels":{"n":"%s"}}]' % label
            sent = time.monotonic()
            conn.request("POST", "/api/v1/samples", body, headers)
            answer = conn.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError("push answered %d" % answer.status)
            arrived = receiver.wait_firing(label, sent, timeout)
            if arrived is None:  # overloaded: stop here, report what arrived
                print("  push %d did not reach the webhook within %.0f s" % (i, timeout), flush=True)
                break
            times.append(arrived - sent)
    finally:
        conn.close()
    return times


def run_one(n, args, procs, rng):
    with h.run_context("compare-scaling-%d-" % n, n, args.keep) as run:
        kpis, receiver = run.kpis, run.receiver
        system = systems.Tocsin(procs, run.workdir, n, kpis, receiver, args.binary, args.plugins, wrap=args.wrap)
        run.system = system
        out = {"n": n, "check": system.check(), "startup": system.start()}
        before = h.histogram_buckets(system.metrics(), "tocsin_engine_step_duration_seconds")
        out.update(compare.steady_state(system, kpis, args.warmup, args.steady))
        after = h.histogram_buckets(system.metrics(), "tocsin_engine_step_duration_seconds")
        for q in (50, 90, 99):
            out["step_p%d" % q] = h.histogram_quantile(before, after, q / 100)
        detect, added, missed = h.flips(kpis, receiver, args.flips, n, args.flip_timeout, rng)
        out["added_median"] = statistics.median(added) if added else None
        out["added_p90"] = h.percentile(added, 90) if added else None
        out["missed"] = missed
        pushes = push_latency(system, receiver, args.pushes, args.flip_timeout) if args.pushes else []
        out["pushes"] = len(pushes)
        out["push_median"] = statistics.median(pushes) if pushes else None
        out["push_p99"] = h.percentile(pushes, 99) if pushes else None
        return out


def ms(v):
    return "%.1f" % (v * 1000) if v is not None else "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", default="100,1000,10000,100000")
    parser.add_argument("--steady", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--flips", type=int, default=10)
    parser.add_argument("--pushes", type=int, default=200)
    parser.add_argument("--flip-timeout", type=float, default=15, help="seconds to wait for a webhook")
    parser.add_argument("--binary", default=compare.default_binary())
    parser.add_argument("--plugins")
    parser.add_argument("--wrap", default="", help="command prefix for tocsin run (a profiler)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    args.plugins = os.path.abspath(args.plugins or compare.plugin_dir_of(args.binary))
    args.wrap = shlex.split(args.wrap)
    procs = h.Procs()
    signal.signal(signal.SIGTERM, compare.on_term)
    rng = random.Random(1)
    rows = []
    try:
        for n in [int(x) for x in args.n.split(",")]:
            print("N=%d ..." % n, flush=True)
            r = run_one(n, args, procs, rng)
            rows.append(r)
            print("  " + str({k: v for k, v in r.items()}), flush=True)
    except KeyboardInterrupt:
        print("scaling: interrupted; stopping everything it started", flush=True)
    except Exception as e:  # still stop everything and print the sizes measured
        print("scaling: stopped by an error: %s" % e, flush=True)
    finally:
        procs.stop_all()
    print()
    print(
        "| rules | check | start-up | CPU s/s | CPU s per 1k evaluations | evaluations/s | VmRSS MiB | "
        "engine step p50 / p90 / p99 ms | scrape -> webhook median / p90 ms (missed) | "
        "push -> webhook median / p99 ms (arrived) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            "| %d | %s ms | %s ms | %.3f | %.4f | %.0f | %.1f | %s / %s / %s | %s / %s (%d) | %s / %s (%d) |"
            % (
                r["n"],
                ms(r["check"]),
                ms(r["startup"]),
                r["cpu_per_s"] if r["cpu_per_s"] is not None else float("nan"),
                r["cpu_per_1k"] or float("nan"),
                r["evaluations"] / r["seconds"],
                r["rss"] / 2**20,
                ms(r["step_p50"]),
                ms(r["step_p90"]),
                ms(r["step_p99"]),
                ms(r["added_median"]),
                ms(r["added_p90"]),
                r["missed"],
                ms(r["push_median"]),
                ms(r["push_p99"]),
                r["pushes"],
            )
        )


if __name__ == "__main__":
    main()
