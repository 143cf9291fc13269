#!/usr/bin/env python3
"""Checks every ```yaml example in README.md and docs/*.md with the real tocsin binary.

    tests/docs/check_examples.py [--tocsin build/default/bin/tocsin] [--plugins DIR] [-v]

Each fenced ```yaml block is one example. What it is comes from its top-level keys:

  - `tests:`                                  a rule test file    -> `tocsin test`
  - keys of tocsin.yaml (sources, routes...)  a config            -> `tocsin check -c`
  - kpis / rules / policies / calendars /     a rule file         -> `tocsin check -c`
    reports
  - both                                      a config and a rule file, checked together

A config or rule file need not be whole: it is checked inside a small harness (a temporary
folder with a tocsin.yaml and a rule file) that defines the names examples use without
defining them (the `app_db` source; KPIs such as activation_rate; notifiers such as growth-slack
or ops-log, all of them `log` notifiers; policies such as growth and ops; the calendar nights).
Whatever the example defines replaces the harness's own, `state_dir` and `plugin_dirs` always point
into the harness, /usr/share/tocsin/rules means the repository's rules/, files under /etc/tocsin
are made in the harness, and every `${env:NAME}` is set.

An HTML comment right before the fence (blank lines between are fine) says more:

  <!-- example: fragment of notifiers -->           the block sits under these keys; use
  <!-- example: fragment of calendars > x > include -->   `>` to go deeper
  <!-- example: fragment of a rule test -->         keys of one test case (series, events,
  <!-- example: fragment of a rule test > series -->  expect): loaded by `tocsin test`; only
                                                    errors count, not what it expects
  <!-- example: test in rules/growth/tests -->      a rule test file that lives in that folder
                                                    (run in a copy of the repository's rules/)
  <!-- example: config with the next block as rules.yaml -->
                                                    a whole tocsin.yaml, checked on its own with
                                                    the next block saved as that file (only
                                                    state_dir and plugin_dirs are replaced; a
                                                    missing relative token_file is made); the
                                                    next block is marked
  <!-- example: checked with the previous block -->
  <!-- example: prometheus -->                      a Prometheus config: `promtool check config`
  <!-- example: skip (why) -->                      not checked; the reason is required

Every problem is reported as `FILE.md:LINE: ...` with the line of the block's fence. Exit 1 on
any problem. Standard library only.
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CONFIG_KEYS = {"state_dir", "plugin_dirs", "rule_files", "timezone", "retention", "api",
               "reload", "sources", "notifiers", "routes", "default_policy"}
RULE_KEYS = {"kpis", "rules", "policies", "calendars", "reports"}
MERGED_MAPS = {"sources", "notifiers", "kpis", "policies", "calendars", "reports"}
MARKER = re.compile(r"<!--\s*example:\s*(.*?)\s*-->")
TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*):(.*)$")
CHILD_KEY = re.compile(r"^(\s+)([\w.-]+):")
ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
ETC_PATH = re.compile(r"/etc/tocsin/[\w./-]+")
TEST_START = "2026-01-05T00:00:00Z"

# The harness: what examples may use without defining.
HARNESS_NOTIFIERS = ["ops-log", "growth-log", "growth-slack", "growth-hook", "growth-webhook",
                     "leads-email", "oncall-sms", "pager-script"]
HARNESS_RULES = {
    "kpis": [
        'activation_rate: { source: app_db, query: "SELECT 0.4 AS value", every: 15m, '
        "unit: percent, target: 0.40 }",
        'd7_retention: { source: app_db, query: "SELECT 0.3 AS value", every: 1d, unit: percent }',
        'churn_rate: { source: app_db, query: "SELECT 0.02 AS value", every: 1d, unit: percent }',
        'queue_depth: { source: app_db, query: "SELECT 10 AS value", every: 1m }',
        'signups: { source: app_db, query: "SELECT 100 AS value", every: 1h }',
        'ltv: { source: app_db, query: "SELECT 400 AS value", every: 1d }',
        'cac: { source: app_db, query: "SELECT 100 AS value", every: 1d }',
        'ltv_cac: { lua: "return kpi(\\"ltv\\") / kpi(\\"cac\\")", unit: ratio, target: 4 }',
    ],
    "policies": [
        "growth: { steps: [ { notify: [growth-log] } ] }",
        "growth-oncall: { steps: [ { notify: [growth-slack] } ] }",
        "ops: { steps: [ { notify: [ops-log] } ] }",
        "ops-default: { steps: [ { notify: [ops-log] } ] }",
        "ops-oncall: { steps: [ { notify: [ops-log] } ] }",
    ],
    "calendars": [
        'nights: { include: [ { times: ["22:00-07:00"] } ] }',
    ],
}


class Example:
    def __init__(self, path, line, text, marker):
        self.path = path      # relative to ROOT
        self.line = line      # 1-based line of the opening fence
        self.text = text
        self.marker = marker  # the text after "example:", or None

    def where(self):
        return f"{self.path}:{self.line}"


def extract(path):
    """Yields the ```yaml blocks of one Markdown file with the marker right before each."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```yaml":
            j = i + 1
            while j < len(lines) and not lines[j].strip().startswith("```"):
                j += 1
            k = i - 1
            while k >= 0 and lines[k].strip() == "":
                k -= 1
            found = MARKER.search(lines[k]) if k >= 0 else None
            yield Example(path, i + 1, "\n".join(lines[i + 1:j]) + "\n",
                          found.group(1) if found else None)
            i = j
        i += 1


