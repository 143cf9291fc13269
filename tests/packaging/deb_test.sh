#!/usr/bin/env bash
# The Debian package end to end, on this machine (CI machines are disposable Debian 12 boxes that
# run as root): builds the .deb twice with cpack (the second with a bumped version), then
#   lint     - lintian, with the remaining tags listed in packaging/debian/lintian-overrides;
#   install  - files where they belong with the right modes (copyright, changelog.Debian.gz, SDK
#              headers and CMake package too), the tocsin user, the API token, the unit enabled;
#              the unit has its hardening lines, passes `systemd-analyze verify` and its offline
#              security review; `tocsin check` passes on the packaged config as the tocsin user;
#   sdk      - sdk-template built against the installed SDK installs into /usr/lib/tocsin/plugins
#              (under a DESTDIR) and the installed daemon loads and checks its plugins;
#   run      - the installed binary runs as the tocsin user on the packaged config, answers
#              /healthz, /metrics (promtool) and `tocsin status`, reloads on SIGHUP and `tocsin reload`, can be backed
#              up with sqlite3 .backup while running, and stops cleanly on SIGTERM;
#   upgrade  - to the bumped version: a modified conffile, the token and the state survive;
#   remove   - the binary goes, config and state stay;
#   purge    - config, token, state and logs go, the unit's enablement too.
# Whatever happens, the package is purged at the end and a tocsin user this test made is removed.
#
#   tests/packaging/deb_test.sh [BUILD_DIR]     (default: build/default, already built)
#
# Needs root. Set TOCSIN_SKIP_PACKAGING=1 to skip it (developers who are not root).
set -euo pipefail

if [ "${TOCSIN_SKIP_PACKAGING:-}" = "1" ]; then
    echo "== packaging: skipped (TOCSIN_SKIP_PACKAGING=1)"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "packaging: this test installs a package and must run as root;" \
        "set TOCSIN_SKIP_PACKAGING=1 to skip it" >&2
    exit 1
fi

root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$(cd "${1:-$root/build/default}" && pwd)"
start_seconds=$SECONDS
wait_limit=30   # seconds for any one thing the daemon must do

if dpkg-query -W -f='${Status}' tocsin 2>/dev/null | grep -q "installed"; then
    echo "packaging: a tocsin package is already installed here; this test would purge it." \
        "Remove it first (dpkg -P tocsin)" >&2
    exit 1
fi
if (exec 3<>/dev/tcp/127.0.0.1/9470) 2>/dev/null; then
    echo "packaging: something already listens on 127.0.0.1:9470, the packaged api.listen" >&2
    exit 1
fi

work="$(mktemp -d)"
chmod 0755 "$work"
user_existed=0
getent passwd tocsin >/dev/null && user_existed=1
daemon_pid=""

