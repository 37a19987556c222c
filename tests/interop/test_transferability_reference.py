#!/usr/bin/python3
"""LogME and LEEP of the core against a straightforward NumPy reference, on small seeded inputs.

The reference follows the papers directly: LogME (You et al., ICML 2021, Algorithm 1) with the
posterior mean m in feature space and the residual ||y - F m||^2 computed as written, from the
eigen-decomposition of F^T F; LEEP (Nguyen et al., ICML 2020) from the empirical joint P(y, z).
The core works in the eigenbasis of the smaller Gram matrix instead, so the cases include more
features than samples. Run by meson with TL_TRANSFERABILITY_REF naming the core's helper."""
import os
import subprocess
import sys
import tempfile

import numpy as np

TOL = 1e-5


def logme_reference(f, y, n_classes, tol=1e-7, max_iter=200):
    f = f.astype(np.float64)
    n, d = f.shape
    s, v = np.linalg.eigh(f.T @ f)
    s = np.clip(s, 0.0, None)
    evidences = []
    for c in range(n_classes):
        target = (y == c).astype(np.float64)
        if target.sum() == 0:
            continue
        alpha, beta, lam = 1.0, 1.0, 1.0
        z = v.T @ (f.T @ target)
        for _ in range(max_iter):
            gamma = np.sum(s / (s + lam))
            m = v @ (beta * z / (alpha + beta * s))
            alpha_de = m @ m
            beta_de = np.sum((target - f @ m) ** 2)
            alpha = gamma / (alpha_de + 1e-5)
            beta = (n - gamma) / (beta_de + 1e-5)
            new_lam = alpha / beta
            if abs(new_lam - lam) / lam < tol:
                break
            lam = new_lam
        evidence = (d / 2.0 * np.log(alpha) + n / 2.0 * np.log(beta)
                    - 0.5 * np.sum(np.log(alpha + beta * s))
                    - beta / 2.0 * beta_de - alpha / 2.0 * alpha_de - n / 2.0 * np.log(2 * np.pi))
        evidences.append(evidence / n)
    return float(np.mean(evidences))


def leep_reference(probs, y, n_classes):
    probs = probs.astype(np.float64)
    n = len(y)
    joint = np.zeros((n_classes, probs.shape[1]))
    for i in range(n):
        joint[y[i]] += probs[i] / n
    cond = joint / joint.sum(axis=0, keepdims=True)
    return float(np.mean(np.log(np.sum(cond[y] * probs, axis=1))))


def run_core(helper, f, y, probs, n_classes):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as out:
        out.write(f"{f.shape[0]} {f.shape[1]} {n_classes} {probs.shape[1]}\n")
        for i in range(f.shape[0]):
            out.write(" ".join([str(int(y[i]))] + [repr(float(v)) for v in f[i]]
                               + [repr(float(v)) for v in probs[i]]) + "\n")
        path = out.name
    try:
        text = subprocess.run([helper, path], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(path)
    values = dict(line.split() for line in text.splitlines())
    return float(values["logme"]), float(values["leep"])


def case(rng, n, d, n_classes, n_source, informative):
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    centres = rng.normal(size=(n_classes, d)) * informative
    f = (centres[y] + rng.normal(size=(n, d))).astype(np.float32)
    if d > 3:
        f[:, 3] = np.maximum(f[:, 3], 0)   # a ReLU-like column
    logits = rng.normal(size=(n, n_source)) + (y[:, None] == np.arange(n_source) % n_classes) * informative
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = (probs / probs.sum(axis=1, keepdims=True)).astype(np.float32)
    return f, y, probs


def main():
    helper = os.environ.get("TL_TRANSFERABILITY_REF") or (sys.argv[1] if len(sys.argv) > 1 else None)
    rng = np.random.default_rng(7)
    cases = [(40, 5, 3, 4, 1.0), (60, 12, 2, 3, 0.3), (30, 50, 4, 6, 1.5), (25, 8, 5, 5, 0.0),
             (80, 80, 3, 10, 2.0), (30, 600, 3, 4, 1.0)]
    print(f"1..{len(cases)}")
    failed = 0
    for k, (n, d, c, z, informative) in enumerate(cases, 1):
        f, y, probs = case(rng, n, d, c, z, informative)
        want_logme = logme_reference(f, y, c)
        want_leep = leep_reference(probs, y, c)
        got_logme, got_leep = run_core(helper, f, y, probs, c)
        d_logme, d_leep = abs(got_logme - want_logme), abs(got_leep - want_leep)
        ok = d_logme <= TOL and d_leep <= TOL
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {k} - n={n} dim={d} classes={c}: LogME {got_logme:.8f} vs "
              f"{want_logme:.8f} (|diff| {d_logme:.2e}), LEEP {got_leep:.8f} vs {want_leep:.8f} "
              f"(|diff| {d_leep:.2e})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