def dedent(text):
    lines = text.split("\n")
    indents = [len(s) - len(s.lstrip()) for s in lines if s.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(s[cut:] for s in lines)


def nest(text, keys):
    """Puts a fragment under the keys `a > b > c` (each a mapping level, lists as written)."""
    out = []
    for depth, key in enumerate(keys):
        out.append("  " * depth + key + ":")
    pad = "  " * len(keys)
    out += [pad + s if s.strip() else s for s in dedent(text).split("\n")]
    return "\n".join(out) + "\n"


def top_sections(text):
    """Splits YAML text into [key, rest-of-line, body lines] at its top-level keys."""
    sections = []
    for line in text.split("\n"):
        m = TOP_KEY.match(line)
        if m:
            sections.append([m.group(1), m.group(2), []])
        elif sections and (line.startswith((" ", "#")) or not line.strip()):
            sections[-1][2].append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"cannot read line '{line}' at the top level")
    return sections


def children(body):
    """Names at the first level of a block mapping's body (None for lists and flow style)."""
    lines = [s for s in body if s.strip() and not s.lstrip().startswith("#")]
    if not lines:
        return None
    indent = min(len(s) - len(s.lstrip()) for s in lines)
    names = []
    for s in lines:
        m = CHILD_KEY.match(s)
        if len(s) - len(s.lstrip()) == indent:
            if not m:
                return None
            names.append(m.group(2))
    return names


def defined_names(text):
    """{section: set of names} that a rule file or config defines."""
    out = {}
    for key, rest, body in top_sections(text):
        names = children(body) if not rest.strip() else None
        if names is None and rest.strip().startswith("{"):
            names = re.findall(r"([\w.-]+)\s*:", rest.split("{", 1)[1])[:1]
        out.setdefault(key, set()).update(names or [])
    return out


def flow_list(rest, body):
    rest = rest.split("#", 1)[0].strip()
    if rest.startswith("["):
        return [s.strip().strip("'\"") for s in rest.strip("[]").split(",") if s.strip()]
    return [s.strip()[1:].split("#", 1)[0].strip().strip("'\"") for s in body
            if s.strip().startswith("- ")]


def render(sections):
    out = []
    for key, rest, body in sections:
        out.append(f"{key}:{rest}")
        out += [s for s in body if s.strip()]
    return "\n".join(out) + "\n"


