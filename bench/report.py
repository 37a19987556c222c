#!/usr/bin/python3
"""Reads bench/out/*.json and *.time (from run.sh), prints the table, writes results.json."""

import json
import os
import re
import sys

TARGETS = {"mlp": 0.25, "cnn": 0.5, "lstm": 0.25}
TITLES = {
    "mlp": "MLP 784-256-128-10, 1 epoch",
    "cnn": "CNN 2 conv, 1 epoch",
    "lstm": "Emb-LSTM(64)-Dense, 1 epoch",
    "finetune": "CNN head fine-tune, frozen convs",
    "infer-mlp": "inference MLP",
    "infer-cnn": "inference CNN",
    "infer-lstm": "inference LSTM",
    "tokenize": "20NG train.csv import+tokenize",
}


def load(out, name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        return None


def peak_mb(out, name):
    path = os.path.join(out, name + ".time")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
    return int(m.group(1)) / 1024 if m else None


def fmt(v, spec, width):
    return (format(v, spec) if v is not None else "-").rjust(width)


def main():
    out, cases = sys.argv[1], sys.argv[2:]
    sgemm = load(out, "sgemm") or {}
    rate = sgemm.get("gflops")
    text = load(out, "text") or {}
    results = {"sgemm": sgemm, "text_data": text, "cases": {}}

    print()
    if rate:
        print(f"machine limit: cblas_sgemm {sgemm['size']}x{sgemm['size']} = {rate:.1f} GFLOP/s "
              f"(best of {len(sgemm['times'])}; median {sgemm['gflops_median']:.1f}), "
              f"OpenBLAS core {sgemm.get('core', '?')}, {sgemm.get('threads', '?')} threads")
    if text:
        print(f"text data: {text.get('source')} ({text.get('train')} train, {text.get('test')} test sequences)")
    header = (f"{'case':34} {'ours':>9} {'PyTorch':>9} {'ours/PT':>8} {'target':>7} {'acc ours':>8} "
              f"{'acc PT':>7} {'limit':>8} {'ours/lim':>8} {'MB ours':>8} {'MB PT':>7}")
    print(header)
    print("-" * len(header))
    for case in cases:
        ours, pt = load(out, case + "-ours"), load(out, case + "-pytorch")
        row = {"ours": ours, "pytorch": pt,
               "peak_mb_ours": peak_mb(out, case + "-ours"),
               "peak_mb_pytorch": peak_mb(out, case + "-pytorch")}
        t_ours = ours.get("median") if ours else None
        t_pt = pt.get("median") if pt else None
        ratio = t_ours / t_pt if t_ours and t_pt else None
        limit = ours["flops"] / (rate * 1e9) if ours and ours.get("flops") and rate else None
        vs_limit = t_ours / limit if t_ours and limit else None
        row.update(ratio=ratio, limit_seconds=limit, ours_over_limit=vs_limit, target=TARGETS.get(case))
        results["cases"][case] = row
        if case.startswith("infer-"):
            # throughput in samples per second rather than seconds
            a = ours.get("throughput") if ours else None
            b = pt.get("throughput") if pt else None
            print(f"{TITLES.get(case, case) + ' (samples/s)':34} {fmt(a, '.0f', 9)} {fmt(b, '.0f', 9)} "
                  f"{fmt(ratio, '.2f', 8)} {'':>7} {'':>8} {'':>7} {fmt(limit, '.3f', 8)} "
                  f"{fmt(vs_limit, '.1f', 8)} {fmt(row['peak_mb_ours'], '.0f', 8)} "
                  f"{fmt(row['peak_mb_pytorch'], '.0f', 7)}")
            continue
        acc_o = ours.get("accuracy") if ours else None
        acc_p = pt.get("accuracy") if pt else None
        target = TARGETS.get(case)
        mark = ""
        if target and ratio:
            mark = " ok" if ratio <= target else " !!"
        note = ""
        if (ours and "skipped" in ours) or (pt and "skipped" in pt):
            note = "  skipped: " + (ours or {}).get("skipped", (pt or {}).get("skipped", ""))
        print(f"{TITLES.get(case, case):34} {fmt(t_ours, '.2f', 9)} {fmt(t_pt, '.2f', 9)} "
              f"{fmt(ratio, '.2f', 8)} {(fmt(target, '.2f', 4) + mark) if target else '':>7} "
              f"{fmt(acc_o * 100 if acc_o is not None else None, '.1f', 8)} "
              f"{fmt(acc_p * 100 if acc_p is not None else None, '.1f', 7)} "
              f"{fmt(limit, '.3f', 8)} {fmt(vs_limit, '.1f', 8)} "
              f"{fmt(row['peak_mb_ours'], '.0f', 8)} {fmt(row['peak_mb_pytorch'], '.0f', 7)}{note}")
    print()
    print("times in seconds (median of the runs; training: the epoch(s) only, data loading excluded);")
    print("limit = the run's matrix-product FLOPs / the sgemm rate; ours/lim = how far from that limit;")
    print("MB = peak resident memory of the whole process (/usr/bin/time -v).")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"written {os.path.join(out, 'results.json')}")


if __name__ == "__main__":
    main()
