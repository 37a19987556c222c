"""Graph models for transfer_lab_torch: layers that read other layers' outputs.

A layer of a graph model may list in "inputs" the names of the earlier layers
it reads ("" for the model's input); without it, it reads the previous
layer's output (docs/model-format.md). The joins compute what the
application's do (core/nn/tl-layer-join.c):
  add     the sum of two or more inputs of one shape;
  concat  the inputs side by side along their first dimension (the channels,
          dim 1 of a batch), the other dimensions equal;
  mul     two inputs of one shape value by value, or [channels, ...] by a
          second input [channels], one factor per channel (a
          squeeze-excitation gate).
"""

import torch
from torch import nn

JOINS = ("add", "concat", "mul")
MAX_INPUTS = 8


class Add(nn.Module):
    def forward(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    def forward(self, *xs):
        return torch.cat(xs, dim=1)


class Mul(nn.Module):
    def forward(self, x, s):
        if s.shape != x.shape:
            # one factor per channel: [N, C] against [N, C, ...]
            s = s.reshape(s.shape[0], s.shape[1], *([1] * (x.dim() - 2)))
        return x * s


def input_indices(architecture):
    """For each layer, the indices of the layers it reads (-1: the model's input),
    or None for a layer that reads the previous one, as the application builds
    them: a single input naming the previous layer is a plain stack's layer."""
    layers = architecture["layers"]
    where = {}
    out = []
    for i, spec in enumerate(layers):
        names = spec.get("inputs")
        name = spec.get("name")
        if names is None:
            out.append(None)
        else:
            if not isinstance(names, list) or not 1 <= len(names) <= MAX_INPUTS:
                raise ValueError(f"layer {name}: \"inputs\" must be a list of 1 to {MAX_INPUTS} layer names")
            indices = []
            for k, n in enumerate(names):
                if n == "":
                    indices.append(-1)
                elif n in where:
                    indices.append(where[n])
                else:
                    raise ValueError(f"layer {name}: input {k + 1} reads {n!r}, which is not an earlier layer")
            join = spec["kind"] in JOINS
            if join and not 2 <= len(indices) <= MAX_INPUTS:
                raise ValueError(f"layer {name}: {spec['kind']} joins 2 to {MAX_INPUTS} inputs, not {len(indices)}")
            if not join and len(indices) > 1:
                raise ValueError(f"layer {name}: {spec['kind']} reads one input, not {len(indices)}")
            out.append(None if indices == [i - 1] else indices)
        if spec["kind"] in JOINS and out[-1] is None:
            raise ValueError(f"layer {name}: {spec['kind']} joins 2 to {MAX_INPUTS} inputs, not 1")
        where[name] = i
    return out


def is_cut(inputs, k):
    """True when no layer from k on reads an output below layer k - 1: the
    model's output at layer k - 1 is all that layers k and above need (as the
    application's tl_model_is_cut)."""
    for i in range(max(k, 0), len(inputs)):
        for j in (inputs[i] if inputs[i] is not None else [i - 1]):
            if j < k - 1:
                return False
    return True


def join(spec, shapes):
    """The module of a join and its per-sample output shape, from its inputs' shapes."""
    kind, name = spec["kind"], spec.get("name")
    first = shapes[0]
    for k, shape in enumerate(shapes[1:], 2):
        if kind == "mul" and len(shape) == 1 and shape[0] == first[0]:
            continue  # one factor per channel
        if len(shape) != len(first) or shape[1:] != first[1:] or (kind != "concat" and shape[0] != first[0]):
            raise ValueError(f"layer {name}: input {k} has the shape {shape}, which does not match the first "
                             f"input's {first}")
    if kind == "mul" and len(shapes) != 2:
        raise ValueError(f"layer {name}: mul needs two inputs, it has {len(shapes)}")
    if kind == "add":
        return Add(), list(first)
    if kind == "mul":
        return Mul(), list(first)
    return Concat(), [sum(s[0] for s in shapes)] + list(first[1:])


def check_cut(inputs, k, what):
    if not is_cut(inputs, k):
        raise ValueError(f"{what} needs features where the model is not branched, but a layer above layer {k} "
                         "reads an output below it")


def run(model, x, begin, end, mask, call):
    """Layers [begin, end) of a graph model on x, the output of layer begin - 1
    (the model's input for begin 0); call(layer, inputs, mask) runs one layer
    and returns (output, mask). Needs a cut at begin (is_cut)."""
    inputs = model.layer_inputs
    if begin > 0:
        check_cut(inputs, begin, f"running layers from {begin}")
    outs = {begin - 1: x}
    last = {}
    for i in range(begin, end):
        for j in (inputs[i] if inputs[i] is not None else [i - 1]):
            last[j] = i
    for i in range(begin, end):
        reads = inputs[i] if inputs[i] is not None else [i - 1]
        layer = getattr(model, model.layer_names[i])
        outs[i], mask = call(layer, [outs[j] for j in reads], mask)
        # an output no later layer reads is let go
        for j in set(reads):
            if last.get(j) == i and j != end - 1:
                del outs[j]
    return outs[end - 1], mask
