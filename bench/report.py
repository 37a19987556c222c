#!/usr/bin/python3
"""Reads bench/out/*.json and *.time (from run.sh), prints the table, writes results.json."""

import json
import os
import re
import statistics
import sys

TARGETS = {"mlp": 0.25, "cnn": 0.5, "lstm": 0.25, "infer-resnet18": 1.0}
TITLES = {
    "mlp": "MLP 784-256-128-10, 1 epoch",
    "cnn": "CNN 2 conv, 1 epoch",
    "lstm": "Emb-LSTM(64)-Dense, 1 epoch",
    "finetune": "CNN head fine-tune, frozen convs",
    "infer-mlp": "inference MLP",
    "infer-cnn": "inference CNN",
    "infer-lstm": "inference LSTM",
    "infer-resnet18": "inference ResNet-18, 3x32x32",
    "tokenize": "20NG train.csv import+tokenize",
    "text-news": "20NG text-ngram / tfidf+LinearSVC",
    "text-kitchen": "books->kitchen 50/cl, fine-tune",
    "text-electronics": "books->electronics 50/cl, fine-tune",
    "text-dvd": "books->dvd 50/cl, fine-tune",
    "audio-george": "2 speakers->george 5/digit",
    "audio-jackson": "2 speakers->jackson 5/digit",
    "audio-lucas": "2 speakers->lucas 5/digit",
    "audio-features": "log-mel of 1,500 recordings",
    "demo": "transfer-lab run fashion-split.json",
    "window": "the window on fashion-split.json",
}
# the demo's product targets: peak MB of the command and of the window, seconds to the first frame
DEMO_TARGETS = {"demo_mb": 250, "window_mb": 400, "first_frame_s": 1.0}
# sentiment: our pipeline's run -> the anchor's member it is set against
SENTIMENT_PAIRS = (("transfer", "source_plus_target"), ("baseline", "scratch"))


def load(out, name):
    path = os.path.join(out, name + ".json")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        return None


def time_v(out, name):
    """Peak resident MB and CPU seconds (user + system) from a /usr/bin/time -v file."""
    path = os.path.join(out, name + ".time")
    if not os.path.exists(path):
        return None, None
    with open(path) as f:
        text = f.read()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    user = re.search(r"User time \(seconds\): ([\d.]+)", text)
    system = re.search(r"System time \(seconds\): ([\d.]+)", text)
    cpu = float(user.group(1)) + float(system.group(1)) if user and system else None
    return (int(rss.group(1)) / 1024 if rss else None), cpu


def merge(out, case, side):
    """One side of a case over its runs (NAME.r1.json, NAME.r2.json, ...): medians, peak memory."""
    base = f"{case}-{side}"
    runs = sorted(f[:-5] for f in os.listdir(out)
                  if f.startswith(base + ".r") and f.endswith(".json"))
    docs = [d for d in (load(out, r) for r in runs) if d is not None]
    if not docs:
        return None, None, None
    merged = dict(docs[0])
    for key in ("median", "accuracy", "throughput", "first_frame", "first_frame_cpu", "data_ready", "data_ready_cpu"):
        values = [d[key] for d in docs if d.get(key) is not None]
        if values:
            merged[key] = statistics.median(values)
    merged["run_medians"] = [d.get("median") for d in docs]
    merged["runs"] = len(docs)
    mems, cpus = zip(*(time_v(out, r) for r in runs))
    mems = [m for m in mems if m is not None]
    cpus = [c for c in cpus if c is not None]
    return merged, (max(mems) if mems else None), (statistics.median(cpus) if cpus else None)


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return line.split()
    except OSError:
        pass
    return []


def fmt(v, spec, width):
    return (format(v, spec) if v is not None else "-").rjust(width)


