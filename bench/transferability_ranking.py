#!/usr/bin/env python3
"""Does `transfer-lab assess` rank sources and cut layers as fine-tuning does? (issue 16, "Ranking")

For each target, every candidate (source model, cut layer) pair gets two numbers:
  - its score: the LogME that `transfer-lab assess TARGET --json --model ...` gives the cut;
  - its accuracy: the test accuracy of fine-tuning that source on the target's labelled rows with
    the layers up to and including the cut frozen (`transfer-lab run` of an experiment this script
    writes: pretrain.model = the source file, transfer.freeze.below = cut + 1, a rebuilt head,
    no baseline; the accuracy is the `transfer` run's test_accuracy in summary.json).
The output layer of each model is left out (freezing it leaves nothing to fine-tune).

Within each target the pairs are ranked by score and by accuracy and compared with
  - Spearman's rho: Pearson's correlation of the two rank vectors, ties given their average rank;
  - the weighted Kendall tau of scipy.stats.weightedtau with its defaults (rank=True,
    weigher=None, additive=True): Vigna's additive hyperbolic tau_h. Each element gets a rank r
    (0 = most important) from the decreasing lexicographical order of (x, y); an exchange of
    elements ranked r and s weighs 1/(r+1) + 1/(s+1);
        tau = sum_{i<j} w_ij sgn(x_i - x_j) sgn(y_i - y_j)
              / sqrt(sum_{i<j, x_i != x_j} w_ij) / sqrt(sum_{i<j, y_i != y_j} w_ij);
    the result is the mean of this value with the rank from (x, y) and with the rank from (y, x).
    `selftest()` checks it against the values scipy's own tests give for x = [12, 2, 1, 12, 2],
    y = [1, 4, 7, 1, 0]: -0.566949681536827 (defaults), -0.415765230103752 (rank=None, i.e. the
    (x, y) order alone) and -0.471404520791032 (weigher = 1: Kendall's tau-b).

The recommended cut of a target is assess's recommendation for its top-ranked model; the issue's
criterion is that its accuracy be within 1 point of the best pair's. The same test per source model
(its recommended cut against its best cut) is reported too.

Settings: Fashion-MNIST sources (CNN and MLP presets, different class subsets and epochs) for the
target "classes 5-9, 20 labelled images per class" (tested on t10k's classes 5-9), and sentiment
sources on books, dvd and electronics reviews (the text-ngram preset, with one cut, and a deeper
n-gram bag model pretrained by `run`, with two) for the target "kitchen, 50 labelled reviews per
class" (tested on the other kitchen reviews). The targets' labelled rows are written to files of
their own, so that assess and fine-tuning see exactly the same rows.

    python3 bench/transferability_ranking.py [--data ../shared/data] [--quick]

Writes bench/out/transferability.json (work files in bench/out/transferability-work/) and prints
a table. Python 3 standard library only.
"""

import argparse
import csv
import gzip
import json
import math
import os
import random
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


# ---------------------------------------------------------------- statistics

def average_ranks(v):
    """Ranks 1..n of v (ascending), ties given their average rank."""
    order = sorted(range(len(v)), key=lambda i: v[i])
    ranks = [0.0] * len(v)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def pearson(a, b):
    n = len(a)
    ma, mb = sum(a) / n, sum(b) / n
    sab = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = sum((x - ma) ** 2 for x in a)
    sbb = sum((y - mb) ** 2 for y in b)
    if saa == 0 or sbb == 0:
        return float("nan")
    return sab / math.sqrt(saa * sbb)


def spearman(x, y):
    return pearson(average_ranks(x), average_ranks(y))


def _sign(v):
    return (v > 0) - (v < 0)


def _weighted_tau_ranked(x, y, weigher, additive):
    """One half of scipy's weightedtau(rank=True): the rank of each element is its position in
    the decreasing lexicographical order of (x, y), as scipy computes it (a stable ascending
    lexsort by x then y, reversed)."""
    n = len(x)
    ascending = sorted(range(n), key=lambda i: (x[i], y[i]))   # stable, like np.lexsort
    rank = [0] * n
    for pos, i in enumerate(reversed(ascending)):
        rank[i] = pos
    num = tot_x = tot_y = 0.0
    for i in range(n):
        for j in range(i + 1, n):
            wi, wj = weigher(rank[i]), weigher(rank[j])
            w = wi + wj if additive else wi * wj
            sx, sy = _sign(x[i] - x[j]), _sign(y[i] - y[j])
            num += w * sx * sy
            if sx:
                tot_x += w
            if sy:
                tot_y += w
    if tot_x == 0 or tot_y == 0:
        return float("nan")
    return num / math.sqrt(tot_x) / math.sqrt(tot_y)


