#!/usr/bin/python3
"""Choosing the spoken-digits transfer recipe without looking at a test speaker.

  audio_select.py split SHARED OUTDIR          # the six one-speaker-to-another validation splits
  audio_select.py run TRANSFER_LAB EXPERIMENT SPLITDIR NAME [--set KEY=VALUE ...]
  audio_select.py table RESULTS.jsonl         # per held-out speaker: each recipe's validation mean

For a held-out speaker Z the two other speakers X and Y give two validation tasks, X to Y and Y to X:
all 500 recordings of one speaker are the source, 5 recordings per digit of the other are the
labelled target and 25 per digit of that speaker (the other half, seed 100) are scored; the
remaining 20 per digit are the target's unlabelled rows (target.unlabeled_path). Z's
recordings are in neither, so the recipe picked for Z has never seen Z. `run` runs one recipe (the
experiment with the given --set overrides, no scratch baseline) on all six tasks and appends one JSON
line per task to stdout (the accuracy of the first run after the pretraining: the transfer,
or the strategy's); `table` prints, for each held-out speaker, the mean of each recipe over the
two tasks that do not contain that speaker, and the recipe with the highest.

Each task keeps its run history in SPLITDIR/history-SOURCE-TARGET (one run folder per recipe), so a
recipe that changes only the transfer reuses the task's pretrained model instead of training it again.
TASKS=george-jackson,lucas-george (environment) runs only those tasks."""

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from collections import defaultdict

SPEAKERS = ("george", "jackson", "lucas")
DIGITS = [str(d) for d in range(10)]
SEED = 100


def speaker_files(shared, speaker):
    root = os.path.join(os.path.abspath(shared), "spoken-digits", speaker)
    return [(os.path.join(root, d, f), d) for d in DIGITS for f in sorted(os.listdir(os.path.join(root, d)))
            if f.endswith(".wav")]


def write_list(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        w.writerows(rows)


def tasks():
    return [(a, b) for a in SPEAKERS for b in SPEAKERS if a != b]


def split(shared, out):
    for source, target in tasks():
        d = os.path.join(out, f"{source}-{target}")
        os.makedirs(d, exist_ok=True)
        rng = random.Random(SEED)
        files = speaker_files(shared, target)
        train, test, unlabeled = [], [], []
        for digit in DIGITS:
            mine = [row for row in files if row[1] == digit]
            rng.shuffle(mine)
            half = len(mine) // 2
            test += mine[:half]
            train += mine[half:half + 5]
            unlabeled += mine[half + 5:]
        write_list(os.path.join(d, "source.csv"), speaker_files(shared, source))
        write_list(os.path.join(d, "train.csv"), train)
        write_list(os.path.join(d, "test.csv"), test)
        write_list(os.path.join(d, "unlabeled.csv"), unlabeled)


def run(app, experiment, splits, name, sets):
    only = [t for t in os.environ.get("TASKS", "").split(",") if t]
    for source, target in tasks():
        if only and f"{source}-{target}" not in only:
            continue
        d = os.path.join(splits, f"{source}-{target}")
        history = os.path.join(splits, f"history-{source}-{target}")
        work = os.path.join(history, name)
        shutil.rmtree(work, ignore_errors=True)
        cmd = [app, "run", experiment, "--out", work, "--quiet", "--set", f"seed={SEED}",
               "--set", f"outputs.folder={history}",
               "--set", f"source.path={d}/source.csv", "--set", f"target.path={d}/train.csv",
               "--set", f"target.test_path={d}/test.csv", "--set", "target.per_class=0",
               "--set", "target.val_fraction=0", "--set", "baseline=false",
               "--set", 'outputs.exports=["metrics"]', "--set", "outputs.plots=[]"]
        if os.path.exists(f"{d}/unlabeled.csv"):
            cmd += ["--set", f"target.unlabeled_path={d}/unlabeled.csv"]
        for s in sets:
            cmd += ["--set", s]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
            sys.exit(f"{name} {source}-{target}: transfer-lab exited with {p.returncode}: {last}")
        with open(os.path.join(work, "summary.json")) as f:
            runs = {r["name"]: r for r in json.load(f)["runs"]}
        carried = [r for n, r in runs.items() if n not in ("pretrain", "source-only", "baseline")][0]
        print(json.dumps({"recipe": name, "source": source, "target": target,
                          "finetune": carried["test_accuracy"], "sets": sets}), flush=True)


def table(path):
    acc = defaultdict(dict)
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            acc[r["recipe"]][(r["source"], r["target"])] = r["finetune"]
    names = [n for n in acc if len(acc[n]) == len(tasks())]
    print("| recipe | " + " | ".join(f"held out {z}" for z in SPEAKERS) + " | all six |")
    print("| --- |" + " --- |" * (len(SPEAKERS) + 1))
    best = {}
    for n in names:
        cells = []
        for z in SPEAKERS:
            v = [acc[n][t] for t in tasks() if z not in t]
            m = 100 * sum(v) / len(v)
            cells.append(f"{m:.1f}")
            if z not in best or m > best[z][1]:
                best[z] = (n, m)
        cells.append(f"{100 * sum(acc[n].values()) / len(tasks()):.1f}")
        print(f"| {n} | " + " | ".join(cells) + " |")
    for z in SPEAKERS:
        if z in best:
            print(f"held out {z}: {best[z][0]} ({best[z][1]:.1f})")


def main():
    a = sys.argv[1:]
    if a[:1] == ["split"]:
        split(a[1], a[2])
    elif a[:1] == ["run"]:
        sets = [a[i + 1] for i in range(5, len(a) - 1) if a[i] == "--set"]
        run(a[1], a[2], a[3], a[4], sets)
    elif a[:1] == ["table"]:
        table(a[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
