"""Backbones from torchvision (ResNet-18, MobileNetV2, MobileNetV3-Small; 10
classes, random weights and batch-norm statistics, eval mode) exported by
torch.onnx.export at opsets 13 and 17, imported by `transfer-lab import`, and
run on 100 inputs by tests/interop/tl-forward: their logits must match ONNX
Runtime's (onnxruntime-node, as the onnx-runtime test installs it) and
PyTorch's to 1e-4. The same through the state-dict path (`transfer-lab import
STATE.pth --arch NAME --input CxHxW`) against PyTorch. And the round trip:
the imported ResNet-18 fine-tuned by `transfer-lab run` (layer4 and a new
head), exported by `transfer-lab export --onnx`, run by ONNX Runtime. Exit status 77
(skipped) without torch, torchvision or onnx."""

import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    import torch
    import torchvision
except ImportError as e:
    print(f"skipped: {e} (python3-torch, python3-torchvision and python3-onnx, for /usr/bin/python3)")
    sys.exit(77)

from backbones import backbone, core_logits, ort_logits, ort_modules  # noqa: E402

TOLERANCE = 1e-4
SAMPLES = 100


def against_pytorch(tmp, name, model, tlm, shape):
    """The imported model's logits on 100 inputs, compared with PyTorch's: (inputs, logits)."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(SAMPLES, *shape, generator=gen)
    got = core_logits(tlm, x, tmp, name)

    with torch.no_grad():
        want = model(x).numpy()
    err = float(np.abs(got - want).max())
    print(f"# {name}: PyTorch max |difference| {err:.2e} over {SAMPLES} inputs (max |logit| {np.abs(want).max():.2f})")
    assert err < TOLERANCE, f"{name}: differs from PyTorch by {err}"
    return x, got


def check_state_dict(tmp, arch, shape):
    """A state dict saved by torch.save, imported with --arch."""
    name = f"{arch}-{shape[0]}x{shape[1]}x{shape[2]}-state-dict"
    model = backbone(arch, shape[0], 0)
    pth = os.path.join(tmp, name + ".pth")
    tlm = os.path.join(tmp, name + ".safetensors")
    torch.save(model.state_dict(), pth)
    size = "x".join(str(v) for v in shape)
    done = subprocess.run([os.environ["TL_BINARY"], "import", pth, "--arch", arch, "--input", size, "--out", tlm],
                          capture_output=True, text=True, env=dict(os.environ, TL_PYTHON=sys.executable))
    assert done.returncode == 0, done.stderr
    against_pytorch(tmp, name, model, tlm, shape)


def check(tmp, arch, shape, opset, default_norms):
    name = f"{arch}-{shape[0]}x{shape[1]}x{shape[2]}-opset{opset}"
    model = backbone(arch, shape[0], 0, default_norms)
    onnx_path = os.path.join(tmp, name + ".onnx")
    tlm = os.path.join(tmp, name + ".safetensors")
    torch.onnx.export(model, torch.zeros(1, *shape), onnx_path, opset_version=opset, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
    onnx.checker.check_model(onnx.load(onnx_path))

    done = subprocess.run([os.environ["TL_BINARY"], "import", onnx_path, "--out", tlm, "--mean", ",".join(["0.5"] * shape[0]),
                           "--std", ",".join(["0.25"] * shape[0])], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Imported" in done.stdout, done.stdout

    x, got = against_pytorch(tmp, name, model, tlm, shape)

    modules = ort_modules()
    if modules is None:
        print(f"# {name}: ONNX Runtime (onnxruntime-node) unavailable, compared with PyTorch only")
        return
    ort = ort_logits(modules, onnx_path, x, tmp, name)
    err = float(np.abs(got - ort).max())
    print(f"# {name}: ONNX Runtime max |difference| {err:.2e} over {SAMPLES} inputs")
    assert err < TOLERANCE, f"{name}: differs from ONNX Runtime by {err}"


def write_idx(path, array):
    """Unsigned bytes as an IDX file (magic 0x08)."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def check_fine_tuned_export(tmp):
    """Import, fine-tune in an experiment (layer4 and a new 5-way head), export ONNX: ONNX Runtime
    gives the fine-tuned model's logits, as the core computes them."""
    tlm = os.path.join(tmp, "resnet18-1x28x28-opset17.safetensors")
    app = os.environ["TL_BINARY"]
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(5), 12)
    images = rng.integers(0, 256, size=(len(labels), 28, 28))
    write_idx(os.path.join(tmp, "target-images.idx"), images)
    write_idx(os.path.join(tmp, "target-labels.idx"), labels)
    layers = json.loads(subprocess.run([app, "inspect", tlm, "--json"], check=True, capture_output=True,
                                       text=True).stdout)["layers"]
    cut = next(i for i, layer in enumerate(layers) if layer["name"].startswith("layer4"))
    experiment = os.path.join(tmp, "fine-tune.json")
    with open(experiment, "w") as f:
        json.dump({"format_version": 1, "name": "fine-tune", "seed": 5, "pretrain": {"model": tlm},
                   "target": {"format": "idx", "path": "target-images.idx", "labels": "target-labels.idx",
                              "test_fraction": 0.25, "val_fraction": 0.0},
                   "transfer": {"freeze": {"below": cut}, "rebuild_head": True, "epochs": 2, "batch_size": 9},
                   "baseline": False, "outputs": {"exports": ["models"], "plots": []}}, f)
    out = os.path.join(tmp, "fine-tune-run")
    subprocess.run([app, "run", experiment, "--out", out, "--quiet"], check=True, capture_output=True)
    tuned = os.path.join(out, "transfer", "model.safetensors")
    onnx_path = os.path.join(tmp, "fine-tuned.onnx")
    subprocess.run([app, "export", "--onnx", onnx_path, tuned], check=True, capture_output=True)

    gen = torch.Generator().manual_seed(7)
    x = torch.randn(SAMPLES, 1, 28, 28, generator=gen)
    got = core_logits(tuned, x, tmp, "tuned")
    modules = ort_modules()
    if modules is None:
        print("# fine-tuned export: ONNX Runtime (onnxruntime-node) unavailable, not compared")
        return
    ort = ort_logits(modules, onnx_path, x, tmp, "tuned")
    err = float(np.abs(got - ort).max())
    print(f"# fine-tuned resnet18 (layer4 and a new head): ONNX Runtime max |difference| {err:.2e} over "
          f"{SAMPLES} inputs (max |logit| {np.abs(got).max():.2f})")
    assert err < TOLERANCE, f"the fine-tuned export differs from the core by {err}"
    # the fine-tuning changed layer4: the export is not the imported network's
    with open(tlm, "rb") as a, open(tuned, "rb") as b:
        assert a.read() != b.read()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        check(tmp, "resnet18", (3, 32, 32), 13, False)
        check(tmp, "resnet18", (1, 28, 28), 17, True)
        check_fine_tuned_export(tmp)
        # ReLU6 as Clip, depthwise convolutions, inverted residuals
        check(tmp, "mobilenet_v2", (3, 32, 32), 13, False)
        check(tmp, "mobilenet_v2", (3, 64, 64), 17, False)
        # HardSwish (HardSigmoid and Mul before opset 14), squeeze-excitation gates
        check(tmp, "mobilenet_v3_small", (3, 64, 64), 13, False)
        check(tmp, "mobilenet_v3_small", (3, 32, 32), 17, False)
        check_state_dict(tmp, "resnet18", (1, 28, 28))
        check_state_dict(tmp, "mobilenet_v2", (3, 32, 32))
    print("ok")


if __name__ == "__main__":
    main()
