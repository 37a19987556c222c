#!/bin/sh
# Times Transfer Lab's training core against PyTorch on the same models, data and batch sizes,
# prints a table and writes bench/out/results.json.
#
#   bench/run.sh [--quick] [--text] [--audio] [--cases "mlp cnn ..."] [SHARED_DATA]
#
# --quick: one run per case instead of the median of three.
# --text: also the text cases (text-news text-kitchen text-electronics text-dvd; minutes, not
#   seconds): the transfer-lab command against the scikit-learn anchor (python3-sklearn, installed
#   with apt-get when missing and possible, else that side is skipped). --cases can name them too.
# --audio: also the spoken-digits cases (audio-george audio-jackson audio-lucas: two speakers to the
#   third, 5 recordings per digit, run r with seed r on a split both sides read; audio-features: the
#   log-mel of all 1,500 recordings): spoken-digits-real.json against bench/audio_torch.py (ours with
#   the experiment's 600 synthetic recordings added to the split's source, as the experiment has them).
# infer-resnet18 (a default case): torchvision's ResNet-18 (random weights, 10 classes) on 1,024
#   random 3x32x32 inputs, its state dict imported by `transfer-lab import`: the same network on
#   both sides (needs python3-torchvision).
# demo (a default case): the peak resident memory and wall time of the CLI on the demo,
#   `transfer-lab run data/experiments/fashion-split.json` (needs the app and Fashion-MNIST).
# window (a default case): the window on the demo under Xvfb (xvfb-run, dbus-run-session), with
#   TL_BENCH_STARTUP=run (ui/tl-bench-startup.h): seconds from launch to the first frame and to the
#   demo's data loaded (and the process's CPU seconds at each: they depend little on the load), the
#   peak resident memory then, and after running the demo from the window.
#   GTK draws with its Cairo renderer there (TL_BENCH_GSK_RENDERER, default cairo; empty: GTK's own
#   choice, which under Xvfb is OpenGL emulated on the CPU, llvmpipe, not what a desktop runs).
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
CASES="mlp cnn lstm finetune infer-mlp infer-cnn infer-lstm infer-resnet18 tokenize demo window"
TEXT_CASES="text-news text-kitchen text-electronics text-dvd"
AUDIO_CASES="audio-george audio-jackson audio-lucas audio-features"
WITH_TEXT=0
WITH_AUDIO=0
SHARED="$ROOT/../shared/data"

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) RUNS=1 ;;
    --text) WITH_TEXT=1 ;;
    --audio) WITH_AUDIO=1 ;;
    --cases) CASES="$2"; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) SHARED="$1" ;;
  esac
  shift
done
if [ "$WITH_TEXT" = 1 ]; then CASES="$CASES $TEXT_CASES"; fi
if [ "$WITH_AUDIO" = 1 ]; then CASES="$CASES $AUDIO_CASES"; fi

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

# The text cases need the app (it links ui/, so GTK) and the scikit-learn anchor; without one of
# them that side of the text cases is skipped, with the reason.
APP="$BUILD/app/transfer-lab"
ANCHOR=${TL_BENCH_ANCHOR:-$SHARED/../bench/sklearn_text_anchor.py}
SKIP_OURS_TEXT=""
SKIP_ANCHOR=""
DEMO="$ROOT/data/experiments/fashion-split.json"
SKIP_DEMO=""
case " $CASES " in
  *" demo "*)
    mkdir -p "$BUILD/meson-logs"
    if ! ninja -C "$BUILD" app/transfer-lab >"$BUILD/meson-logs/bench-app-build.txt" 2>&1; then
      SKIP_DEMO="app/transfer-lab did not build (see $BUILD/meson-logs/bench-app-build.txt)"
    elif [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
      SKIP_DEMO="no Fashion-MNIST in /usr/share/datasets/fashion-mnist"
    fi
    [ -z "$SKIP_DEMO" ] || echo "   demo skipped: $SKIP_DEMO" >&2
    ;;
esac
SKIP_WINDOW=""
case " $CASES " in
  *" window "*)
    mkdir -p "$BUILD/meson-logs"
    if ! ninja -C "$BUILD" app/transfer-lab resources/gschemas.compiled >"$BUILD/meson-logs/bench-app-build.txt" 2>&1; then
      SKIP_WINDOW="app/transfer-lab did not build (see $BUILD/meson-logs/bench-app-build.txt)"
    elif ! command -v xvfb-run >/dev/null || ! command -v dbus-run-session >/dev/null; then
      SKIP_WINDOW="no xvfb-run or dbus-run-session (tools/install-deps.sh)"
    elif [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
      SKIP_WINDOW="no Fashion-MNIST in /usr/share/datasets/fashion-mnist"
    fi
    [ -z "$SKIP_WINDOW" ] || echo "   window skipped: $SKIP_WINDOW" >&2
    ;;
esac
case " $CASES " in
  *" text-"*|*" audio-"*)
    mkdir -p "$BUILD/meson-logs"
    if ! ninja -C "$BUILD" app/transfer-lab >"$BUILD/meson-logs/bench-app-build.txt" 2>&1; then
      SKIP_OURS_TEXT="app/transfer-lab did not build (see $BUILD/meson-logs/bench-app-build.txt)"
    fi ;;
