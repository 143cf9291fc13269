"""The two systems under comparison, each started from scratch in its own temp dir.

Both get the same job: scrape KpiServer every second, one rule per KPI (value > 0.9, no pending
time, severity critical), and post to the same Receiver. Each exposes:
  check()       seconds of its config check on the rule file (promtool check rules / tocsin check)
  start()       starts every process, returns seconds until all of them answer ready
  pids()        every process of the system (for /proc CPU and RSS)
  evaluations() its own count of rule evaluations so far
  stop()
"""

import os
import shutil
import subprocess
import time

import harness as h

PROMETHEUS = "/usr/bin/prometheus"
PROMTOOL = "/usr/bin/promtool"
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
DEBIAN_PACKAGES = {PROMETHEUS: "prometheus", PROMTOOL: "prometheus", ALERTMANAGER: "prometheus-alertmanager"}
# Prometheus runs the rules of a group in sequence, groups in parallel, each group at its own phase
# of the evaluation interval (a hash of its name and file). With one group, every flip of a run
# would meet the same scrape->evaluation phase; 20 groups let 20 flips sample 20 phases.
PROM_GROUPS = 20


def ensure_debian_packages():
    """Installs Debian's prometheus and prometheus-alertmanager if missing, without letting the
    packages start their systemd services (a policy-rc.d that says no while apt runs), then makes
    sure no service instance of them runs: the benchmark starts its own."""
    missing = sorted({pkg for path, pkg in DEBIAN_PACKAGES.items() if not os.path.exists(path)})
    if missing:
        if os.geteuid() != 0:
            raise SystemExit(
                "compare: %s not installed; run as root, or: sudo apt-get install "
                "--no-install-recommends %s" % (", ".join(missing), " ".join(missing))
            )
        policy = "/usr/sbin/policy-rc.d"
        made_policy = not os.path.exists(policy)
        if made_policy:
            with open(policy, "w") as f:
                f.write("#!/bin/sh\n# bench/compare: no service starts while it installs\nexit 101\n")
            os.chmod(policy, 0o755)
        try:
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            print("compare: installing %s" % " ".join(missing), flush=True)
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing,
                check=True,
                env=env,
            )
        finally:
            if made_policy:
                os.unlink(policy)
    stop_service_instances()


def stop_service_instances():
    """Stops (and disables) the packages' own services if something started them."""
    if shutil.which("systemctl") and os.path.isdir("/run/systemd/system") and os.geteuid() == 0:
        for unit in ("prometheus", "prometheus-alertmanager"):
            subprocess.run(["systemctl", "disable", "--now", unit], capture_output=True)
    running = own_service_pids()
    if running and os.geteuid() == 0:
        for pid in running:
            try:
                os.kill(pid, 15)
            except ProcessLookupError:
                pass
        time.sleep(1)
    elif running:
        print("compare: warning: prometheus processes not started by this script run: %s" % running)