cleanup() {
    local rc=$?
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if dpkg-query -W -f='${Status}' tocsin 2>/dev/null | grep -q "installed\|config-files"; then
        dpkg --purge tocsin >/dev/null 2>&1 || true
    fi
    if [ "$user_existed" = 0 ] && getent passwd tocsin >/dev/null; then
        deluser --system --quiet tocsin >/dev/null 2>&1 || true
        delgroup --system --quiet tocsin >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT

fail() {
    echo "packaging: FAILED: $*" >&2
    exit 1
}

# expect_mode PATH MODE OWNER:GROUP
expect_mode() {
    [ -e "$1" ] || fail "$1 is missing"
    local got
    got="$(stat -c '%a %U:%G' "$1")"
    [ "$got" = "$2 $3" ] || fail "$1 is '$got', expected '$2 $3'"
}

# wait_for_log FILE TEXT: bounded wait until the daemon has logged TEXT.
wait_for_log() {
    local deadline=$((SECONDS + wait_limit))
    until grep -q -- "$2" "$1"; do
        if [ -n "$daemon_pid" ] && ! kill -0 "$daemon_pid" 2>/dev/null; then
            cat "$1" >&2
            fail "the daemon exited before logging '$2'"
        fi
        [ $SECONDS -lt $deadline ] || { cat "$1" >&2; fail "no '$2' in the log after ${wait_limit}s"; }
        sleep 0.1
    done
}

# as_tocsin CMD...: runs CMD as the tocsin user and group, from /, as systemd would.
as_tocsin() {
    (cd / && setpriv --reuid=tocsin --regid=tocsin --init-groups -- "$@")
}

# http_get URL: prints "STATUS BODY" (python3 is in setup.sh; curl may not be on the machine).
http_get() {
    python3 - "$1" <<'EOF'
import sys, urllib.request, urllib.error
try:
    with urllib.request.urlopen(sys.argv[1], timeout=10) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
EOF
}

# start_daemon LOG: the installed binary as the tocsin user on the packaged config, with the
# unit's UMask.
start_daemon() {
    : >"$1"
    (cd / && umask 0027 && exec setpriv --reuid=tocsin --regid=tocsin --init-groups -- \
        /usr/bin/tocsin run -c /etc/tocsin/tocsin.yaml) >"$1" 2>&1 &
    daemon_pid=$!
    wait_for_log "$1" "running:"
}

stop_daemon() {
    kill -TERM "$daemon_pid"
    local rc=0
    wait "$daemon_pid" || rc=$?
    daemon_pid=""
    [ $rc -eq 0 ] || { cat "$1" >&2; fail "the daemon exited with $rc on SIGTERM"; }
    grep -q "stopped" "$1" || fail "the daemon did not log 'stopped'"
}

echo "== packaging: build the .deb (cpack) twice, the second with a bumped version"
prefix="$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")"
if [ "$prefix" != "/usr" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
fi
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")"
[ -n "$version" ] || fail "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"
next="$version+deb.test.1"
(cd "$build" && cpack -G DEB -B "$work/v1" >"$work/cpack1.log") ||
    { cat "$work/cpack1.log" >&2; fail "cpack"; }
(cd "$build" && cpack -G DEB -B "$work/v2" -D CPACK_PACKAGE_VERSION="$next" >"$work/cpack2.log") ||
    { cat "$work/cpack2.log" >&2; fail "cpack (bumped version)"; }
deb1="$(ls "$work"/v1/tocsin_*.deb)"
deb2="$(ls "$work"/v2/tocsin_*.deb)"
[ "$(dpkg-deb -f "$deb1" Version)" = "$version-1" ] || fail "$deb1 has the wrong version"
[ "$(dpkg-deb -f "$deb2" Version)" = "$next-1" ] || fail "$deb2 has the wrong version"
dpkg-deb -f "$deb1" Maintainer | grep -q "<[^@ ]*@[^> ]*>" || fail "the Maintainer has no address"
[ "$(dpkg-deb -f "$deb1" Section)" = "admin" ] || fail "Section is not admin"
dpkg-deb -f "$deb1" Depends | grep -q "libyaml-cpp" || fail "Depends lacks the shared libraries"
dpkg-deb -f "$deb1" Depends | grep -q "adduser" || fail "Depends lacks adduser"

echo "== packaging: lintian"
if command -v lintian >/dev/null; then
    # Tags that stay are listed with their reasons in packaging/debian/lintian-overrides, which
    # the package installs; anything else (warnings and errors) fails the test.
    lintian --fail-on error,warning \
        "$deb1" >"$work/lintian.txt" 2>&1 || { cat "$work/lintian.txt" >&2; fail "lintian"; }
    cat "$work/lintian.txt"
else
    echo "(lintian not found; scripts/setup.sh installs it)"
fi

echo "== packaging: clean install of $(basename "$deb1")"
dpkg -i "$deb1" </dev/null >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; fail "dpkg -i"; }

expect_mode /usr/bin/tocsin 755 root:root
plugins=(source_sqlite source_postgres source_prometheus source_http_json source_exec
    source_execd source_file notifier_log notifier_webhook notifier_slack notifier_email
    notifier_twilio notifier_pagerduty notifier_exec)
for p in "${plugins[@]}"; do
    if [ -e "$build/plugins/tocsin_$p.so" ]; then
        expect_mode "/usr/lib/tocsin/plugins/tocsin_$p.so" 644 root:root
    fi
