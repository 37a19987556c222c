"""What the backbone interop tests share: torchvision networks with weights
and batch-norm statistics away from their defaults, the application's logits
(tests/interop/tl-forward) and ONNX Runtime's (tests/onnx/run_onnx.mjs).
Imported by the tests beside it, after they have checked that torch,
torchvision and numpy import."""

import json
import os
import shutil
import subprocess

import numpy as np
import torch
import torchvision


def backbone(arch, channels, seed, default_norms=False):
    """torchvision's arch with 10 classes and `channels` input channels, in eval mode."""
    torch.manual_seed(seed)
    model = getattr(torchvision.models, arch)(num_classes=10)
    if channels != 3:
        if arch == "resnet18":
            model.conv1 = torch.nn.Conv2d(channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        else:
            old = model.features[0][0]
            model.features[0][0] = torch.nn.Conv2d(channels, old.out_channels, old.kernel_size, old.stride,
                                                   old.padding, bias=False)
    for m in model.modules():
        # statistics and affine parameters away from their defaults, so a wrong fold shows; with the
        # defaults, the folded biases are all zero and the exporter shares one through Identity nodes
        if isinstance(m, torch.nn.BatchNorm2d) and not default_norms:
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.3, 0.3)
        # the MobileNets' classifiers start at a standard deviation of 0.01, giving logits too small
        # for an absolute tolerance to mean much: PyTorch's default initialisation gives them about 1
        if isinstance(m, torch.nn.Linear) and arch.startswith("mobilenet"):
            m.reset_parameters()
    return model.eval()


def core_logits(model_file, x, tmp, name="x"):
    """The application's logits of the model file on the batch x (a tensor)."""
    inputs, outputs = os.path.join(tmp, name + ".in.f32"), os.path.join(tmp, name + ".out.f32")
    x.numpy().astype("<f4").tofile(inputs)
    done = subprocess.run([os.environ["TL_FORWARD"], model_file, inputs, outputs], capture_output=True, text=True,
                          env=dict(os.environ, TL_FORWARD_LOGITS="1"))
    assert done.returncode == 0, done.stderr
    return np.fromfile(outputs, dtype="<f4").reshape(x.shape[0], -1)


def ort_modules():
    """The folder holding node_modules/onnxruntime-node, installed there if need be; None without node."""
    folder = os.environ.get("TL_ORT_DIR")
    if not folder or not shutil.which("node"):
        return None
    package = os.path.join(folder, "node_modules", "onnxruntime-node", "package.json")
    if not os.path.exists(package) and shutil.which("npm"):
        os.makedirs(folder, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", folder, "--ignore-scripts", "--no-audit", "--no-fund",
                        "--loglevel=error", "onnxruntime-node"], check=False)
    return folder if os.path.exists(package) else None


def ort_logits(modules, onnx_path, x, tmp, name="x"):
    """ONNX Runtime's "logits" of the ONNX file on the batch x (a tensor)."""
    spec = os.path.join(tmp, name + ".json")
    with open(spec, "w") as f:
        json.dump({"type": "float32", "dims": list(x.shape), "data": x.flatten().tolist()}, f)
    script = os.path.join(os.environ["TL_SOURCE_DIR"], "tests", "onnx", "run_onnx.mjs")
    run = subprocess.run(["node", script, modules, onnx_path, spec], capture_output=True, text=True, check=True)
    return np.array(json.loads(run.stdout)["logits"]["data"], dtype=np.float32).reshape(x.shape[0], -1)