def weighted_tau(x, y, weigher=None, additive=True, rank=True):
    """scipy.stats.weightedtau(x, y) with the default hyperbolic weigher 1/(r+1)."""
    if weigher is None:
        weigher = lambda r: 1.0 / (r + 1)
    if rank is None:
        return _weighted_tau_ranked(x, y, weigher, additive)
    return (_weighted_tau_ranked(x, y, weigher, additive)
            + _weighted_tau_ranked(y, x, weigher, additive)) / 2


def selftest():
    x, y = [12, 2, 1, 12, 2], [1, 4, 7, 1, 0]
    checks = [
        (weighted_tau(x, y), -0.56694968153682723),
        (weighted_tau(x, y, additive=False), -0.62205716951801038),
        (weighted_tau(x, y, weigher=lambda r: 1), -0.47140452079103173),
        (weighted_tau(x, y, rank=None), -0.4157652301037516),
        (weighted_tau(y, x, rank=None), -0.7181341329699029),
        (spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]), 0.8207826816681233),
    ]
    for got, want in checks:
        if abs(got - want) > 1e-9:
            sys.exit("selftest failed: got %r, expected %r" % (got, want))


# ---------------------------------------------------------------- data

def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def write_idx(path, dims, payload):
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, len(dims)]))
        f.write(struct.pack(">" + "I" * len(dims), *dims))
        f.write(payload)


