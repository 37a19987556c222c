"""Model files move between Transfer Lab and PyTorch (tools/transfer_lab_torch.py)
without changing what the model computes, in both directions; a model
fine-tuned in PyTorch evaluates here to the accuracy PyTorch measured.

Run by meson (suite interop) with /usr/bin/python3; TL_FORWARD names the
tests/interop/tl-forward program. Exit status 77 (skipped) without torch."""

import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"skipped: {e} (PyTorch and numpy come from python3-torch, for /usr/bin/python3)")
    sys.exit(77)

SOURCE = os.environ.get("TL_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SOURCE, "tools"))
import transfer_lab_torch as tlt  # noqa: E402

FORWARD = os.environ.get("TL_FORWARD")
TOLERANCE = 1e-4

GRU_ARCH = {
    "input_shape": [16],
    "layers": [
        {"kind": "embedding", "name": "embed", "vocab_size": 60, "embed_dim": 24},
        {"kind": "gru", "name": "gru", "units": 32},
        {"kind": "dense", "name": "head", "units": 4},
    ],
}

# a mobile backbone's layers, one of each new kind
VISION_ARCH = {
    "input_shape": [3, 11, 10],
    "layers": [
        {"kind": "conv2d", "name": "stem", "filters": 8, "kernel": 3, "stride": 2, "padding": 1},
        {"kind": "batchnorm2d", "name": "stem_bn"},
        {"kind": "relu6", "name": "stem_act"},
        {"kind": "conv2d", "name": "dw", "filters": 8, "kernel": 3, "padding": 1, "groups": 8},
        {"kind": "batchnorm2d", "name": "dw_bn", "trainable": False},
        {"kind": "hardswish", "name": "dw_act"},
        {"kind": "conv2d", "name": "pw", "filters": 6, "kernel": 1, "groups": 2},
        {"kind": "hardsigmoid", "name": "pw_gate"},
        {"kind": "avgpool2d", "name": "pool", "kernel": 3, "stride": 2, "padding": 1},
        {"kind": "clip", "name": "clip", "min": -0.5, "max": 0.75},
        {"kind": "global_avg_pool2d", "name": "gap"},
        {"kind": "batchnorm1d", "name": "head_bn"},
        {"kind": "dense", "name": "head", "units": 5},
    ],
}

# a graph model: a branch from the input, a padded max-pool, a residual add of three, a
# squeeze-excitation gate (mul by channel), a mul of one shape, a concat of channels
GRAPH_ARCH = {
    "input_shape": [3, 9, 8],
    "layers": [
        {"kind": "conv2d", "name": "stem", "filters": 6, "kernel": 3, "padding": 1},
        {"kind": "batchnorm2d", "name": "stem_bn"},
        {"kind": "relu", "name": "stem_act", "inputs": ["stem_bn"]},
        {"kind": "maxpool2d", "name": "pool", "kernel": 3, "stride": 2, "padding": 1},
        {"kind": "conv2d", "name": "side", "filters": 6, "kernel": 3, "stride": 2, "padding": 1, "inputs": [""]},
        {"kind": "conv2d", "name": "body", "filters": 6, "kernel": 3, "padding": 1, "inputs": ["pool"]},
        {"kind": "add", "name": "sum", "inputs": ["body", "side", "pool"]},
        {"kind": "global_avg_pool2d", "name": "squeeze"},
        {"kind": "dense", "name": "excite", "units": 6},
        {"kind": "hardsigmoid", "name": "gate"},
        {"kind": "mul", "name": "gated", "inputs": ["sum", "gate"]},
        {"kind": "tanh", "name": "bent", "inputs": ["side"]},
        {"kind": "mul", "name": "product", "inputs": ["gated", "bent"]},
        {"kind": "concat", "name": "both", "inputs": ["product", "pool", "body"]},
        {"kind": "global_avg_pool2d", "name": "gap"},
        {"kind": "dense", "name": "head", "units": 4},
    ],
}

# name, how the project makes it, input shape, classes, vocabulary
CASES = [
    ("mlp", ["--preset", "mlp", "10", "0"], [1, 28, 28], 10, 0),
    ("cnn", ["--preset", "cnn", "10", "0"], [1, 28, 28], 10, 0),
    ("lstm", ["--preset", "text-lstm", "4", "80"], [16], 4, 80),
    ("gru", ["--arch", GRU_ARCH], [16], 4, 60),
    ("text-pool", ["--preset", "text-pool", "3", "70"], [16], 3, 70),
    ("text-ngram", ["--preset", "text-ngram", "3", "90"], [2, 20], 3, 90),
    ("vision", ["--arch", VISION_ARCH], [3, 11, 10], 5, 0),
    ("graph", ["--arch", GRAPH_ARCH], [3, 9, 8], 4, 0),
]


def tokens(n, steps, vocab, seed):
    """Token ids with post-, pre- and inner padding, empty rows and unknown ids."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1, vocab, (n, steps), generator=g)
    for i in range(n):
        kind = i % 6
        if kind == 0:
            x[i, steps // 2:] = 0
        elif kind == 1:
            x[i, :steps - 3] = 0
        elif kind == 2:
            x[i, 1::3] = 0
        elif kind == 3:
            x[i] = 0
        elif kind == 4:
            x[i, 2] = vocab + 7
    return x.float()


def bags(n, terms, vocab, seed):
    """Bags [n, 2, terms] as the application's n-gram features: ids (floats)
    then weights, empty slots (id 0) at the end; also empty bags, ids outside
    the table or below 1, the unknown id 1, an empty slot with a weight,
    repeated ids and negative weights."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 2, terms)
    for i in range(n):
        used = int(torch.randint(1, terms + 1, (1,), generator=g))
        x[i, 0, :used] = torch.randint(2, vocab, (used,), generator=g).float()
        w = torch.rand(used, generator=g)
        x[i, 1, :used] = w / w.norm()
        kind = i % 6
        if kind == 0:
            x[i] = 0
        elif kind == 1:
            x[i, :, :5] = torch.tensor([[vocab + 3, -2, 1, 0, 0.5], [0.4, 0.9, 0.3, 2.0, 0.7]])
        elif kind == 2:
            x[i, 0, 1] = x[i, 0, 0]
            x[i, 1, 2] = -0.8
    return x


class RoundTrip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not FORWARD or not os.path.exists(FORWARD):
            raise unittest.SkipTest("TL_FORWARD does not name the tl-forward program")
        cls.dir = tempfile.TemporaryDirectory(prefix="tl-torch-")

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir.name, name)

    def project_probabilities(self, model_path, x):
        """The project's own forward pass, through tl-forward."""
        xin, yout = self.path("x.f32"), self.path("y.f32")
        x.numpy().astype("<f4").tofile(xin)
        r = subprocess.run([FORWARD, model_path, xin, yout], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        shape = json.loads(r.stdout)
        return np.fromfile(yout, dtype="<f4").reshape(shape["samples"], shape["classes"])

    def project_model(self, case):
        name, how, shape, classes, vocab = case
        out = self.path(name + ".safetensors")
        if how[0] == "--arch":
            arch = self.path(name + ".json")
            with open(arch, "w") as f:
                json.dump(how[1], f)
            argv = [FORWARD, "--arch", arch, "5", out]
        else:
            argv = [FORWARD] + how + ["5", out] + [str(d) for d in shape]
        r = subprocess.run(argv, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def inputs(self, case, seed):
        _, _, shape, _, vocab = case
        if vocab and len(shape) == 2:
            return bags(12, shape[1], vocab, seed)
        if vocab:
            return tokens(12, shape[0], vocab, seed)
        return torch.randn(12, *shape, generator=torch.Generator().manual_seed(seed))

    def check_case(self, case):
        name = case[0]
        x = self.inputs(case, 1)

        # project -> PyTorch
        path = self.project_model(case)
        model, info = tlt.load(path)
        self.assertEqual(len(info["labels"]), case[3])
        with torch.no_grad():
            theirs = tlt.probabilities(model, x).numpy()
        ours = self.project_probabilities(path, x)
        diff = np.abs(theirs - ours).max()
        print(f"{name}: project -> torch, largest difference {diff:.3g}")
        self.assertLessEqual(diff, TOLERANCE)

        # PyTorch -> project, after the weights changed in PyTorch
        with torch.no_grad():
            g = torch.Generator().manual_seed(2)
            for p in model.parameters():
                p.add_(0.05 * torch.randn(p.shape, generator=g))
            if case[4]:
                model.get_submodule(model.layer_names[0]).weight[0].zero_()
            for m in model.modules():
                if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                    m.running_mean.add_(0.3 * torch.randn(m.running_mean.shape, generator=g))
                    m.running_var.mul_(0.5 + torch.rand(m.running_var.shape, generator=g))
            theirs = tlt.probabilities(model, x).numpy()
        info["labels"] = [f"class {i}" for i in range(case[3])]
        saved = self.path(name + "-torch.safetensors")
        tlt.save(model, saved, info)
        ours = self.project_probabilities(saved, x)
        diff = np.abs(theirs - ours).max()
        print(f"{name}: torch -> project, largest difference {diff:.3g}")
        self.assertLessEqual(diff, TOLERANCE)

        # and back into PyTorch unchanged
        again, info2 = tlt.load(saved)
        self.assertEqual(info2["labels"], info["labels"])
        for k, v in model.state_dict().items():
            self.assertTrue(torch.equal(v, again.state_dict()[k]), k)

    def test_mlp(self):
        self.check_case(CASES[0])

    def test_cnn(self):
        self.check_case(CASES[1])

    def test_lstm(self):
        self.check_case(CASES[2])

    def test_gru(self):
        self.check_case(CASES[3])

    def test_text_pool(self):
        self.check_case(CASES[4])

    def test_text_ngram(self):
        self.check_case(CASES[5])

    def test_vision(self):
        self.check_case(CASES[6])

    def test_vision_modules(self):
        """The new kinds are torch's own modules, with running statistics in the
        state dict; a frozen batch norm keeps them in train mode."""
        model, _ = tlt.load(self.project_model(CASES[6]))
        nn = torch.nn
        self.assertIsInstance(model.stem_bn, nn.BatchNorm2d)
        self.assertIsInstance(model.head_bn, nn.BatchNorm1d)
        self.assertEqual((model.stem_bn.eps, model.stem_bn.momentum), (1e-5, 0.1))
        self.assertEqual(model.dw.groups, 8)
        self.assertEqual(model.pw.groups, 2)
        self.assertIsInstance(model.stem_act, nn.ReLU6)
        self.assertIsInstance(model.dw_act, nn.Hardswish)
        self.assertIsInstance(model.pw_gate, nn.Hardsigmoid)
        self.assertIsInstance(model.clip, nn.Hardtanh)
        self.assertIsInstance(model.pool, nn.AvgPool2d)
        self.assertTrue(model.pool.count_include_pad)
        self.assertIn("stem_bn.running_var", model.state_dict())
        self.assertFalse(any(p.requires_grad for p in model.dw_bn.parameters()))
        model.train()
        x = torch.randn(6, 3, 11, 10, generator=torch.Generator().manual_seed(4))
        before = model.dw_bn.running_mean.clone(), model.stem_bn.running_mean.clone()
        model(x)
        self.assertTrue(torch.equal(model.dw_bn.running_mean, before[0]))
        self.assertFalse(torch.equal(model.stem_bn.running_mean, before[1]))

    def test_graph(self):
        self.check_case(CASES[7])
        model, _ = tlt.load(self.path("graph.safetensors"))
        self.assertTrue(model.graph)
        self.assertEqual(model.output_shape, [4])
        self.assertEqual(model.layer_inputs[6], [5, 4, 3])
        self.assertEqual(model.layer_inputs[4:6], [[-1], [3]])
        self.assertIsNone(model.layer_inputs[2])  # reading the previous layer: a stack's layer
        # the input is read again by "side", the pool by "sum" and "both": cuts only from the join of all on
        self.assertEqual([k for k in range(17) if model.is_cut(k)], [0, 14, 15, 16])
        self.assertFalse(tlt.build(VISION_ARCH).graph)
        self.assertTrue(all(tlt.build(VISION_ARCH).is_cut(k) for k in range(14)))
        # the application's file, saved again from PyTorch unchanged, is the same bytes
        again = self.path("graph-again.safetensors")
        model, info = tlt.load(self.path("graph.safetensors"))
        tlt.save(model, again, info)
        with open(self.path("graph.safetensors"), "rb") as a, open(again, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_graph_adversary_cut(self):
        """Domain-adversarial training reads features only where the graph is not branched, as the application."""
        from tl_torch_engine.engine import JobError
        from tl_torch_engine.strategies import DomainAdversary
        model = tlt.build(GRAPH_ARCH).eval()  # batch norm on its running statistics: rows do not mix
        x = torch.randn(4, 3, 9, 8, generator=torch.Generator().manual_seed(6))
        ctx = {"device": torch.device("cpu"), "rank": 0, "distributed": False}
        train = {"optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0}}
        spec = {"cut_layer": "bent", "weight": 0.1, "source_rows": 2, "hidden": 4}
        with self.assertRaisesRegex(JobError, "adversary.cut_layer 'bent': .* not branched"):
            DomainAdversary(model, spec, x, x, train, 1, ctx)
        adversary = DomainAdversary(model, dict(spec, cut_layer="gap"), x, x, train, 1, ctx)
        logits, loss = adversary.forward(x, torch.arange(4), 0.5)
        self.assertEqual(tuple(logits.shape), (4, 4))
        with torch.no_grad():
            self.assertTrue(torch.allclose(logits, model(x)))
        loss.backward()

    def test_graph_refusals(self):
        """Inputs that do not name earlier layers, or joins of shapes that do not fit, are refused by name."""
        def arch(*layers):
            return {"input_shape": [2, 4, 4], "layers": [{"kind": "conv2d", "name": "c", "filters": 2, "kernel": 1},
                                                         *layers]}
        with self.assertRaisesRegex(ValueError, "layer j: input 2 reads 'later', which is not an earlier layer"):
            tlt.build(arch({"kind": "add", "name": "j", "inputs": ["c", "later"]}))
        with self.assertRaisesRegex(ValueError, "layer j: add joins 2 to 8 inputs, not 1"):
            tlt.build(arch({"kind": "add", "name": "j", "inputs": ["c"]}))
        with self.assertRaisesRegex(ValueError, "layer j: input 2 has the shape \\[3, 2, 2\\]"):
            tlt.build(arch({"kind": "conv2d", "name": "s", "filters": 3, "kernel": 3},
                           {"kind": "concat", "name": "j", "inputs": ["c", "s"]}))
        with self.assertRaisesRegex(ValueError, "layer j: relu reads one input, not 2"):
            tlt.build(arch({"kind": "relu", "name": "j", "inputs": ["c", ""]}))

    def test_ngram_bridge(self):
        """The bag is torch's own EmbeddingBag(mode="sum", padding_idx=0) with
        per_sample_weights; bags [N, 2, terms] and (ids, weights) agree."""
        path = self.project_model(CASES[5])
        model, _ = tlt.load(path)
        bag = model.get_submodule(model.layer_names[0])
        self.assertIsInstance(bag, torch.nn.EmbeddingBag)
        self.assertEqual((bag.mode, bag.padding_idx), ("sum", 0))
        x = bags(12, 20, 90, 3)
        with torch.no_grad():
            p = tlt.probabilities(model, x)
            q = tlt.probabilities(model, x[:, 0].long(), x[:, 1])
            plain = torch.nn.functional.embedding_bag(
                x[2:6, 0, :3].long(), bag.weight, mode="sum", padding_idx=0,
                per_sample_weights=x[2:6, 1, :3])
        self.assertLessEqual((p - q).abs().max().item(), 1e-6)
        self.assertTrue(torch.allclose(bag(x[2:6, :, :3]), plain))

    def test_padding_semantics(self):
        """Padding anywhere changes nothing: the same tokens with padding moved
        around give the same output, in PyTorch as in the project."""
        path = self.project_model(CASES[2])
        model, _ = tlt.load(path)
        real = torch.tensor([5.0, 9, 3, 17, 2])
        x = torch.zeros(3, 16)
        x[0, :5] = real
        x[1, 11:] = real
        x[2, [1, 4, 6, 10, 15]] = real
        with torch.no_grad():
            p = tlt.probabilities(model, x).numpy()
        self.assertLessEqual(np.abs(p - p[0]).max(), 1e-5)
        self.assertLessEqual(np.abs(self.project_probabilities(path, x) - p).max(), TOLERANCE)

    def test_frozen_layers_round_trip(self):
        path = self.project_model(CASES[0])
        model, info = tlt.load(path)
        first = model.get_submodule(model.layer_names[1])
        for p in first.parameters():
            p.requires_grad_(False)
        saved = self.path("frozen.safetensors")
        tlt.save(model, saved, info)
        again, info2 = tlt.load(saved)
        spec = [s for s in info2["architecture"]["layers"] if s["name"] == model.layer_names[1]][0]
        self.assertFalse(spec["trainable"])
        self.assertFalse(any(p.requires_grad for p in again.get_submodule(model.layer_names[1]).parameters()))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class FineTune(unittest.TestCase):
    """A project model fine-tuned in PyTorch, brought back, evaluated here."""

    def setUp(self):
        if not FORWARD or not os.path.exists(FORWARD):
            self.skipTest("TL_FORWARD does not name the tl-forward program")
        self.dir = tempfile.TemporaryDirectory(prefix="tl-finetune-")
        self.addCleanup(self.dir.cleanup)

    def evaluate_here(self, path, x):
        xin, yout = os.path.join(self.dir.name, "x.f32"), os.path.join(self.dir.name, "y.f32")
        x.numpy().astype("<f4").tofile(xin)
        r = subprocess.run([FORWARD, path, xin, yout], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        shape = json.loads(r.stdout)
        return np.fromfile(yout, dtype="<f4").reshape(shape["samples"], shape["classes"])

    def fine_tune(self, path, x, y, x_test, y_test, frozen, epochs, lr):
        torch.manual_seed(0)
        model, info = tlt.load(path)
        # transfer learning as the application does it: the lowest layers frozen
        for name in model.layer_names[:frozen]:
            for p in model.get_submodule(name).parameters():
                p.requires_grad_(False)
        opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
        model.train()
        for _ in range(epochs):
            perm = torch.randperm(len(x))
            for i in range(0, len(x), 64):
                idx = perm[i:i + 64]
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            torch_pred = tlt.probabilities(model, x_test).argmax(1)
        torch_acc = (torch_pred == y_test).float().mean().item()
        tuned = os.path.join(self.dir.name, "tuned.safetensors")
        tlt.save(model, tuned, info)
        here = self.evaluate_here(tuned, x_test)
        here_acc = float((here.argmax(1) == y_test.numpy()).mean())
        return torch_acc, here_acc, (here.argmax(1) != torch_pred.numpy()).sum()

    def test_fashion_mnist_mlp(self):
        root = "/usr/share/datasets/fashion-mnist"
        if not os.path.exists(os.path.join(root, "train-images-idx3-ubyte.gz")):
            self.skipTest(f"Fashion-MNIST is not in {root} (Debian package dataset-fashion-mnist)")
        images = read_idx(os.path.join(root, "train-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(root, "train-labels-idx1-ubyte.gz"))
        test_images = read_idx(os.path.join(root, "t10k-images-idx3-ubyte.gz"))
        test_labels = read_idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz"))
        x = torch.tensor(images[:3000], dtype=torch.float32).unsqueeze(1) / 255.0
        y = torch.tensor(labels[:3000], dtype=torch.long)
        x_test = torch.tensor(test_images[:2000], dtype=torch.float32).unsqueeze(1) / 255.0
        y_test = torch.tensor(test_labels[:2000], dtype=torch.long)
        path = os.path.join(self.dir.name, "mlp.safetensors")
        r = subprocess.run([FORWARD, "--preset", "mlp", "10", "0", "9", path, "1", "28", "28"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        torch_acc, here_acc, disagree = self.fine_tune(path, x, y, x_test, y_test, 2, 3, 3e-3)
        print(f"fashion-mnist mlp: accuracy in torch {torch_acc:.4f}, here {here_acc:.4f}, "
              f"{disagree} of {len(y_test)} predictions differ")
        self.assertGreater(torch_acc, 0.7)
        self.assertLessEqual(abs(torch_acc - here_acc), 1.0 / len(y_test))

    def test_token_lstm(self):
        """Class: whether token 3 occurs, with padding anywhere in the sequence."""
        g = torch.Generator().manual_seed(4)

        def make(n):
            x = torch.randint(4, 30, (n, 16), generator=g)
            cls = torch.randint(0, 2, (n,), generator=g)
            for i in range(n):
                if cls[i]:
                    x[i, torch.randint(0, 16, (1,), generator=g)] = 3
                pad = torch.randint(0, 10, (1,), generator=g).item()
                where = i % 3
                if where == 0:
                    x[i, 16 - pad:] = 0
                elif where == 1:
                    x[i, :pad] = 0
                else:
                    x[i, torch.randperm(16, generator=g)[:pad]] = 0
                cls[i] = int((x[i] == 3).any())
            return x.float(), cls

        x, y = make(1500)
        x_test, y_test = make(500)
        path = os.path.join(self.dir.name, "lstm.safetensors")
        r = subprocess.run([FORWARD, "--preset", "text-lstm", "2", "30", "9", path, "16"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        torch_acc, here_acc, disagree = self.fine_tune(path, x, y, x_test, y_test, 1, 4, 1e-2)
        print(f"token lstm: accuracy in torch {torch_acc:.4f}, here {here_acc:.4f}, "
              f"{disagree} of {len(y_test)} predictions differ")
        self.assertGreater(torch_acc, 0.8)
        self.assertLessEqual(abs(torch_acc - here_acc), 1.0 / len(y_test))

    def test_ngram_bags(self):
        """Class: whether a bag holds one of the "positive" ids 2..9 (the bag's
        table learns in PyTorch, through EmbeddingBag's sparse rows)."""
        g = torch.Generator().manual_seed(5)

        def make(n):
            x = bags(n, 12, 60, int(torch.randint(0, 1000, (1,), generator=g)))
            x[:, 0] = torch.where(x[:, 0] < 10, torch.zeros_like(x[:, 0]), x[:, 0])
            cls = torch.randint(0, 2, (n,), generator=g)
            for i in range(n):
                if cls[i]:
                    x[i, 0, 0] = float(torch.randint(2, 10, (1,), generator=g))
                    x[i, 1, 0] = 0.5
            y = ((x[:, 0] >= 2) & (x[:, 0] < 10) & (x[:, 1] != 0)).any(1).long()
            return x, y

        x, y = make(1500)
        x_test, y_test = make(500)
        path = os.path.join(self.dir.name, "ngram.safetensors")
        r = subprocess.run([FORWARD, "--preset", "text-ngram", "2", "60", "9", path, "2", "12"],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        torch_acc, here_acc, disagree = self.fine_tune(path, x, y, x_test, y_test, 0, 4, 1e-2)
        print(f"ngram bags: accuracy in torch {torch_acc:.4f}, here {here_acc:.4f}, "
              f"{disagree} of {len(y_test)} predictions differ")
        self.assertGreater(torch_acc, 0.9)
        self.assertLessEqual(abs(torch_acc - here_acc), 1.0 / len(y_test))


if __name__ == "__main__":
    torch.set_num_threads(1)
    unittest.main(verbosity=2)
