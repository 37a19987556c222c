#!/usr/bin/env python3
"""Does `transfer-lab assess` rank sources and cut layers as fine-tuning does?

For each target, every candidate (source model, cut layer) pair gets two numbers:
  - its score: the LogME that `transfer-lab assess TARGET --json --model ...` gives the cut, on
    the target's own labelled rows (the very rows fine-tuning sees);
  - its accuracy: the test accuracy of fine-tuning that source on the target's labelled rows with
    the layers up to and including the cut frozen (`transfer-lab run` of an experiment this script
    writes: pretrain.model = the source file, transfer.freeze.below = cut + 1, a rebuilt head,
    10 epochs of batch 16, Adam 1e-3, no augmentation, no baseline; the accuracy is the `transfer`
    run's test_accuracy in summary.json), averaged over the fine-tuning seeds (42 and 43; --quick:
    42 alone). The recipe is the same for every target and pair.
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
How noisy the accuracy side is gets reported too: the Spearman of seed 42's accuracies against
seed 43's, their mean absolute difference, and the test set's binomial standard error.

The recommended cut of a target is assess's recommendation for its top-ranked model; the
criterion is that its accuracy be within 1 point of the best pair's. The same test per source model
(its recommended cut against its best cut) is reported too, and both again for the top model's cut
of highest LogME (the rule assess followed before it asked for strong evidence), for comparison.

Targets (each with 100 labelled rows, written to files of their own so that assess and
fine-tuning see exactly the same rows):
  - fashion: Fashion-MNIST classes 5-9, 20 per class, tested on t10k's classes 5-9; CNN and MLP
    sources on other class subsets, sizes and epochs;
  - kitchen: kitchen reviews, 50 per class, tested on the other kitchen reviews; books, dvd and
    electronics sources, as the text-ngram preset (one cut) and a deeper n-gram bag model (two);
  - digits: speaker lucas, 10 recordings per digit, tested on his other 400; the audio CNN
    pretrained on synthetic voices (tools/make-synthetic-digits.py, 600 recordings) or on the
    other real speakers, for different epochs (four cuts each);
  - news: 20 Newsgroups rec.sport.baseball, rec.sport.hockey, talk.politics.mideast,
    talk.religion.misc, 25 posts per group, tested on the test half's posts of those groups;
    sources on the sibling rec/talk groups, on comp.* and on sci.* (n-gram preset and deep bag),
    and a book-review model;
  - fashion04: Fashion-MNIST classes 0-4, 20 per class; sources on classes 5-9 and subsets.

    /usr/bin/python3 bench/transferability_ranking.py [--data ../shared/data] [--quick]
        [--targets fashion,kitchen,digits,news,fashion04] [--seeds 42,43] [--reuse]

Writes bench/out/transferability.json (--quick: transferability-quick.json; work files in
bench/out/transferability-work*/) and prints a table. Python 3 standard library only.
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


def make_fashion_target(fashion, work, per_class, seed, folder_name="fashion-target", classes=range(5, 10)):
    """The labelled target rows: per_class training images of each of the classes, in a folder
    whose name holds "fashion" (so the IDX reader names the classes as Fashion-MNIST's)."""
    folder = os.path.join(work, folder_name)
    os.makedirs(folder, exist_ok=True)
    (n, h, w), pixels = read_idx(os.path.join(fashion, "train-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(fashion, "train-labels-idx1-ubyte.gz"))
    rng = random.Random(seed)
    chosen = []
    for c in classes:
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


REUSE = False


def run_experiment(lab, exp, folder, reusable=False):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder + ".json")
    summary_path = os.path.join(folder, "summary.json")
    if reusable and REUSE and os.path.exists(path) and os.path.exists(summary_path):
        with open(path) as f:
            same = json.load(f) == exp
        if same:
            with open(summary_path) as f:
                return json.load(f)
    with open(path, "w") as f:
        json.dump(exp, f, indent=1)
    lab("run", path, "--out", folder, "--force", "--retrain", "-q")
    with open(os.path.join(folder, "summary.json")) as f:
        return json.load(f)


# The one fine-tuning recipe of every target and pair: the layers up to and including the cut
# frozen, a rebuilt head, 10 epochs of batch 16, Adam at 1e-3, no augmentation.
FINE_TUNE_EPOCHS = 10


def fine_tune(lab, model, cut, target, folder, seed):
    exp = {
        "format_version": 1, "name": os.path.basename(folder), "seed": seed,
        "source": target["source_stub"], "target": target["spec"],
        "pretrain": {"model": os.path.abspath(model)},
        "transfer": dict(training(FINE_TUNE_EPOCHS), freeze={"below": cut + 1},
                         rebuild_head=True, feature_cache=True, strategy="fine-tune", unlabeled_text=False),
        "baseline": False,
        "outputs": {"exports": ["metrics"], "plots": ["png"]},
    }
    summary = run_experiment(lab, exp, folder, reusable=True)
    run = next(r for r in summary["runs"] if r["name"] == "transfer")
    return run["test_accuracy"], run["test_samples"]


def pretrain_with_run(lab, work, name, source, target_spec, architecture, epochs, seed, batch_size=32):
    """A source model that `train` cannot make (no such preset or data kind): `run` pretrains it
    (with a 1-epoch transfer it needs to run at all) and its pretrain model is copied out."""
    folder = os.path.join(work, "pretrain-" + name)
    exp = {
        "format_version": 1, "name": "pretrain-" + name, "seed": seed,
        "source": source, "target": target_spec, "architecture": architecture,
        "pretrain": training(epochs, batch_size),
        "transfer": dict(training(1)),
        "baseline": False,
        "outputs": {"exports": ["models", "metrics"], "plots": ["png"]},
    }
    if target_spec.get("format") == "csv":
        exp["transfer"]["unlabeled_text"] = False
    summary = run_experiment(lab, exp, folder)
    pre = next(r for r in summary["runs"] if r["name"] == "pretrain")
    out = os.path.join(work, name + ".safetensors")
    src = pre["model"] if os.path.isabs(pre["model"]) else os.path.join(folder, pre["model"])
    with open(src, "rb") as fi, open(out, "wb") as fo:
        fo.write(fi.read())
    return out


def write_rows(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        wr = csv.writer(f)
        wr.writerow(header)
        wr.writerows(rows)
    return path


# ---------------------------------------------------------------- settings

def fashion_setting(args, lab, work, target_classes, sources, full_sources, source_stub_classes, key):
    fashion = args.fashion
    n = FASHION_NAMES
    ids = [n.index(c) for c in target_classes]
    img, lbl = make_fashion_target(fashion, work, 20, args.seed, key + "-target", ids)
    # assess's fallback sample (see evaluate_target): 200 per class, the 1,000 rows it reads at most
    big_img, big_lbl = make_fashion_target(fashion, work, 200, args.seed, key + "-assess-fallback", ids)
    tr_img = os.path.join(fashion, "train-images-idx3-ubyte.gz")
    tr_lbl = os.path.join(fashion, "train-labels-idx1-ubyte.gz")
    models = []
    for name, preset, classes, per_class, epochs in sources + ([] if args.quick else full_sources):
        out = os.path.join(work, "fashion-" + name + ".safetensors")
        lab("train", tr_img, "--labels", tr_lbl, "--classes", ",".join(classes),
            "--per-class", per_class, "--preset", preset, "--epochs", epochs, "--out", out, "--force", "-q")
        models.append(out)
    target = {
        "name": "fashion %s, 20 per class" % ("-".join(str(i) for i in (ids[0], ids[-1]))),
        "assess": [img, "--labels", lbl],
        "assess_fallback": [big_img, "--labels", big_lbl],
        "spec": {"format": "idx", "path": os.path.abspath(img), "labels": os.path.abspath(lbl),
                 "test_path": os.path.join(fashion, "t10k-images-idx3-ubyte.gz"),
                 "test_labels": os.path.join(fashion, "t10k-labels-idx1-ubyte.gz"),
                 "classes": list(target_classes), "per_class": 0,
                 "test_per_class": 200 if args.quick else 1000,
                 "val_fraction": 0.0, "test_fraction": 0.0, "grey": True},
        "source_stub": {"format": "idx", "path": tr_img, "labels": tr_lbl, "classes": source_stub_classes,
                        "grey": True},
    }
    return target, models


def fashion_5_9_setting(args, lab, work):
    n = FASHION_NAMES
    # (name, preset, classes, per class, epochs)
    sources = [
        ("cnn-c0-4-e3", "cnn", n[0:5], 1000, 3),
        ("cnn-c0-4-e1-n100", "cnn", n[0:5], 100, 1),
        ("cnn-c0-1-e2", "cnn", n[0:2], 500, 2),
        ("mlp-c0-4-e3", "mlp", n[0:5], 1000, 3),
    ]
    full = [
        ("cnn-c2-4-e5", "cnn", n[2:5], 1000, 5),
        ("mlp-c0-1-e1-n100", "mlp", n[0:2], 100, 1),
    ]
    return fashion_setting(args, lab, work, n[5:10], sources, full, n[0:5], "fashion")


def fashion_0_4_setting(args, lab, work):
    n = FASHION_NAMES
    footwear = [n[5], n[7], n[9]]
    sources = [
        ("cnn-c5-9-e3", "cnn", n[5:10], 1000, 3),
        ("cnn-c5-9-e1-n100", "cnn", n[5:10], 100, 1),
        ("cnn-footwear-e2", "cnn", footwear, 500, 2),
        ("mlp-c5-9-e3", "mlp", n[5:10], 1000, 3),
    ]
    full = [
        ("cnn-c6-8-e5", "cnn", [n[6], n[8]], 1000, 5),
        ("mlp-footwear-e1-n100", "mlp", footwear, 100, 1),
    ]
    return fashion_setting(args, lab, work, n[0:5], sources, full, n[5:10], "fashion-0-4")


TEXT = {"format": "csv", "label_column": "label", "text_column": "text"}
DEEP_BAG = {"layers": [
    {"kind": "embedding_bag", "embed_dim": 64, "name": "ngrams"},
    {"kind": "relu"},
    {"kind": "dense", "units": 32, "name": "hidden"},
    {"kind": "relu"},
    {"kind": "dropout", "rate": 0.3},
    {"kind": "dense", "units": 2, "name": "head"}]}


def deep_bag(n_classes):
    arch = json.loads(json.dumps(DEEP_BAG))
    arch["layers"][-1]["units"] = n_classes
    return arch


def sentiment_setting(args, lab, work):
    quick = args.quick
    sdir = os.path.join(args.data, "sentiment")
    train, test = make_text_target(os.path.join(sdir, "kitchen.csv"), work, "kitchen", 50,
                                   250 if quick else 0, args.seed)
    spec = dict(TEXT, path=os.path.abspath(train), per_class=0, val_fraction=0.0,
                test_path=os.path.abspath(test))
    domains = ["books", "dvd", "electronics"]
    models = []
    for d in domains:
        # the text-ngram preset (embedding_bag 128 - ReLU - dropout - head): one cut
        out = os.path.join(work, "sent-%s-ngram.safetensors" % d)
        lab("train", os.path.join(sdir, d + ".csv"), "--text", "text", "--label", "label",
            "--epochs", 2 if quick else 3, "--out", out, "--force", "-q")
        models.append(out)
    for d in domains[:1] if quick else domains:
        # a deeper bag model (embedding_bag 64 - ReLU - Dense 32 - ReLU - dropout - head): two cuts
        source = dict(TEXT, path=os.path.abspath(os.path.join(sdir, d + ".csv")),
                      val_fraction=0.1, test_fraction=0.1)
        models.append(pretrain_with_run(lab, work, "sent-%s-deep" % d, source, spec, deep_bag(2),
                                        4 if quick else 6, args.seed))
    target = {
        "name": "kitchen, 50 per class",
        "assess": [train, "--text", "text", "--label", "label"],
        "spec": spec,
        "source_stub": dict(TEXT, path=os.path.abspath(os.path.join(sdir, "books.csv"))),
    }
    return target, models


NEWS_TARGET = ["rec.sport.baseball", "rec.sport.hockey", "talk.politics.mideast", "talk.religion.misc"]
NEWS_SOURCES = {
    # the sibling groups of the target's (same top categories, other sub-groups)
    "rec-talk": ["rec.autos", "rec.motorcycles", "talk.politics.guns", "talk.politics.misc"],
    "comp": ["comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware", "comp.sys.mac.hardware"],
    "sci": ["sci.crypt", "sci.electronics", "sci.med", "sci.space"],
}


def news_setting(args, lab, work):
    """20 Newsgroups: target four groups (baseball, hockey, mideast, religion.misc), 25 labelled
    posts per group from the training half, tested on the test half's posts of those groups."""
    quick = args.quick
    ndir = os.path.join(args.data, "20news-bydate")
    csv.field_size_limit(1 << 30)
    with open(os.path.join(ndir, "train.csv"), newline="", encoding="utf-8") as f:
        train_rows = [(r["text"], r["label"]) for r in csv.DictReader(f)]
    with open(os.path.join(ndir, "test.csv"), newline="", encoding="utf-8") as f:
        test_rows = [(r["text"], r["label"]) for r in csv.DictReader(f)]
    rng = random.Random(args.seed)
    tr, te = [], []
    for g in NEWS_TARGET:
        rows = [r for r in train_rows if r[1] == g]
        rng.shuffle(rows)
        tr += rows[:25]
        rows = [r for r in test_rows if r[1] == g]
        rng.shuffle(rows)
        te += rows[:100] if quick else rows
    train = write_rows(os.path.join(work, "news-target-train.csv"), ["text", "label"], tr)
    test = write_rows(os.path.join(work, "news-target-test.csv"), ["text", "label"], te)
    spec = dict(TEXT, path=os.path.abspath(train), per_class=0, val_fraction=0.0,
                test_path=os.path.abspath(test))

    def source_csv(name, per_group=0):
        rows = []
        for g in NEWS_SOURCES[name]:
            mine = [r for r in train_rows if r[1] == g]
            rows += mine[:per_group] if per_group else mine
        suffix = "-n%d" % per_group if per_group else ""
        return write_rows(os.path.join(work, "news-source-%s%s.csv" % (name, suffix)), ["text", "label"], rows)

    models = []
    # (source groups, labelled posts per group (0: all), epochs): the text-ngram preset, one cut
    ngram = [("rec-talk", 0, 3), ("comp", 0, 3), ("sci", 0, 3)]
    if not quick:
        ngram += [("rec-talk", 100, 1)]
    for name, per_group, epochs in ngram:
        out = os.path.join(work, "news-%s%s-e%d-ngram.safetensors" % (name, "-n%d" % per_group if per_group else "",
                                                                      epochs))
        lab("train", source_csv(name, per_group), "--text", "text", "--label", "label",
            "--epochs", epochs, "--out", out, "--force", "-q")
        models.append(out)
    for name in ["rec-talk"] if quick else ["rec-talk", "comp"]:
        source = dict(TEXT, path=os.path.abspath(source_csv(name)), val_fraction=0.1, test_fraction=0.0)
        models.append(pretrain_with_run(lab, work, "news-%s-deep" % name, source, spec, deep_bag(4),
                                        4, args.seed))
    if not quick:
        # another kind of text altogether: book reviews
        out = os.path.join(work, "news-books-reviews-ngram.safetensors")
        lab("train", os.path.join(args.data, "sentiment", "books.csv"), "--text", "text", "--label", "label",
            "--epochs", 3, "--out", out, "--force", "-q")
        models.append(out)
    target = {
        "name": "20news 4 groups, 25 per group",
        "assess": [train, "--text", "text", "--label", "label"],
        "spec": spec,
        "source_stub": dict(TEXT, path=os.path.abspath(source_csv("rec-talk"))),
    }
    return target, models


def digits_setting(args, lab, work):
    """Spoken digits: target speaker lucas, 10 labelled recordings per digit, tested on his other
    400; sources are the audio CNN pretrained on synthetic voices or on the other real speakers."""
    quick = args.quick
    ddir = os.path.abspath(os.path.join(args.data, "spoken-digits"))

    def recordings(folder):
        rows = []
        for d in range(10):
            sub = os.path.join(folder, str(d))
            rows += [(os.path.join(sub, fn), d) for fn in sorted(os.listdir(sub)) if fn.endswith(".wav")]
        return rows

    rng = random.Random(args.seed)
    lucas = recordings(os.path.join(ddir, "lucas"))
    tr, te = [], []
    for d in range(10):
        rows = [r for r in lucas if r[1] == d]
        rng.shuffle(rows)
        tr += rows[:10]
        te += rows[10:]
    train = write_rows(os.path.join(work, "digits-lucas-train.csv"), ["path", "label"], tr)
    test = write_rows(os.path.join(work, "digits-lucas-test.csv"), ["path", "label"], te)
    spec = {"format": "audio", "path": os.path.abspath(train), "test_path": os.path.abspath(test),
            "per_class": 0, "val_fraction": 0.0}

    synth_dir = os.path.join(work, "synthetic-digits")
    if not os.path.isdir(synth_dir):
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make-synthetic-digits.py"), synth_dir,
                        "--per-digit", "5", "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
    synth = []
    for voice in sorted(os.listdir(synth_dir)):
        synth += recordings(os.path.join(synth_dir, voice))
    lists = {
        "synthetic": synth,
        "george": recordings(os.path.join(ddir, "george")),
        "jackson": recordings(os.path.join(ddir, "jackson")),
    }
    lists["george-jackson"] = lists["george"] + lists["jackson"]
    # (source, epochs)
    sources = [("synthetic", 2), ("george", 3), ("jackson", 3)]
    if not quick:
        sources += [("synthetic", 6), ("george", 1), ("george-jackson", 4)]
    models = []
    for name, epochs in sources:
        path = write_rows(os.path.join(work, "digits-source-%s.csv" % name), ["path", "label"], lists[name])
        source = {"format": "audio", "path": os.path.abspath(path), "val_fraction": 0.1, "test_fraction": 0.0}
        models.append(pretrain_with_run(lab, work, "digits-%s-e%d" % (name, epochs), source, spec,
                                        {"preset": "audio-cnn"}, epochs, args.seed))
    target = {
        "name": "spoken digits lucas, 10 per digit",
        "assess": [train],
        "spec": spec,
        "source_stub": {"format": "audio",
                        "path": os.path.abspath(os.path.join(work, "digits-source-george.csv"))},
    }
    return target, models


SETTINGS = [("fashion", fashion_5_9_setting), ("kitchen", sentiment_setting), ("digits", digits_setting),
            ("news", news_setting), ("fashion04", fashion_0_4_setting)]


# ---------------------------------------------------------------- main

def evaluate_target(lab, target, models, work, seeds, tag):
    # assess on the very rows fine-tuning sees; should it fail there, score the cuts on a larger
    # labelled sample of the same classes instead, and say so in the results
    assessed_on = "target rows"
    assessed = None
    for key in ("assess", "assess_fallback"):
        if key not in target:
            break
        args = ["assess", models[0], target[key][0]] + target[key][1:] + ["--json"]
        for m in models[1:]:
            args += ["--model", m]
        out = lab(*args, check=(key == "assess_fallback" or "assess_fallback" not in target))
        if out is not None:
            assessed = json.loads(out)
            break
        assessed_on = "fallback sample (assess failed on the target rows)"
        print("  assess failed on the target's own rows; scoring on %s" % target["assess_fallback"][0], flush=True)
    if assessed is None:
        sys.exit("assess failed")
    top = assessed["models"][0]
    pairs = []
    for m in assessed["models"]:
        cuts = m["cuts"][:-1]                   # the output layer is no cut to fine-tune above
        for c in cuts:
            if c["logme"] is None:
                sys.exit("%s: LogME of cut %d is not a number" % (m["model"], c["layer"]))
            stem = os.path.basename(m["model"]).split(".")[0]
            t0 = time.time()
            accs, n_test = [], 0
            for seed in seeds:
                folder = os.path.join(work, "ft-%s-%s-cut%d-s%d" % (tag, stem, c["layer"], seed))
                acc, n_test = fine_tune(lab, m["model"], c["layer"], target, folder, seed)
                accs.append(acc)
            acc = sum(accs) / len(accs)
            pairs.append({"model": os.path.basename(m["model"]), "cut": c["layer"], "cut_name": c["name"],
                          "logme": c["logme"], "evidence_for_best": c.get("evidence_for_best"),
                          "recommended_for_model": c["recommended"],
                          "highest_logme_for_model": c["layer"] == m["best_layer"],
                          "accuracy": acc, "accuracy_per_seed": accs, "test_samples": n_test,
                          "seconds": round(time.time() - t0, 1)})
            print("  %-34s cut %2d %-11s LogME %8.4f  acc %6.2f%% (%s)" % (
                os.path.basename(m["model"]), c["layer"], c["name"], c["logme"], 100 * acc,
                " / ".join("%.2f" % (100 * a) for a in accs)), flush=True)
    scores = [p["logme"] for p in pairs]
    accs = [p["accuracy"] for p in pairs]
    best = max(accs)
    rec = next(p for p in pairs if p["model"] == os.path.basename(top["model"])
               and p["cut"] == top["recommended_layer"])
    # the former rule, for comparison: the top model's cut of highest LogME
    highest = next(p for p in pairs if p["model"] == os.path.basename(top["model"])
                   and p["cut"] == top["best_layer"])
    per_model = []
    for m in assessed["models"]:
        mine = [p for p in pairs if p["model"] == os.path.basename(m["model"])]
        r = next(p for p in mine if p["recommended_for_model"])
        h = next(p for p in mine if p["highest_logme_for_model"])
        mbest = max(p["accuracy"] for p in mine)
        per_model.append({"model": os.path.basename(m["model"]), "n_cuts": len(mine),
                          "recommended_cut": r["cut"], "recommended_accuracy": r["accuracy"],
                          "highest_logme_cut": h["cut"], "highest_logme_accuracy": h["accuracy"],
                          "best_cut_accuracy": mbest,
                          "within_1_point": (mbest - r["accuracy"]) <= 0.01 + 1e-12,
                          "highest_logme_within_1_point": (mbest - h["accuracy"]) <= 0.01 + 1e-12})
    # how noisy the truth side is: the two seeds' agreement, and the test set's sampling error
    noise = {}
    if len(seeds) >= 2:
        a0 = [p["accuracy_per_seed"][0] for p in pairs]
        a1 = [p["accuracy_per_seed"][1] for p in pairs]
        noise["mean_abs_seed_difference"] = sum(abs(x - y) for x, y in zip(a0, a1)) / len(pairs)
        noise["spearman_seed0_vs_seed1"] = spearman(a0, a1)
        noise["spearman_logme_vs_seed0"] = spearman(scores, a0)
        noise["spearman_logme_vs_seed1"] = spearman(scores, a1)
    n_test = pairs[0]["test_samples"]
    mean_acc = sum(accs) / len(accs)
    noise["test_samples"] = n_test
    noise["test_standard_error"] = math.sqrt(mean_acc * (1 - mean_acc) / n_test) if n_test else None
    noise["accuracy_range"] = best - min(accs)
    return {
        "target": target["name"], "assessed_on": assessed_on,
        "assess_rows": assessed["models"][0]["n_samples"], "pairs": pairs, "n_pairs": len(pairs),
        "n_models": len(assessed["models"]),
        "spearman": spearman(scores, accs), "weighted_tau": weighted_tau(scores, accs),
        "recommended": {"model": rec["model"], "cut": rec["cut"], "accuracy": rec["accuracy"]},
        "best": next({"model": p["model"], "cut": p["cut"]} for p in pairs if p["accuracy"] == best),
        "best_accuracy": best,
        "recommended_within_1_point": (best - rec["accuracy"]) <= 0.01 + 1e-12,
        "highest_logme": {"model": highest["model"], "cut": highest["cut"], "accuracy": highest["accuracy"]},
        "highest_logme_within_1_point": (best - highest["accuracy"]) <= 0.01 + 1e-12,
        "per_model": per_model, "noise": noise,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="../shared/data", help="folder holding sentiment/, 20news-bydate/, spoken-digits/")
    ap.add_argument("--fashion", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "app", "transfer-lab"))
    ap.add_argument("--out", default=None, help="results (default bench/out/transferability[-quick].json)")
    ap.add_argument("--seed", type=int, default=42, help="seed of the target samples and the source models")
    ap.add_argument("--seeds", default=None,
                    help="fine-tuning seeds whose accuracies are averaged (default 42,43; --quick: 42)")
    ap.add_argument("--targets", default=",".join(k for k, _ in SETTINGS),
                    help="which targets (default: all of %s)" % ",".join(k for k, _ in SETTINGS))
    ap.add_argument("--quick", action="store_true", help="fewer sources, test rows and seeds")
    ap.add_argument("--reuse", action="store_true",
                    help="keep a fine-tuning whose experiment file and summary are already in the work folder "
                         "(to re-measure assess alone)")
    args = ap.parse_args()
    global REUSE
    REUSE = args.reuse
    selftest()
    seeds = [int(s) for s in (args.seeds or ("42" if args.quick else "42,43")).split(",")]
    wanted = args.targets.split(",")
    unknown = [t for t in wanted if t not in dict(SETTINGS)]
    if unknown:
        sys.exit("unknown target(s): %s" % ", ".join(unknown))
    if args.out is None:
        args.out = os.path.join(ROOT, "bench", "out", "transferability%s.json" % ("-quick" if args.quick else ""))

    work = os.path.join(os.path.dirname(os.path.abspath(args.out)),
                        "transferability-work%s" % ("-quick" if args.quick else ""))
    os.makedirs(work, exist_ok=True)
    t0 = time.time()
    with open(os.path.join(work, "log.txt"), "w") as log:
        lab = Lab(args.bin, log)
        results = []
        for tag, setting in SETTINGS:
            if tag not in wanted:
                continue
            t1 = time.time()
            print("%s: training the source models" % tag, flush=True)
            target, models = setting(args, lab, work)
            print("%s: assessing %d models, fine-tuning each cut (seeds %s)" % (
                target["name"], len(models), ",".join(map(str, seeds))), flush=True)
            results.append(evaluate_target(lab, target, models, work, seeds, tag))
            results[-1]["seconds"] = round(time.time() - t1, 1)

    n_targets = len(results)
    mean_rho = sum(r["spearman"] for r in results) / n_targets
    mean_tau = sum(r["weighted_tau"] for r in results) / n_targets
    share = sum(r["recommended_within_1_point"] for r in results) / n_targets
    share_highest = sum(r["highest_logme_within_1_point"] for r in results) / n_targets
    all_models = [m for r in results for m in r["per_model"] if m["n_cuts"] > 1]
    share_models = (sum(m["within_1_point"] for m in all_models) / len(all_models)) if all_models else None
    share_models_highest = (sum(m["highest_logme_within_1_point"] for m in all_models) / len(all_models)
                            if all_models else None)
    report = {
        "quick": args.quick, "seed": args.seed, "fine_tuning_seeds": seeds,
        "seconds": round(time.time() - t0, 1),
        "n_settings": sum(r["n_pairs"] for r in results), "targets": results,
        "mean_spearman": mean_rho, "mean_weighted_tau": mean_tau,
        "recommended_within_1_point_share": share,
        "highest_logme_cut_within_1_point_share": share_highest,
        "per_model_recommended_within_1_point_share": share_models,
        "per_model_highest_logme_cut_within_1_point_share": share_models_highest,
        "goals": {"mean_spearman_at_least_0.7": mean_rho >= 0.7,
                  "recommended_within_1_point_on_80_percent": share >= 0.8},
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)

    print()
    print("%-34s %5s %9s %10s %40s %9s %6s %10s" % ("target", "pairs", "Spearman", "weighted τ",
                                                   "recommended (acc)", "best acc", "≤1 pt", "seed ρ"))
    for r in results:
        rec = r["recommended"]
        seed_rho = r["noise"].get("spearman_seed0_vs_seed1")
        print("%-34s %5d %9.3f %10.3f %40s %8.2f%% %6s %10s" % (
            r["target"], r["n_pairs"], r["spearman"], r["weighted_tau"],
            "%s@%d (%.2f%%)" % (rec["model"].split(".")[0], rec["cut"], 100 * rec["accuracy"]),
            100 * r["best_accuracy"], "yes" if r["recommended_within_1_point"] else "no",
            "-" if seed_rho is None else "%.3f" % seed_rho))
    print("%-34s %5d %9.3f %10.3f %40s %9s %6s" % ("mean", report["n_settings"], mean_rho, mean_tau,
                                                  "", "", "%d%%" % round(100 * share)))
    print("the former rule (the top model's cut of highest LogME): within 1 point on %d%% of targets"
          % round(100 * share_highest))
    if share_models is not None:
        print("per source model with more than one cut: recommended cut within 1 point of its best "
              "on %d of %d (the cut of highest LogME: %d)" % (
                  sum(m["within_1_point"] for m in all_models), len(all_models),
                  sum(m["highest_logme_within_1_point"] for m in all_models)))
    print("goals: mean Spearman >= 0.7: %s; recommended cut within 1 point on >= 80%% of targets: %s"
          % ("met" if mean_rho >= 0.7 else "NOT met", "met" if share >= 0.8 else "NOT met"))
    print("wrote %s (%.0f s)" % (args.out, time.time() - t0))


if __name__ == "__main__":
    main()