esac
case " $CASES " in
  *" text-"*)
    if [ ! -f "$ANCHOR" ]; then
      SKIP_ANCHOR="no anchor script at $ANCHOR (set TL_BENCH_ANCHOR)"
    elif ! "$PY" -c 'import sklearn' 2>/dev/null; then
      # a benchmark-only dependency, so not in tools/install-deps.sh
      echo "== $PY cannot import sklearn: installing python3-sklearn"
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y python3-sklearn >/dev/null 2>&1 || true
      fi
      "$PY" -c 'import sklearn' 2>/dev/null \
        || SKIP_ANCHOR="$PY cannot import sklearn: apt-get install python3-sklearn (as root)"
    fi
    [ -z "$SKIP_OURS_TEXT" ] || echo "   text cases, our side skipped: $SKIP_OURS_TEXT" >&2
    [ -z "$SKIP_ANCHOR" ] || echo "   text cases, sklearn side skipped: $SKIP_ANCHOR" >&2
    ;;
esac

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

# run_demo NAME: the CLI on the demo under /usr/bin/time -v; NAME.json gets its wall time and the
# transfer run's test accuracy
run_demo() {
  name=$1
  rm -rf "$OUT/demo-work"
  start=$(date +%s.%N)
  if /usr/bin/time -v -o "$OUT/$name.time" "$APP" run "$DEMO" --out "$OUT/demo-work" >"$OUT/$name.txt" 2>"$OUT/$name.err"; then
    end=$(date +%s.%N)
    "$PY" -c 'import json, sys
m = json.load(open(sys.argv[3]))
print(json.dumps({"median": float(sys.argv[2]) - float(sys.argv[1]), "accuracy": m["accuracy"]}))' \
      "$start" "$end" "$OUT/demo-work/transfer/metrics.json" >"$OUT/$name.json"
  else
    echo "   $name failed: $(tail -n 1 "$OUT/$name.err")" >&2
  fi
  rm -rf "$OUT/demo-work"
}

# run_window NAME: the window on the demo, TL_BENCH_STARTUP=run; NAME.json gets the times and peaks
# it prints (seconds since launch, VmHWM in kB) and NAME.time the whole process's /usr/bin/time -v
# (the demo is a copy in a folder of its own, TL_DATADIR, so that each run starts without a history)
run_window() {
  name=$1
  rm -rf "$OUT/window-cache" "$OUT/window-data"
  mkdir -p "$OUT/window-data/experiments"
  cp "$DEMO" "$OUT/window-data/experiments/"
  renderer=${TL_BENCH_GSK_RENDERER-cairo}
  # the window's own lines decide: xvfb-run and dbus-run-session sometimes exit non-zero after the
  # window has run and quit cleanly
  env ${renderer:+GSK_RENDERER=$renderer} TL_BENCH_STARTUP=run TL_DATADIR="$OUT/window-data" GSETTINGS_BACKEND=memory \
       GSETTINGS_SCHEMA_DIR="$BUILD/resources" XDG_CACHE_HOME="$OUT/window-cache" xvfb-run -a -s "-screen 0 1400x900x24" dbus-run-session -- \
       /usr/bin/time -v -o "$OUT/$name.time" "$APP" >"$OUT/$name.txt" 2>"$OUT/$name.err" || true
  "$PY" -c 'import json, sys
ev = {}
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 4 and p[0] in ("first-frame", "data-ready", "run-done", "run-refused"):
        ev[p[0]] = (float(p[1]), int(p[2]), float(p[3]))
if "run-done" not in ev:
    sys.exit("the window did not run the demo: " + open(sys.argv[1]).read())
print(json.dumps({"first_frame": ev["first-frame"][0], "first_frame_cpu": ev["first-frame"][2],
                  "data_ready": ev["data-ready"][0], "data_ready_cpu": ev["data-ready"][2],
                  "open_peak_kb": ev["data-ready"][1], "run_peak_kb": ev["run-done"][1],
                  "median": ev["run-done"][0]}))' "$OUT/$name.txt" >"$OUT/$name.json" \
    || { echo "   $name failed: $(tail -n 1 "$OUT/$name.err") (see $OUT/$name.txt)" >&2; rm -f "$OUT/$name.json"; }
  rm -rf "$OUT/window-cache" "$OUT/window-data"
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

# infer-resnet18: one state dict, read by PyTorch and imported by the app
RESNET="$OUT/resnet18"
case " $CASES " in
  *" infer-resnet18 "*)
    ninja -C "$BUILD" app/transfer-lab >/dev/null 2>&1 && "$PY" -c 'import sys, torch, torchvision
