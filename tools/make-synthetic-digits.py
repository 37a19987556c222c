#!/usr/bin/env python3
"""Synthetic spoken digits: espeak-ng speaks "zero" to "nine" in many voices.

    tools/make-synthetic-digits.py OUT [--per-digit N] [--voices V,V,...] [--seed S]

writes OUT/VOICE/DIGIT/DIGIT_VOICE_INDEX.wav, 8 kHz mono 16-bit, trimmed of
silence: the layout of the Free Spoken Digit Dataset (one folder per speaker,
one sub-folder per digit), so that the same importer reads both. Each
recording gets its own speed, pitch and level, drawn from a generator seeded
by (seed, voice, digit, index): the same arguments give the same files, byte
for byte, on any machine with Debian 12's espeak-ng and sox.

Only the standard library: espeak-ng renders each voice's recordings in one
SSML document (prosody per utterance, a pause between them), sox resamples it
to 8 kHz and cuts it at the pauses, and Python trims and scales each piece.
A voice whose pieces do not come out one per utterance is spoken again one
utterance at a time.
"""

import argparse
import array
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile
import wave

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

# English voices of espeak-ng 1.51 and its variants: accents, male, female, klatt
# synthesis, croaky; every one ships with Debian's espeak-ng-data.
DEFAULT_VOICES = [
    "en-us+m1", "en-us+f2", "en-us+m4", "en-us+klatt2",
    "en-gb+m3", "en-gb+f3", "en-gb+croak",
    "en-gb-scotland+m2", "en-gb-x-rp+f4", "en-gb-x-gbclan+m7",
    "en-gb-x-gbcwmd+f1", "en-029+m5",
]

RATE = 8000
PAUSE_MS = 450          # between utterances in one document
SPLIT_SECONDS = 0.2     # silence that separates two pieces
THRESHOLD = 0.01        # of full scale: quieter is silence
MARGIN = int(0.01 * RATE)


def folder_name(voice):
    return voice.replace("+", "_")


def draw(seed, voice, digit, index):
    """Speed (percent of normal), pitch (percent offset) and peak level of one recording."""
    rng = random.Random(f"{seed}/{voice}/{digit}/{index}")
    return {
        "rate": rng.randint(60, 140),
        "pitch": rng.randint(-45, 60),
        "level": round(rng.uniform(0.12, 0.95), 3),
    }


def ssml(utterances):
    parts = ["<speak>"]
    for digit, p in utterances:
        parts.append(f'<prosody rate="{p["rate"]}%" pitch="{p["pitch"]:+d}%">{WORDS[digit]}</prosody>'
                     f'<break time="{PAUSE_MS}ms"/>')
    parts.append("</speak>")
    return "".join(parts)


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def speak(voice, text, out, tmp):
    """espeak-ng's rendering of the SSML text, resampled to 8 kHz mono 16-bit in out."""
    src = os.path.join(tmp, "speech.ssml")
    raw = os.path.join(tmp, "espeak.wav")
    with open(src, "w", encoding="utf-8") as f:
        f.write(text)
    run(["espeak-ng", "-m", "-v", voice, "-w", raw, "-f", src])
    run(["sox", "-D", "-V1", raw, "-r", str(RATE), "-c", "1", "-b", "16", out])


def read_samples(path):
    with wave.open(path, "rb") as w:
        data = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        data.byteswap()
    return data


def write_samples(path, samples):
    out = array.array("h", samples)
    if sys.byteorder == "big":
        out.byteswap()
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(out.tobytes())


def loudest(samples):
    return max(max(samples), -min(samples)) if len(samples) else 0


def trim_and_scale(samples, level):
    """The piece between its first and last sample above the threshold (plus a
    short margin), scaled to the given peak; None when it is all silence."""
    limit = int(THRESHOLD * 32768)
    n = len(samples)
    if loudest(samples) <= limit:
        return None
    start = next(i for i in range(n) if abs(samples[i]) > limit)
    end = next(i for i in range(n - 1, -1, -1) if abs(samples[i]) > limit)
    piece = samples[max(0, start - MARGIN):min(n, end + 1 + MARGIN)]
    gain = level * 32767 / loudest(piece)
    return [max(-32768, min(32767, int(round(v * gain)))) for v in piece]


def split(path, tmp):
    """sox cuts the recording at each pause: the pieces' samples, in order."""
    pieces = os.path.join(tmp, "piece.wav")
    run(["sox", "-V1", path, pieces, "silence", "1", "0.005", f"{THRESHOLD * 100}%",
         "1", str(SPLIT_SECONDS), f"{THRESHOLD * 100}%", ":", "newfile", ":", "restart"])
    names = sorted(n for n in os.listdir(tmp) if n.startswith("piece") and n.endswith(".wav"))
    out = [read_samples(os.path.join(tmp, n)) for n in names]
    for n in names:
        os.unlink(os.path.join(tmp, n))
    return [p for p in out if loudest(p) > THRESHOLD * 32768]


def make_voice(voice, per_digit, seed, out_root):
    utterances = [(d, draw(seed, voice, d, i)) for d in range(10) for i in range(per_digit)]
    name = folder_name(voice)
    with tempfile.TemporaryDirectory(prefix="tl-digits-") as tmp:
        whole = os.path.join(tmp, "whole.wav")
        speak(voice, ssml(utterances), whole, tmp)
        pieces = split(whole, tmp)
        if len(pieces) != len(utterances):
            # the pauses did not cut cleanly: one utterance at a time
            print(f"{voice}: {len(pieces)} pieces for {len(utterances)} utterances; speaking them one by one",
                  file=sys.stderr)
            pieces = []
            for u in utterances:
                one = os.path.join(tmp, "one.wav")
                speak(voice, ssml([u]), one, tmp)
                pieces.append(read_samples(one))
        written = 0
        for k, ((digit, p), samples) in enumerate(zip(utterances, pieces)):
            index = k % per_digit
            clip = trim_and_scale(samples, p["level"])
            if clip is None:
                raise RuntimeError(f"{voice}: digit {digit} #{index} came out silent")
            folder = os.path.join(out_root, name, str(digit))
            os.makedirs(folder, exist_ok=True)
            write_samples(os.path.join(folder, f"{digit}_{name}_{index}.wav"), clip)
            written += 1
    return voice, written


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="folder to write (one sub-folder per voice)")
    parser.add_argument("--per-digit", type=int, default=20, help="recordings of each digit per voice (20)")
    parser.add_argument("--voices", default=",".join(DEFAULT_VOICES),
                        help="espeak-ng voices with variants, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1))
    args = parser.parse_args()

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"make-synthetic-digits: {tool} is not installed (tools/install-deps.sh installs it)")
    if args.per_digit < 1:
        sys.exit("make-synthetic-digits: --per-digit must be at least 1")
    voices = [v for v in args.voices.split(",") if v]
    os.makedirs(args.out, exist_ok=True)
    total = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        jobs = [pool.submit(make_voice, v, args.per_digit, args.seed, args.out) for v in voices]
        for job in jobs:
            total += job.result()[1]
    print(f"Wrote {total} recordings of {len(voices)} voices to {args.out}")


if __name__ == "__main__":
    main()
