#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) and runs
# each for a fixed time, one job, starting from fuzz/corpus/ (new inputs go to the build
# directory, not into the tree). Prints the exec count of each; exits non-zero on a crash
# (the input is kept in $BUILD_DIR/artifacts/).
#   fuzz/run.sh [SECONDS] [TARGET...]     default: 60 s each for fuzz_fold, fuzz_render
#                                         and fuzz_kafka_key
#   BUILD_DIR=build-fuzz (default)        CC=clang (default)
# Reproduce a crash: $BUILD_DIR/fuzz_fold $BUILD_DIR/artifacts/crash-...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_fold fuzz_render fuzz_kafka_key)
build=${BUILD_DIR:-$here/../build-fuzz}

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="${CC:-clang}" >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null

mkdir -p "$build/artifacts"
for t in "${targets[@]}"; do
  work="$build/corpus-$t"
  mkdir -p "$work"
  log="$build/$t.log"
  start=$(date +%s)
  rc=0
  "$build/$t" -max_total_time="$secs" -print_final_stats=1 -max_len=4096 -timeout=10 \
    -artifact_prefix="$build/artifacts/" "$work" "$here/corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  echo "$t: ${execs:-?} execs in $(( $(date +%s) - start )) s, $(find "$work" -type f | wc -l) inputs in the corpus"
  if [ "$rc" -ne 0 ]; then
    echo "$t: FAILED (exit $rc); the log is $log" >&2
    grep -E "ERROR|check failed|runtime error|SUMMARY" "$log" | head -5 >&2
    exit 1
  fi
done
