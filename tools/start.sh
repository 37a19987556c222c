#!/bin/sh
# Sets everything up and starts Transfer Lab on its demo experiment.
set -eu
cd "$(dirname "$0")/.."

./tools/install-deps.sh

if [ -d build ]; then
  meson setup --reconfigure build >/dev/null
else
  meson setup build
fi
ninja -C build

exec ./build/app/transfer-lab "$@"
