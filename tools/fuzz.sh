#!/bin/sh
# Builds the libFuzzer targets in fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer (in build-fuzz/) and runs each for a bounded time,
# starting from its seed corpus in fuzz/corpus/<target>/. Fails on any crash,
# leak, time-out or memory blow-up; the input that caused it is left in
# build-fuzz/artifacts/ (add it to tests/regressions/ once fixed).
#
#   tools/fuzz.sh [-t SECONDS] [TARGET...]     default: 60 s each, every target
set -eu
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
if [ "${1:-}" = "-t" ]; then
  seconds=$2
  shift 2
fi
targets=${*:-"csv idx model-file experiment tokenizer checkpoint audio word-vectors onnx"}
build=${FUZZ_BUILD_DIR:-build-fuzz}

if [ ! -d "$build" ]; then
  CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debugoptimized -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
for t in $targets; do
  ninja -C "$build" "fuzz/fuzz-$t" >/dev/null
done

mkdir -p "$build/artifacts" "$build/corpus"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
export OPENBLAS_NUM_THREADS=1
export G_DEBUG=fatal-criticals

failed=""
for t in $targets; do
  # New inputs go to a scratch corpus in the build folder; the seeds in the tree stay as written.
  work="$build/corpus/$t"
  mkdir -p "$work"
  dict=""
  if [ -f "fuzz/$t.dict" ]; then dict="-dict=fuzz/$t.dict"; fi
  echo "fuzz-$t: ${seconds}s"
  # shellcheck disable=SC2086
  if ! "$build/fuzz/fuzz-$t" "$work" "fuzz/corpus/$t" $dict \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$build/artifacts/$t-" -print_final_stats=1 \
        >"$build/fuzz-$t.log" 2>&1; then
    echo "fuzz-$t FAILED:"
    grep -E "ERROR|SUMMARY|runtime error|Test unit written|==[0-9]+==" "$build/fuzz-$t.log" | head -20
    failed="$failed $t"
  else
    grep -E "stat::number_of_executed_units|cov: " "$build/fuzz-$t.log" | tail -2 | sed 's/^/  /'
  fi
done

if [ -n "$failed" ]; then
  echo "fuzzing failed:$failed (logs in $build/fuzz-*.log)"
  exit 1
fi
echo "fuzzing: all targets clean"