torch.manual_seed(0)
torch.save(torchvision.models.resnet18(num_classes=10).eval().state_dict(), sys.argv[1])' "$RESNET.pth" \
      && "$APP" import "$RESNET.pth" --arch resnet18 --input 3x32x32 --out "$RESNET.safetensors" --force >/dev/null \
      || { echo "   infer-resnet18 skipped: no torchvision or no app" >&2; CASES=$(echo " $CASES " | sed 's/ infer-resnet18 / /'); } ;;
esac

# Runs alternate between the sides, so that all see the same load on a shared machine.
cat /proc/loadavg >"$OUT/load-start.txt"
for c in $CASES; do
  echo "== $c"
  r=1
  while [ "$r" -le "$RUNS" ]; do
    case "$c" in
      text-*)
        # wall time of each side's whole command; test accuracy from its own output files
        case "$c" in
          text-news) ours="news-ours $APP $SHARED $OUT/text-work/news"; skl="news-sklearn $ANCHOR $SHARED" ;;
          *) t=${c#text-}
             ours="sentiment-ours $APP $ROOT/data/experiments/sentiment.json $SHARED $t $OUT/text-work"
             skl="sentiment-sklearn $ANCHOR $SHARED $t" ;;
        esac
        [ -n "$SKIP_OURS_TEXT" ] || run "$c-ours.r$r" "$PY" "$ROOT/bench/text_case.py" $ours
        [ -n "$SKIP_ANCHOR" ] || run "$c-sklearn.r$r" "$PY" "$ROOT/bench/text_case.py" $skl
        r=$((r + 1))
        continue ;;
      audio-features)
        [ -n "$SKIP_OURS_TEXT" ] || run "$c-ours.r$r" "$PY" "$ROOT/bench/audio_case.py" features "$APP" "$SHARED"
        run "$c-pytorch.r$r" "$PY" "$ROOT/bench/audio_torch.py" features "$SHARED" --threads "$THREADS"
        r=$((r + 1))
        continue ;;
      audio-*)
        # run r: seed r, on a split written once and read by both sides
        split="$OUT/audio-work/split-${c#audio-}-$r"
        "$PY" "$ROOT/bench/audio_torch.py" split "$SHARED" "${c#audio-}" "$r" "$split" >/dev/null
        # the experiment's synthetic voices, added to the split's real source (made once)
        synth="$OUT/audio-work/synthetic"
        [ -d "$synth" ] || "$PY" "$ROOT/tools/make-real-digits-source.py" --synthetic-only "$synth" >/dev/null
        [ -n "$SKIP_OURS_TEXT" ] || run "$c-ours.r$r" "$PY" "$ROOT/bench/audio_case.py" "$APP" \
            "$ROOT/data/experiments/spoken-digits-real.json" "$split" "$r" "$OUT/audio-work/ours-${c#audio-}-$r" "$synth"
        run "$c-pytorch.r$r" "$PY" "$ROOT/bench/audio_torch.py" run "$split" "$r" --threads "$THREADS"
        r=$((r + 1))
        continue ;;
      window)
        [ -n "$SKIP_WINDOW" ] || run_window "window-ours.r$r"
        r=$((r + 1))
        continue ;;
      demo)
        [ -n "$SKIP_DEMO" ] || run_demo "demo-ours.r$r"
        r=$((r + 1))
        continue ;;
      infer-resnet18)
        run "$c-ours.r$r" "$BENCH" infer-model --model "$RESNET.safetensors" --runs 1 --seed "$r"
        run "$c-pytorch.r$r" env OMP_WAIT_POLICY=PASSIVE "$PY" "$ROOT/bench/torch_bench.py" infer-model \
            --state "$RESNET.pth" --arch resnet18 --input 3x32x32 --runs 1 --seed "$r" --threads "$THREADS"
        r=$((r + 1))
        continue ;;
    esac
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