class Harness:
    """A temporary folder where one example is checked."""

    def __init__(self, args, example):
        self.args = args
        self.example = example
        self.dir = tempfile.mkdtemp(prefix="tocsin-doc-")
        self.env = dict(os.environ)
        for name in ENV_REF.findall(example.text):
            self.env.setdefault(name, f"https://example.com/env/{name.lower()}")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def map_paths(self, text):
        text = text.replace("/usr/share/tocsin/rules/", os.path.join(ROOT, "rules") + "/")
        for path in set(ETC_PATH.findall(text)):
            local = os.path.join(self.dir, path.lstrip("/"))
            os.makedirs(os.path.dirname(local), exist_ok=True)
            if not os.path.exists(local):
                with open(local, "w", encoding="utf-8") as f:
                    f.write("harness-token-0123456789abcdef0123456789\n")
                os.chmod(local, 0o600)
            text = text.replace(path, local)
        return text

    def run(self, cmd):
        done = subprocess.run(cmd, cwd=self.dir, env=self.env, capture_output=True, text=True,
                              timeout=60)
        return done.returncode, done.stdout + done.stderr

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def check_config(self, config_text, rules_text):
        """Writes tocsin.yaml (example over harness) and rules.d/, then runs tocsin check."""
        config = top_sections(self.map_paths(config_text)) if config_text else []
        rules = self.map_paths(rules_text) if rules_text else ""
        given = {key: (rest, body) for key, rest, body in config}
        taken = defined_names(rules) if rules else {}
        rule_files = ["rules.d/*.yaml"]
        if "rule_files" in given:
            for entry in flow_list(*given["rule_files"]):
                if entry not in rule_files:
                    rule_files.append(entry)
                if os.path.isabs(entry) and os.path.isfile(entry):
                    with open(entry, encoding="utf-8") as f:
                        for key, names in defined_names(f.read()).items():
                            taken.setdefault(key, set()).update(names)
        base = [
            ["state_dir", " state", []],
            ["plugin_dirs", f" [{self.args.plugins}]", []],
            ["rule_files", " [" + ", ".join(rule_files) + "]", []],
            ["sources", "", [f"  app_db: {{ plugin: sqlite, path: {self.dir}/app.db }}"]],
            ["notifiers", "", [f"  {n}: {{ plugin: log, path: {self.dir}/{n}.log }}"
                               for n in HARNESS_NOTIFIERS]],
            ["default_policy", " ops", []],
        ]
        merged = []
        for key, rest, body in base:
            if key in given and key not in ("state_dir", "plugin_dirs", "rule_files"):
                g_rest, g_body = given[key]
                names = children(g_body) if not g_rest.strip() else None
                if key in MERGED_MAPS and names is not None:
                    extra = [s for s in body if CHILD_KEY.match(s).group(2) not in names]
                    body = g_body + extra
                    merged.append([key, "", body])
                else:
                    merged.append([key, g_rest, g_body])
            else:
                merged.append([key, rest, body])
        merged += [[k, r, b] for k, r, b in config if k not in {s[0] for s in base}]
        self.write("tocsin.yaml", render(merged))
        harness_rules = []
        for key, entries in HARNESS_RULES.items():
            keep = [e for e in entries if e.split(":", 1)[0] not in taken.get(key, set())]
            if keep:
                harness_rules.append([key, "", ["  " + e for e in keep]])
        self.write("rules.d/harness.yaml", render(harness_rules))
        if rules:
            self.write("rules.d/example.yaml", rules)
        return self.run([self.args.tocsin, "check", "-c", "tocsin.yaml"])

    def run_test(self, text, folder=None):
        if folder:
            shutil.copytree(os.path.join(ROOT, "rules"), os.path.join(self.dir, "rules"),
                            dirs_exist_ok=True)
            path = self.write(os.path.join(folder, "doc_example_test.yaml"), text)
        else:
            path = self.write("doc_example_test.yaml", text)
        return self.run([self.args.tocsin, "test", path])

    def check_whole(self, text, companion_name, companion):
        """A whole tocsin.yaml with one companion file (its rule file), nothing of the harness."""
        sections = top_sections(self.map_paths(text))
        for section in sections:
            if section[0] == "state_dir":
                section[1:] = [" state", []]
            elif section[0] == "plugin_dirs":
                section[1:] = [f" [{self.args.plugins}]", []]
        for token in re.findall(r"token_file:\s*([\w./-]+)", text):
            if not os.path.isabs(token) and not os.path.exists(os.path.join(self.dir, token)):
                self.write(token, "harness-token-0123456789abcdef0123456789\n")
        self.write("tocsin.yaml", render(sections))
        self.write(companion_name, companion)
        return self.run([self.args.tocsin, "check", "-c", "tocsin.yaml"])

    def test_fragment(self, text):
        """One test case's keys, in a test file over the growth pack; only load errors count."""
        keys = {s[0] for s in top_sections(dedent(text))}
        body = dedent(text)
        if "series" not in keys:
            body += "series: []\n"
        if "expect" not in keys:
            body += "expect: []\n"
        header = ("rule_files: [../activation.yaml, ../churn.yaml, ../retention.yaml, "
                  "../unit_economics.yaml, policy.yaml]\n"
                  "sources: [app_db]\nnotifiers: [growth-log]\n"
                  "routes:\n  - match: { team: growth }\n    policy: growth\n"
                  f"start: {TEST_START}\ntests:\n  - name: doc example\n")
        test = header + "\n".join("    " + s if s.strip() else s for s in body.split("\n"))
        rc, out = self.run_test(test, "rules/growth/tests")
        if rc != 0 and (": error:" in out or "not run" in out):
            return rc, out
        return 0, out