def text_table(out, cases, results):
    """Transfer Lab's text commands against the scikit-learn anchor, in the main table's columns."""
    print()
    print("text: transfer-lab (ours) against the scikit-learn anchor (../shared/bench/sklearn_text_anchor.py)")
    header = (f"{'case':34} {'ours':>9} {'sklearn':>9} {'ours/skl':>8} {'acc ours':>8} {'acc skl':>7} "
              f"{'MB ours':>8} {'MB skl':>7}")
    print(header)
    print("-" * len(header))
    for case in cases:
        ours, mem_o, cpu_o = merge(out, case, "ours")
        skl, mem_s, cpu_s = merge(out, case, "sklearn")
        t_ours = ours.get("median") if ours else None
        t_skl = skl.get("median") if skl else None
        ratio = t_ours / t_skl if t_ours and t_skl else None
        acc_o = ours.get("accuracy") if ours else None
        acc_s = skl.get("accuracy") if skl else None
        results["cases"][case] = {"ours": ours, "sklearn": skl, "ratio": ratio,
                                  "peak_mb_ours": mem_o, "peak_mb_sklearn": mem_s,
                                  "process_cpu_seconds_ours": cpu_o, "process_cpu_seconds_sklearn": cpu_s}
        pct = lambda v: v * 100 if v is not None else None
        print(f"{TITLES.get(case, case):34} {fmt(t_ours, '.1f', 9)} {fmt(t_skl, '.1f', 9)} {fmt(ratio, '.2f', 8)} "
              f"{fmt(pct(acc_o), '.1f', 8)} {fmt(pct(acc_s), '.1f', 7)} {fmt(mem_o, '.0f', 8)} {fmt(mem_s, '.0f', 7)}")
        if case == "text-news":
            continue
        # the other runs of the same command: accuracy only (one process times them all)
        runs = (ours or {}).get("run_results", {})
        rows = [("  " + name + " (ours)", runs[name].get("test_accuracy"), None)
                for name in ("domain-adversarial", "joint", "self-training") if name in runs]
        rows += [("  baseline / scratch (50/class)", runs.get("baseline", {}).get("test_accuracy"),
                  (skl or {}).get("scratch")),
                 ("  source only", runs.get("source-only", {}).get("test_accuracy"), (skl or {}).get("source_only")),
                 ("  pretrain (ours), on books test", runs.get("pretrain", {}).get("test_accuracy"), None)]
        for label, a, b in rows:
            print(f"{label:34} {'':>9} {'':>9} {'':>8} {fmt(pct(a), '.1f', 8)} {fmt(pct(b), '.1f', 7)}")


def runs_of(out, case, side):
    names = sorted(f[:-5] for f in os.listdir(out) if f.startswith(f"{case}-{side}.r") and f.endswith(".json"))
    return [d for d in (load(out, n) for n in names) if d is not None]


def audio_table(out, cases, results):
    """spoken-digits-real.json against bench/audio_torch.py: accuracies as the mean over the runs
    (seed r on split r, the same files on both sides), times as medians."""
    print()
    print("audio: transfer-lab run spoken-digits-real.json (ours) against bench/audio_torch.py (PyTorch)")
    header = (f"{'case':30} {'runs':>4} {'src-only ours':>13} {'PT':>6} {'scratch ours':>12} {'PT':>6} "
              f"{'fine-tune ours':>14} {'PT':>6} {'epoch s ours':>12} {'PT':>6}")
    print(header)
    print("-" * len(header))
    mean = lambda docs, k: statistics.mean(d[k] * 100 for d in docs if d.get(k) is not None) \
        if any(d.get(k) is not None for d in docs) else None
    median = lambda docs, k: statistics.median(d[k] for d in docs if d.get(k) is not None) \
        if any(d.get(k) is not None for d in docs) else None
    for case in cases:
        ours, pt = runs_of(out, case, "ours"), runs_of(out, case, "pytorch")
        if case == "audio-features":
            a, b = median(ours, "seconds"), median(pt, "seconds")
            results["cases"][case] = {"ours": ours, "pytorch": pt, "ours_seconds": a, "pytorch_seconds": b}
            print(f"{TITLES[case]:30} {len(ours):>4} seconds: ours {fmt(a, '.1f', 6)}, PyTorch {fmt(b, '.1f', 6)}"
                  f" (the whole command; PyTorch: torchaudio.load + MelSpectrogram, after imports)")
            continue
        row = {k + "_" + side: mean(docs, k) for k in ("source_only", "scratch", "finetune")
               for side, docs in (("ours", ours), ("pytorch", pt))}
        row.update(epoch_seconds_ours=median(ours, "pretrain_epoch_seconds"),
                   epoch_seconds_pytorch=median(pt, "pretrain_epoch_seconds"), ours=ours, pytorch=pt)
        results["cases"][case] = row
        print(f"{TITLES[case]:30} {min(len(ours), len(pt)):>4} {fmt(row['source_only_ours'], '.1f', 13)} "
              f"{fmt(row['source_only_pytorch'], '.1f', 6)} {fmt(row['scratch_ours'], '.1f', 12)} "
              f"{fmt(row['scratch_pytorch'], '.1f', 6)} {fmt(row['finetune_ours'], '.1f', 14)} "
              f"{fmt(row['finetune_pytorch'], '.1f', 6)} {fmt(row['epoch_seconds_ours'], '.1f', 12)} "
              f"{fmt(row['epoch_seconds_pytorch'], '.1f', 6)}")
    print("accuracy in % on the target's test half (250 recordings), mean of the runs; epoch s: one pretraining")
    print("  epoch (ours: over the source and its augmented copies, so twice the recordings), median.")


