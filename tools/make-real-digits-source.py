#!/usr/bin/env python3
"""The source of spoken-digits-real.json: two real speakers and a few synthetic voices.

    tools/make-real-digits-source.py OUT [--real DIR] [--speakers george,jackson] [--synthetic-only]

writes OUT/SPEAKER/DIGIT/*.wav: every recording of the named speakers of the Free Spoken Digit
Dataset (copied from DIR, by default ../shared/data/spoken-digits beside the checkout), and five
recordings per digit of each of make-synthetic-digits.py's twelve espeak-ng voices (its default
run, the first five files of each voice and digit by name): 600 synthetic recordings that widen
what the network hears beyond two real voices. --synthetic-only writes the synthetic part alone.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PER_DIGIT = 5


def copy_tree(src, dst):
    for digit in sorted(os.listdir(src)):
        d = os.path.join(src, digit)
        if not os.path.isdir(d):
            continue
        os.makedirs(os.path.join(dst, digit), exist_ok=True)
        for f in sorted(os.listdir(d)):
            if f.endswith(".wav"):
                shutil.copyfile(os.path.join(d, f), os.path.join(dst, digit, f))


def synthetic(out):
    with tempfile.TemporaryDirectory() as tmp:
        full = os.path.join(tmp, "all")
        p = subprocess.run([sys.executable, os.path.join(HERE, "make-synthetic-digits.py"), full],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(f"make-synthetic-digits.py failed: {(p.stderr.strip().splitlines() or ['?'])[-1]}")
        n = 0
        for voice in sorted(os.listdir(full)):
            vdir = os.path.join(full, voice)
            if not os.path.isdir(vdir):
                continue
            for digit in sorted(os.listdir(vdir)):
                files = sorted(f for f in os.listdir(os.path.join(vdir, digit)) if f.endswith(".wav"))[:PER_DIGIT]
                os.makedirs(os.path.join(out, voice, digit), exist_ok=True)
                for f in files:
                    shutil.copyfile(os.path.join(vdir, digit, f), os.path.join(out, voice, digit, f))
                n += len(files)
        return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--real", default=os.path.join(HERE, "..", "..", "shared", "data", "spoken-digits"))
    ap.add_argument("--speakers", default="george,jackson")
    ap.add_argument("--synthetic-only", action="store_true")
    a = ap.parse_args()
    if os.path.exists(a.out) and os.listdir(a.out):
        sys.exit(f"{a.out}: exists and is not empty")
    os.makedirs(a.out, exist_ok=True)
    real = 0
    if not a.synthetic_only:
        for s in a.speakers.split(","):
            src = os.path.join(a.real, s)
            if not os.path.isdir(src):
                sys.exit(f"{src}: no such speaker folder (--real DIR: the spoken-digits folder)")
            copy_tree(src, os.path.join(a.out, s))
            real += sum(len(files) for _, _, files in os.walk(os.path.join(a.out, s)))
    n = synthetic(a.out)
    print(f"Wrote {real} real and {n} synthetic recordings to {a.out}")


if __name__ == "__main__":
    main()
