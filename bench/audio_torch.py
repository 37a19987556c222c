#!/usr/bin/python3
"""The spoken-digits transfer recipe in PyTorch + torchaudio, beside Transfer Lab's.

  audio_torch.py split SHARED TARGET SEED OUTDIR   # writes source.csv, train.csv, test.csv, unlabeled.csv
  audio_torch.py run SPLITDIR SEED [--threads N]   # source-only, scratch, fine-tune: one JSON line
  audio_torch.py features SHARED [--threads N]     # log-mel of every recording, timed: one JSON line

The split is written once and read by both sides (Transfer Lab reads the same CSV lists through
--set), so both train and test on the same files: the source is every recording of the two other
speakers, the target's training set is 5 recordings per digit of the half of the speaker that is
not tested, the test set is the other half (25 per digit). The remaining 20 per digit of the
untested half are written as unlabeled.csv, for recipes that read unlabelled target rows; this
recipe does not.

The recipe: log-mel as torchaudio's MelSpectrogram (8 kHz, 1 s from the start, zero padded, n_fft
400, hop 80, 40 HTK mels, power 2, centred), log (mel + 1e-6), per-band normalisation with the
training set's mean and deviation; the audio-cnn preset (three padded 3x3 convolution blocks 32,
64, 64 with 2x2 pooling, Dense 128, dropout 0.3, head); pretraining 8 epochs at batch 32, Adam
1e-3; fine-tuning with the convolutions frozen and a new head, 40 epochs at batch 16, Adam 1e-3;
scratch: the same 40 epochs on the target's 50 recordings alone."""

import csv
import json
import os
import random
import sys
import time

import torch
import torchaudio
from torch import nn

RATE, SAMPLES = 8000, 8000
SPEAKERS = ("george", "jackson", "lucas")
DIGITS = [str(d) for d in range(10)]


def speaker_files(shared, speaker):
    root = os.path.join(shared, "spoken-digits", speaker)
    return [(os.path.join(root, d, f), d) for d in DIGITS for f in sorted(os.listdir(os.path.join(root, d)))
            if f.endswith(".wav")]


def write_list(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "label"])
        w.writerows(rows)


def read_list(path):
    with open(path, newline="") as f:
        return [(r["path"], r["label"]) for r in csv.DictReader(f)]


def split(shared, target, seed, out):
    shared = os.path.abspath(shared)
    os.makedirs(out, exist_ok=True)
    rng = random.Random(int(seed))
    source = [row for s in SPEAKERS if s != target for row in speaker_files(shared, s)]
    train, test, unlabeled = [], [], []
    files = speaker_files(shared, target)
    for d in DIGITS:
        mine = [row for row in files if row[1] == d]
        rng.shuffle(mine)
        half = len(mine) // 2
        test += mine[:half]
        train += mine[half:half + 5]
        unlabeled += mine[half + 5:]
    write_list(os.path.join(out, "source.csv"), source)
    write_list(os.path.join(out, "train.csv"), train)
    write_list(os.path.join(out, "test.csv"), test)
    write_list(os.path.join(out, "unlabeled.csv"), unlabeled)
    print(json.dumps({"source": len(source), "train": len(train), "test": len(test)}))


class Features:
    def __init__(self):
        self.mel = torchaudio.transforms.MelSpectrogram(sample_rate=RATE, n_fft=400, win_length=400, hop_length=80,
                                                        n_mels=40, f_min=0.0, f_max=RATE / 2, power=2.0,
                                                        center=True, mel_scale="htk")

    def __call__(self, path):
        wave, rate = torchaudio.load(path)
        wave = wave.mean(0)
        if rate != RATE:
            wave = torchaudio.functional.resample(wave, rate, RATE)
        clip = torch.zeros(SAMPLES)
        n = min(SAMPLES, wave.numel())
        clip[:n] = wave[:n]
        return torch.log(self.mel(clip) + 1e-6).unsqueeze(0)


def load(rows, feats):
    x = torch.stack([feats(p) for p, _ in rows])
    y = torch.tensor([DIGITS.index(label) for _, label in rows])
    return x, y


def norm_stats(x):
    return x.mean(dim=(0, 1, 3), keepdim=True), x.std(dim=(0, 1, 3), keepdim=True).clamp_min(1e-6)


class AudioCNN(nn.Module):
    def __init__(self, bands=40, frames=101, classes=10):
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten())
        flat = 64 * (bands // 8) * (frames // 8)
        self.dense = nn.Sequential(nn.Linear(flat, 128), nn.ReLU(), nn.Dropout(0.3))
        self.head = nn.Linear(128, classes)

    def forward(self, x):
        return self.head(self.dense(self.convs(x)))


def train(model, x, y, epochs, batch, gen):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        model.train()
        start = time.perf_counter()
        order = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), batch):
            idx = order[i:i + batch]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - start)
    return times


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def run(split_dir, seed, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    feats = Features()
    start = time.perf_counter()
    xs, ys = load(read_list(os.path.join(split_dir, "source.csv")), feats)
    xt, yt = load(read_list(os.path.join(split_dir, "train.csv")), feats)
    xe, ye = load(read_list(os.path.join(split_dir, "test.csv")), feats)
    feature_seconds = time.perf_counter() - start

    mean, std = norm_stats(xs)
    model = AudioCNN(frames=xs.shape[-1])
    epoch_times = train(model, (xs - mean) / std, ys, 8, 32, gen)
    source_only = accuracy(model, (xe - mean) / std, ye)

    tuned = AudioCNN(frames=xs.shape[-1])
    tuned.load_state_dict(model.state_dict())
    tuned.head = nn.Linear(128, 10)
    for p in tuned.convs.parameters():
        p.requires_grad = False
    train(tuned, (xt - mean) / std, yt, 40, 16, gen)
    finetune = accuracy(tuned, (xe - mean) / std, ye)

    tmean, tstd = norm_stats(xt)
    scratch_model = AudioCNN(frames=xs.shape[-1])
    train(scratch_model, (xt - tmean) / tstd, yt, 40, 16, gen)
    scratch = accuracy(scratch_model, (xe - tmean) / tstd, ye)

    print(json.dumps({"source_only": source_only, "scratch": scratch, "finetune": finetune,
                      "pretrain_epoch_seconds": sorted(epoch_times)[len(epoch_times) // 2],
                      "feature_seconds": feature_seconds, "source": len(ys), "train": len(yt), "test": len(ye),
                      "seed": seed}))


def features(shared, threads):
    torch.set_num_threads(threads)
    feats = Features()
    rows = [row for s in SPEAKERS for row in speaker_files(os.path.abspath(shared), s)]
    start = time.perf_counter()
    x, _ = load(rows, feats)
    print(json.dumps({"files": len(rows), "seconds": time.perf_counter() - start, "shape": list(x.shape[1:])}))


def main():
    args = sys.argv[1:]
    threads = 2
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    what = args[0]
    if what == "split":
        split(args[1], args[2], int(args[3]), args[4])
    elif what == "run":
        run(args[1], int(args[2]), threads)
    elif what == "features":
        features(args[1], threads)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
