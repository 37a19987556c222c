"""Imported backbones in the PyTorch bridge: torchvision's ResNet-18,
MobileNetV2 and MobileNetV3-Small (random weights and batch-norm statistics,
eval mode), saved as state dicts and imported by `transfer-lab import STATE.pth
--arch NAME --input CxHxW`, are graph models (residual adds, squeeze-excitation
muls). tools/transfer_lab_torch.py loads each model file; its logits must
match the application's forward pass (tests/interop/tl-forward) and
torchvision's own to 1e-4. Weights changed in PyTorch and saved must give the
application the logits PyTorch computes, and a file saved unchanged must be
the application's file byte for byte. Exit status 77 (skipped) without torch
or torchvision."""

import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:
    print(f"skipped: {e} (python3-torch and python3-torchvision, for /usr/bin/python3)")
    sys.exit(77)

SOURCE = os.environ.get("TL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import transfer_lab_torch as tlt  # noqa: E402
from backbones import backbone, core_logits  # noqa: E402

TOLERANCE = 1e-4
SAMPLES = 40


def check(tmp, arch, shape):
    name = f"{arch}-{'x'.join(map(str, shape))}"
    reference = backbone(arch, shape[0], 3)
    pth, path = os.path.join(tmp, name + ".pth"), os.path.join(tmp, name + ".safetensors")
    torch.save(reference.state_dict(), pth)
    done = subprocess.run([os.environ["TL_BINARY"], "import", pth, "--arch", arch, "--input", "x".join(map(str, shape)),
                           "--out", path], capture_output=True, text=True,
                          env=dict(os.environ, TL_PYTHON=sys.executable))
    assert done.returncode == 0, done.stderr

    model, info = tlt.load(path)
    assert model.graph, f"{name}: not a graph model"
    joins = sorted({spec["kind"] for spec in info["architecture"]["layers"] if spec.get("inputs")})
    x = torch.randn(SAMPLES, *shape, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours = model(x).numpy()
        theirs = reference(x).numpy()
    core = core_logits(path, x, tmp)
    err, err_tv = float(np.abs(ours - core).max()), float(np.abs(ours - theirs).max())
    print(f"# {name} ({len(model.layer_names)} layers; inputs named by {', '.join(joins)}): load -> torch "
          f"max |difference| {err:.2e} against the application, {err_tv:.2e} against torchvision "
          f"(max |logit| {np.abs(core).max():.2f})")
    assert err < TOLERANCE, f"{name}: differs from the application by {err}"
    assert err_tv < TOLERANCE, f"{name}: differs from torchvision by {err_tv}"
    # and relative to the logits, which are small for the MobileNets
    assert err < 1e-3 * np.abs(core).max(), f"{name}: differs from the application by {err}"

    # saved unchanged: the application's own file
    again = os.path.join(tmp, name + "-again.safetensors")
    tlt.save(model, again, info)
    with open(path, "rb") as a, open(again, "rb") as b:
        assert a.read() == b.read(), f"{name}: saved unchanged, the file differs from the application's"

    # changed in PyTorch (a training step through every join), saved, read by the application
    model.train()
    for m in model.modules():
        if isinstance(m, torch.nn.Dropout):
            m.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss = torch.nn.functional.cross_entropy(model(x), torch.arange(SAMPLES) % 10)
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"{name}: no gradient reaches {missing[:4]}"
    optimizer.step()
    model.eval()
    with torch.no_grad():
        ours = model(x).numpy()
    saved = os.path.join(tmp, name + "-trained.safetensors")
    tlt.save(model, saved, info)
    core = core_logits(saved, x, tmp)
    err = float(np.abs(ours - core).max())
    print(f"# {name}: trained in torch, save -> application max |difference| {err:.2e}")
    assert err < TOLERANCE, f"{name}: after save, differs from the application by {err}"
    back, _ = tlt.load(saved)
    for key, value in model.state_dict().items():
        assert torch.equal(value, back.state_dict()[key]), f"{name}: {key} changed on the way back"


def main():
    for var in ("TL_FORWARD", "TL_BINARY"):
        if not os.path.exists(os.environ.get(var, "")):
            print(f"skipped: {var} does not name the program")
            sys.exit(77)
    with tempfile.TemporaryDirectory(prefix="tl-torch-graph-") as tmp:
        check(tmp, "resnet18", (3, 32, 32))
        check(tmp, "resnet18", (1, 28, 28))
        check(tmp, "mobilenet_v2", (3, 32, 32))
        check(tmp, "mobilenet_v3_small", (3, 32, 32))
        check(tmp, "mobilenet_v3_small", (1, 64, 64))
    print("ok")


if __name__ == "__main__":
    main()
