#!/bin/sh
# Private transfer of text: data/experiments/sentiment.json (books -> kitchen n-gram model) with
# every labelled target review of the training half, at epsilon 1, delta 1e-5:
#   private transfer: the book model, its n-gram table frozen, the head trained with DP-SGD
#   non-private transfer: the same, without privacy
#   private from scratch: the same model trained on the target alone with DP-SGD (every layer)
# Usage: bench/privacy_text.sh SHARED_DATA [OUT]   (default OUT bench/out/privacy-text)
#   EPSILON=X   the budget (default 1)    TARGET=NAME  the target domain (default kitchen)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TL=${TL:-$ROOT/build/app/transfer-lab}
SHARED=$1
OUT=${2:-$ROOT/bench/out/privacy-text}
EXP=$ROOT/data/experiments/sentiment.json
EPSILON=${EPSILON:-1}
TARGET=${TARGET:-kitchen}
PRIVACY="{\"epsilon\": $EPSILON, \"delta\": 1e-5, \"clip\": 1.0}"
mkdir -p "$OUT"

run () {
  name=$1; shift
  rm -rf "${OUT:?}/$name"
  echo "== $name"
  "$TL" run "$EXP" --out "$OUT/$name" --quiet \
      --set "source.path=$SHARED/sentiment/books.csv" --set "target.path=$SHARED/sentiment/$TARGET.csv" \
      --set target.per_class=0 --set transfer.unlabeled_text=false --set transfer.strategy=fine-tune \
      --set transfer.epochs=20 --set transfer.batch_size=64 --set baseline_epochs=20 \
      "$@" > "$OUT/$name.log" 2>&1 || { cat "$OUT/$name.log"; exit 1; }
}

run private-transfer --set transfer.freeze.below=1 --set baseline=false --set "transfer.privacy=$PRIVACY"
run plain-transfer --set transfer.freeze.below=1 --set baseline=false
run plain-transfer-all --set baseline=false
run private-scratch --set baseline=true --set "transfer.privacy=$PRIVACY"

/usr/bin/python3 - "$OUT" <<'PY'
import json, os, sys
out = sys.argv[1]
rows = [("private-transfer", "transfer"), ("plain-transfer", "transfer"), ("plain-transfer-all", "transfer"),
        ("private-scratch", "baseline"), ("private-transfer", "source-only")]
for folder, run in rows:
    with open(os.path.join(out, folder, "summary.json")) as f:
        summary = json.load(f)
    r = next((r for r in summary["runs"] if r["name"] == run), None)
    if r is None:
        continue
    eps = r.get("epsilon")
    print(f"{folder:20s} {run:12s} test accuracy {r['test_accuracy']:.4f}  epsilon {eps if eps is not None else '-'}")
PY