def make_fashion_target(fashion, work, per_class, seed, folder_name="fashion-target"):
    """The labelled target rows: per_class training images of each of classes 5-9, in a folder
    whose name holds "fashion" (so the IDX reader names the classes as Fashion-MNIST's)."""
    folder = os.path.join(work, folder_name)
    os.makedirs(folder, exist_ok=True)
    (n, h, w), pixels = read_idx(os.path.join(fashion, "train-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(fashion, "train-labels-idx1-ubyte.gz"))
    rng = random.Random(seed)
    chosen = []
    for c in range(5, 10):
        rows = [i for i in range(n) if labels[i] == c]
        chosen += rng.sample(rows, per_class)
    chosen.sort()
    size = h * w
    images = b"".join(pixels[i * size:(i + 1) * size] for i in chosen)
    write_idx(os.path.join(folder, "train-images-idx3-ubyte"), (len(chosen), h, w), images)
    write_idx(os.path.join(folder, "train-labels-idx1-ubyte"), (len(chosen),),
              bytes(labels[i] for i in chosen))
    return os.path.join(folder, "train-images-idx3-ubyte"), os.path.join(folder, "train-labels-idx1-ubyte")


def make_text_target(csv_path, work, name, per_class, test_per_class, seed):
    csv.field_size_limit(1 << 30)
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rng = random.Random(seed)
    train, test = [], []
    for label in sorted({r["label"] for r in rows}):
        rs = [r for r in rows if r["label"] == label]
        rng.shuffle(rs)
        train += rs[:per_class]
        rest = rs[per_class:]
        test += rest[:test_per_class] if test_per_class else rest
    paths = []
    for part, rs in (("train", train), ("test", test)):
        p = os.path.join(work, "%s-%s.csv" % (name, part))
        with open(p, "w", newline="", encoding="utf-8") as f:
            wr = csv.writer(f)
            wr.writerow(["text", "label"])
            for r in rs:
                wr.writerow([r["text"], r["label"]])
        paths.append(p)
    return paths


# ---------------------------------------------------------------- the CLI

class Lab:
    def __init__(self, binary, log):
        self.binary, self.log = binary, log

    def __call__(self, *args, check=True):
        cmd = [self.binary] + [str(a) for a in args]
        self.log.write("$ " + " ".join(cmd) + "\n")
        self.log.flush()
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.log.write(p.stdout + p.stderr)
        if p.returncode != 0 and not check:
            return None
        if p.returncode != 0:
            sys.exit("failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr.strip()))
        return p.stdout


def training(epochs, batch_size=16):
    return {"epochs": epochs, "batch_size": batch_size, "optimizer": {"kind": "adam", "lr": 0.001}}


def run_experiment(lab, exp, folder):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder + ".json")
    with open(path, "w") as f:
        json.dump(exp, f, indent=1)
    lab("run", path, "--out", folder, "--force", "--retrain", "-q")
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f)


def fine_tune(lab, model, cut, target, epochs, folder, seed):
    exp = {
        "format_version": 1, "name": os.path.basename(folder), "seed": seed,
        "source": target["source_stub"], "target": target["spec"],
        "pretrain": {"model": os.path.abspath(model)},
        "transfer": dict(training(epochs), freeze={"below": cut + 1}, rebuild_head=True,
                         feature_cache=True, strategy="fine-tune", unlabeled_text=False),
        "baseline": False,
        "outputs": {"exports": ["metrics"], "plots": ["png"]},
    }
    summary = run_experiment(lab, exp, folder)
    run = next(r for r in summary["runs"] if r["name"] == "transfer")
    return run["test_accuracy"]


# ---------------------------------------------------------------- settings

def fashion_setting(args, lab, work):
    fashion = args.fashion
    quick = args.quick
    img, lbl = make_fashion_target(fashion, work, 20, args.seed)
    # assess's fallback sample (see evaluate_target): 200 per class, the 1,000 rows it reads at most
    big_img, big_lbl = make_fashion_target(fashion, work, 200, args.seed, "fashion-assess-fallback")
    tr_img = os.path.join(fashion, "train-images-idx3-ubyte.gz")
    tr_lbl = os.path.join(fashion, "train-labels-idx1-ubyte.gz")
    n = FASHION_NAMES
    # (name, preset, classes, per class, epochs)
    sources = [
        ("cnn-c0-4-e3", "cnn", n[0:5], 1000, 3),
        ("cnn-c0-4-e1-n100", "cnn", n[0:5], 100, 1),
        ("cnn-c0-1-e2", "cnn", n[0:2], 500, 2),
        ("mlp-c0-4-e3", "mlp", n[0:5], 1000, 3),
    ]
    if not quick:
        sources += [
            ("cnn-c2-4-e5", "cnn", n[2:5], 1000, 5),
            ("mlp-c0-1-e1-n100", "mlp", n[0:2], 100, 1),
        ]
    models = []
    for name, preset, classes, per_class, epochs in sources:
        out = os.path.join(work, "fashion-" + name + ".safetensors")
        lab("train", tr_img, "--labels", tr_lbl, "--classes", ",".join(classes),
            "--per-class", per_class, "--preset", preset, "--epochs", epochs, "--out", out, "-q")
        models.append(out)
    test_per_class = 200 if quick else 600
    target = {
        "name": "fashion 5-9, 20 per class",
        "assess": [img, "--labels", lbl],
        "assess_fallback": [big_img, "--labels", big_lbl],
        "spec": {"format": "idx", "path": os.path.abspath(img), "labels": os.path.abspath(lbl),
                 "test_path": os.path.join(fashion, "t10k-images-idx3-ubyte.gz"),
                 "test_labels": os.path.join(fashion, "t10k-labels-idx1-ubyte.gz"),
                 "classes": n[5:10], "per_class": 0, "test_per_class": test_per_class,
                 "val_fraction": 0.0, "test_fraction": 0.0, "grey": True},
        "source_stub": {"format": "idx", "path": tr_img, "labels": tr_lbl, "classes": n[0:5],
                        "grey": True},
        "epochs": 4 if quick else 10,
    }
    return target, models


def sentiment_setting(args, lab, work):
    quick = args.quick
    sdir = os.path.join(args.data, "sentiment")
    train, test = make_text_target(os.path.join(sdir, "kitchen.csv"), work, "kitchen", 50,
                                   250 if quick else 0, args.seed)
    text = {"format": "csv", "label_column": "label", "text_column": "text"}
    domains = ["books", "dvd", "electronics"]
    models = []
    for d in domains:
        # the text-ngram preset (embedding_bag 128 - ReLU - dropout - head): one cut
        out = os.path.join(work, "sent-%s-ngram.safetensors" % d)
        lab("train", os.path.join(sdir, d + ".csv"), "--text", "text", "--label", "label",
            "--epochs", 2 if quick else 3, "--out", out, "-q")
        models.append(out)
    deep_domains = domains[:1] if quick else domains
    for d in deep_domains:
        # a deeper bag model (embedding_bag 64 - ReLU - Dense 32 - ReLU - dropout - head): two
        # cuts. `train` only knows presets, so `run` pretrains it; its pretrain model is the source.
        folder = os.path.join(work, "pretrain-%s-deep" % d)
        exp = {
            "format_version": 1, "name": "pretrain-%s-deep" % d, "seed": args.seed,
            "source": dict(text, path=os.path.abspath(os.path.join(sdir, d + ".csv")),
                           val_fraction=0.1, test_fraction=0.1),
            "target": dict(text, path=os.path.abspath(train), per_class=0, val_fraction=0.0,
                           test_path=os.path.abspath(test)),
            "architecture": {"layers": [
                {"kind": "embedding_bag", "embed_dim": 64, "name": "ngrams"},
                {"kind": "relu"},
                {"kind": "dense", "units": 32, "name": "hidden"},
                {"kind": "relu"},
                {"kind": "dropout", "rate": 0.3},
                {"kind": "dense", "units": 2, "name": "head"}]},
            "pretrain": training(4 if quick else 6, 32),
            "transfer": dict(training(1), unlabeled_text=False),
            "baseline": False,
            "outputs": {"exports": ["models", "metrics"], "plots": ["png"]},
        }
        summary = run_experiment(lab, exp, folder)
        pre = next(r for r in summary["runs"] if r["name"] == "pretrain")
        out = os.path.join(work, "sent-%s-deep.safetensors" % d)
        src = pre["model"] if os.path.isabs(pre["model"]) else os.path.join(folder, pre["model"])
        with open(src, "rb") as fi, open(out, "wb") as fo:
            fo.write(fi.read())
        models.append(out)
    target = {
        "name": "kitchen, 50 per class",
        "assess": [train, "--text", "text", "--label", "label"],
        "spec": dict(text, path=os.path.abspath(train), per_class=0, val_fraction=0.0,
                     test_path=os.path.abspath(test)),
        "source_stub": dict(text, path=os.path.abspath(os.path.join(sdir, "books.csv"))),
        "epochs": 4 if quick else 10,
    }
    return target, models


# ---------------------------------------------------------------- main

def evaluate_target(lab, target, models, work, seed, tag):
    # assess on the very rows fine-tuning sees; when it fails there (at this commit LogME comes
    # out NaN for some models whose cut has many more features than the target has rows, and
    # assess then crashes), score the cuts on a larger labelled sample of the same classes
    # instead, and say so in the results
    assessed_on = "target rows"
    assessed = None
    for key in ("assess", "assess_fallback"):
        if key not in target:
            break
        args = ["assess", models[0], target[key][0]] + target[key][1:] + ["--json"]
        for m in models[1:]:
            args += ["--model", m]
        out = lab(*args, check=(key == "assess_fallback"))
        if out is not None:
            assessed = json.loads(out)
            break
        assessed_on = "fallback sample (assess failed on the target rows)"
        print("  assess failed on the target's own rows; scoring on %s" % target[key + "_fallback"][0]
              if key + "_fallback" in target else "  assess failed", flush=True)
    if assessed is None:
        sys.exit("assess failed")
    top = assessed["models"][0]
    pairs = []
    for m in assessed["models"]:
        cuts = m["cuts"][:-1]                   # the output layer is no cut to fine-tune above
        for c in cuts:
            folder = os.path.join(work, "ft-%s-%s-cut%d" % (tag, os.path.basename(m["model"]).split(".")[0], c["layer"]))
            t0 = time.time()
            acc = fine_tune(lab, m["model"], c["layer"], target, target["epochs"], folder, seed)
            pairs.append({"model": os.path.basename(m["model"]), "cut": c["layer"], "cut_name": c["name"],
                          "logme": c["logme"], "recommended_for_model": c["recommended"],
                          "accuracy": acc, "seconds": round(time.time() - t0, 1)})
            print("  %-34s cut %2d %-11s LogME %8.4f  acc %6.2f%%" % (
                os.path.basename(m["model"]), c["layer"], c["name"], c["logme"], 100 * acc), flush=True)
    scores = [p["logme"] for p in pairs]
    accs = [p["accuracy"] for p in pairs]
    best = max(accs)
    rec = next(p for p in pairs if p["model"] == os.path.basename(top["model"])
               and p["cut"] == top["recommended_layer"])
    per_model = []
    for m in assessed["models"]:
        mine = [p for p in pairs if p["model"] == os.path.basename(m["model"])]
        r = next(p for p in mine if p["recommended_for_model"])
        mbest = max(p["accuracy"] for p in mine)
        per_model.append({"model": os.path.basename(m["model"]), "n_cuts": len(mine),
                          "recommended_cut": r["cut"], "recommended_accuracy": r["accuracy"],
                          "best_cut_accuracy": mbest,
                          "within_1_point": (mbest - r["accuracy"]) <= 0.01 + 1e-12})
    return {
        "target": target["name"], "assessed_on": assessed_on,
        "assess_rows": assessed["models"][0]["n_samples"], "pairs": pairs, "n_pairs": len(pairs),
        "spearman": spearman(scores, accs), "weighted_tau": weighted_tau(scores, accs),
        "recommended": {"model": rec["model"], "cut": rec["cut"], "accuracy": rec["accuracy"]},
        "best_accuracy": best,
        "recommended_within_1_point": (best - rec["accuracy"]) <= 0.01 + 1e-12,
        "per_model": per_model,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data", help="folder holding sentiment/*.csv")
    ap.add_argument("--fashion", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "app", "transfer-lab"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "out", "transferability.json"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quick", action="store_true", help="fewer sources, epochs and test rows")
    args = ap.parse_args()
    selftest()

    work = os.path.join(os.path.dirname(os.path.abspath(args.out)), "transferability-work")
    os.makedirs(work, exist_ok=True)
    t0 = time.time()
    with open(os.path.join(work, "log.txt"), "w") as log:
        lab = Lab(args.bin, log)
        results = []
        for tag, setting in (("fashion", fashion_setting), ("kitchen", sentiment_setting)):
            print("%s: training the source models" % tag, flush=True)
            target, models = setting(args, lab, work)
            print("%s: assessing %d models, fine-tuning each cut" % (target["name"], len(models)), flush=True)
            results.append(evaluate_target(lab, target, models, work, args.seed, tag))

    n_targets = len(results)
    mean_rho = sum(r["spearman"] for r in results) / n_targets
    mean_tau = sum(r["weighted_tau"] for r in results) / n_targets
    share = sum(r["recommended_within_1_point"] for r in results) / n_targets
    all_models = [m for r in results for m in r["per_model"] if m["n_cuts"] > 1]
    share_models = (sum(m["within_1_point"] for m in all_models) / len(all_models)) if all_models else None
    report = {
        "quick": args.quick, "seed": args.seed, "seconds": round(time.time() - t0, 1),
        "n_settings": sum(r["n_pairs"] for r in results), "targets": results,
        "mean_spearman": mean_rho, "mean_weighted_tau": mean_tau,
        "recommended_within_1_point_share": share,
        "per_model_recommended_within_1_point_share": share_models,
        "goals": {"mean_spearman_at_least_0.7": mean_rho >= 0.7,
                  "recommended_within_1_point_on_80_percent": share >= 0.8},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)

    print()
    print("%-28s %5s %9s %10s %34s %9s %6s" % ("target", "pairs", "Spearman", "weighted τ",
                                              "recommended (acc)", "best acc", "≤1 pt"))
    for r in results:
        rec = r["recommended"]
        print("%-28s %5d %9.3f %10.3f %34s %8.2f%% %6s" % (
            r["target"], r["n_pairs"], r["spearman"], r["weighted_tau"],
            "%s@%d (%.2f%%)" % (rec["model"].split(".")[0], rec["cut"], 100 * rec["accuracy"]),
            100 * r["best_accuracy"], "yes" if r["recommended_within_1_point"] else "no"))
    print("%-28s %5d %9.3f %10.3f %34s %9s %6s" % ("mean", report["n_settings"], mean_rho, mean_tau,
                                                  "", "", "%d%%" % round(100 * share)))
    if share_models is not None:
        print("per source model with more than one cut: recommended cut within 1 point of its best "
              "on %d of %d" % (sum(m["within_1_point"] for m in all_models), len(all_models)))
    print("goals: mean Spearman >= 0.7: %s; recommended cut within 1 point on >= 80%% of targets: %s"
          % ("met" if mean_rho >= 0.7 else "NOT met", "met" if share >= 0.8 else "NOT met"))
    print("wrote %s (%.0f s)" % (args.out, time.time() - t0))


if __name__ == "__main__":
    main()
