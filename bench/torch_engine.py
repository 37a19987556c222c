#!/usr/bin/python3
"""The same experiment trained by the application and by the torch engine.

    bench/torch_engine.py [--binary build/app/transfer-lab] [--seeds 42] [--nproc 1 2]
                          [--set KEY=VALUE ...] [--name NAME] [EXPERIMENT.json]

Runs `transfer-lab run EXPERIMENT` (built-in trainer), then
`transfer-lab run EXPERIMENT --engine torch --devices cpu --nproc N` for each N,
each into its own folder under bench/out/torch-engine/, and prints test
accuracy per run and the pretraining's median epoch time (its history.csv).
Writes bench/out/torch-engine/results.json (NAME.json with --name, which
also prefixes the run folders). Default: fashion-split.json. --set goes to
every run, e.g. the data of sentiment.json:

    bench/torch_engine.py data/experiments/sentiment.json --name books-kitchen \\
        --set source.path=$PWD/../shared/data/sentiment/books.csv \\
        --set target.path=$PWD/../shared/data/sentiment/kitchen.csv
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, experiment, out, seed, extra):
    cmd = [binary, "run", experiment, "--out", out, "--quiet", "--force", "--set", f"seed={seed}"] + extra
    began = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   env=dict(os.environ, TL_PYTHON=os.environ.get("TL_PYTHON", "/usr/bin/python3")))
    wall = time.perf_counter() - began
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    with open(os.path.join(out, "pretrain", "history.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    key = next(k for k in rows[0] if "second" in k)
    return {"accuracy": {r["name"]: r["test_accuracy"] for r in summary["runs"]},
            "pretrain_epoch_seconds": statistics.median(float(r[key]) for r in rows),
            "wall_seconds": wall}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("experiment", nargs="?", default=os.path.join(ROOT, "data", "experiments", "fashion-split.json"))
    p.add_argument("--binary", default=os.path.join(ROOT, "build", "app", "transfer-lab"))
    p.add_argument("--seeds", type=int, nargs="+", default=[42])
    p.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--name", default="")
    args = p.parse_args()
    settings = [a for kv in args.set for a in ("--set", kv)]
    out = os.path.join(ROOT, "bench", "out", "torch-engine")
    os.makedirs(out, exist_ok=True)
    results = []
    for seed in args.seeds:
        sides = [("builtin", [])] + [(f"torch x{n}", ["--engine", "torch", "--devices", "cpu", "--nproc", str(n)])
                                     for n in args.nproc]
        for name, extra in sides:
            prefix = f"{args.name}-" if args.name else ""
            folder = os.path.join(out, f"{prefix}{name.replace(' ', '-')}-seed{seed}")
            r = run(args.binary, os.path.abspath(args.experiment), folder, seed, extra + settings)
            r.update(side=name, seed=seed)
            results.append(r)
            print(f"{name:10} seed {seed}: " + ", ".join(f"{k} {100 * v:.1f}%" for k, v in r["accuracy"].items()
                                                          if v is not None)
                  + f"; pretrain epoch {r['pretrain_epoch_seconds']:.1f} s; wall {r['wall_seconds']:.0f} s",
                  flush=True)
    with open(os.path.join(out, f"{args.name or 'results'}.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
