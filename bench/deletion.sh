#!/bin/sh
# The deletion test of explanation faithfulness on real data: a small CNN on
# Fashion-MNIST, an n-gram model of book reviews and the audio CNN on two
# speakers' spoken digits, each explained on 200 unseen samples (Fashion-MNIST's
# test images; kitchen-appliance reviews; the third speaker's recordings),
# removing the most important pixels, terms or spectrogram tiles first against
# random order.
#
#   bench/deletion.sh [--rows N] [SHARED_DATA]
#
# Models are trained once into bench/out/deletion/ (delete them to retrain);
# results go to bench/out/deletion/{images,text,audio}.json.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TL_BUILD:-$ROOT/build}
OUT="$ROOT/bench/out/deletion"
SHARED="$ROOT/../shared/data"
FASHION=${TL_FASHION:-/usr/share/datasets/fashion-mnist}
ROWS=200

while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) SHARED="$1" ;;
  esac
  shift
done

[ -d "$BUILD" ] || meson setup "$BUILD" "$ROOT" >/dev/null
ninja -C "$BUILD" app/transfer-lab bench/tl-deletion >/dev/null
APP="$BUILD/app/transfer-lab"
BENCH="$BUILD/bench/tl-deletion"
mkdir -p "$OUT"

if [ -f "$FASHION/t10k-images-idx3-ubyte.gz" ]; then
  if [ ! -f "$OUT/fashion-cnn.safetensors" ]; then
    echo "== training the cnn preset on Fashion-MNIST (2 epochs)"
    "$APP" train "$FASHION/train-images-idx3-ubyte.gz" --preset cnn --epochs 2 --seed 1 \
      --out "$OUT/fashion-cnn.safetensors" >/dev/null
  fi
  echo "== images"
  "$BENCH" "$OUT/fashion-cnn.safetensors" "$FASHION/t10k-images-idx3-ubyte.gz" --rows "$ROWS" \
    --json "$OUT/images.json"
else
  echo "== images skipped: no $FASHION (apt-get install dataset-fashion-mnist)"
fi

if [ -f "$SHARED/sentiment/books.csv" ]; then
  if [ ! -f "$OUT/books.safetensors" ]; then
    echo "== training the text-ngram preset on book reviews (5 epochs)"
    "$APP" train "$SHARED/sentiment/books.csv" --epochs 5 --seed 1 --out "$OUT/books.safetensors" >/dev/null
  fi
  echo "== text"
  "$BENCH" "$OUT/books.safetensors" "$SHARED/sentiment/kitchen.csv" --rows "$ROWS" --json "$OUT/text.json"
else
  echo "== text skipped: no $SHARED/sentiment"
fi

if [ -d "$SHARED/spoken-digits/lucas" ]; then
  if [ ! -f "$OUT/digits.safetensors" ]; then
    echo "== training the audio-cnn preset on george's and jackson's spoken digits (8 epochs)"
    mkdir -p "$OUT/two-speakers"
    ln -sfn "$SHARED/spoken-digits/george" "$OUT/two-speakers/george"
    ln -sfn "$SHARED/spoken-digits/jackson" "$OUT/two-speakers/jackson"
    "$APP" train "$OUT/two-speakers" --epochs 8 --seed 1 --out "$OUT/digits.safetensors" >/dev/null
  fi
  echo "== audio"
  "$BENCH" "$OUT/digits.safetensors" "$SHARED/spoken-digits/lucas" --rows "$ROWS" --json "$OUT/audio.json"
else
  echo "== audio skipped: no $SHARED/spoken-digits"
fi
