"""Domain-adversarial training and self-training's pseudo-labels, as the
application's trainer does them (core/train/tl-adversary.c and
core/experiment/tl-pipeline-strategies.c).

Under DistributedDataParallel each process takes its share of a batch's
labelled rows and as many unlabelled target rows of its own drawing, so a
step of N processes sees batch_size labelled and batch_size unlabelled rows
in all, as the application's step does. The label model and the domain
classifier are one module under DDP: the gradients of both losses are
averaged over the processes in one backward pass, which makes them those of
the mean losses over the whole batch. Pseudo-labels are chosen by the first
process and sent to the others, so that every process trains on the same rows.
"""

import math

import torch
from torch import distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel

import transfer_lab_torch as tlt


def reversal_scale(progress):
    """The reversal's scale over a run, 2 / (1 + exp(-10 p)) - 1 for p from 0 to 1."""
    return 2.0 / (1.0 + math.exp(-10.0 * min(max(progress, 0.0), 1.0))) - 1.0


class _Adversarial(nn.Module):
    """The model and the domain classifier reading its features at layer `cut`."""

    def __init__(self, model, domain, cut):
        super().__init__()
        self.model, self.domain, self.cut = model, domain, cut

    def forward(self, both, n):
        features, mask = self.model.run_layers(both, 0, self.cut)
        logits, _ = self.model.run_layers(features[:n], self.cut, mask=None if mask is None else mask[:n])
        return logits, self.domain(features.flatten(1))


class DomainAdversary:
    """A stage's domain classifier (gradient reversal - Dense hidden - ReLU - Dense 2),
    its optimiser and the drawing of unlabelled rows."""

    def __init__(self, model, spec, unlabeled, train_x, train_spec, seed, ctx):
        from .engine import JobError, optimizer_of

        if unlabeled is None or unlabeled.shape[0] == 0:
            raise JobError("domain-adversarial training needs unlabelled target rows; the job has none")
        if unlabeled.shape[1:] != train_x.shape[1:]:
            raise JobError("domain-adversarial training: the unlabelled rows are not of the training rows' shape")
        if spec["cut_layer"] not in model.layer_names:
            raise JobError(f"adversary.cut_layer {spec['cut_layer']!r}: the model has no such layer")
        self.cut = model.layer_names.index(spec["cut_layer"])
        if self.cut < 1:
            raise JobError("domain-adversarial training needs features above the first layer")
        if not model.is_cut(self.cut):
            raise JobError(f"adversary.cut_layer {spec['cut_layer']!r}: domain-adversarial training needs features "
                           f"where the model is not branched, but a layer above layer {self.cut} reads an output "
                           "below it")
        self.weight = float(spec["weight"])
        self.source_rows = int(spec["source_rows"])
        self.unlabeled = unlabeled
        self.device = ctx["device"]
        with torch.no_grad():
            was = model.training
            model.eval()
            features, _ = model.run_layers(train_x[:1].to(self.device), 0, self.cut)
            model.train(was)
        self.domain = tlt.build({"input_shape": [features[0].numel()], "layers": [
            {"kind": "gradient_reversal", "name": "reversal", "rate": 0.0},
            {"kind": "dense", "units": max(int(spec["hidden"]), 1), "name": "hidden"},
            {"kind": "relu", "name": "hidden_relu"},
            {"kind": "dense", "units": 2, "name": "domain"},
        ]}).to(self.device)
        self.optimizer = optimizer_of([{"params": list(self.domain.parameters()), "lr": train_spec["optimizer"]["lr"],
                                        "lr_mult": 1.0}], train_spec)
        # each process draws its own unlabelled rows
        self.generator = torch.Generator()
        self.generator.manual_seed((seed ^ 0xD0A1) + 7919 * ctx["rank"])
        net = _Adversarial(model, self.domain, self.cut)
        self.wrapped = DistributedDataParallel(net) if ctx["distributed"] else net

    def forward(self, xb, rows, progress):
        """The label logits of xb and the weighted domain loss of xb and as many
        unlabelled rows; rows are xb's row numbers in the training rows."""
        n = xb.shape[0]
        drawn = torch.randint(self.unlabeled.shape[0], (n,), generator=self.generator)
        both = torch.cat([xb, self.unlabeled[drawn].to(self.device)])
        tags = torch.cat([(rows >= self.source_rows).long(), torch.ones(n, dtype=torch.long)]).to(self.device)
        self.domain.reversal.scale = reversal_scale(progress)
        self.optimizer.zero_grad(set_to_none=True)
        logits, domain_logits = self.wrapped(both, n)
        return logits, self.weight * F.cross_entropy(domain_logits, tags)

    def step(self, lr, clip):
        if clip > 0:
            nn.utils.clip_grad_norm_(list(self.domain.parameters()), clip)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        self.optimizer.step()

    def state_dict(self):
        return {"domain": self.domain.state_dict(), "optimizer": self.optimizer.state_dict(),
                "generator": self.generator.get_state()}

    def load_state_dict(self, state):
        self.domain.load_state_dict(state["domain"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.generator.set_state(state["generator"])


def _probabilities(model, x, device, batch=256):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            y = model(x[i:i + batch].to(device))
            out.append((y if model.ends_with_softmax else F.softmax(y, dim=-1)).cpu())
    return torch.cat(out) if out else torch.zeros(0, 0)


def pseudo_labels(model, unlabeled, per_class, ctx):
    """For each class, the `per_class` unlabelled rows the model gives that class
    with the most confidence (ties: the earlier row), labelled so: (x, y)."""
    rows, labels = [], []
    if ctx["rank"] == 0:
        probs = _probabilities(model, unlabeled, ctx["device"])
        if probs.numel():
            best = probs.argmax(1)  # the first of equal maxima, as the application takes it
            for c in range(probs.shape[1]):
                found = (best == c).nonzero().flatten()
                # a stable sort: equal confidences keep the row order
                order = torch.sort(probs[found, c], descending=True, stable=True).indices
                rows += found[order[:per_class]].tolist()
                labels += [c] * min(per_class, found.numel())
    if ctx["distributed"]:
        count = torch.tensor([len(rows)], dtype=torch.long)
        dist.broadcast(count, 0)
        chosen = torch.tensor(rows + labels, dtype=torch.long) if ctx["rank"] == 0 else \
            torch.zeros(2 * count.item(), dtype=torch.long)
        dist.broadcast(chosen, 0)
        rows, labels = chosen[:count.item()].tolist(), chosen[count.item():].tolist()
    index = torch.tensor(rows, dtype=torch.long)
    return unlabeled[index], torch.tensor(labels, dtype=torch.long)