done
shipped="$(find /usr/lib/tocsin/plugins -name 'tocsin_*.so' | wc -l)"
built="$(find "$build/plugins" -maxdepth 1 -name 'tocsin_*.so' | wc -l)"
[ "$shipped" -eq "$built" ] || fail "$shipped plugin(s) installed, $built built"
# MemoryDenyWriteExecute= in the unit refuses modules that want an executable stack.
for elf in /usr/bin/tocsin /usr/lib/tocsin/plugins/*.so; do
    stack="$(readelf -lW "$elf" | awk '$1 == "GNU_STACK" { print $7 }')"
    [ "$stack" = "RW" ] || fail "$elf asks for a '$stack' stack; the unit's MemoryDenyWriteExecute needs RW"
done
expect_mode /etc/tocsin/tocsin.yaml 644 root:root
expect_mode /etc/tocsin/rules.d/policies.yaml 644 root:root
expect_mode /etc/tocsin/api-token 640 root:tocsin
[ "$(head -n1 /etc/tocsin/api-token | tr -d '\n' | wc -c)" -ge 32 ] || fail "the API token is short"
expect_mode /var/lib/tocsin 750 tocsin:tocsin
expect_mode /var/log/tocsin 750 tocsin:tocsin
expect_mode /lib/systemd/system/tocsin.service 644 root:root
expect_mode /usr/share/man/man1/tocsin.1.gz 644 root:root
zcat /usr/share/man/man1/tocsin.1.gz | grep -q '^\.TH TOCSIN 1' || fail "tocsin.1.gz is not a man page"
expect_mode /usr/include/tocsin/sdk/abi.h 644 root:root
triplet="$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
expect_mode "/usr/lib/$triplet/cmake/tocsin-sdk/tocsin-sdkConfig.cmake" 644 root:root
expect_mode /usr/share/tocsin/rules/growth/activation.yaml 644 root:root
expect_mode /usr/share/doc/tocsin/copyright 644 root:root
expect_mode /usr/share/doc/tocsin/changelog.Debian.gz 644 root:root
zcat /usr/share/doc/tocsin/changelog.Debian.gz | head -n1 | grep -q "^tocsin ($version-1) " ||
    fail "changelog.Debian.gz does not start with version $version-1"
dpkg-query -W -f='${Conffiles}\n' tocsin | grep -q "/etc/tocsin/tocsin.yaml" ||
    fail "/etc/tocsin/tocsin.yaml is not a conffile"
[ "$(getent passwd tocsin | cut -d: -f6,7)" = "/var/lib/tocsin:/usr/sbin/nologin" ] ||
    fail "the tocsin user is not $(getent passwd tocsin)"
[ "$(id -u tocsin)" -lt 1000 ] || fail "tocsin is not a system user"
[ -L /etc/systemd/system/multi-user.target.wants/tocsin.service ] || fail "the unit is not enabled"

echo "== packaging: the unit (hardening lines, systemd-analyze verify, offline security review)"
unit=/lib/systemd/system/tocsin.service
for line in Type=notify "ExecReload=/bin/kill -HUP \$MAINPID" User=tocsin StateDirectory=tocsin \
    WatchdogSec= NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
    ProtectKernelTunables=yes ProtectControlGroups=yes LockPersonality=yes \
    MemoryDenyWriteExecute=yes "CapabilityBoundingSet=\$" SystemCallArchitectures=native \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\$" \
    "SystemCallFilter=@system-service\$" "SystemCallFilter=~@privileged @resources\$"; do
    grep -q "^$line" "$unit" || fail "$unit lacks '$line'"
done
if command -v systemd-analyze >/dev/null; then
    (cd / && systemd-analyze verify --man=no /lib/systemd/system/tocsin.service) ||
        fail "systemd-analyze verify"
    # 2.0 on systemd's 0-10 scale ("OK" ends at 4.0): catches a hardening line getting lost.
    (cd / && systemd-analyze security --offline=yes --threshold=20 \
        /lib/systemd/system/tocsin.service >"$work/security.txt" 2>&1) ||
        { cat "$work/security.txt" >&2; fail "systemd-analyze security: exposure above 2.0"; }
    grep "Overall exposure level" "$work/security.txt"
else
    echo "(systemd-analyze not found; scripts/setup.sh installs it)"
fi

echo "== packaging: the installed rule packs' tests and tocsin check as the tocsin user"
shopt -s nullglob
pack_tests=(/usr/share/tocsin/rules/*/tests/*_test.yaml)
[ ${#pack_tests[@]} -gt 0 ] || fail "no rule pack tests installed"
/usr/bin/tocsin test "${pack_tests[@]}" >"$work/test.log" || { cat "$work/test.log" >&2; fail "tocsin test"; }
as_tocsin /usr/bin/tocsin check -c /etc/tocsin/tocsin.yaml || fail "tocsin check on the packaged config"

echo "== packaging: an out-of-tree plugin built against the installed SDK"
# The plugin author's path: the template the package ships, find_package(tocsin-sdk) from /usr,
# and an install that lands where the packaged daemon looks (/usr/lib/tocsin/plugins).
cp -r /usr/share/tocsin/sdk-template "$work/my-plugins"
cmake -S "$work/my-plugins" -B "$work/my-plugins/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
    >"$work/sdk.log" 2>&1 || { cat "$work/sdk.log" >&2; fail "cmake on the template with the installed SDK"; }
grep -q "tocsin-sdk" "$work/my-plugins/build/CMakeCache.txt" || fail "find_package(tocsin-sdk) was not used"
grep -q "^tocsin-sdk_DIR:PATH=/usr/" "$work/my-plugins/build/CMakeCache.txt" ||
    fail "the template did not find the installed tocsin-sdk: $(grep tocsin-sdk_DIR "$work/my-plugins/build/CMakeCache.txt")"
cmake --build "$work/my-plugins/build" >>"$work/sdk.log" 2>&1 || { cat "$work/sdk.log" >&2; fail "building the template"; }
DESTDIR="$work/stage" cmake --install "$work/my-plugins/build" >>"$work/sdk.log" 2>&1 ||
    { cat "$work/sdk.log" >&2; fail "installing the template"; }
for p in source_disk_usage notifier_file_append; do
    [ -f "$work/stage/usr/lib/tocsin/plugins/tocsin_$p.so" ] ||
        fail "the SDK installed tocsin_$p.so elsewhere: $(cd "$work/stage" && find . -name '*.so')"
done
chmod -R go-w "$work/stage"
/usr/bin/tocsin plugins --plugin-dir "$work/stage/usr/lib/tocsin/plugins" >"$work/plugins.txt" ||
    fail "tocsin plugins on the out-of-tree modules"
grep -q "disk_usage 1.0.0 (source" "$work/plugins.txt" || { cat "$work/plugins.txt" >&2; fail "disk_usage not loaded"; }
grep -q "file_append 1.0.0 (notifier" "$work/plugins.txt" || { cat "$work/plugins.txt" >&2; fail "file_append not loaded"; }
mkdir -p "$work/oot"
cat >"$work/oot/tocsin.yaml" <<YAML
state_dir: $work/oot/state
plugin_dirs: [$work/stage/usr/lib/tocsin/plugins, /usr/lib/tocsin/plugins]
rule_files: [rules.yaml]
sources:
  disks: { plugin: disk_usage }
notifiers:
  audit: { plugin: file_append, path: $work/oot/audit.jsonl }
default_policy: page
YAML
cat >"$work/oot/rules.yaml" <<YAML
kpis:
  work_disk_bytes: { source: disks, path: $work, measure: total_bytes, every: 1s }
policies:
  page: { steps: [ { notify: [audit] } ] }
rules:
  - alert: OutOfTreeSeen
    kpi: work_disk_bytes
    above: { warning: 0 }
YAML
/usr/bin/tocsin check -c "$work/oot/tocsin.yaml" >/dev/null || fail "tocsin check with the out-of-tree plugins"

echo "== packaging: run the installed daemon as the tocsin user"
start_daemon "$work/run1.log"
[ "$(ps -o user= -p "$daemon_pid")" = "tocsin" ] || fail "the daemon does not run as tocsin"
health="$(http_get http://127.0.0.1:9470/healthz)"
[ "${health%% *}" = "200" ] || fail "/healthz answered '$health'"
as_tocsin /usr/bin/tocsin status -c /etc/tocsin/tocsin.yaml >"$work/status.txt" ||
    fail "tocsin status"
grep -q "$version" "$work/status.txt" || { cat "$work/status.txt" >&2; fail "status lacks $version"; }
metrics="$(http_get http://127.0.0.1:9470/metrics)"
[ "${metrics%% *}" = "200" ] || fail "/metrics answered ${metrics%% *}"
printf '%s\n' "${metrics#* }" >"$work/metrics.txt"
command -v promtool >/dev/null || fail "promtool is missing (Debian package prometheus, see scripts/setup.sh)"
promtool check metrics <"$work/metrics.txt" || fail "/metrics does not pass promtool check metrics"
grep -qx "tocsin_build_info{version=\"$version\"} 1" "$work/metrics.txt" ||
    { cat "$work/metrics.txt" >&2; fail "/metrics lacks tocsin_build_info for $version"; }
grep -q '^tocsin_reloads_total{result="ok"} 0$' "$work/metrics.txt" ||
    fail "/metrics lacks tocsin_reloads_total before the first reload"
kill -HUP "$daemon_pid"
wait_for_log "$work/run1.log" "reloaded:"
metrics="$(http_get http://127.0.0.1:9470/metrics)"
printf '%s\n' "${metrics#* }" | grep -q '^tocsin_reloads_total{result="ok"} 1$' ||
    fail "tocsin_reloads_total{result=\"ok\"} did not count the SIGHUP reload"
# The API reload needs the token: group tocsin must be able to read it.
as_tocsin /usr/bin/tocsin reload -c /etc/tocsin/tocsin.yaml >"$work/reload.txt" 2>&1 ||
    { cat "$work/reload.txt" >&2; fail "tocsin reload through the API"; }
# The operator's guide's backup, taken while the daemon runs.
sqlite3 /var/lib/tocsin/state.db ".backup $work/backup.db" || fail "sqlite3 .backup while running"
[ "$(sqlite3 "$work/backup.db" 'PRAGMA integrity_check')" = "ok" ] || fail "the backup is damaged"
stop_daemon "$work/run1.log"
expect_mode /var/lib/tocsin/state.db 640 tocsin:tocsin

echo "== packaging: upgrade to $next with a modified conffile"
echo "# edited by the operator" >>/etc/tocsin/tocsin.yaml
token_before="$(cat /etc/tocsin/api-token)"
dpkg -i "$deb2" </dev/null >"$work/upgrade.log" 2>&1 || { cat "$work/upgrade.log" >&2; fail "upgrade"; }
[ "$(dpkg-query -W -f='${Version}' tocsin)" = "$next-1" ] || fail "the upgrade did not take"
grep -q "^# edited by the operator" /etc/tocsin/tocsin.yaml || fail "the modified conffile was replaced"
[ "$(cat /etc/tocsin/api-token)" = "$token_before" ] || fail "the upgrade changed the API token"
[ -f /var/lib/tocsin/state.db ] || fail "the upgrade lost the state database"
start_daemon "$work/run2.log"
grep -q "restored 0 active alert(s), .* from /var/lib/tocsin/state.db" "$work/run2.log" ||
    fail "the upgraded daemon did not open the kept state database"
stop_daemon "$work/run2.log"

echo "== packaging: remove, then purge"
dpkg -r tocsin </dev/null >"$work/remove.log" 2>&1 || { cat "$work/remove.log" >&2; fail "dpkg -r"; }
[ ! -e /usr/bin/tocsin ] || fail "remove left /usr/bin/tocsin"
[ ! -e /usr/lib/tocsin/plugins ] || fail "remove left /usr/lib/tocsin/plugins"
[ -f /etc/tocsin/tocsin.yaml ] || fail "remove took the config (only purge may)"
[ -f /var/lib/tocsin/state.db ] || fail "remove took the state (only purge may)"
dpkg -P tocsin </dev/null >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; fail "dpkg -P"; }
for gone in /etc/tocsin /var/lib/tocsin /var/log/tocsin /lib/systemd/system/tocsin.service \
    /etc/systemd/system/multi-user.target.wants/tocsin.service /etc/systemd/system/tocsin.service; do
    [ ! -e "$gone" ] && [ ! -L "$gone" ] || fail "purge left $gone"
done
dpkg-query -W -f='${Status}' tocsin 2>/dev/null | grep -q "installed\|config-files" &&
    fail "dpkg still knows the package after purge"

echo "== packaging: ok in $((SECONDS - start_seconds))s"
