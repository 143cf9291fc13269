#!/usr/bin/env bash
# Builds the libFuzzer targets (CMake preset `fuzz`: clang, ASan+UBSan) and runs each one for
# SECONDS_PER_TARGET seconds (default 20) on a fresh copy of its seed corpus
# (tests/fuzz/corpus/<target>/), with its dictionary (tests/fuzz/<target>.dict) when it has one.
# Prints one line per target (executions, coverage, result) and exits non-zero when any target
# found a crash, a leak, a timeout or ran out of memory; the input that did it is kept under
# build/fuzz/artifacts/<target>/ and its path printed. Long runs and reproducing a crash:
# docs/development.md, "Fuzzing".
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     e.g. scripts/fuzz.sh 600 matcher
#
# Runs use a fixed libFuzzer seed (TOCSIN_FUZZ_SEED, default 1), so a failure in CI reproduces
# with the same command; set another seed (or 0 for a random one) to explore elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-20}"
seed="${TOCSIN_FUZZ_SEED:-1}"
shift || true
all_targets=(duration calendar matcher exposition push api_json http_json rules config yaml)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

echo "== fuzz: build (preset fuzz)"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz

out=build/fuzz
rm -rf "$out/corpus-run" "$out/logs"
mkdir -p "$out/corpus-run" "$out/logs"

failed=0
rows=()
for t in "${targets[@]}"; do
    bin="$out/fuzz/${t}_fuzz"
    [ -x "$bin" ] || { echo "fuzz: no target '$t' (have: ${all_targets[*]})" >&2; exit 2; }
    corpus="$out/corpus-run/$t"
    artifacts="$out/artifacts/$t"
    log="$out/logs/$t.log"
    mkdir -p "$corpus" "$artifacts"
    cp tests/fuzz/corpus/"$t"/* "$corpus"/
    args=(-seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="$artifacts/")
    [ -f "tests/fuzz/$t.dict" ] && args+=(-dict="tests/fuzz/$t.dict")
    echo "== fuzz: $t (${seconds}s)"
    rc=0
    # The loader targets write to $TMPDIR; each run gets its own folder there.
    ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
        "$bin" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    [ -z "$execs" ] && execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | sed 's/cov: //')
    result=ok
    if [ "$rc" -ne 0 ]; then
        failed=1
        if grep -q 'ERROR: LeakSanitizer' "$log"; then
            result=leak
        elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then
            result=timeout
        elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then
            result=out-of-memory
        else
            result="crash (exit $rc)"
        fi
        input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
        echo "fuzz: $t: $result; input: ${input:-see $log}; log: $log" >&2
        grep -m1 -A25 -E '^(==[0-9]+==ERROR|.*runtime error|fuzz property broken)' "$log" >&2 || tail -n 30 "$log" >&2
    fi
    rows+=("$(printf '%-12s %12s %8s  %s' "$t" "${execs:-?}" "${cov:-?}" "$result")")
done

echo "== fuzz: ${seconds}s per target, seed $seed"
printf '%-12s %12s %8s  %s\n' target executions coverage result
printf '%s\n' "${rows[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz: FAILED; reproduce with build/fuzz/fuzz/<target>_fuzz <input> (docs/development.md)" >&2
    exit 1
fi
