"""Transfer Lab model files in PyTorch, and back.

A Transfer Lab model file is safetensors: tensors named as in a PyTorch state
dict ("dense1.weight", "lstm1.weight_ih_l0", ...), and in "__metadata__" the
architecture, label names, preprocessing and provenance as JSON strings
(docs/model-format.md). load() builds the same network from torch.nn modules
with the same semantics: token id 0 is padding, recurrent layers leave their
state unchanged on padded steps (wherever they stand), 1-D pools ignore them,
and ids outside the vocabulary read a zero vector. Batch-norm layers keep
their running statistics in the file (the state dict's running_mean and
running_var; num_batches_tracked is not stored) and, frozen, normalise with
them even in train mode unless the architecture sets frozen_updates_stats.
An embedding_bag (n-gram
models) is nn.EmbeddingBag(mode="sum", padding_idx=0) with per_sample_weights:
the model takes the application's bags [N, 2, terms] (ids as floats, then
their weights), or model(ids, weights). A graph model (an imported ResNet or
MobileNet: layers that read other layers' outputs, joined by add, concat and
mul) runs each layer on the outputs its "inputs" name (transfer_lab_graph.py).
save() writes it back.

    import transfer_lab_torch as tlt
    model, info = tlt.load("pretrained.safetensors")
    ...  # train `model` like any torch.nn.Module: it returns logits
    tlt.save(model, "tuned.safetensors", info)

Needs only torch (1.13 or later); no safetensors package.
"""

import json
import math
import os
import struct
import tempfile

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import transfer_lab_graph as graph

FORMAT = "transfer-lab"
FORMAT_VERSION = "1"
MAX_HEADER = 100 * 1024 * 1024

__all__ = ["load", "save", "build", "probabilities", "read_safetensors", "write_safetensors",
           "TransferLabModel"]


# safetensors

def read_safetensors(path):
    """Returns ({name: float32 tensor}, {metadata key: string})."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER or 8 + n > len(raw):
        raise ValueError(f"{path}: the header length {n} does not fit the file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = memoryview(raw)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {entry['dtype']}, not F32")
        begin, end = entry["data_offsets"]
        shape = entry["shape"]
        if end - begin != 4 * math.prod(shape) or end > len(data):
            raise ValueError(f"{path}: tensor {name} has offsets that do not match its shape")
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32)
        tensors[name] = t.reshape(shape).clone()
    return tensors, metadata


def write_safetensors(path, tensors, metadata):
    """Writes {name: tensor} (in order) and string metadata, atomically."""
    header = {"__metadata__": dict(metadata)}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        chunks.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for b in chunks:
                f.write(b)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# layers with Transfer Lab's semantics

class Embedding(nn.Embedding):
    """Id 0 and ids outside the table give a zero vector."""

    def __init__(self, vocab_size, embed_dim):
        super().__init__(vocab_size, embed_dim, padding_idx=0)

    def forward(self, ids):
        rows = torch.where((ids >= 1) & (ids < self.num_embeddings), ids, torch.zeros_like(ids))
        return F.embedding(rows, self.weight, 0) * (rows != 0).unsqueeze(-1).to(self.weight.dtype)


class EmbeddingBag(nn.EmbeddingBag):
    """The weighted sum of the rows of a bag's ids, as the application's
    embedding_bag: nn.EmbeddingBag(mode="sum", padding_idx=0) with
    per_sample_weights. Id 0 (an empty slot) and ids outside the table add
    nothing. Takes bags [N, 2, terms] (ids, then weights, as the application
    stores them), or ids [N, terms] and weights [N, terms]."""

    def __init__(self, vocab_size, embed_dim):
        super().__init__(vocab_size, embed_dim, mode="sum", padding_idx=0)

    def forward(self, x, per_sample_weights=None):
        if per_sample_weights is None:
            x, per_sample_weights = x[:, 0], x[:, 1]
        ids = x.long()
        rows = torch.where((ids >= 1) & (ids < self.num_embeddings), ids, torch.zeros_like(ids))
        return F.embedding_bag(rows, self.weight, mode="sum", padding_idx=0,
                               per_sample_weights=per_sample_weights.to(self.weight.dtype))


def _run_masked(rnn, cls, x, mask, return_sequences):
    """Runs a batch-first one-layer recurrence over the real steps only (padded
    steps keep the state); a padded step's output is the state carried into it."""
    if mask is None:
        y, h = cls.forward(rnn, x)
        h = h[0] if isinstance(h, tuple) else h
        return y if return_sequences else h[-1]
    n, steps, _ = x.shape
    lengths = mask.sum(1)
    position = torch.arange(steps, device=x.device).expand(n, steps)
    order = torch.argsort(position + (~mask).long() * steps, dim=1)
    compact = x.gather(1, order.unsqueeze(-1).expand_as(x))
    packed = pack_padded_sequence(compact, lengths.clamp(min=1).cpu(), batch_first=True,
                                  enforce_sorted=False)
    y, h = cls.forward(rnn, packed)
    h = h[0] if isinstance(h, tuple) else h
    started = (lengths > 0).unsqueeze(1).to(x.dtype)
    if not return_sequences:
        return h[-1] * started
    y, _ = pad_packed_sequence(y, batch_first=True, total_length=steps)
    seen = mask.long().cumsum(1)
    y = y.gather(1, (seen - 1).clamp(min=0).unsqueeze(-1).expand(-1, -1, y.shape[2]))
    return y * (seen > 0).unsqueeze(-1).to(y.dtype)


