#!/usr/bin/python3
"""Transfer with an imported backbone, side by side with PyTorch.

  resnet_transfer.py TRANSFER_LAB WORKDIR [--seeds 1 2 3] [--labels 10] [--epochs 20] [--train-from layer4]

1. PyTorch pretrains torchvision's ResNet-18 (one input channel, 28x28) on
   Fashion-MNIST classes 0-4, all 30,000 training images (kept in WORKDIR and
   reused by later runs).
2. `transfer-lab import` reads its state dict, with the source's mean and std.
3. For each seed, the target is classes 5-9 with LABELS images per class drawn
   from the training set, written as IDX files that both sides read, and
   tested on the 5,000 test images of those classes.
4. The same recipe on both sides: the blocks before --train-from (layer4, or
   fc for the head alone) frozen, batch norm statistics too (the imported
   network has them folded into its convolutions), the rest and a new 5-way
   head trained with Adam, the same learning rate, batch size and epochs.
   Transfer Lab caches the frozen blocks' output; PyTorch runs them in every
   step, as a training script does.

Prints a table, then one JSON line with every figure. Benchmark-only: needs
torch and torchvision for /usr/bin/python3 (python3-torch, python3-torchvision).
"""

import argparse
import gzip
import json
import os
import statistics
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torchvision
from torch import nn

FMNIST = "/usr/share/datasets/fashion-mnist"
SOURCE = [0, 1, 2, 3, 4]
TARGET = [5, 6, 7, 8, 9]
NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
         "Ankle boot"]
BLOCKS = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc")


def load_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = struct.unpack(">I", data[:4])[0] & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, array):
    """An IDX file of unsigned bytes (magic 0x08, one byte per value)."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def subset(images, labels, classes):
    keep = np.isin(labels, classes)
    return images[keep], labels[keep]


def tensors(images, mean, std):
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return (x - mean) / std


def resnet(n_classes):
    model = torchvision.models.resnet18(num_classes=n_classes)
    model.conv1 = nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)
    return model


def pretrain(work, epochs):
    """The source model's state dict, trained here once; (path, mean, std)."""
    path = os.path.join(work, "resnet18-fashion-0-4.pth")
    stats = os.path.join(work, "resnet18-fashion-0-4.json")
    if os.path.exists(path) and os.path.exists(stats):
        with open(stats) as f:
            s = json.load(f)
        return path, s["mean"], s["std"]
    images, labels = subset(load_idx(f"{FMNIST}/train-images-idx3-ubyte.gz"),
                            load_idx(f"{FMNIST}/train-labels-idx1-ubyte.gz"), SOURCE)
    scaled = images.astype(np.float32) / 255.0
    mean, std = float(scaled.mean()), float(scaled.std())
    x, y = tensors(images, mean, std), torch.from_numpy(labels.astype(np.int64))
    torch.manual_seed(0)
    model = resnet(len(SOURCE))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 128):
            idx = order[i:i + 128]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
        print(f"# pretraining epoch {epoch + 1}/{epochs} done at {time.perf_counter() - start:.0f} s",
              file=sys.stderr)
    torch.save(model.state_dict(), path + ".part")
    os.replace(path + ".part", path)
    with open(stats, "w") as f:
        json.dump({"mean": mean, "std": std, "epochs": epochs, "seconds": time.perf_counter() - start}, f)
    return path, mean, std


def import_model(app, work, state, mean, std):
    out = os.path.join(work, "resnet18-fashion-0-4.safetensors")
    if not os.path.exists(out):
        subprocess.run([app, "import", state, "--arch", "resnet18", "--input", "1x28x28", "--mean", str(mean),
                        "--std", str(std), "--out", out], check=True)
    return out


def first_layer_of(app, model, block):
    """The index of the first layer whose name starts with block (from `transfer-lab inspect --json`)."""
    text = subprocess.run([app, "inspect", model, "--json"], check=True, capture_output=True, text=True).stdout
    for i, layer in enumerate(json.loads(text)["layers"]):
        if layer["name"].startswith(block):
            return i
    raise SystemExit(f"{model}: no layer named {block}*")


def target_files(work, seed, labels_per_class):
    images = load_idx(f"{FMNIST}/train-images-idx3-ubyte.gz")
    labels = load_idx(f"{FMNIST}/train-labels-idx1-ubyte.gz")
    rng = np.random.default_rng(seed)
    picked = np.concatenate([rng.choice(np.flatnonzero(labels == c), labels_per_class, replace=False)
                             for c in TARGET])
    picked.sort()
    # in a folder whose name says Fashion-MNIST, so that the app names the classes as in the test files
    folder = os.path.join(work, "fashion-mnist-targets")
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, f"target-{labels_per_class}-seed{seed}")
    write_idx(base + "-images.gz", images[picked])
    write_idx(base + "-labels.gz", labels[picked])
    return base + "-images.gz", base + "-labels.gz", images[picked], labels[picked]


