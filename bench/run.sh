#!/bin/sh
# Times Transfer Lab's training core against PyTorch on the same models, data and batch sizes,
# prints a table and writes bench/out/results.json.
#
#   bench/run.sh [--quick] [--cases "mlp cnn ..."] [SHARED_DATA]
#
# --quick: one run per case instead of the median of three.
# SHARED_DATA: the folder with 20news-bydate/ (default: ../shared/data from the repository root).
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE, its fastest setting here; the training cases also run
# PyTorch as installed (OpenMP threads spinning between parallel regions), reported alongside.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build-bench"
OUT="$ROOT/bench/out"
PY=/usr/bin/python3            # Debian's python3-torch lives here, not in a pyenv on PATH
THREADS=${TL_BENCH_THREADS:-2}
RUNS=3
CASES="mlp cnn lstm finetune infer-mlp infer-cnn infer-lstm tokenize"
SHARED="$ROOT/../shared/data"

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) RUNS=1 ;;
    --cases) CASES="$2"; shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) SHARED="$1" ;;
  esac
  shift
done

for tool in meson ninja /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run tools/install-deps.sh" >&2; exit 1; }
done
"$PY" -c 'import torch' 2>/dev/null || { echo "$PY cannot import torch: install python3-torch" >&2; exit 1; }

echo "== building (release) in $BUILD"
if [ ! -d "$BUILD" ]; then
  meson setup "$BUILD" "$ROOT" -Dbuildtype=release >/dev/null
fi
ninja -C "$BUILD" bench/tl-bench >/dev/null
BENCH="$BUILD/bench/tl-bench"

mkdir -p "$OUT"
rm -f "$OUT"/*.json "$OUT"/*.time "$OUT"/*.err "$OUT"/*.txt
export OPENBLAS_NUM_THREADS="$THREADS"
echo "== threads: $THREADS (OpenBLAS and torch.set_num_threads); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" \
  "OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-unset}"

# run NAME COMMAND...: stdout to NAME.json, /usr/bin/time -v to NAME.time
run() {
  name=$1; shift
  if /usr/bin/time -v -o "$OUT/$name.time" "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"; then
    :
  else
    echo "   $name failed: $(tail -n 1 "$OUT/$name.err")" >&2
    rm -f "$OUT/$name.json"
  fi
}

echo "== machine limit: cblas_sgemm"
run sgemm "$BENCH" sgemm --size 2048 --runs 5

TEXT="$OUT/text.bin"
case " $CASES " in
  *" lstm "*|*" infer-lstm "*)
    echo "== text data"
    "$BENCH" prepare-text --shared "$SHARED" --out "$TEXT" >"$OUT/text.json" ;;
esac

# the PyTorch CNN copies the preset's convolution padding
PADDING=$("$BENCH" describe 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["conv_padding"])' 2>/dev/null) \
  || { PADDING=0; echo "   the core cannot build its CNN preset: PyTorch CNN uses padding 0" >&2; }

# Runs alternate between the sides, so that all see the same load on a shared machine.
cat /proc/loadavg >"$OUT/load-start.txt"
for c in $CASES; do
  echo "== $c"
  r=1
  while [ "$r" -le "$RUNS" ]; do
    run "$c-ours.r$r" "$BENCH" "$c" --runs 1 --seed "$r" --shared "$SHARED" --text "$TEXT"
    run "$c-pytorch.r$r" env OMP_WAIT_POLICY=PASSIVE "$PY" "$ROOT/bench/torch_bench.py" "$c" --runs 1 --seed "$r" \
        --threads "$THREADS" --shared "$SHARED" --text "$TEXT" --conv-padding "$PADDING"
    case "$c" in
      mlp|cnn|lstm|finetune)
        run "$c-pytorch_default.r$r" "$PY" "$ROOT/bench/torch_bench.py" "$c" --runs 1 --seed "$r" \
            --threads "$THREADS" --shared "$SHARED" --text "$TEXT" --conv-padding "$PADDING" ;;
    esac
    r=$((r + 1))
  done
done
cat /proc/loadavg >"$OUT/load-end.txt"

"$PY" "$ROOT/bench/report.py" "$OUT" $CASES