class LSTM(nn.LSTM):
    def __init__(self, input_size, hidden_size, return_sequences=False):
        super().__init__(input_size, hidden_size, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x, mask=None):
        return _run_masked(self, nn.LSTM, x, mask, self.return_sequences)


class GRU(nn.GRU):
    def __init__(self, input_size, hidden_size, return_sequences=False):
        super().__init__(input_size, hidden_size, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x, mask=None):
        return _run_masked(self, nn.GRU, x, mask, self.return_sequences)


class GlobalAvgPool1D(nn.Module):
    def forward(self, x, mask=None):
        if mask is None:
            return x.mean(1)
        m = mask.unsqueeze(-1).to(x.dtype)
        return (x * m).sum(1) / m.sum(1).clamp(min=1)


class GlobalMaxPool1D(nn.Module):
    def forward(self, x, mask=None):
        if mask is None:
            return x.max(1).values
        y = x.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(1).values
        return torch.where(mask.any(1, keepdim=True), y, torch.zeros_like(y))


_MASKED = (LSTM, GRU, GlobalAvgPool1D, GlobalMaxPool1D)


class _Reverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.scale * grad, None


class GradientReversal(nn.Module):
    """The identity forward; backward multiplies the gradient by -scale (domain-adversarial training)."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return _Reverse.apply(x, self.scale)


class _FrozenAwareBatchNorm:
    """PyTorch's batch norm (eps 1e-5, momentum 0.1) with the application's
    frozen behaviour: when its scale and shift do not require gradients, it
    normalises with the running statistics and leaves them alone, in train
    mode too, unless frozen_updates_stats is set."""

    frozen_updates_stats = False

    def forward(self, x):
        frozen = not any(p.requires_grad for p in self.parameters())
        if self.training and frozen and not self.frozen_updates_stats:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                False, 0.0, self.eps)
        return super().forward(x)


class BatchNorm2d(_FrozenAwareBatchNorm, nn.BatchNorm2d):
    pass


class BatchNorm1d(_FrozenAwareBatchNorm, nn.BatchNorm1d):
    pass


class GlobalAvgPool2D(nn.Sequential):
    """[N, C, H, W] -> [N, C]: nn.AdaptiveAvgPool2d(1) then flatten."""

    def __init__(self):
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Flatten())


def _batchnorm(cls, channels, spec):
    module = cls(channels, eps=1e-5, momentum=0.1)
    module.frozen_updates_stats = bool(spec.get("frozen_updates_stats", False))
    return module


def _layer(spec, shape):
    """The module for one architecture entry and its per-sample output shape."""
    kind = spec["kind"]
    if kind == "dense":
        if len(shape) != 1:
            raise ValueError(f"layer {spec['name']}: Dense needs a flat input, got {shape}")
        return nn.Linear(shape[0], spec["units"]), [spec["units"]]
    if kind in ("relu", "tanh", "sigmoid"):
        return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[kind](), shape
    if kind == "softmax":
        return nn.Softmax(dim=-1), shape
    if kind == "dropout":
        return nn.Dropout(spec.get("rate", 0.0)), shape
    if kind == "gradient_reversal":
        return GradientReversal(spec.get("rate", 0.0)), shape
    if kind == "flatten":
        return nn.Flatten(), [math.prod(shape)]
    if kind == "conv2d":
        k, p = spec["kernel"], spec.get("padding", 0)
        s = spec.get("stride", 0) or 1
        g = spec.get("groups", 0) or 1
        c, h, w = shape
        return (nn.Conv2d(c, spec["filters"], k, stride=s, padding=p, groups=g),
                [spec["filters"], (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1])
    if kind == "batchnorm2d":
        if len(shape) != 3:
            raise ValueError(f"layer {spec['name']}: batchnorm2d needs an image input, got {shape}")
        return _batchnorm(BatchNorm2d, shape[0], spec), shape
    if kind == "batchnorm1d":
        if len(shape) > 2:
            raise ValueError(f"layer {spec['name']}: batchnorm1d needs [features] or [channels, length], got {shape}")
        return _batchnorm(BatchNorm1d, shape[0], spec), shape
    if kind == "relu6":
        return nn.ReLU6(), shape
    if kind == "clip":
        return nn.Hardtanh(spec["min"], spec["max"]), shape
    if kind == "hardswish":
        return nn.Hardswish(), shape
    if kind == "hardsigmoid":
        return nn.Hardsigmoid(), shape
    if kind == "global_avg_pool2d":
        return GlobalAvgPool2D(), [shape[0]]
    if kind == "avgpool2d":
        k, p = spec["kernel"], spec.get("padding", 0)
        s = spec.get("stride", 0) or k
        c, h, w = shape
        return (nn.AvgPool2d(k, stride=s, padding=p, count_include_pad=True),
                [c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1])
    if kind == "maxpool2d":
        k, p = spec["kernel"], spec.get("padding", 0)
        s = spec.get("stride", 0) or k
        c, h, w = shape
        # padded cells never win: PyTorch pads with -inf
        return nn.MaxPool2d(k, stride=s, padding=p), [c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1]
    if kind == "embedding":
        return Embedding(spec["vocab_size"], spec["embed_dim"]), shape + [spec["embed_dim"]]
    if kind == "embedding_bag":
        if len(shape) != 2 or shape[0] != 2:
            raise ValueError(f"layer {spec['name']}: embedding_bag needs bags [2, terms], got {shape}")
        return EmbeddingBag(spec["vocab_size"], spec["embed_dim"]), [spec["embed_dim"]]
    if kind in ("lstm", "gru"):
        seq = bool(spec.get("return_sequences", False))
        module = (LSTM if kind == "lstm" else GRU)(shape[1], spec["units"], seq)
        return module, ([shape[0], spec["units"]] if seq else [spec["units"]])
    if kind == "global_avg_pool1d":
        return GlobalAvgPool1D(), [shape[1]]
    if kind == "global_max_pool1d":
        return GlobalMaxPool1D(), [shape[1]]
    raise ValueError(f"layer {spec.get('name')}: unknown kind {kind!r}")


class TransferLabModel(nn.Module):
    """The layers of an architecture, as attributes named like the layers, so
    that state_dict() keys are the model file's tensor names. forward() takes a
    float batch [N, *input_shape], token ids [N, steps] for text models, and
    for n-gram models bags [N, 2, terms] or (ids [N, terms], weights [N, terms])."""

    def __init__(self, architecture):
        super().__init__()
        self.architecture = json.loads(json.dumps(architecture))
        self.input_shape = list(architecture["input_shape"])
        self.layer_names = []
        # per layer: the indices of the layers it reads (-1: the input), None for the previous one
        self.layer_inputs = graph.input_indices(architecture)
        self.graph = any(reads is not None for reads in self.layer_inputs)
        shape = list(self.input_shape)
        shapes = []
        for spec, reads in zip(architecture["layers"], self.layer_inputs):
            if reads is not None:
                ins = [shapes[j] if j >= 0 else list(self.input_shape) for j in reads]
                module, shape = graph.join(spec, ins) if spec["kind"] in graph.JOINS else _layer(spec, ins[0])
            else:
                module, shape = _layer(spec, shape)
            self.add_module(spec["name"], module)
            self.layer_names.append(spec["name"])
            shapes.append(shape)
        self.output_shape = shape
        layers = architecture["layers"]
        self.takes_tokens = bool(layers) and layers[0]["kind"] == "embedding"
        self.takes_bags = bool(layers) and layers[0]["kind"] == "embedding_bag"
        self.ends_with_softmax = bool(layers) and layers[-1]["kind"] == "softmax"

    def forward(self, x, weights=None):
        return self.run_layers(x, weights=weights)[0]

    def run_layers(self, x, begin=0, end=None, weights=None, mask=None):
        """The output of layers [begin, end) on x, the input of layer `begin`,
        and the token mask that goes with it (None once no layer needs it):
        (output, mask). Layer `begin` 0 takes what forward() takes."""
        end = len(self.layer_names) if end is None else end
        if begin == 0:
            mask = None
            if self.takes_tokens:
                x = x.long()
                mask = x != 0
            if weights is not None and not self.takes_bags:
                raise ValueError("weights go with the ids of an n-gram model's bags")
        def call(layer, xs, mask):
            if isinstance(layer, EmbeddingBag):
                return layer(xs[0], weights), mask
            if isinstance(layer, _MASKED):
                y = layer(xs[0], mask)
                return y, mask if getattr(layer, "return_sequences", False) else None
            return layer(*xs), None if isinstance(layer, nn.Flatten) else mask

        if self.graph:
            return graph.run(self, x, begin, end, mask, call)
        for name in self.layer_names[begin:end]:
            x, mask = call(getattr(self, name), [x], mask)
        return x, mask

    def is_cut(self, k):
        """True when layers k and above read nothing below layer k - 1: the
        output of layer k - 1 is a feature point of the whole model (always so
        in a plain stack)."""
        return graph.is_cut(self.layer_inputs, k)

    def current_architecture(self):
        """The architecture with each layer's trainable flag from requires_grad."""
        arch = json.loads(json.dumps(self.architecture))
        for spec in arch["layers"]:
            params = list(getattr(self, spec["name"]).parameters())
            if params:
                spec["trainable"] = all(p.requires_grad for p in params)
        return arch


