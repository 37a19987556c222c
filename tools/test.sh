#!/bin/sh
# Sets everything up and runs every test: packages, a build in build/, then
# `meson test` with the UI tests in a real X server (Xvfb) and a session bus.
set -eu
cd "$(dirname "$0")/.."

./tools/install-deps.sh

if [ -d build ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
ninja -C build

xvfb-run -a -s "-screen 0 1400x900x24" \
  dbus-run-session -- meson test -C build --print-errorlogs --num-processes 2 "$@"

# Hardening (docs/reliability.md): the whole suite under AddressSanitizer and
# UBSan, each fuzz target for 45 s, and the CLI under Valgrind.
if [ "${TL_SKIP_HARDENING:-0}" != 1 ]; then
  ./tools/sanitize.sh
  ./tools/fuzz.sh -t 45
  VALGRIND_BUILD_DIR=build ./tools/valgrind-cli.sh
fi
