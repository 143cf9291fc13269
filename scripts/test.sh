#!/usr/bin/env bash
# One command from a fresh clone to every test: installs the Debian packages, builds, runs the
# unit, plugin and integration tests (ctest), the rule packs' `tocsin test` files, `tocsin check`
# on the shipped configs and a format check. Then the sanitizers (docs/development.md): the whole
# ctest suite again under AddressSanitizer + UBSan (asan preset: daemon, plugins and every test
# built with them, so the integration tests run the instrumented daemon), and the [concurrency]
# tests under ThreadSanitizer (tsan preset). Any sanitizer report fails its test.
# Set TOCSIN_SKIP_ASAN=1 / TOCSIN_SKIP_TSAN=1 to skip a sanitizer pass while iterating.
# The Debian package test installs, upgrades and purges the .deb on this machine (root only); set
# TOCSIN_SKIP_PACKAGING=1 to skip it. The crash-safety test (50 SIGKILLs, ~2 min) and the short
# soak (75 s, memory must not grow) skip with TOCSIN_SKIP_CRASH=1 / TOCSIN_SKIP_SOAK=1.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

strict=()
if [ "${CI:-}" = "true" ]; then
    strict=(-DTOCSIN_WARNINGS_AS_ERRORS=ON)
fi

echo "== format (clang-format-16, .clang-format)"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z '*.cpp' '*.hpp' '*.h' | xargs -0 clang-format-16 --dry-run --Werror
fi

echo "== build"
cmake --preset default "${strict[@]}" >/dev/null
cmake --build --preset default

echo "== rule packs"
mkdir -p build/demo
python3 scripts/gen-demo-db.py --out build/demo/app.db
build/default/bin/tocsin check -c config/demo/tocsin.yaml
bash tests/demo_test.sh
shopt -s nullglob
rule_tests=(rules/*/tests/*_test.yaml)
build/default/bin/tocsin test "${rule_tests[@]}"

# The sanitizer options (halt on the first report, leak check, suppressions) are in the asan and
# tsan test presets of CMakePresets.json.
if [ "${TOCSIN_SKIP_ASAN:-}" != "1" ]; then
    echo "== all tests under AddressSanitizer + UBSan"
    cmake --preset asan "${strict[@]}" >/dev/null
    cmake --build --preset asan
    ctest --preset asan -j2
fi
if [ "${TOCSIN_SKIP_TSAN:-}" != "1" ]; then
    echo "== [concurrency] tests under ThreadSanitizer"
    cmake --preset tsan "${strict[@]}" >/dev/null
    cmake --build --preset tsan
    ctest --preset tsan -j2
fi

bash tests/sdk/out_of_tree.sh build/default
bash tests/packaging/deb_test.sh build/default   # as root; TOCSIN_SKIP_PACKAGING=1 skips it
python3 tests/docs/check_examples.py --tocsin build/default/bin/tocsin   # every yaml example in README.md and docs/

[ "${TOCSIN_SKIP_FUZZ:-}" = "1" ] || bash scripts/fuzz.sh 20   # libFuzzer smoke run; TOCSIN_SKIP_FUZZ=1 skips it
[ "${TOCSIN_SKIP_CRASH:-}" = "1" ] || python3 tests/crash/crash_safety.py --binary build/default/bin/tocsin --kills 50
[ "${TOCSIN_SKIP_SOAK:-}" = "1" ] || python3 bench/soak/soak.py --check --binary build/default/bin/tocsin

echo "== all tests"
ctest --preset default -j2
