#!/bin/sh
# Installs the Debian 12 packages Transfer Lab needs to build, run, test and benchmark.
# Used by both README commands and by .ci/run; safe to run again.
set -eu

PACKAGES="
  build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libglib2.0-dev-bin libjson-glib-dev libgtk-4-dev libadwaita-1-dev
  libcairo2-dev libpango1.0-dev libgdk-pixbuf-2.0-dev libcsv-dev libopenblas-dev zlib1g-dev
  libsndfile1-dev libfftw3-dev libsamplerate0-dev espeak-ng sox
  libgtk-4-media-gstreamer gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  dataset-fashion-mnist
  xvfb xauth dbus dbus-x11 desktop-file-utils appstream-util
  python3-numpy python3-torch python3-torchaudio python3-torchvision python3-onnx
  clang libclang-rt-14-dev valgrind time
  imagemagick poppler-utils
  fonts-wqy-microhei
"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done

if [ -n "$missing" ]; then
  echo "Installing:$missing"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# The ONNX tests run models with onnxruntime-node, installed by npm into the build folder.
# Node may come from elsewhere; Debian's npm would then conflict, so only add both when npm is absent.
if ! command -v npm >/dev/null 2>&1; then
  echo "Installing: nodejs npm"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
