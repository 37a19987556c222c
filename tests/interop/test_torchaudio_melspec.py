#!/usr/bin/python3
"""Transfer Lab's spectrograms against torchaudio's on a real recording.

For several settings, tl-melspec (TL_MELSPEC) computes the features of one
spoken-digit recording (TL_SHARED_DATA/spoken-digits) and torchaudio's
MelSpectrogram / MFCC computes them in float64 from the same samples; every
value must agree to 1e-4 relative:
  - mel power spectrogram: |c - t| <= 1e-4 * |t| for every value above 1e-9 of
    the largest (below that, float rounding of the input dominates),
  - log-mel, log (mel + 1e-6): |c - t| <= 1e-4 (the relative error of mel + 1e-6),
  - MFCC: |c - t| <= 1e-4 * max |t| of that coefficient.
Prints the measured agreement; exits 77 (skipped) without torchaudio or the data."""

import json
import os
import subprocess
import sys
import tempfile
import wave

TOL = 1e-4


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


try:
    import numpy as np
    import torch
    import torchaudio
except ImportError as e:  # pragma: no cover
    skip(f"torchaudio is not available to {sys.executable} ({e}); apt-get install python3-torchaudio")

shared = os.environ.get("TL_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
melspec = os.environ.get("TL_MELSPEC")
if not melspec or not os.path.exists(melspec):
    skip("TL_MELSPEC (the tl-melspec helper) is not built")
files = [os.path.join(shared, "spoken-digits", speaker, digit, name)
         for speaker, digit, name in [("george", "7", "7_george_12.wav"), ("jackson", "3", "3_jackson_40.wav"),
                                      ("lucas", "0", "0_lucas_5.wav")]]
files = [f for f in files if os.path.exists(f)]
if not files:
    root = os.path.join(shared, "spoken-digits")
    for dirpath, _, names in sorted(os.walk(root)):
        files += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith(".wav")][:1]
    files = files[:3]
if not files:
    skip(f"no spoken-digit recordings under {shared}")


def read_wav(path):
    with wave.open(path, "rb") as w:
        assert w.getsampwidth() == 2, path
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0
    return pcm.reshape(-1, channels).mean(axis=1), rate


def ours(path, settings):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "features.f32")
        line = subprocess.run([melspec, path, out, json.dumps(settings)], check=True, capture_output=True,
                              text=True).stdout.split()
        bands, frames = int(line[0]), int(line[1])
        return np.fromfile(out, dtype="<f4").astype(np.float64).reshape(bands, frames)


def theirs(x, rate, s, dtype):
    mel_kwargs = dict(sample_rate=rate, n_fft=s["n_fft"], win_length=s.get("win_length", s["n_fft"]),
                      hop_length=s["hop"], f_min=s.get("fmin", 0.0), f_max=s.get("fmax") or None,
                      n_mels=s["n_mels"], power=s.get("power", 2.0), center=s.get("center", True),
                      pad_mode="reflect", norm="slaney" if s.get("mel_norm") == "slaney" else None,
                      mel_scale=s.get("mel_scale", "htk"))
    wav = torch.from_numpy(x).to(dtype)
    # the filter bank too is computed in the reference's precision (torch.linspace follows the default)
    torch.set_default_dtype(dtype)
    if s.get("n_mfcc", 0) > 0:
        del mel_kwargs["sample_rate"]
        t = torchaudio.transforms.MFCC(sample_rate=rate, n_mfcc=s["n_mfcc"], log_mels=True, melkwargs=mel_kwargs)
        return t.to(dtype)(wav).double().numpy()
    t = torchaudio.transforms.MelSpectrogram(**mel_kwargs).to(dtype)
    mel = t(wav).double().numpy()
    if s.get("log_offset", 0.0) > 0:
        mel = np.log(mel + s["log_offset"])
    return mel


def error(c, t, s):
    """The measure the tolerance applies to (see the docstring)."""
    if s.get("n_mfcc", 0) > 0:
        scale = np.abs(t).max(axis=1, keepdims=True)
        return float((np.abs(c - t) / scale).max())
    if s.get("log_offset", 0.0) > 0:
        return float(np.abs(c - t).max())
    keep = t > 1e-9 * t.max()
    return float((np.abs(c - t)[keep] / t[keep]).max())


CASES = {
    # the anchor: 400-sample window, hop 80, 40 mels, log (mel + 1e-6)
    "log-mel 400/80/40 htk": dict(n_fft=400, hop=80, n_mels=40, log_offset=1e-6),
    # torchaudio's own defaults (hop = n_fft / 2, 128 mels), the power itself
    "mel power 400/200/128 htk": dict(n_fft=400, hop=200, n_mels=128, log_offset=0.0),
    "mel power 512/128/64 slaney, slaney norm, 50-3800 Hz, win 400":
        dict(n_fft=512, win_length=400, hop=128, n_mels=64, mel_scale="slaney", mel_norm="slaney",
             fmin=50.0, fmax=3800.0, log_offset=0.0),
    "magnitude 256/64/32 not centred": dict(n_fft=256, hop=64, n_mels=32, power=1.0, center=False, log_offset=0.0),
    "MFCC 13 of 40 mels": dict(n_fft=400, hop=80, n_mels=40, n_mfcc=13, log_offset=1e-6),
}

failed = 0
n = 0
for path in files:
    x, rate = read_wav(path)
    for name, s in CASES.items():
        settings = dict(s, samples=len(x), norm="none")
        c = ours(path, settings)
        t64 = theirs(x, rate, s, torch.float64)
        t32 = theirs(x.astype(np.float32).astype(np.float64), rate, s, torch.float32)
        n += 1
        if c.shape != t64.shape:
            print(f"not ok {n} - {os.path.basename(path)} {name}: shape {c.shape} vs torchaudio {t64.shape}")
            failed += 1
            continue
        e = error(c, t64, s)
        e32 = error(t32, t64, s)
        ok = e <= TOL
        failed += not ok
        print(f"{'ok' if ok else 'not ok'} {n} - {os.path.basename(path)} {name} {c.shape}: "
              f"max error {e:.2e} against torchaudio float64 (torchaudio float32 itself: {e32:.2e})")
print(f"1..{n}")
sys.exit(1 if failed else 0)
