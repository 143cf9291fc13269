#!/usr/bin/env python3
"""Crash-safety test: drives the real `tocsin run` through firing, escalating, acknowledged and
resolving alerts while killing it with SIGKILL at random moments, then checks what the webhook
receivers got against an oracle of the episodes the workload caused.

    python3 tests/crash/crash_safety.py [--binary build/default/bin/tocsin] [--seed N] [--kills 50]

The workload (see docs/operators.md, "What tocsin guarantees when it crashes"):
- one push source and three KPIs, each with a threshold rule (warning 10, critical 20);
- one policy, three steps: `step-a` at once, `step-b` after 3s, `step-c` after 9s, each a
  webhook notifier pointing at a receiver this script runs on 127.0.0.1 (port 0) that records
  every request with its Idempotency-Key (and answers after a random 0-150 ms, so kills catch
  sends in flight);
- several lanes, each running episodes one after the other; an episode is one alert instance
  (its own `ep` label) whose value the pusher sends every 0.2 s:
    short       warning for 6 s                    -> a, b told (firing, resolved)
    long        warning for 12 s                   -> a, b, c told
    escalating  warning 6 s, then critical 7 s     -> a, b told, severity change to a and b,
                                                      c told (critical), resolved to all three
    acked       warning for 12 s, acknowledged through the API as soon as it fires
                                                   -> a told, then `acknowledged`; no b, no c
  followed by 4 s of a normal value. A kill comes 0.8-3 s (seeded) after the daemon is healthy,
  or right after an acknowledgement was answered (for half of them). The daemon restarts in
  well under a second (the run prints the slowest restart), so every state (4 s or more) is
  seen, and the escalation steps (0, 3, 9 s) sit at least 2 s away from every state change:
  the expectation is exact. The pusher keeps sending the current value, like a source that
  polls: a push that was answered but not yet committed at the kill is sent again after the
  restart. The outbox's kind for each id the receivers got is read from the state database
  after the run (the webhook sends Alertmanager's JSON, which has no kind).

Checked at the end, per episode and notifier: the kinds received (duplicates folded) are exactly
the expected ones in order (firing, severity_change, acknowledged, resolved); a notification
received twice carries the same id and a kill happened between the two arrivals; nothing
arrives that the workload did not cause.
Python 3 standard library only. Exit status 0 when every check holds.
"""

import argparse
import http.client
import http.server
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

TOKEN = "crash-safety-token-0123456789"
KPIS = ["queue_lag", "error_rate", "checkout_latency"]
RULE_NAMES = {"queue_lag": "QueueLagHigh", "error_rate": "ErrorRateHigh",
              "checkout_latency": "CheckoutSlow"}
NOTIFIERS = ["step-a", "step-b", "step-c"]
NORMAL, WARNING, CRITICAL = 5.0, 15.0, 25.0
PUSH_EVERY = 0.2
TAIL = 4.0  # seconds of a normal value after each episode
BASE = time.monotonic()  # reports give times as +seconds from here

# Episode kinds: phases (value, seconds) and, per notifier, the kinds it must receive.
EPISODES = {
    "short": {
        "phases": [(WARNING, 6.0)],
        "expect": {"step-a": ["firing", "resolved"], "step-b": ["firing", "resolved"]},
    },
    "long": {
        "phases": [(WARNING, 12.0)],
        "expect": {n: ["firing", "resolved"] for n in NOTIFIERS},
    },
    "escalating": {
        "phases": [(WARNING, 6.0), (CRITICAL, 7.0)],
        "expect": {
            "step-a": ["firing", "severity_change", "resolved"],
            "step-b": ["firing", "severity_change", "resolved"],
            "step-c": ["firing", "resolved"],
        },
    },
    "acked": {
        "phases": [(WARNING, 12.0)],
        "expect": {"step-a": ["firing", "acknowledged", "resolved"]},
        "ack": True,
    },
}


def rules_yaml():
    out = ["kpis:"]
    out += ["  %s: { source: pushed }" % k for k in KPIS]
    out.append("rules:")
    for k in KPIS:
        out += [
            "  - alert: %s" % RULE_NAMES[k],
            "    kpi: %s" % k,
            "    above: { warning: 10, critical: 20 }",
            '    summary: "%s at {{ value }}"' % k,
        ]
    out += [
        "policies:",
        "  escalate:",
        "    steps:",
        "      - notify: [step-a]",
        "      - after: 3s",
        "        notify: [step-b]",
        "      - after: 9s",
        "        notify: [step-c]",
    ]
    return "\n".join(out) + "\n"


