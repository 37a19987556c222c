#!/usr/bin/python3
"""One side of a text case of bench/run.sh --text: runs it, prints one JSON line.

  text_case.py news-ours TRANSFER_LAB DATA WORKDIR
  text_case.py news-sklearn ANCHOR DATA
  text_case.py sentiment-ours TRANSFER_LAB EXPERIMENT DATA TARGET WORKDIR
  text_case.py sentiment-sklearn ANCHOR DATA TARGET

"median" is the wall time of the whole command (reading the CSV files, features, training and the
test pass; Python start-up and imports on the sklearn side), so that both sides are timed alike;
"accuracy" is the test accuracy that the row of the table compares."""

import json
import os
import re
import shutil
import subprocess
import sys
import time


def timed(cmd):
    """Runs cmd with stdout captured; (wall seconds, stdout). Fails loudly with stderr's last line."""
    start = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["(no message)"])[-1]
        sys.exit(f"{os.path.basename(cmd[0])} exited with {p.returncode}: {last}")
    return wall, p.stdout


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def summary_table(text):
    """The first data row of a summary table (header row, dashes, rows) as {header: cell}."""
    lines = [l for l in text.splitlines() if l.strip()]
    for i, line in enumerate(lines[:-1]):
        if "test acc" in line:
            heads = re.split(r"\s{2,}", line.strip())
            start = i + 2 if set(lines[i + 1].strip()) <= set("-+ ") else i + 1
            cells = re.split(r"\s{2,}", lines[start].strip())
            return dict(zip(heads, cells))
    return {}


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def news_ours(app, data, work):
    model = os.path.join(fresh(work), "news.safetensors")
    train, test = f"{data}/20news-bydate/train.csv", f"{data}/20news-bydate/test.csv"
    wall, out = timed([app, "train", train, "--test", test, "--out", model, "--force", "--quiet"])
    row = summary_table(out)
    # the accuracy of record comes from evaluate's metrics.json (not timed), the table's as a check
    metrics_dir = os.path.join(work, "metrics")
    timed([app, "evaluate", model, test, "--out", metrics_dir, "--plots", "svg"])
    with open(os.path.join(metrics_dir, "metrics.json")) as f:
        metrics = json.load(f)
    acc = metrics.get("accuracy")
    return {"median": wall, "accuracy": acc, "macro_f1": (metrics.get("macro_avg") or {}).get("f1"),
            "table": row, "train_seconds": float(row["seconds"]) if row.get("seconds") else None,
            "epochs": int(row["epochs"]) if row.get("epochs", "").isdigit() else None,
            "params": int(row["params"]) if row.get("params", "").isdigit() else None,
            "preset": row.get("model"),
            "command": f"transfer-lab train {train} --test {test} --out MODEL --quiet"}


def news_sklearn(anchor, data):
    wall, out = timed([sys.executable, anchor, "news", data])
    doc = json_lines(out)[0]
    return {"median": wall, "accuracy": doc["test_acc"], "anchor_seconds": doc["seconds"],
            "anchor": doc.get("anchor")}


def sentiment_ours(app, experiment, data, target, work):
    out_dir = fresh(os.path.join(work, target))
    wall, _ = timed([app, "run", experiment, "--out", out_dir, "--quiet",
                     "--set", f"source.path={data}/sentiment/books.csv",
                     "--set", f"target.path={data}/sentiment/{target}.csv"])
    with open(os.path.join(out_dir, "summary.json")) as f:
        summary = json.load(f)
    runs = {r["name"]: {k: r.get(k) for k in ("test_accuracy", "macro_f1", "test_samples", "epochs",
                                              "train_seconds", "trainable_params", "total_params")}
            for r in summary["runs"]}
    transfer = runs.get("transfer", {})
    return {"median": wall, "accuracy": transfer.get("test_accuracy"), "run_results": runs,
            "transfer_speedup": summary.get("transfer_speedup"), "seed": summary.get("seed")}


def sentiment_sklearn(anchor, data, target):
    wall, out = timed([sys.executable, anchor, "sentiment", data, f"{data}/sentiment/books.csv", f"{data}/sentiment/{target}.csv"])
    doc = json_lines(out)[0]
    return {"median": wall, "accuracy": doc["source_plus_target"], "source_only": doc["source_only"],
            "scratch": doc["scratch"], "task": doc.get("task"), "anchor": doc.get("anchor")}


def main():
    what, args = sys.argv[1], sys.argv[2:]
    doc = {"news-ours": news_ours, "news-sklearn": news_sklearn,
           "sentiment-ours": sentiment_ours, "sentiment-sklearn": sentiment_sklearn}[what](*args)
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
