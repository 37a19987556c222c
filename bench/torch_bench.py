#!/usr/bin/python3
"""PyTorch side of the speed benchmark: the same models, data and batch sizes as tl-bench.

Prints one JSON object on stdout. Run with Debian's /usr/bin/python3 (python3-torch).
"""

import argparse
import csv
import gzip
import json
import os
import re
import statistics
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fmnist(folder, split):
    images = load_idx(os.path.join(folder, split + "-images-idx3-ubyte.gz"))
    labels = load_idx(os.path.join(folder, split + "-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1).contiguous()
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def load_text(path):
    """The token file tl-bench writes, so that both sides see the same sequences."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"TLBT":
        sys.exit(f"{path}: not a tl-bench token file")
    n_train, n_test, steps, vocab, n_classes = struct.unpack("<5i", data[4:24])
    ints = np.frombuffer(data, dtype="<i4", offset=24)
    o = 0
    xtr = ints[o:o + n_train * steps].reshape(n_train, steps); o += n_train * steps
    ytr = ints[o:o + n_train]; o += n_train
    xte = ints[o:o + n_test * steps].reshape(n_test, steps); o += n_test * steps
    yte = ints[o:o + n_test]
    t = lambda a: torch.from_numpy(a.astype(np.int64))
    return t(xtr), t(ytr), t(xte), t(yte), vocab, n_classes


class Mlp(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                                  nn.Linear(256, 128), nn.ReLU())
        self.head = nn.Linear(128, n_classes)

    def forward(self, x):
        return self.head(self.body(x))


class Cnn(nn.Module):
    def __init__(self, n_classes, padding):
        super().__init__()
        side = 28
        side = (side + 2 * padding - 2) // 2
        side = (side + 2 * padding - 2) // 2
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=padding), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=padding), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten())
        self.hidden = nn.Sequential(nn.Linear(64 * side * side, 128), nn.ReLU())
        self.head = nn.Linear(128, n_classes)
        self.frozen_features = False

    def forward(self, x):
        if self.frozen_features:
            # frozen and deterministic: no graph is needed below the head
            with torch.no_grad():
                f = self.features(x)
        else:
            f = self.features(x)
        return self.head(self.hidden(f))


class TextLstm(nn.Module):
    def __init__(self, vocab, n_classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, 128, padding_idx=0)
        self.lstm = nn.LSTM(128, 64, batch_first=True)
        self.head = nn.Linear(64, n_classes)

    def forward(self, x):
        _, (h, _) = self.lstm(self.embed(x))
        return self.head(h[-1])


def n_params(model, trainable_only=False):
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def train_epochs(model, x, y, batch, epochs, lr=1e-3):
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    n = x.shape[0]
    loss = None
    for _ in range(epochs):
        order = torch.randperm(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
    return float(loss)


def accuracy(model, x, y, batch=256):
    model.eval()
    correct = 0
    with torch.inference_mode():
        for start in range(0, x.shape[0], batch):
            correct += int((model(x[start:start + batch]).argmax(1) == y[start:start + batch]).sum())
    return correct / x.shape[0]


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return time.perf_counter() - t0, r


def case_train(args, kind):
    if kind == "lstm":
        xtr, ytr, xte, yte, vocab, n_classes = load_text(args.text)
        make = lambda: TextLstm(vocab, n_classes)
        batch = 32
    else:
        xtr, ytr = load_fmnist(args.fmnist, "train")
        xte, yte = load_fmnist(args.fmnist, "t10k")
        make = (lambda: Mlp(10)) if kind == "mlp" else (lambda: Cnn(10, args.conv_padding))
        batch = 64
    times, accs, losses = [], [], []
    for r in range(args.runs):
        torch.manual_seed(args.seed + r)
        model = make()
        t, loss = timed(lambda: train_epochs(model, xtr, ytr, batch, 1))
        times.append(t)
        losses.append(loss)
        accs.append(accuracy(model, xte, yte))
    return dict(times=times, accuracy=statistics.median(accs), accuracies=accs, seed=args.seed,
                params=n_params(model), train_samples=int(xtr.shape[0]), batch=batch, epochs=1)


def split_classes(x, y, classes):
    keep = torch.zeros_like(y, dtype=torch.bool)
    for c in classes:
        keep |= y == c
    return x[keep].contiguous(), (y[keep] - classes[0]).contiguous()


def case_finetune(args):
    xtr, ytr = load_fmnist(args.fmnist, "train")
    xte, yte = load_fmnist(args.fmnist, "t10k")
    src_x, src_y = split_classes(xtr, ytr, [0, 1, 2, 3, 4])
    tgt_x, tgt_y = split_classes(xtr, ytr, [5, 6, 7, 8, 9])
    test_x, test_y = split_classes(xte, yte, [5, 6, 7, 8, 9])
    torch.manual_seed(args.seed)
    source = Cnn(5, args.conv_padding)
    pre_t, _ = timed(lambda: train_epochs(source, src_x, src_y, 64, 1))
    source_state = {k: v.clone() for k, v in source.state_dict().items()}
    times, accs = [], []
    for r in range(args.runs):
        torch.manual_seed(100 + args.seed + r)
        model = Cnn(5, args.conv_padding)
        model.load_state_dict(source_state)
        model.head = nn.Linear(128, 5)
        for p in model.features.parameters():
            p.requires_grad = False
        model.frozen_features = True
        t, _ = timed(lambda: train_epochs(model, tgt_x, tgt_y, 64, args.finetune_epochs))
        times.append(t)
        accs.append(accuracy(model, test_x, test_y))
    return dict(times=times, accuracy=statistics.median(accs), accuracies=accs,
                params=n_params(model), trainable_params=n_params(model, True),
                train_samples=int(tgt_x.shape[0]), batch=64, epochs=args.finetune_epochs,
                pretrain_seconds=pre_t)


def case_infer(args, kind):
    if kind == "lstm":
        _, _, x, _, vocab, n_classes = load_text(args.text)
        model = TextLstm(vocab, n_classes)
    else:
        x, _ = load_fmnist(args.fmnist, "t10k")
        model = Mlp(10) if kind == "mlp" else Cnn(10, args.conv_padding)
    model.eval()
    batch = args.infer_batch

    def run():
        with torch.inference_mode():
            for start in range(0, x.shape[0], batch):
                model(x[start:start + batch])

    run()  # warm-up: first-call allocations and kernel selection
    times = [timed(run)[0] for _ in range(max(args.runs, 3))]
    return dict(times=times, samples=int(x.shape[0]), batch=batch, params=n_params(model),
                throughput=x.shape[0] / statistics.median(times))


def case_infer_model(args):
    """The torchvision network whose state dict run.sh imported for tl-bench's infer-model."""
    import torchvision

    state = torch.load(args.state, map_location="cpu")
    channels = state["conv1.weight"].shape[1] if "conv1.weight" in state else 3
    model = getattr(torchvision.models, args.arch)(num_classes=state["fc.weight"].shape[0])
    if channels != 3:
        model.conv1 = nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
    model.load_state_dict(state)
    model.eval()
    shape = [int(v) for v in args.input.split("x")]
    x = torch.randn(args.samples, *shape, generator=torch.Generator().manual_seed(args.seed))
    batch = args.infer_batch

    def run():
        with torch.inference_mode():
            for start in range(0, x.shape[0], batch):
                model(x[start:start + batch])

    run()  # warm-up
    times = [timed(run)[0] for _ in range(max(args.runs, 3))]
    return dict(times=times, samples=int(x.shape[0]), batch=batch, params=n_params(model),
                throughput=x.shape[0] / statistics.median(times))


TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def case_tokenize(args):
    path = os.path.join(args.shared, "20news-bydate", "train.csv")
    if not os.path.exists(path):
        return dict(skipped=f"{path} not found")

    def run():
        counts = {}
        rows = 0
        csv.field_size_limit(1 << 30)
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            reader = csv.reader(f)
            header = next(reader)
            text_col = header.index("text")
            for row in reader:
                rows += 1
                for tok in TOKEN.findall(row[text_col].lower()):
                    counts[tok] = counts.get(tok, 0) + 1
        vocab = sorted(counts, key=lambda t: (-counts[t], t))[:19999]
        return rows, len(counts), len(vocab)

    times = []
    for _ in range(args.runs):
        t, (rows, distinct, _) = timed(run)
        times.append(t)
    return dict(times=times, rows=rows, distinct_tokens=distinct)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("case", choices=["mlp", "cnn", "lstm", "finetune", "infer-mlp", "infer-cnn",
                                     "infer-lstm", "infer-model", "tokenize"])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seed", type=int, default=1, help="seed of the first run; run r uses seed + r")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--text", help="token file written by tl-bench prepare-text")
    p.add_argument("--shared", default="../shared/data")
    p.add_argument("--conv-padding", type=int, default=0)
    p.add_argument("--finetune-epochs", type=int, default=3)
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--state", help="infer-model: the torchvision state dict")
    p.add_argument("--arch", default="resnet18", help="infer-model: its torchvision architecture")
    p.add_argument("--input", default="3x32x32", help="infer-model: the input shape, CxHxW")
    p.add_argument("--samples", type=int, default=1024, help="infer-model: random inputs")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    if args.case in ("mlp", "cnn", "lstm"):
        out = case_train(args, args.case)
    elif args.case == "finetune":
        out = case_finetune(args)
    elif args.case == "infer-model":
        out = case_infer_model(args)
    elif args.case.startswith("infer-"):
        out = case_infer(args, args.case[6:])
    else:
        out = case_tokenize(args)
    out.update(case=args.case, side="pytorch", threads=torch.get_num_threads(),
               torch=torch.__version__)
    if "times" in out:
        out["median"] = statistics.median(out["times"])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