def ours(app, work, model, cut, images, labels, seed, args):
    folder = os.path.join(work, f"ours-{args.train_from}-seed{seed}")
    experiment = {
        "format_version": 1, "name": f"resnet-transfer-seed{seed}", "seed": seed,
        "target": {
            "format": "idx", "path": images, "labels": labels,
            "test_path": f"{FMNIST}/t10k-images-idx3-ubyte.gz", "test_labels": f"{FMNIST}/t10k-labels-idx1-ubyte.gz",
            "classes": [NAMES[c] for c in TARGET], "per_class": 0, "val_fraction": 0.0, "test_fraction": 0.0,
            "grey": True,
        },
        "pretrain": {"model": model},
        "transfer": {
            "freeze": {"below": cut}, "rebuild_head": True, "feature_cache": True, "epochs": args.epochs,
            "batch_size": args.batch, "optimizer": {"kind": "adam", "lr": args.lr},
        },
        "outputs": {"exports": ["metrics"], "plots": []},
    }
    path = os.path.join(work, f"experiment-{args.train_from}-seed{seed}.json")
    with open(path, "w") as f:
        json.dump(experiment, f, indent=1)
    subprocess.run([app, "run", path, "--out", folder, "--force", "--quiet"], check=True,
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(folder, "summary.json")) as f:
        run = next(r for r in json.load(f)["runs"] if r["name"] == "transfer")
    return run["test_accuracy"], run["train_seconds"] / args.epochs, run.get("cached_layers", 0)


def pytorch(state, mean, std, images, labels, test, seed, args):
    torch.manual_seed(seed)
    model = resnet(len(SOURCE))
    model.load_state_dict(torch.load(state, map_location="cpu"))
    model.fc = nn.Linear(512, len(TARGET))
    frozen = BLOCKS[:BLOCKS.index(args.train_from)]
    for name, p in model.named_parameters():
        p.requires_grad = not name.startswith(frozen)
    model.eval()  # batch norm with its running statistics, as in the imported network
    x = tensors(images, mean, std)
    y = torch.from_numpy(np.searchsorted(TARGET, labels).astype(np.int64))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(args.epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), args.batch):
            idx = order[i:i + args.batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    epoch = (time.perf_counter() - start) / args.epochs
    tx, ty = test
    with torch.inference_mode():
        pred = torch.cat([model(tx[i:i + 500]).argmax(1) for i in range(0, len(tx), 500)])
    return float((pred == ty).float().mean()), epoch


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("app")
    p.add_argument("work")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--labels", type=int, default=10, help="labelled target images per class")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=10)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--pretrain-epochs", type=int, default=2)
    p.add_argument("--train-from", choices=BLOCKS[2:], default="layer4",
                   help="the first block trained; those before it are frozen (layer4)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    os.makedirs(args.work, exist_ok=True)
    state, mean, std = pretrain(args.work, args.pretrain_epochs)
    model = import_model(args.app, args.work, state, mean, std)
    cut = first_layer_of(args.app, model, args.train_from)
    test_images, test_labels = subset(load_idx(f"{FMNIST}/t10k-images-idx3-ubyte.gz"),
                                      load_idx(f"{FMNIST}/t10k-labels-idx1-ubyte.gz"), TARGET)
    test = (tensors(test_images, mean, std), torch.from_numpy(np.searchsorted(TARGET, test_labels).astype(np.int64)))

    rows = []
    print(f"{'seed':>4}  {'ours':>7}  {'PyTorch':>7}  {'ours s/epoch':>12}  {'PyTorch s/epoch':>15}  cached")
    for seed in args.seeds:
        img_path, lab_path, images, labels = target_files(args.work, seed, args.labels)
        acc, epoch, cached = ours(args.app, args.work, model, cut, img_path, lab_path, seed, args)
        t_acc, t_epoch = pytorch(state, mean, std, images, labels, test, seed, args)
        rows.append(dict(seed=seed, ours=acc, pytorch=t_acc, ours_epoch_s=epoch, pytorch_epoch_s=t_epoch,
                         cached_layers=cached))
        print(f"{seed:>4}  {acc:7.4f}  {t_acc:7.4f}  {epoch:12.4f}  {t_epoch:15.4f}  {cached}")
    mean_ours = statistics.mean(r["ours"] for r in rows)
    mean_torch = statistics.mean(r["pytorch"] for r in rows)
    ratio = statistics.mean(r["ours_epoch_s"] for r in rows) / statistics.mean(r["pytorch_epoch_s"] for r in rows)
    print(f"mean  {mean_ours:7.4f}  {mean_torch:7.4f}  difference {100 * (mean_ours - mean_torch):+.2f} points; "
          f"epoch time ratio {ratio:.2f}")
    print(json.dumps({"runs": rows, "mean_ours": mean_ours, "mean_pytorch": mean_torch, "epoch_ratio": ratio,
                      "cut_layer": cut, "train_from": args.train_from, "labels_per_class": args.labels, "epochs": args.epochs,
                      "batch": args.batch, "lr": args.lr}))


if __name__ == "__main__":
    main()
