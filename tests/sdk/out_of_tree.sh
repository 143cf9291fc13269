#!/usr/bin/env bash
# The plugin author kit end to end: installs the SDK from a tocsin build tree into a temporary
# prefix, builds sdk/template out of tree against it with find_package(tocsin-sdk), then runs the
# real daemon with the template's disk_usage source and file_append notifier (plus the shipped log
# notifier) and waits, bounded, until an alert on the template source's KPI reaches both files.
#
#   tests/sdk/out_of_tree.sh [BUILD_DIR]      (default: build/default)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build/default}" && pwd)"
tocsin="$build/bin/tocsin"
limit_seconds=30

work="$(mktemp -d)"
daemon_pid=""
cleanup() {
    if [ -n "$daemon_pid" ]; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== sdk: install into a temporary prefix"
cmake --install "$build" --component sdk --prefix "$work/sdk" >/dev/null

echo "== sdk: build sdk/template out of tree"
generator=()
if command -v ninja >/dev/null; then
    generator=(-G Ninja)
fi
cmake -S "$root/sdk/template" -B "$work/template" "${generator[@]}" \
    -DCMAKE_PREFIX_PATH="$work/sdk" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/template" >/dev/null
test -f "$work/template/plugins/tocsin_source_disk_usage.so"
test -f "$work/template/plugins/tocsin_notifier_file_append.so"

echo "== sdk: run tocsin with the template plugins"
mkdir -p "$work/run"
cat >"$work/run/tocsin.yaml" <<YAML
state_dir: state
plugin_dirs: [$work/template/plugins, $build/plugins]
rule_files: [rules.yaml]
sources:
  disks: { plugin: disk_usage }
notifiers:
  alerts-log: { plugin: log, path: $work/run/alerts.log }
  audit: { plugin: file_append, path: $work/run/audit.jsonl }
default_policy: page
YAML
cat >"$work/run/rules.yaml" <<YAML
kpis:
  work_disk_bytes:
    source: disks
    path: $work
    measure: total_bytes
    every: 1s
policies:
  page:
    steps:
      - notify: [alerts-log, audit]
rules:
  - alert: TemplateSourceSeen
    kpi: work_disk_bytes
    above: { warning: 0 }
    summary: "the out-of-tree disk_usage source reports {{ value }} bytes"
YAML
listing="$("$tocsin" plugins --plugin-dir "$work/template/plugins")"
grep -q "disk_usage 1.0.0 (source" <<<"$listing"
grep -q "file_append 1.0.0 (notifier" <<<"$listing"
"$tocsin" check -c "$work/run/tocsin.yaml" >/dev/null

"$tocsin" run -c "$work/run/tocsin.yaml" 2>"$work/run/daemon.log" &
daemon_pid=$!
deadline=$((SECONDS + limit_seconds))
until grep -q TemplateSourceSeen "$work/run/audit.jsonl" 2>/dev/null &&
    grep -q TemplateSourceSeen "$work/run/alerts.log" 2>/dev/null; do
    if ! kill -0 "$daemon_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
        echo "sdk: no alert from the template plugins within ${limit_seconds}s; daemon log:" >&2
        cat "$work/run/daemon.log" >&2
        exit 1
    fi
    sleep 0.2
done
python3 -c 'import json, sys; n = json.loads(open(sys.argv[1]).readline()); assert n["alerts"][0]["name"] == "TemplateSourceSeen", n' \
    "$work/run/audit.jsonl"
echo "sdk: the out-of-tree plugins loaded, collected and delivered"
