#!/usr/bin/python3
"""Word vectors for the text models, and what they do to cross-domain sentiment.

  word_vectors.py train SHARED_DATA OUT.vec [--dim N] [--epochs N]
      word2vec (skip-gram, Debian's python3-gensim) on the unlabelled text of
      20 Newsgroups (train and test posts without their headers, labels unread), written as a
      fastText-style .vec text file.
  word_vectors.py compare TRANSFER_LAB EXPERIMENT SHARED_DATA VECTORS WORKDIR [--set K=V ...]
      runs the experiment (books -> kitchen sentiment) without and with the
      vectors and prints each run's test accuracy side by side, then one JSON line.

Benchmark-only: gensim is not a dependency of the build or the tests."""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time

# Close to the program's tokenizer for English: lower-cased runs of letters and digits,
# joined across an apostrophe between letters.
TOKEN = re.compile(r"[^\W_]+(?:'[^\W\d_]+)*")


def tokens(text):
    return TOKEN.findall(text.lower())


def newsgroup_sentences(shared):
    csv.field_size_limit(1 << 24)
    for name in ("train.csv", "test.csv"):
        with open(os.path.join(shared, "20news-bydate", name), newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                # the post without its header block (From:, Subject:, Organization:, ...)
                text = row["text"]
                body = text.split("\n\n", 1)[1] if "\n\n" in text else text
                words = tokens(body)
                if words:
                    yield words


def train(args):
    import logging
    from gensim.models import Word2Vec  # benchmark-only dependency

    logging.basicConfig(format="%(asctime)s %(message)s", level=logging.INFO)

    sentences = list(newsgroup_sentences(args.shared))
    n_tokens = sum(len(s) for s in sentences)
    start = time.perf_counter()
    model = Word2Vec(sentences, vector_size=args.dim, window=5, min_count=3, sg=1, negative=10,
                     epochs=args.epochs, workers=2, seed=1)
    seconds = time.perf_counter() - start
    model.wv.save_word2vec_format(args.out, binary=False)
    print(json.dumps({"documents": len(sentences), "tokens": n_tokens, "words": len(model.wv),
                      "dim": args.dim, "epochs": args.epochs, "seconds": round(seconds, 1), "file": args.out}))


def run_experiment(tl, experiment, shared, out, extra):
    cmd = [tl, "run", experiment, "--out", out, "--quiet", "--force", "--retrain",
           "--set", "source.path=" + os.path.join(shared, "sentiment", "books.csv"),
           "--set", "target.path=" + os.path.join(shared, "sentiment", "kitchen.csv")]
    for s in extra:
        cmd += ["--set", s]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        sys.exit(f"transfer-lab run failed ({p.returncode}): {p.stderr.strip()[-400:]}")
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        summary = json.load(f)
    accuracy = {r["name"]: r.get("test_accuracy") for r in summary["runs"]}
    return accuracy, summary.get("embedding_vectors")


def compare(args):
    extra = args.set or []
    runs = {}
    runs["without"], _ = run_experiment(args.tl, args.experiment, args.shared,
                                        os.path.join(args.workdir, "without"), extra)
    runs["with"], coverage = run_experiment(args.tl, args.experiment, args.shared,
                                            os.path.join(args.workdir, "with"),
                                            extra + ["architecture.embedding_vectors=" + os.path.abspath(args.vectors)])
    print(f"{'run':22} {'without':>8} {'with':>8}")
    for name in runs["without"]:
        a, b = runs["without"][name], runs["with"].get(name)
        fmt = lambda v: "-" if v is None else f"{100 * v:.1f}%"
        print(f"{name:22} {fmt(a):>8} {fmt(b):>8}")
    if coverage:
        print(f"coverage: {coverage['found']} of {coverage['words']} words, scale {coverage['scale']:.3g}")
    print(json.dumps({"settings": extra, "without": runs["without"], "with": runs["with"], "coverage": coverage}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("shared")
    t.add_argument("out")
    t.add_argument("--dim", type=int, default=32)
    t.add_argument("--epochs", type=int, default=5)
    c = sub.add_parser("compare")
    c.add_argument("tl")
    c.add_argument("experiment")
    c.add_argument("shared")
    c.add_argument("vectors")
    c.add_argument("workdir")
    c.add_argument("--set", action="append")
    args = parser.parse_args()
    train(args) if args.command == "train" else compare(args)


if __name__ == "__main__":
    main()