def check(args, example, following):
    """Returns None when the example is fine, else the text of the problem. `following` is the
    next example of the same file (or None)."""
    marker = example.marker or ""
    text = example.text
    if marker == "checked with the previous block":
        return None  # the previous block's check covered it
    if marker.startswith("skip"):
        if not re.match(r"skip\s*\(.+\)", marker):
            return "a skipped example needs a reason: <!-- example: skip (why) -->"
        return None
    if marker == "prometheus":
        if not shutil.which("promtool"):
            return None
        harness = Harness(args, example)
        try:
            harness.write("prometheus.yml", text)
            rc, out = harness.run(["promtool", "check", "config", "prometheus.yml"])
            return None if rc == 0 else out
        finally:
            harness.close()
    harness = Harness(args, example)
    try:
        if marker.startswith("fragment of"):
            path = [p.strip() for p in marker[len("fragment of"):].split(">")]
            if path[0] == "a rule test":
                inner = nest(text, path[1:]) if len(path) > 1 else text
                rc, out = harness.test_fragment(inner)
                return None if rc == 0 else out
            text = nest(text, path)
        elif marker.startswith("config with the next block as"):
            name = marker[len("config with the next block as"):].strip()
            if following is None or following.marker != "checked with the previous block":
                return ("the next block must be marked "
                        "<!-- example: checked with the previous block -->")
            rc, out = harness.check_whole(text, name, following.text)
            return None if rc == 0 else out
        elif marker.startswith("test in"):
            rc, out = harness.run_test(text, marker[len("test in"):].strip())
            return None if rc == 0 else out
        elif marker:
            return f"unknown marker '<!-- example: {marker} -->'; see tests/docs/check_examples.py"
        try:
            keys = {s[0] for s in top_sections(text)}
        except ValueError as e:
            return f"{e}; mark the block (see tests/docs/check_examples.py)"
        if "tests" in keys:
            rc, out = harness.run_test(text)
            return None if rc == 0 else out
        config_keys = keys & CONFIG_KEYS
        rule_keys = keys & RULE_KEYS
        unknown = keys - CONFIG_KEYS - RULE_KEYS
        if unknown:
            return (f"top-level key(s) {', '.join(sorted(unknown))} belong to neither tocsin.yaml "
                    "nor a rule file; mark the block (see tests/docs/check_examples.py)")
        # A block may show a source and the KPIs that read it together: the tocsin.yaml keys go
        # to tocsin.yaml, the rest to a rule file.
        sections = top_sections(text)
        config = render([s for s in sections if s[0] in config_keys]) if config_keys else None
        rules = render([s for s in sections if s[0] in rule_keys]) if rule_keys else None
        rc, out = harness.check_config(config, rules)
        return None if rc == 0 else out
    finally:
        harness.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tocsin", default=os.path.join(ROOT, "build/default/bin/tocsin"))
    parser.add_argument("--plugins", help="plugin folder (default: next to the binary)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    args.tocsin = os.path.abspath(args.tocsin)
    if not args.plugins:
        args.plugins = os.path.join(os.path.dirname(os.path.dirname(args.tocsin)), "plugins")
    args.plugins = os.path.abspath(args.plugins)
    files = ["README.md"] + sorted(os.path.relpath(p, ROOT)
                                   for p in glob.glob(os.path.join(ROOT, "docs", "*.md")))
    checked = skipped = failed = 0
    for path in files:
        examples = list(extract(path))
        for index, example in enumerate(examples):
            following = examples[index + 1] if index + 1 < len(examples) else None
            problem = check(args, example, following)
            if example.marker and example.marker.startswith("skip"):
                skipped += 1
            else:
                checked += 1
            if problem:
                failed += 1
                print(f"{example.where()}: error: this example does not pass:", file=sys.stderr)
                for line in problem.rstrip().split("\n"):
                    print(f"    {line}", file=sys.stderr)
            elif args.verbose:
                print(f"{example.where()}: ok")
    print(f"docs examples: {checked - failed} ok, {failed} failing, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