def build(architecture):
    """A freshly initialised model of an architecture (a dict or its JSON text)."""
    if isinstance(architecture, str):
        architecture = json.loads(architecture)
    return TransferLabModel(architecture)


def probabilities(model, x, weights=None):
    """Class probabilities as the application reports them."""
    out = model(x, weights)
    return out if model.ends_with_softmax else torch.softmax(out, dim=-1)


def _untracked(key):
    """State-dict entries the model file does not hold: batch norm's step counter
    (the momentum is fixed, so it plays no part)."""
    return key.endswith(".num_batches_tracked")


def load(path):
    """Reads a model file: (TransferLabModel in eval mode, info dict with
    "architecture", "labels", "preprocessing", "provenance", "format_version")."""
    tensors, meta = read_safetensors(path)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a Transfer Lab model file (format {meta.get('format')!r})")
    info = {"format_version": meta.get("format_version")}
    for key in ("architecture", "labels", "preprocessing", "provenance"):
        info[key] = json.loads(meta[key]) if key in meta else None
    if info["architecture"] is None:
        raise ValueError(f"{path}: no architecture in the metadata")
    model = build(info["architecture"])
    expected = {k: v for k, v in model.state_dict().items() if not _untracked(k)}
    missing = sorted(set(expected) - set(tensors))
    extra = sorted(set(tensors) - set(expected))
    if missing or extra:
        raise ValueError(f"{path}: tensors missing {missing}, unexpected {extra}")
    for name, t in tensors.items():
        if tuple(t.shape) != tuple(expected[name].shape):
            raise ValueError(f"{path}: tensor {name} has shape {list(t.shape)}, "
                             f"the architecture needs {list(expected[name].shape)}")
    model.load_state_dict(tensors, strict=False)
    for spec in info["architecture"]["layers"]:
        for p in getattr(model, spec["name"]).parameters():
            p.requires_grad_(spec.get("trainable", True))
    return model.eval(), info


def _compact(value):
    """JSON as the application writes it: no spaces, UTF-8 as it is."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def save(model, path, info=None):
    """Writes a TransferLabModel as a model file the application opens.
    info (from load(), may be None) gives labels, preprocessing, provenance."""
    info = info or {}
    n_out = model.output_shape[-1]
    labels = info.get("labels") or [str(i) for i in range(n_out)]
    if len(labels) != n_out:
        raise ValueError(f"{len(labels)} labels for a model with {n_out} outputs")
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "architecture": _compact(model.current_architecture()),
        "labels": _compact(list(labels)),
        "preprocessing": _compact(info.get("preprocessing") or {}),
        "provenance": _compact(info.get("provenance") or {}),
    }
    state = model.state_dict()
    tensors = {}
    for name in model.layer_names:
        for key in state:
            if key.startswith(name + ".") and not _untracked(key):
                tensors[key] = state[key]
    write_safetensors(path, tensors, metadata)
