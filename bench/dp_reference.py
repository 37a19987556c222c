#!/usr/bin/python3
"""PyTorch DP-SGD reference for private transfer on split Fashion-MNIST.

The small CNN is pretrained on classes 0-4; its convolutions are frozen and the
dense layers are fine-tuned on classes 5-9 with DP-SGD: Poisson batches of
expected size --batch, every example's gradient of the trainable layers clipped to
--clip (per-example gradients by functorch.vmap), Gaussian noise of sigma * clip
added to the sum, divided by the expected batch size, then Adam. Give --sigma
the noise multiplier transfer-lab reported (its provenance's noise_multiplier),
so that both spend the same epsilon. Prints one JSON object.

Run with Debian's /usr/bin/python3 (python3-torch 1.13 ships functorch).
"""

import argparse
import json
import os
import sys
import time

import torch
from torch import nn

import functorch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import Cnn, accuracy, load_fmnist, split_classes, train_epochs  # noqa: E402


def take_per_class(x, y, per_class, n_classes, generator):
    keep = []
    for c in range(n_classes):
        idx = (y == c).nonzero().flatten()
        keep.append(idx[torch.randperm(idx.numel(), generator=generator)[:per_class]])
    keep = torch.cat(keep)
    return x[keep].contiguous(), y[keep].contiguous()


def dp_finetune(model, features, y, args, generator):
    """DP-SGD on model.hidden and model.head over precomputed frozen features."""
    trainable = nn.Sequential(model.hidden, model.head)
    fmodel, params = functorch.make_functional(trainable)
    params = [p.detach().requires_grad_(True) for p in params]
    opt = torch.optim.Adam(params, lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    def example_loss(p, f, label):
        return loss_fn(fmodel(p, f.unsqueeze(0)), label.unsqueeze(0))

    per_example_grads = functorch.vmap(functorch.grad(example_loss), in_dims=(None, 0, 0))
    n = features.shape[0]
    rate = args.batch / n
    steps = args.epochs * ((n + args.batch - 1) // args.batch)
    for _ in range(steps):
        members = (torch.rand(n, generator=generator) < rate).nonzero().flatten()
        summed = [torch.zeros_like(p) for p in params]
        if members.numel() > 0:
            grads = per_example_grads(params, features[members], y[members])
            norms = torch.sqrt(sum(g.flatten(1).pow(2).sum(1) for g in grads))
            scale = (args.clip / norms).clamp(max=1.0)
            summed = [(g * scale.view(-1, *[1] * (g.dim() - 1))).sum(0) for g in grads]
        for p, s in zip(params, summed):
            noise = torch.normal(0.0, args.sigma * args.clip, size=p.shape, generator=generator)
            p.grad = (s + noise) / (rate * n)
        opt.step()
    with torch.no_grad():
        for p, q in zip(trainable.parameters(), params):
            p.copy_(q)
    return steps


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fmnist", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--per-class", type=int, default=1000, help="labelled target images per class")
    p.add_argument("--sigma", type=float, required=True, help="noise multiplier")
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--batch", type=int, default=256, help="expected batch size")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--pretrain-epochs", type=int, default=3)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()

    torch.set_num_threads(int(os.environ.get("TL_NUM_THREADS", "2")))
    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    xtr, ytr = load_fmnist(args.fmnist, "train")
    xte, yte = load_fmnist(args.fmnist, "t10k")
    src_x, src_y = split_classes(xtr, ytr, [0, 1, 2, 3, 4])
    tgt_x, tgt_y = split_classes(xtr, ytr, [5, 6, 7, 8, 9])
    test_x, test_y = split_classes(xte, yte, [5, 6, 7, 8, 9])
    tgt_x, tgt_y = take_per_class(tgt_x, tgt_y, args.per_class, 5, generator)

    t0 = time.time()
    model = Cnn(5, 0)
    train_epochs(model, src_x, src_y, 64, args.pretrain_epochs)
    model.head = nn.Linear(128, 5)
    for q in model.features.parameters():
        q.requires_grad = False
    model.eval()
    with torch.no_grad():
        features = torch.cat([model.features(tgt_x[s:s + 512]) for s in range(0, tgt_x.shape[0], 512)])
    t1 = time.time()
    steps = dp_finetune(model, features, tgt_y, args, generator)
    t2 = time.time()
    model.frozen_features = True
    print(json.dumps(dict(test_accuracy=accuracy(model, test_x, test_y), sigma=args.sigma, clip=args.clip,
                          batch=args.batch, epochs=args.epochs, steps=steps, train_samples=int(tgt_x.shape[0]),
                          pretrain_seconds=round(t1 - t0, 1), finetune_seconds=round(t2 - t1, 1))))


if __name__ == "__main__":
    main()
