#!/usr/bin/env python3
"""tocsin against Prometheus 2.42 + Alertmanager 0.25 (Debian 12), side by side in one run.

N KPIs are served as gauges on loopback, values changing on every scrape; each system scrapes
them every second, has one rule per KPI (value > 0.9, no pending time, severity critical) and
posts to the same local webhook receiver. For every repetition and N the two systems run one
after the other (the order alternates between repetitions), and the script prints the ratios
tocsin / (Prometheus+Alertmanager) with their spread over repetitions. See README.md.

    python3 bench/compare/compare.py --quick                 # ~3 min smoke run
    python3 bench/compare/compare.py --n 100,1000,10000 --reps 3 --flips 20 --steady 30
"""

import argparse
import json
import os
import random
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402
import systems  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (key, label, unit scale, unit, goal as tocsin/theirs, at which N the goal applies: None = all)
FIGURES = [
    ("cpu_per_1k", "CPU s per 1,000 rule evaluations", 1.0, "s", 1 / 20, None),
    ("rss", "resident memory (VmRSS, all processes)", 1 / 2**20, "MiB", 1 / 5, 10000),
    ("detect_median", "detection: KPI rewritten -> webhook, median", 1000, "ms", None, None),
    ("detect_p90", "detection: KPI rewritten -> webhook, p90", 1000, "ms", None, None),
    ("added_median", "added after the scrape: scrape -> webhook, median", 1000, "ms", 1 / 50, None),
    ("added_p90", "added after the scrape: scrape -> webhook, p90", 1000, "ms", None, None),
    ("startup", "start-up to ready", 1000, "ms", 1 / 5, 10000),
    ("check", "config check (promtool check rules / tocsin check)", 1000, "ms", 1 / 5, 10000),
    ("cpu_per_s", "CPU s per second of steady state", 1.0, "s", None, None),
]


def default_binary():
    for build in ("build/bench", "build/release", "build/dev"):
        path = os.path.join(REPO, build, "bin", "tocsin")
        if os.path.exists(path):
            return path
    return os.path.join(REPO, "build", "bench", "bin", "tocsin")


def plugin_dir_of(binary):
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(binary))), "plugins")


def on_term(signo, frame):
    """SIGTERM ends a run like Ctrl-C does: through the finally blocks that stop every process."""
    raise KeyboardInterrupt()


def steady_state(system, kpis, warmup, steady):
    """CPU seconds and rule evaluations over `steady` seconds after `warmup`; RSS at its end."""
    deadline = time.monotonic() + 120
    while not system.evaluations():  # the first evaluation has happened
        if time.monotonic() > deadline:
            raise RuntimeError("%s never evaluated a rule" % system.name)
        time.sleep(0.2)
    time.sleep(warmup)
    pids = system.pids()
    cpu0, evals0, t0 = h.cpu_seconds(pids), system.evaluations(), time.monotonic()
    time.sleep(steady)
    pids = system.pids()
    cpu1, evals1, t1 = h.cpu_seconds(pids), system.evaluations(), time.monotonic()
    evaluations = evals1 - evals0
    cpu = cpu1 - cpu0
    # /proc counts CPU in clock ticks (10 ms): a window too short to see one tick measured
    # nothing, which must not read as "no CPU" (a ratio of 0 would meet every goal).
    measured = cpu > 0
    return {
        "cpu": cpu,
        "seconds": t1 - t0,
        "evaluations": evaluations,
        "cpu_per_1k": cpu / evaluations * 1000 if evaluations > 0 and measured else None,
        "cpu_per_s": cpu / (t1 - t0) if measured else None,
        "rss": h.rss_bytes(pids),
        "processes": len(pids),
    }


def run_one(kind, n, args, procs, rng):
    """One system at one N: check, start-up, steady state, flips. A dict of figures."""
    with h.run_context("compare-%s-%d-" % (kind, n), n, args.keep) as run:
        workdir, kpis, receiver = run.workdir, run.kpis, run.receiver
        if kind == "tocsin":
            system = systems.Tocsin(procs, workdir, n, kpis, receiver, args.binary, args.plugins)
        else:
            system = systems.PromAm(procs, workdir, n, kpis, receiver, args.prom_groups)
        run.system = system
        out = {"system": kind, "n": n, "check": system.check()}
        out["startup"] = system.start()
        out.update(steady_state(system, kpis, args.warmup, args.steady))
        detect, added, missed = h.flips(kpis, receiver, args.flips, n, args.flip_timeout, rng)
        out.update(
            {
                "detect": detect,
                "added": added,
                "missed": missed,
                "detect_median": statistics.median(detect) if detect else None,
                "detect_p90": h.percentile(detect, 90) if detect else None,
                "added_median": statistics.median(added) if added else None,
                "added_p90": h.percentile(added, 90) if added else None,
            }
        )
        return out


