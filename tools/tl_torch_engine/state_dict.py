"""A torchvision state dict as an ONNX file, for `transfer-lab import STATE.pth --arch ARCH`.

    python3 state_dict.py STATE.pth --arch resnet18 --input 3x32x32 --out MODEL.onnx

Builds the torchvision architecture with the state dict's number of classes
(and input channels, when its first convolution reads other than 3), loads
the tensors strictly, and exports the network in eval mode (opset 17, batch
free) for the application's own ONNX import. A failure is one line on stderr,
"STATE.pth: what is wrong", and exit status 1; 3 when torchvision is missing.
"""

import argparse
import sys

# architecture -> (the head's weight, the first convolution's weight and its place in the model)
ARCHS = {
    "resnet18": ("fc.weight", "conv1.weight"),
    "mobilenet_v2": ("classifier.1.weight", "features.0.0.weight"),
    "mobilenet_v3_small": ("classifier.3.weight", "features.0.0.weight"),
}


class Refused(Exception):
    pass


def _tensors(path, torch):
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # a torch without weights_only
            state = torch.load(path, map_location="cpu")
    except FileNotFoundError:
        raise Refused("no such file")
    except Exception as e:  # pickle, zip and torch errors alike
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        why = f" ({first})" if 0 < len(first) <= 80 else ""
        raise Refused(f"cannot be read as a state dict of tensors saved by torch.save{why}")
    # checkpoints often wrap the state dict
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not state:
        raise Refused(f"holds a {type(state).__name__}, not a state dict (save model.state_dict())")
    out = {}
    for key, value in state.items():
        if not isinstance(key, str) or not torch.is_tensor(value):
            raise Refused(f"entry {key!r} is a {type(value).__name__}, not a tensor; save model.state_dict()")
        out[key[len("module."):] if key.startswith("module.") else key] = value
    return out


def _listed(keys, n=4):
    keys = sorted(keys)
    more = f", and {len(keys) - n} more" if len(keys) > n else ""
    return ", ".join(keys[:n]) + more


def build(arch, state, channels, torch, torchvision):
    head, first = ARCHS[arch]
    for key in (head, first):
        if key not in state:
            raise Refused(f"not a torchvision {arch} state dict: it has no “{key}”")
    classes = int(state[head].shape[0])
    model = getattr(torchvision.models, arch)(num_classes=classes)
    in_channels = int(state[first].shape[1])
    if in_channels != channels:
        raise Refused(f"its first convolution “{first}” reads {in_channels} channels but --input gives {channels}")
    if in_channels != 3:
        old = model.conv1 if arch == "resnet18" else model.features[0][0]
        conv = torch.nn.Conv2d(in_channels, old.out_channels, old.kernel_size, old.stride, old.padding, bias=False)
        if arch == "resnet18":
            model.conv1 = conv
        else:
            model.features[0][0] = conv
    want = model.state_dict()
    missing = [k for k in want if k not in state and not k.endswith(".num_batches_tracked")]
    unexpected = [k for k in state if k not in want]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({_listed(missing)})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected ({_listed(unexpected)})")
        raise Refused(f"not a torchvision {arch} state dict: keys " + "; ".join(parts))
    for key, value in state.items():
        if tuple(value.shape) != tuple(want[key].shape):
            raise Refused(f"“{key}” has the shape {list(value.shape)} where {arch} with {classes} classes "
                          f"needs {list(want[key].shape)}")
    model.load_state_dict(state, strict=False)
    return model.eval()


def main(argv):
    parser = argparse.ArgumentParser(description="A torchvision state dict as an ONNX file")
    parser.add_argument("state")
    parser.add_argument("--arch", required=True)
    parser.add_argument("--input", required=True, help="CHANNELSxHEIGHTxWIDTH")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"{args.state}: importing a state dict needs torch and torchvision ({e}; Debian: "
              "apt install python3-torchvision)", file=sys.stderr)
        return 3
    try:
        if args.arch not in ARCHS:
            raise Refused(f"unknown architecture “{args.arch}”; supported are: {', '.join(sorted(ARCHS))}")
        try:
            shape = [int(v) for v in args.input.lower().split("x")]
        except ValueError:
            shape = []
        if len(shape) != 3 or not all(0 < v <= 4096 for v in shape):
            raise Refused(f"--input “{args.input}” is not CHANNELSxHEIGHTxWIDTH, e.g. 3x224x224")
        model = build(args.arch, _tensors(args.state, torch), shape[0], torch, torchvision)
        with torch.no_grad():
            try:
                model(torch.zeros(1, *shape))
            except RuntimeError as e:
                raise Refused(f"{args.arch} cannot run on inputs of {args.input} ({str(e).splitlines()[0]})")
            torch.onnx.export(model, torch.zeros(1, *shape), args.out, opset_version=17, input_names=["input"],
                              output_names=["logits"],
                              dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    except Refused as e:
        print(f"{args.state}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
