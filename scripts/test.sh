#!/usr/bin/env bash
# One command from a fresh clone to every test: installs the Debian packages, builds, runs the
# unit, plugin and integration tests (ctest), the rule packs' `tocsin test` files, `tocsin check`
# on the shipped configs, a format check, and the unit tests again under AddressSanitizer + UBSan.
# Set TOCSIN_SKIP_ASAN=1 to skip the sanitizer pass while iterating.
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

if [ "${TOCSIN_SKIP_ASAN:-}" != "1" ]; then
    echo "== unit tests under AddressSanitizer + UBSan"
    cmake --preset asan "${strict[@]}" >/dev/null
    cmake --build --preset asan --target tocsin_engine_tests tocsin_store_tests tocsin_plugin_host_tests tocsin_app_tests
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --preset asan -R '^(engine|store|plugin_host|app):'
fi

bash tests/sdk/out_of_tree.sh build/default
bash tests/packaging/deb_test.sh build/default   # as root; TOCSIN_SKIP_PACKAGING=1 skips it
python3 tests/docs/check_examples.py --tocsin build/default/bin/tocsin   # every yaml example in README.md and docs/

[ "${TOCSIN_SKIP_FUZZ:-}" = "1" ] || bash scripts/fuzz.sh 20   # libFuzzer smoke run; TOCSIN_SKIP_FUZZ=1 skips it
[ "${TOCSIN_SKIP_CRASH:-}" = "1" ] || python3 tests/crash/crash_safety.py --binary build/default/bin/tocsin --kills 50
[ "${TOCSIN_SKIP_SOAK:-}" = "1" ] || python3 bench/soak/soak.py --check --binary build/default/bin/tocsin

echo "== all tests"
ctest --preset default -j2