def describe(r):
    return (
        "check %.0f ms, start-up %.0f ms, CPU %.3f s/s, %.4f s per 1k evaluations (%d evaluations "
        "in %.0f s), RSS %.1f MiB in %d process(es), detection median %s ms p90 %s ms, "
        "scrape->webhook median %s ms, missed %d"
        % (
            r["check"] * 1000,
            r["startup"] * 1000,
            r["cpu_per_s"] if r["cpu_per_s"] is not None else float("nan"),
            r["cpu_per_1k"] or float("nan"),
            r["evaluations"],
            r["seconds"],
            r["rss"] / 2**20,
            r["processes"],
            "%.0f" % (r["detect_median"] * 1000) if r["detect_median"] is not None else "n/a",
            "%.0f" % (r["detect_p90"] * 1000) if r["detect_p90"] is not None else "n/a",
            "%.1f" % (r["added_median"] * 1000) if r["added_median"] is not None else "n/a",
            r["missed"],
        )
    )


def table(results, ns, reps):
    """Markdown table per N: medians of each system, ratio median [min-max] over repetitions."""
    lines = []
    verdicts = []
    for n in ns:
        lines.append("")
        lines.append("N = %d KPIs/rules, %d repetition(s)" % (n, reps))
        lines.append("")
        lines.append("| figure | tocsin | Prometheus+Alertmanager | ratio tocsin/theirs, median [min-max] | goal | met |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for key, label, scale, unit, goal, goal_n in FIGURES:
            mine = [r[key] for r in results if r["n"] == n and r["system"] == "tocsin"]
            theirs = [r[key] for r in results if r["n"] == n and r["system"] == "prom+am"]
            ratios = [
                a / b for a, b in zip(mine, theirs) if a is not None and b is not None and b > 0
            ]
            fmt = "%.4g"
            cell = lambda vs: h.spread([v * scale for v in vs if v is not None], fmt) + " " + unit  # noqa: E731
            goal_text, met = "", ""
            if goal is not None and (goal_n is None or goal_n == n):
                goal_text = "<= 1/%d" % round(1 / goal)
                if ratios:
                    met = "yes" if statistics.median(ratios) <= goal else "no"
                    verdicts.append((label, n, statistics.median(ratios), goal, met))
            lines.append(
                "| %s | %s | %s | %s | %s | %s |"
                % (label, cell(mine), cell(theirs), h.spread(ratios, "%.3g"), goal_text, met)
            )
    lines.append("")
    for label, n, ratio, goal, met in verdicts:
        lines.append(
            "goal %-52s N=%-6d ratio %.4f (1/%.1f) vs <= 1/%d: %s"
            % (label, n, ratio, 1 / ratio if ratio > 0 else float("inf"), round(1 / goal), met)
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", default="100,1000,10000", help="KPI counts, comma separated")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (interleaved)")
    parser.add_argument("--flips", type=int, default=20, help="KPI flips per run for latency")
    parser.add_argument("--steady", type=float, default=30, help="steady-state window, seconds")
    parser.add_argument("--warmup", type=float, default=10, help="seconds after the first evaluation")
    parser.add_argument("--flip-timeout", type=float, default=30, help="seconds to wait for a webhook")
    parser.add_argument("--binary", default=default_binary(), help="the tocsin binary")
    parser.add_argument("--plugins", help="tocsin plugin dir (default: BINARY/../../plugins)")
    parser.add_argument("--quick", action="store_true", help="N=100, 1 rep, 5 flips, 10 s steady")
    parser.add_argument("--json", help="also write every raw figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temp dirs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--systems", default="tocsin,prom+am", help="for development: run only some")
    parser.add_argument(
        "--prom-groups",
        type=int,
        default=systems.PROM_GROUPS,
        help="rule groups the Prometheus rules are split into (each has its own evaluation phase)",
    )
    args = parser.parse_args()
    if args.quick:
        args.n, args.reps, args.flips, args.steady, args.warmup = "100", 1, 5, 10, 3
    args.binary = os.path.abspath(args.binary)
    args.plugins = os.path.abspath(args.plugins or plugin_dir_of(args.binary))
    if not os.path.exists(args.binary):
        raise SystemExit("compare: no tocsin binary at %s; build it (README.md) or pass --binary" % args.binary)
    ns = [int(x) for x in args.n.split(",")]
    systems.ensure_debian_packages()

    procs = h.Procs()
    signal.signal(signal.SIGTERM, on_term)
    rng = random.Random(args.seed)
    results = []
    failed = None
    print("tocsin %s\nplugins %s\nN %s, %d repetition(s), %d flips, %.0f s steady after %.0f s warm-up"
          % (args.binary, args.plugins, ns, args.reps, args.flips, args.steady, args.warmup), flush=True)
    try:
        for rep in range(args.reps):
            for n in ns:
                order = ["tocsin", "prom+am"] if rep % 2 == 0 else ["prom+am", "tocsin"]
                for kind in [k for k in order if k in args.systems.split(",")]:
                    print("rep %d, N=%d, %s ..." % (rep + 1, n, kind), flush=True)
                    r = run_one(kind, n, args, procs, rng)
                    r["rep"] = rep
                    results.append(r)
                    print("  " + describe(r), flush=True)
    except KeyboardInterrupt:
        print("compare: interrupted; stopping everything it started", flush=True)
        failed = "interrupted"
    except Exception as e:  # still stop everything and print what was measured
        print("compare: stopped by an error: %s" % e, flush=True)
        failed = str(e)
    finally:
        procs.stop_all()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    done_ns = [n for n in ns if any(r["n"] == n for r in results)]
    reps = max((r["rep"] for r in results), default=-1) + 1
    print(table(results, done_ns, reps))
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
