#!/usr/bin/python3
"""Transfer Lab's side of the spoken-digits transfer case, on a split written by audio_torch.py.

  audio_case.py TRANSFER_LAB EXPERIMENT SPLITDIR SEED WORKDIR [EXTRA]
  audio_case.py features TRANSFER_LAB SHARED   # wall time of `transfer-lab data` on all 1,500 files

Runs the experiment with source.path, target.path, target.test_path and target.unlabeled_path
set to the split's CSV lists (with EXTRA, a folder of VOICE/DIGIT/*.wav as `tools/make-real-digits-source.py
--synthetic-only` writes, those recordings added to the source list), then evaluates the pretrained
model on the target's test list (source-only). Prints one JSON line: source_only, scratch (the
run's baseline), finetune (the run that carries the pretrained model to the target: `transfer`, or
the experiment's first strategy, such as `joint`), every strategy's accuracy, the pretraining's seconds per epoch and the wall
time of the run."""

import csv
import json
import os
import shutil
import subprocess
import sys
import time


def check(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
        sys.exit(f"{os.path.basename(cmd[0])} exited with {p.returncode}: {last}")
    return p.stdout


def features(app, shared):
    start = time.perf_counter()
    check([app, "data", os.path.join(shared, "spoken-digits")])
    print(json.dumps({"files": 1500, "seconds": time.perf_counter() - start}))


def with_extra(split, extra, work):
    """The split's source list and every recording under extra, as one list in work."""
    with open(os.path.join(split, "source.csv"), newline="") as f:
        rows = [(r["path"], r["label"]) for r in csv.DictReader(f)]
    for voice in sorted(os.listdir(extra)):
        for digit in sorted(os.listdir(os.path.join(extra, voice))):
            d = os.path.join(extra, voice, digit)
            rows += [(os.path.abspath(os.path.join(d, n)), digit) for n in sorted(os.listdir(d)) if n.endswith(".wav")]
    path = os.path.join(work + "-source.csv")
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        w.writerows(rows)
    return path


def main():
    if sys.argv[1] == "features":
        features(sys.argv[2], sys.argv[3])
        return
    app, experiment, split, seed, work = sys.argv[1:6]
    shutil.rmtree(work, ignore_errors=True)
    source = with_extra(split, sys.argv[6], work) if len(sys.argv) > 6 else f"{split}/source.csv"
    # the target's recordings that are neither labelled nor tested, for the strategies that read unlabelled rows
    unlabeled = ["--set", f"target.unlabeled_path={split}/unlabeled.csv"] \
        if os.path.exists(f"{split}/unlabeled.csv") else []
    start = time.perf_counter()
    check([app, "run", experiment, "--out", work, "--quiet", "--set", f"seed={seed}",
           "--set", f"source.path={source}", "--set", f"target.path={split}/train.csv",
           "--set", f"target.test_path={split}/test.csv", "--set", "target.per_class=0",
           "--set", "target.val_fraction=0", "--set", 'outputs.exports=["models","metrics"]',
           "--set", "outputs.plots=[]"] + unlabeled)
    wall = time.perf_counter() - start
    with open(os.path.join(work, "summary.json")) as f:
        runs = {r["name"]: r for r in json.load(f)["runs"]}
    metrics = json.loads(check([app, "evaluate", os.path.join(work, "pretrain", "model.safetensors"),
                                f"{split}/test.csv", "--json"]))
    pre = runs["pretrain"]
    strategies = {n: r for n, r in runs.items() if n not in ("pretrain", "source-only", "baseline")}
    carried = runs.get("transfer") or next(iter(strategies.values()))
    print(json.dumps({"source_only": metrics["accuracy"], "scratch": runs["baseline"]["test_accuracy"],
                      "finetune": carried["test_accuracy"], "strategy": carried["name"],
                      "strategies": {n: r["test_accuracy"] for n, r in strategies.items()},
                      "pretrain_epoch_seconds": pre["train_seconds"] / max(pre["epochs"], 1),
                      "run_seconds": wall, "seed": int(seed)}))


if __name__ == "__main__":
    main()