def demo_table(out, results):
    """The CLI on the demo experiment: the whole command's wall time, peak memory, transfer accuracy."""
    demo, mem, cpu = merge(out, "demo", "ours")
    results["cases"]["demo"] = {"ours": demo, "peak_mb_ours": mem, "process_cpu_seconds_ours": cpu}
    print()
    print("demo: the whole command (import, pretrain, transfer, baseline, exports), one process")
    header = f"{'case':34} {'wall s':>9} {'acc':>8} {'MB peak':>8}"
    print(header)
    print("-" * len(header))
    acc = demo.get("accuracy") if demo else None
    print(f"{TITLES['demo']:34} {fmt(demo.get('median') if demo else None, '.1f', 9)} "
          f"{fmt(acc * 100 if acc is not None else None, '.1f', 8)} {fmt(mem, '.0f', 8)}"
          f"{mark(mem, DEMO_TARGETS['demo_mb'])}  (target {DEMO_TARGETS['demo_mb']} MB)")


def mark(value, limit):
    return "" if value is None else (" ok" if value <= limit else " !!")


def window_table(out, results):
    """The window opened on the demo, then running it: start-up times and peak memory."""
    win, mem, cpu = merge(out, "window", "ours")
    results["cases"]["window"] = {"ours": win, "peak_mb_ours": mem, "process_cpu_seconds_ours": cpu}
    first = win.get("first_frame") if win else None
    first_cpu = win.get("first_frame_cpu") if win else None
    ready = win.get("data_ready") if win else None
    open_mb = win["open_peak_kb"] / 1024 if win and win.get("open_peak_kb") else None
    run_mb = win["run_peak_kb"] / 1024 if win and win.get("run_peak_kb") else None
    print()
    print("window: launched on the demo under Xvfb (seconds since launch; MB peak: VmHWM when the data were")
    print(f"  loaded, and after running the demo from the window); targets: first frame < {DEMO_TARGETS['first_frame_s']:.0f} s, "
          f"{DEMO_TARGETS['window_mb']} MB")
    header = f"{'case':34} {'1st frame':>10} {'CPU s':>6} {'data':>7} {'MB open':>10} {'MB run':>10} {'run s':>7}"
    print(header)
    print("-" * len(header))
    print(f"{TITLES['window']:34} {fmt(first, '.2f', 7)}{mark(first, DEMO_TARGETS['first_frame_s']):3} "
          f"{fmt(first_cpu, '.2f', 6)} {fmt(ready, '.1f', 7)} {fmt(open_mb, '.0f', 7)}{mark(open_mb, DEMO_TARGETS['window_mb']):3} "
          f"{fmt(run_mb, '.0f', 7)}{mark(run_mb, DEMO_TARGETS['window_mb']):3} "
          f"{fmt(win.get('median') if win else None, '.0f', 7)}")


