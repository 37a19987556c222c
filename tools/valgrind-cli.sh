#!/bin/sh
# Runs the command line's `train` and `run` sub-commands under Valgrind's
# memcheck on small generated data. Fails on any memory error, and on memory
# "definitely lost" whose allocation passes through the project's own code
# (tl_* functions or main); leaks wholly inside system libraries are listed only.
#
#   tools/valgrind-cli.sh          (uses build/; VALGRIND_BUILD_DIR=... for another)
set -eu
cd "$(dirname "$0")/.."

build=${VALGRIND_BUILD_DIR:-build}
out="$PWD/$build"
if [ ! -d "$build" ]; then
  meson setup "$build" >/dev/null
fi
ninja -C "$build" app/transfer-lab >"$build/valgrind-build.log" 2>&1 || { cat "$build/valgrind-build.log"; exit 1; }
bin="$PWD/$build/app/transfer-lab"

work=$(mktemp -d "${TMPDIR:-/tmp}/tl-valgrind-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# Three classes around different centres, four numeric features; the target
# data is shifted, as a transfer target would be.
gen() {
  awk -v seed="$1" -v shift="$2" -v rows="$3" 'BEGIN {
    srand(seed); print "f1,f2,f3,f4,label";
    for (i = 0; i < rows; i++) {
      c = i % 3;
      printf "%.3f,%.3f,%.3f,%.3f,c%d\n", c + shift + rand(), 2 * c - rand(), rand() - c, shift * rand(), c;
    }
  }'
}
gen 1 0 240 > "$work/source.csv"
gen 2 0.5 120 > "$work/target.csv"
cat > "$work/experiment.json" <<JSON
{
  "format_version": 1,
  "name": "valgrind",
  "seed": 3,
  "source": { "format": "csv", "path": "source.csv", "label_column": "label", "val_fraction": 0.2, "test_fraction": 0.2 },
  "target": { "format": "csv", "path": "target.csv", "label_column": "label", "per_class": 20, "val_fraction": 0.2, "test_fraction": 0.3 },
  "architecture": { "preset": "mlp" },
  "pretrain": { "epochs": 2, "batch_size": 16 },
  "transfer": { "freeze": { "below": 2 }, "rebuild_head": true, "epochs": 2, "batch_size": 8 },
  "baseline": true,
  "outputs": { "folder": "results", "exports": ["models", "confusion", "history", "metrics", "predictions", "onnx"], "plots": ["png", "svg"] }
}
JSON

export OPENBLAS_NUM_THREADS=1 G_SLICE=always-malloc G_DEBUG=gc-friendly
status=0

check() {
  name=$1
  shift
  log="$work/$name.log"
  echo "valgrind: $name"
  if ! valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite \
        --errors-for-leak-kinds=none --error-exitcode=99 --num-callers=30 \
        --log-file="$log" "$@" >"$work/$name.out" 2>&1; then
    echo "  FAILED: memory errors or the command failed:"
    grep -E "Invalid|uninitialised|Mismatched|ERROR SUMMARY" "$log" | head -20
    tail -5 "$work/$name.out"
    status=1
  fi
  # A leak is the project's when the first frame that called the allocator,
  # GLib's and GObject's wrappers skipped, is the project's code; pango and
  # fontconfig keep their caches until exit, which is theirs.
  own=$(awk '/definitely lost in loss record/ { rec = $0; inrec = 1; decided = 0; ours = 0; next }
             inrec && /^==[0-9]+== *$/ { if (ours) print rec; inrec = 0; next }
             inrec && !decided && /(at|by) 0x/ {
               if ($0 ~ /vgpreload|libglib-2\.0|libgobject-2\.0|libgio-2\.0|: (g_|_g_)/) next;
               decided = 1;
               if ($0 ~ /: (tl_[a-z0-9_]+|main) \(|\((tl|test)-[a-z0-9-]+\.c:|\(main\.c:/) ours = 1;
             }' "$log")
  if [ -n "$own" ]; then
    echo "  FAILED: definitely lost in the project's allocations:"
    echo "$own" | head -20
    echo "  (full stacks in $out/valgrind-$name.log)"
    cp "$log" "$out/valgrind-$name.log"
    status=1
  fi
  grep -E "definitely lost:|ERROR SUMMARY" "$log" | sed 's/^==[0-9]*== /  /'
}

cd "$work"
check train "$bin" train source.csv -o model.safetensors -e 2 -b 16 -q
check run "$bin" run experiment.json -q
[ -f model.safetensors ] && [ -d results ] || { echo "the commands did not write their results"; status=1; }
exit $status
