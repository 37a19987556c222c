#!/bin/sh
# Builds the project with AddressSanitizer and UndefinedBehaviorSanitizer in
# build-asan/ and runs the whole test suite under them: any invalid memory
# access, undefined behaviour or leak fails the run. Leaks inside system
# libraries (GTK, fontconfig, drivers) are suppressed by tools/lsan.supp.
#
#   tools/sanitize.sh [meson test arguments...]
set -eu
cd "$(dirname "$0")/.."

build=${SANITIZE_BUILD_DIR:-build-asan}

if [ -d "$build" ]; then
  meson setup --reconfigure "$build" -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
else
  meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C "$build"

# fast_unwind_on_malloc=0: system libraries lack frame pointers, and suppressions need whole stacks
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:fast_unwind_on_malloc=0"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/tools/lsan.supp:print_suppressions=0"
# GLib's slice allocator and GTK's GL renderer hide allocations from the sanitizer
export G_SLICE=always-malloc
export GSK_RENDERER=cairo

# Sanitized code runs 2-5x slower: give every test more time.
run_tests () {
  xvfb-run -a -s "-screen 0 1400x900x24" \
    dbus-run-session -- meson test -C "$build" --print-errorlogs --num-processes 2 \
    --timeout-multiplier 3 "$@"
}

if [ $# -gt 0 ]; then
  run_tests "$@"
  exit
fi
# Everything but the window with leak checking; the window's tests check
# memory errors only, since GTK's drivers and caches allocate through modules
# the leak checker cannot unwind (reports with no frame of ours).
run_tests --no-suite ui
ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" run_tests --suite ui