def main():
    out, cases = sys.argv[1], sys.argv[2:]
    sgemm = load(out, "sgemm") or {}
    rate = sgemm.get("gflops")
    # what the cores give unshared: one thread's CPU-clock rate times the threads
    quiet = (sgemm["gflops_per_core_cpu"] * sgemm.get("threads", 1)
             if sgemm.get("gflops_per_core_cpu") else None)
    text = load(out, "text") or {}
    results = {"sgemm": sgemm, "text_data": text, "cases": {}}

    print()
    if rate:
        print(f"machine limit: cblas_sgemm {sgemm['size']}x{sgemm['size']} = {rate:.1f} GFLOP/s "
              f"(best of {len(sgemm['times'])}; median {sgemm['gflops_median']:.1f}), "
              f"OpenBLAS core {sgemm.get('core', '?')}, {sgemm.get('threads', '?')} threads")
        if sgemm.get("gflops_per_core_cpu"):
            print(f"  one core by its CPU clock: {sgemm['gflops_per_core_cpu']:.1f} GFLOP/s "
                  f"(a wall rate far under threads x this means the machine was busy)")
        if sgemm.get("core") == "Prescott" and "avx512f" in cpu_flags():
            print("  !! OpenBLAS does not know this CPU and fell back to its SSE3 kernels (Prescott), several times\n"
                  "     slower than its AVX-512 ones here: rerun with OPENBLAS_CORETYPE=SkylakeX (or Cooperlake)")
    for when in ("start", "end"):
        path = os.path.join(out, f"load-{when}.txt")
        if os.path.exists(path):
            with open(path) as f:
                load1 = f.read().split()[:3]
            results[f"loadavg_{when}"] = load1
            print(f"load average at {when}: {' '.join(load1)} on {os.cpu_count()} CPUs")
    text_cases = [c for c in cases if c.startswith("text-")]
    audio_cases = [c for c in cases if c.startswith("audio-")]
    with_demo = "demo" in cases
    with_window = "window" in cases
    cases = [c for c in cases if not c.startswith("text-") and not c.startswith("audio-")
             and c not in ("demo", "window")]
    if cases:
        print("PyTorch: OMP_WAIT_POLICY=PASSIVE (its fastest here); 'PT inst.': as installed, OpenMP's default waiting")
    if text:
        print(f"text data: {text.get('source')} ({text.get('train')} train, {text.get('test')} test sequences)")
    header = (f"{'case':34} {'ours':>9} {'PyTorch':>9} {'ours/PT':>8} {'target':>7} {'PT inst.':>9} "
              f"{'ours/inst':>10} {'acc ours':>8} "
              f"{'acc PT':>7} {'limit':>8} {'ours/lim':>8} {'/quiet':>7} {'MB ours':>8} {'MB PT':>7}")
    if cases:
        print(header)
        print("-" * len(header))
    for case in cases:
        ours, mem_o, cpu_o = merge(out, case, "ours")
        pt, mem_p, cpu_p = merge(out, case, "pytorch")
        pt_inst, _, _ = merge(out, case, "pytorch_default")
        row = {"ours": ours, "pytorch": pt, "pytorch_as_installed": pt_inst,
               "peak_mb_ours": mem_o, "peak_mb_pytorch": mem_p,
               "process_cpu_seconds_ours": cpu_o, "process_cpu_seconds_pytorch": cpu_p}
        t_ours = ours.get("median") if ours else None
        t_pt = pt.get("median") if pt else None
        ratio = t_ours / t_pt if t_ours and t_pt else None
        t_inst = pt_inst.get("median") if pt_inst else None
        ratio_inst = t_ours / t_inst if t_ours and t_inst else None
        limit = ours["flops"] / (rate * 1e9) if ours and ours.get("flops") and rate else None
        vs_limit = t_ours / limit if t_ours and limit else None
        qlimit = ours["flops"] / (quiet * 1e9) if ours and ours.get("flops") and quiet else None
        vs_quiet = t_ours / qlimit if t_ours and qlimit else None
        row.update(ratio=ratio, ratio_as_installed=ratio_inst, limit_seconds=limit, ours_over_limit=vs_limit, quiet_limit_seconds=qlimit,
                   ours_over_quiet_limit=vs_quiet, target=TARGETS.get(case))
        results["cases"][case] = row
        if case.startswith("infer-"):
            # throughput in samples per second rather than seconds
            a = ours.get("throughput") if ours else None
            b = pt.get("throughput") if pt else None
            print(f"{TITLES.get(case, case) + ' (samples/s)':34} {fmt(a, '.0f', 9)} {fmt(b, '.0f', 9)} "
                  f"{fmt(ratio, '.2f', 8)} {'':>7} {'':>9} {'':>10} {'':>8} {'':>7} {fmt(limit, '.3f', 8)} "
                  f"{fmt(vs_limit, '.1f', 8)} {fmt(vs_quiet, '.1f', 7)} {fmt(row['peak_mb_ours'], '.0f', 8)} "
                  f"{fmt(row['peak_mb_pytorch'], '.0f', 7)}")
            continue
        acc_o = ours.get("accuracy") if ours else None
        acc_p = pt.get("accuracy") if pt else None
        target = TARGETS.get(case)
        mark = mark_inst = ""
        if target and ratio:
            mark = " ok" if ratio <= target else " !!"
        if target and ratio_inst:
            mark_inst = " ok" if ratio_inst <= target else " !!"
        note = ""
        if (ours and "skipped" in ours) or (pt and "skipped" in pt):
            note = "  skipped: " + (ours or {}).get("skipped", (pt or {}).get("skipped", ""))
        print(f"{TITLES.get(case, case):34} {fmt(t_ours, '.2f', 9)} {fmt(t_pt, '.2f', 9)} "
              f"{fmt(ratio, '.2f', 8)} {(fmt(target, '.2f', 4) + mark) if target else '':>7} "
              f"{fmt(t_inst, '.2f', 9)} {(fmt(ratio_inst, '.2f', 7) + mark_inst) if ratio_inst else '':>10} "
              f"{fmt(acc_o * 100 if acc_o is not None else None, '.1f', 8)} "
              f"{fmt(acc_p * 100 if acc_p is not None else None, '.1f', 7)} "
              f"{fmt(limit, '.3f', 8)} {fmt(vs_limit, '.1f', 8)} {fmt(vs_quiet, '.1f', 7)} "
              f"{fmt(row['peak_mb_ours'], '.0f', 8)} {fmt(row['peak_mb_pytorch'], '.0f', 7)}{note}")
    if text_cases:
        text_table(out, text_cases, results)
    if audio_cases:
        audio_table(out, audio_cases, results)
    if with_demo:
        demo_table(out, results)
    if with_window:
        window_table(out, results)
    print()
    if cases:
        print("times in seconds (median of the runs; training: the epoch(s) only, data loading excluded);")
        print("targets: ratio of epoch times, ours / PyTorch; the mark after ours/inst. is against PyTorch as installed;")
        print("limit = the run's matrix-product FLOPs / the sgemm rate; ours/lim = how far from that limit;")
        print("/quiet = ours against the same FLOPs at threads x one core's CPU-clock sgemm rate (an unshared machine);")
    print("MB = peak resident memory of the whole process (/usr/bin/time -v).")
    if text_cases:
        print("text cases: wall time of each side's whole command (CSV reading, features, training, test pass;")
        print("  for sentiment ours = pretrain + transfer + baseline, sklearn = its three fits); accuracy on the")
        print("  test set (20NG: test.csv on both sides; sentiment: half of the target on each side, but our")
        print("  experiment's seed-42 half and the anchor's seed-0 half are not the same reviews).")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"written {os.path.join(out, 'results.json')}")


if __name__ == "__main__":
    main()