def own_service_pids():
    """Processes running the packaged binaries with the packages' default config (a service)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].decode(errors="replace") in (PROMETHEUS, ALERTMANAGER):
            configs = [a for a in argv if a.startswith(b"--config.file=")]
            if not configs or configs[0].startswith(b"--config.file=/etc/"):
                found.append(int(entry))
    return found


def timed(argv, cwd):
    """Seconds a command took; raises with its output if it failed."""
    started = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError("%s failed:\n%s%s" % (" ".join(argv), done.stdout[-2000:], done.stderr[-2000:]))
    return took


class PromAm:
    name = "Prometheus+Alertmanager"
    short = "prom+am"

    def __init__(self, procs, workdir, n, kpis, receiver, groups=PROM_GROUPS):
        self.procs, self.dir, self.n = procs, workdir, n
        per_group = max(1, -(-n // groups))
        self.prom_port, self.am_port = h.free_port(), h.free_port()
        self.prom = self.am = None
        with open(os.path.join(workdir, "rules.yml"), "w") as f:
            f.write("groups:\n")
            for i in range(n):
                if i % per_group == 0:
                    f.write("  - name: kpis-%d\n    interval: 1s\n    rules:\n" % (i // per_group))
                f.write(
                    "      - alert: KpiHigh%d\n"
                    "        expr: kpi_value{kpi=\"k%d\"} > 0.9\n"
                    "        labels: {severity: critical}\n" % (i, i)
                )
        with open(os.path.join(workdir, "prometheus.yml"), "w") as f:
            f.write(
                "global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}\n"
                "rule_files: [rules.yml]\n"
                "alerting:\n"
                "  alertmanagers:\n"
                "    - static_configs: [{targets: ['127.0.0.1:%d']}]\n"
                "scrape_configs:\n"
                "  - job_name: kpis\n"
                "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % (self.am_port, kpis.port)
            )
        with open(os.path.join(workdir, "alertmanager.yml"), "w") as f:
            f.write(
                "route:\n"
                "  receiver: hook\n"
                "  group_by: [alertname, kpi]\n"
                "  group_wait: 0s\n"
                "  group_interval: 1s\n"
                "  repeat_interval: 4h\n"
                "receivers:\n"
                "  - name: hook\n"
                "    webhook_configs: [{url: '%s', send_resolved: true}]\n" % receiver.url
            )

    def check(self):
        return timed([PROMTOOL, "check", "rules", "rules.yml"], self.dir)

    def start(self):
        started = time.monotonic()
        self.am = self.procs.start(
            [
                ALERTMANAGER,
                "--config.file=alertmanager.yml",
                "--storage.path=am-data",
                "--web.listen-address=127.0.0.1:%d" % self.am_port,
                "--cluster.listen-address=",
            ],
            os.path.join(self.dir, "alertmanager.log"),
            cwd=self.dir,
        )
        self.prom = self.procs.start(
            [
                PROMETHEUS,
                "--config.file=prometheus.yml",
                "--storage.tsdb.path=prom-data",
                "--web.listen-address=127.0.0.1:%d" % self.prom_port,
            ],
            os.path.join(self.dir, "prometheus.log"),
            cwd=self.dir,
        )
        h.wait_ready(
            [("127.0.0.1", self.am_port, "/-/ready"), ("127.0.0.1", self.prom_port, "/-/ready")],
            [self.am, self.prom],
            300,
        )
        return time.monotonic() - started

    def pids(self):
        return h.descendants([p.pid for p in (self.am, self.prom) if p is not None])

    def evaluations(self):
        status, body = h.http_get("127.0.0.1", self.prom_port, "/metrics", timeout=10)
        if status != 200:
            return None
        return h.metric_sum(body.decode(), "prometheus_rule_evaluations_total")

    def stop(self):
        for proc in (self.prom, self.am):
            if proc is not None:
                self.procs.stop(proc)


class Tocsin:
    name = "tocsin"
    short = "tocsin"

    def __init__(self, procs, workdir, n, kpis, receiver, binary, plugin_dir, wrap=()):
        self.procs, self.dir, self.n, self.binary = procs, workdir, n, binary
        self.wrap = list(wrap)  # a command prefix such as a profiler
        self.port = h.free_port()
        self.proc = None
        with open(os.path.join(workdir, "rules.yaml"), "w") as f:
            f.write("kpis:\n")
            for i in range(n):
                f.write("  k%d: { source: kpis, match: 'kpi_value{kpi=\"k%d\"}' }\n" % (i, i))
            f.write("  pushed: { source: push }\nrules:\n")
            for i in range(n):
                f.write("  - { alert: KpiHigh%d, kpi: k%d, above: { critical: 0.9 } }\n" % (i, i))
            f.write(
                "  - { alert: PushedHigh, kpi: pushed, above: { critical: 0.9 } }\n"
                "policies:\n  page:\n    steps:\n      - notify: [hook]\n"
            )
        with open(os.path.join(workdir, "token"), "w") as f:
            f.write("compare-token-0123456789abcdef\n")
        with open(os.path.join(workdir, "tocsin.yaml"), "w") as f:
            f.write(
                "state_dir: state\n"
                "plugin_dirs: [%s]\n"
                "rule_files: [rules.yaml]\n"
                "api: { listen: '127.0.0.1:%d', token_file: token }\n"
                "sources:\n"
                "  kpis: { plugin: prometheus, scrape_url: '%s', every: 1s }\n"
                "  push: { plugin: push }\n"
                "notifiers:\n"
                "  hook: { plugin: webhook, url: '%s', rate_limit: off }\n"
                "default_policy: page\n" % (plugin_dir, self.port, kpis.url, receiver.url)
            )

    def check(self):
        return timed([self.binary, "check", "-c", "tocsin.yaml"], self.dir)

    def start(self):
        started = time.monotonic()
        self.proc = self.procs.start(
            self.wrap + [self.binary, "run", "-c", "tocsin.yaml"], os.path.join(self.dir, "tocsin.log"), cwd=self.dir
        )
        h.wait_ready([("127.0.0.1", self.port, "/healthz")], [self.proc], 300)
        return time.monotonic() - started

    def pids(self):
        return h.descendants([self.proc.pid]) if self.proc is not None else []

    def metrics(self):
        status, body = h.http_get("127.0.0.1", self.port, "/metrics", timeout=10)
        return body.decode() if status == 200 else ""

    def evaluations(self):
        return h.metric_sum(self.metrics(), "tocsin_rule_evaluations_total")

    def stop(self):
        if self.proc is not None:
            self.procs.stop(self.proc)
