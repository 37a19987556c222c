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

# Run from the build folder: its compiled settings schema and translations.
GSETTINGS_SCHEMA_DIR="$PWD/build/resources${GSETTINGS_SCHEMA_DIR:+:$GSETTINGS_SCHEMA_DIR}"
export GSETTINGS_SCHEMA_DIR
exec ./build/app/transfer-lab "$@"