class Receiver:
    """Local webhook far end: records (arrival time, path, Idempotency-Key, body) per request."""

    def __init__(self, seed):
        self.lock = threading.Lock()
        self.requests = []
        self.rng = random.Random(seed)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.lock:
                    delay = receiver.rng.uniform(0, 0.15)
                    receiver.requests.append(
                        (time.monotonic(), self.path, self.headers.get("Idempotency-Key", ""), body)
                    )
                time.sleep(delay)  # widen the window in which a kill finds a send in flight
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the daemon was killed while this send was in flight

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.server.server_address[1], path)

    def snapshot(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """Short-lived requests to the daemon's API; every call bounded by `timeout`."""

    def __init__(self, port):
        self.port = port

    def call(self, method, path, body=None, timeout=2.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": "Bearer " + TOKEN}
            if body is not None:
                headers["Content-Type"] = "application/json"
                body = json.dumps(body).encode()
            conn.request(method, path, body, headers)
            answer = conn.getresponse()
            data = answer.read()
            return answer.status, (json.loads(data) if data else None)
        except http.client.HTTPException as e:  # killed half way through an answer
            raise ConnectionError("%s %s: %r" % (method, path, e)) from e
        finally:
            conn.close()


class Episode:
    def __init__(self, name, kind, kpi, start):
        self.name = name
        self.kind = kind
        self.kpi = kpi
        self.start = start
        spec = EPISODES[kind]
        self.phases = []
        t = start
        for value, seconds in spec["phases"]:
            self.phases.append((t, t + seconds, value))
            t += seconds
        self.end = t  # normal from here
        self.tail_end = t + TAIL
        self.ack = spec.get("ack", False)
        self.acked_at = None

    def value(self, now):
        for begin, end, value in self.phases:
            if begin <= now < end:
                return value
        return NORMAL


class Workload:
    """Lanes of episodes, a pusher and an acknowledger, all on their own threads."""

    def __init__(self, rng, api, lanes):
        self.rng = rng
        self.api = api
        self.lanes = lanes
        self.lock = threading.Lock()
        self.episodes = []
        self.lane_next = [time.monotonic() + rng.uniform(0, 3) for _ in range(lanes)]
        self.lane_current = [None] * lanes
        self.stopping = False
        self.done = threading.Event()
        self.pushes_ok = 0
        self.pushes_failed = 0
        self.acks = 0
        # Half the acknowledgements are followed by a kill at once: an answer the daemon gave
        # must hold even when it dies the next moment.
        self.ack_rng = random.Random(rng.random())
        self.kill_request = threading.Event()
        self.errors = []  # unexpected exceptions in the workload's threads

    def guarded(self, loop):
        """Runs a workload loop; an unexpected exception is kept for the report, not lost."""
        def run():
            try:
                loop()
            except Exception as e:  # noqa: BLE001 - reported as a failure of the run
                self.errors.append("%s: %r" % (loop.__name__, e))
                self.done.set()
        return run

    def schedule(self, now):
        """Starts a lane's next episode when its previous one has had its normal tail."""
        with self.lock:
            for lane in range(self.lanes):
                cur = self.lane_current[lane]
                if cur is not None and now < cur.tail_end:
                    continue
                if self.stopping or now < self.lane_next[lane]:
                    continue
                kind = self.rng.choice(sorted(EPISODES))
                ep = Episode("e%03d" % len(self.episodes), kind, KPIS[lane % len(KPIS)], now)
                self.episodes.append(ep)
                self.lane_current[lane] = ep
                self.lane_next[lane] = ep.tail_end + self.rng.uniform(0, 1.5)
            if self.stopping and all(
                c is None or now >= c.tail_end for c in self.lane_current
            ):
                self.done.set()

    def live(self, now):
        with self.lock:
            return [e for e in self.episodes if e.start <= now < e.tail_end]

    def pusher(self):
        while not self.done.is_set():
            now = time.monotonic()
            self.schedule(now)
            samples = [
                {"kpi": e.kpi, "value": e.value(now), "labels": {"ep": e.name}}
                for e in self.live(now)
            ]
            if samples:
                try:
                    status, _ = self.api.call("POST", "/api/v1/samples", {"samples": samples})
                    if status == 200:
                        self.pushes_ok += 1
                    else:
                        self.pushes_failed += 1
                except OSError:
                    self.pushes_failed += 1  # down between a kill and its restart
            time.sleep(max(0.0, PUSH_EVERY - (time.monotonic() - now)))

    def acknowledger(self):
        """Acknowledges each `acked` episode once, as soon as the API shows it firing."""
        while not self.done.is_set():
            now = time.monotonic()
            todo = [e for e in self.live(now) if e.ack and e.acked_at is None and now < e.end]
            if todo:
                try:
                    status, doc = self.api.call("GET", "/api/v1/alerts?state=firing")
                    firing = {a["labels"].get("ep"): a for a in doc["alerts"]} if status == 200 else {}
                    for e in todo:
                        alert = firing.get(e.name)
                        if alert is None:
                            continue
                        if alert.get("ack"):
                            # Stored, but the answer was lost to a kill: a client sees it is
                            # acknowledged and does not ask again.
                            e.acked_at = time.monotonic()
                            self.acks += 1
                            continue
                        status, _ = self.api.call(
                            "POST",
                            "/api/v1/alerts/%s/ack" % alert["id"],
                            {"author": "crash-test", "comment": "on it"},
                        )
                        if status == 200:
                            e.acked_at = time.monotonic()
                            self.acks += 1
                            if self.ack_rng.random() < 0.5:
                                self.kill_request.set()
                except (OSError, ValueError, KeyError):
                    pass
            time.sleep(0.1)


class Daemon:
    def __init__(self, binary, config, workdir):
        self.binary = binary
        self.config = config
        self.workdir = workdir
        self.proc = None
        self.runs = 0
        self.log = open(os.path.join(workdir, "daemon.log"), "ab")

    def start(self):
        self.runs += 1
        self.log.write(b"==== start %d\n" % self.runs)
        self.log.flush()
        self.proc = subprocess.Popen(
            [self.binary, "run", "-c", self.config, "--log-level", "info"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
        )

    def wait_healthy(self, api, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("tocsin exited with %d; see %s/daemon.log"
                                   % (self.proc.returncode, self.workdir))
            try:
                if api.call("GET", "/healthz", timeout=0.5)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("tocsin not healthy after %.0f s; see %s/daemon.log"
                           % (timeout, self.workdir))

    def kill(self):
        """SIGKILL and reap; when the signal was sent."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        return sent

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()


def write_config(workdir, plugins, api_port, receiver):
    with open(os.path.join(workdir, "token"), "w") as f:
        f.write(TOKEN + "\n")
    with open(os.path.join(workdir, "rules.yaml"), "w") as f:
        f.write(rules_yaml())
    notifiers = "".join(
        '  %s: { plugin: webhook, url: "%s", timeout: 5s, rate_limit: off }\n'
        % (n, receiver.url(n)) for n in NOTIFIERS
    )
    path = os.path.join(workdir, "tocsin.yaml")
    with open(path, "w") as f:
        f.write(
            "state_dir: %s\n"
            "plugin_dirs: [%s]\n"
            "rule_files: [rules.yaml]\n"
            "api: { listen: 127.0.0.1:%d, token_file: token }\n"
            "sources:\n"
            "  pushed: { plugin: push }\n"
            "notifiers:\n%s"
            "default_policy: escalate\n"
            % (os.path.join(workdir, "state"), plugins, api_port, notifiers)
        )
    return path


def settle(api, timeout):
    """Waits until no alert is pending or firing and the outbox is empty; the last status."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            _, alerts = api.call("GET", "/api/v1/alerts")
            _, status = api.call("GET", "/api/v1/status")
            last = (len(alerts["alerts"]), status["outbox"]["pending"])
            if last == (0, 0):
                return last
        except (OSError, ValueError, KeyError, TypeError):
            pass
        time.sleep(0.2)
    return last


def outbox_kinds(db_path):
    """id -> kind of every notification in the daemon's outbox (the webhook sends Alertmanager's
    JSON, which has no kind; the id the receiver got is the key)."""
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=5)
    try:
        return dict(db.execute("SELECT id, kind FROM outbox"))
    finally:
        db.close()


def check(episodes, requests, kill_times, kinds_by_id):
    """The oracle. Answers (figures, violations)."""
    violations = []
    by_name = {e.name: e for e in episodes}
    kinds_checked = {}
    seen_ids = {}  # id -> (arrival, path, ep, kind)
    per = {}  # (ep, notifier) -> [(kind, id, startsAt)] in arrival order, duplicates folded
    duplicates = 0
    foreign = 0
    for arrived, path, key, body in requests:
        notifier = path.strip("/")
        try:
            doc = json.loads(body)
            alert = doc["alerts"][0]
            ep = alert["labels"].get("ep")
            status = doc["status"]
        except (ValueError, KeyError, IndexError, TypeError):
            violations.append("foreign: unreadable request on %s: %r" % (path, body[:200]))
            foreign += 1
            continue
        kind = kinds_by_id.get(key)
        if notifier not in NOTIFIERS or ep not in by_name or doc.get("receiver") != notifier:
            violations.append("foreign: %s %s for %r on %s" % (status, alert["labels"].get(
                "alertname"), ep, path))
            foreign += 1
            continue
        if kind is None or not key.endswith("/" + notifier):
            violations.append("foreign: %s on %s with Idempotency-Key %r, not in the outbox"
                              % (status, path, key))
            foreign += 1
            continue
        if (status == "resolved") != (kind == "resolved"):
            violations.append("%s: status %s for a %s notification" % (key, status, kind))
        if key in seen_ids:
            first = seen_ids[key][0]
            duplicates += 1
            # A resend after a crash: the second copy came after a kill, the first before the
            # restarted daemon was up (a copy sent just before the kill may be read a moment
            # after it). Two copies within one run would be a resend without a crash.
            if not any(first <= healthy and sent <= arrived for sent, healthy in kill_times):
                violations.append(
                    "duplicate without a crash: %s (%s to %s) arrived at +%.2fs and +%.2fs"
                    % (key, kind, notifier, first - BASE, arrived - BASE)
                )
            continue
        seen_ids[key] = (arrived, path, ep, kind)
        per.setdefault((ep, notifier), []).append((kind, key, alert.get("startsAt")))
    lost = 0
    checked = 0
    for e in episodes:
        expect = EPISODES[e.kind]["expect"]
        if e.ack and e.acked_at is None:
            violations.append("%s (%s): the workload never managed to acknowledge it" % (e.name, e.kind))
        for notifier in NOTIFIERS:
            want = expect.get(notifier, [])
            got = per.get((e.name, notifier), [])
            got_kinds = [g[0] for g in got]
            for kind in got_kinds:
                # A firing to a later step's notifier is an escalation.
                name = "escalation" if kind == "firing" and notifier != NOTIFIERS[0] else kind
                kinds_checked[name] = kinds_checked.get(name, 0) + 1
            checked += len(got_kinds)
            if got_kinds == want:
                continue
            missing = [k for k in want if k not in got_kinds]
            lost += len(missing)
            foreign += len([k for k in got_kinds if k not in want])
            starts = sorted({g[2] for g in got})
            violations.append(
                "%s (%s, %s, started +%.1fs): %s expected %s, received %s%s"
                % (e.name, e.kind, e.kpi, e.start - BASE, notifier, want, got_kinds,
                   "" if len(starts) <= 1 else " (firings starting at %s: a new id for one firing)"
                   % ", ".join(starts))
            )
    figures = {
        "checked": checked,
        "kinds": kinds_checked,
        "duplicates": duplicates,
        "lost": lost,
        "foreign": foreign,
    }
    return figures, violations


def outbox_summary(db_path):
    try:
        db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True, timeout=5)
        rows = db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        db.close()
        return ", ".join("%s %d" % r for r in rows)
    except sqlite3.Error as e:
        return "unreadable (%s)" % e


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", default=os.path.join(root, "build", "default", "bin", "tocsin"))
    p.add_argument("--plugins", help="plugin dir (default: <binary>/../../plugins)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--kills", type=int, default=50)
    p.add_argument("--lanes", type=int, default=6)
    p.add_argument("--min-up", type=float, default=0.8, help="least seconds up before a kill")
    p.add_argument("--max-up", type=float, default=3.0, help="most seconds up before a kill")
    p.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    binary = os.path.abspath(args.binary)
    plugins = os.path.abspath(
        args.plugins or os.path.join(os.path.dirname(os.path.dirname(binary)), "plugins"))
    rng = random.Random(seed)
    print("crash-safety: seed %d (rerun with --seed %d), %d kills, binary %s"
          % (seed, seed, args.kills, binary), flush=True)

    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="tocsin-crash-")
    receiver = Receiver(seed + 1)
    api = Api(free_port())
    config = write_config(workdir, plugins, api.port, receiver)
    daemon = Daemon(binary, config, workdir)
    workload = Workload(random.Random(seed + 2), api, args.lanes)
    kill_times = []  # (SIGKILL sent, restarted daemon healthy)
    restarts = []
    after_ack = 0
    failed = False
    try:
        daemon.start()
        daemon.wait_healthy(api, 30)
        t0 = time.monotonic()
        threads = [threading.Thread(target=workload.guarded(workload.pusher), daemon=True),
                   threading.Thread(target=workload.guarded(workload.acknowledger), daemon=True)]
        for t in threads:
            t.start()
        for k in range(args.kills):
            if workload.kill_request.wait(rng.uniform(args.min_up, args.max_up)):
                workload.kill_request.clear()
                after_ack += 1
            sent = daemon.kill()
            daemon.start()
            daemon.wait_healthy(api, 30)
            kill_times.append((sent, time.monotonic()))
            restarts.append(kill_times[-1][1] - sent)
            if (k + 1) % 10 == 0:
                print("  %d kills, %d episodes, %d notifications received (%.0f s)"
                      % (k + 1, len(workload.episodes), len(receiver.snapshot()),
                         time.monotonic() - t0), flush=True)
        workload.stopping = True
        if not workload.done.wait(60):
            raise RuntimeError("the workload did not wind down within 60 s")
        left = settle(api, 60)
        if left != (0, 0):
            print("FAIL: not settled after 60 s: %s alerts active, outbox depth %s" % left)
            failed = True
        time.sleep(0.5)  # a send the outbox marked delivered has reached the receiver
    finally:
        workload.done.set()
        daemon.stop()
        receiver.stop()
    requests = receiver.snapshot()
    figures, violations = check(workload.episodes, requests, kill_times,
                                outbox_kinds(os.path.join(workdir, "state", "state.db")))
    kinds = figures["kinds"]
    print("crash-safety figures:")
    print("  seed                    %d" % seed)
    print("  kills (SIGKILL)         %d, %d of them right after an acknowledgement was answered "
          "(restart to healthy: max %.2f s, median %.2f s)"
          % (len(kill_times), after_ack, max(restarts or [0]),
             sorted(restarts or [0])[len(restarts) // 2]))
    print("  episodes                %d (%s)" % (len(workload.episodes), ", ".join(
        "%s %d" % (k, sum(1 for e in workload.episodes if e.kind == k)) for k in sorted(EPISODES))))
    print("  acknowledgements        %d" % workload.acks)
    print("  pushes                  %d answered, %d refused or failed (daemon down)"
          % (workload.pushes_ok, workload.pushes_failed))
    print("  notifications checked   %d (%s)" % (figures["checked"], ", ".join(
        "%s %d" % kv for kv in sorted(kinds.items()))))
    print("  requests received       %d" % len(requests))
    print("  duplicates (same id)    %d" % figures["duplicates"])
    print("  lost                    %d" % figures["lost"])
    print("  foreign                 %d" % figures["foreign"])
    print("  outbox at the end       %s" % outbox_summary(os.path.join(workdir, "state", "state.db")))
    print("  wall time               %.1f s" % (time.monotonic() - started))
    violations = ["workload: " + e for e in workload.errors] + violations
    if violations:
        failed = True
        print("FAIL: %d violation(s) (seed %d):" % (len(violations), seed))
        for v in violations[:60]:
            print("  - " + v)
        print("  kills at: " + " ".join("+%.2f" % (k[0] - BASE) for k in kill_times))
    if failed or args.keep:
        print("state, config and daemon log kept in %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print("crash-safety: %s" % ("FAIL" if failed else "ok"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
