#!/bin/sh
# Private transfer on split Fashion-MNIST (data/experiments/fashion-split.json with
# 1,000 labelled target images per class), at epsilon 3, delta 1e-5. One private experiment gives
#   private transfer: the pretrained CNN, convolutions frozen, dense layers trained with DP-SGD
#   non-private transfer: the same without privacy (the run "non-private")
#   private from scratch: the same CNN, every layer trained on the target alone with DP-SGD (the baseline)
# and a second one the smaller model a user might train privately from scratch instead (an MLP).
# then the PyTorch DP-SGD reference (bench/dp_reference.py) at the noise multiplier ours calibrated.
# Usage: bench/privacy_fashion.sh [OUT]   (default bench/out/privacy)
#   PER_CLASS=N   labelled target images per class (default 1000; 6000 is the whole training set
#                 of classes 5-9, 30,000 images)
#   REFERENCE=0   skips the PyTorch reference (it materialises every example's gradient: slow)
#   EPOCHS, BATCH, LR, CLIP   the fine-tuning (and baseline) recipe (default 20, 256, 0.001, 1.0;
#                 chosen on a validation split: 80, 2048, 0.01, 0.1, see bench/NOTES.md)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TL=${TL:-$ROOT/build/app/transfer-lab}
OUT=${1:-$ROOT/bench/out/privacy}
EXP=$ROOT/data/experiments/fashion-split.json
CLIP=${CLIP:-1.0}
PRIVACY="{\"epsilon\": 3, \"delta\": 1e-5, \"clip\": $CLIP}"
PER_CLASS=${PER_CLASS:-1000}
EPOCHS=${EPOCHS:-20}
BATCH=${BATCH:-256}
LR=${LR:-0.001}
COMMON="--set target.per_class=$PER_CLASS --set transfer.epochs=$EPOCHS --set transfer.batch_size=$BATCH
        --set transfer.optimizer.lr=$LR"
mkdir -p "$OUT"

run () {
  name=$1; shift
  rm -rf "$OUT/$name"
  echo "== $name"
  # shellcheck disable=SC2086
  "$TL" run "$EXP" --out "$OUT/$name" $COMMON "$@" > "$OUT/$name.log" 2>&1 || { cat "$OUT/$name.log"; exit 1; }
  grep -E "epsilon|accuracy" "$OUT/$name.log" | tail -3
}

run private-transfer --set baseline=true --set "transfer.privacy=$PRIVACY"
run private-mlp --set architecture.preset=mlp --set transfer.freeze.below=3 --set baseline=true \
    --set "transfer.privacy=$PRIVACY"

summary () {
  "$TL" inspect "$OUT/$1/$2/model.safetensors" | python3 -c '
import json, re, sys
text = sys.stdin.read()
start = text.index("{", text.index("Provenance:"))
p, _ = json.JSONDecoder().raw_decode(text[start:])
priv = p.get("privacy", {})
print("%-18s %-9s test accuracy %.4f  epsilon %s  sigma %s" % (sys.argv[1], sys.argv[2], p["test_accuracy"],
      "%.3f" % priv["epsilon"] if priv else "-", "%.4f" % priv["noise_multiplier"] if priv else "-"))
' "$1" "$2"
}
summary private-transfer transfer
summary private-transfer non-private
summary private-transfer baseline
summary private-mlp baseline

SIGMA=$("$TL" inspect "$OUT/private-transfer/transfer/model.safetensors" | python3 -c '
import json, sys
text = sys.stdin.read()
start = text.index("{", text.index("Provenance:"))
print(json.JSONDecoder().raw_decode(text[start:])[0]["privacy"]["noise_multiplier"])')
if [ "${REFERENCE:-1}" != 0 ] && /usr/bin/python3 -c 'import torch, functorch' 2>/dev/null; then
  echo "== pytorch reference (sigma $SIGMA)"
  /usr/bin/python3 "$ROOT/bench/dp_reference.py" --sigma "$SIGMA" --per-class "$PER_CLASS" --epochs "$EPOCHS" \
    --batch "$BATCH" --lr "$LR" --clip "$CLIP" \
    | tee "$OUT/pytorch-reference.json"
fi
