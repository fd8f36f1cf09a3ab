#!/usr/bin/env python3
"""Train a tiny keyword-spotting-style classifier behind a log-mel front end on synthetic audio; export at opset 15.

Run from the repository root with the Debian python (python3-torch, python3-onnx, python3-numpy):

    /usr/bin/python3 tests/TestData/families/audio_kws.py

Audio: 0.25 s clips at 8 kHz (2000 samples, 16-bit PCM scaled to [-1, 1]) of six deterministic, seeded
sound classes — tones at 400, 1200 and 2400 Hz, rising and falling chirps, a 600 + 1800 Hz chord — each with
a random amplitude, frequency jitter, phase, onset and length, in white noise at a random level.

The network, all inside the ONNX graph, input `audio` [batch, 2000] -> output `logits` [batch, 6]:
  front end: an STFT as a Conv1d with fixed Hann-windowed cos/sin kernels (n_fft 128, hop 64: 65 bins x 30
             frames), its two halves sliced (Slice), the power real^2 + imag^2 (Pow, Add), a MatMul by a
             32-band mel matrix, Log(mel + 1e-6) (Add, Log), normalised by its maximum over the clip
             (ReduceMax, Sub) and floored at -10 (Clip);
  classifier: Linear 32->48 per frame, a LayerNorm written out (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt,
             Div, Mul, Add), two branches (Linear + ReLU per frame; Conv1d over time) joined by
             torch.maximum (Max), a mean over time (ReduceMean) and a Linear head.

Outputs (in tests/TestData/families/): audio_kws.onnx, audio_calib.npy (64 clips, float32 [64,2000]),
audio_eval.npz (`audio` float32 [300,2000], `labels` int64 [300]). Seeded; reproducible.
"""
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 0
RATE = 8000
SAMPLES = 2000
N_FFT = 128
HOP = 64
MELS = 32
CLASSES = ["tone 400 Hz", "tone 1200 Hz", "tone 2400 Hz", "rising chirp", "falling chirp", "chord 600+1800 Hz"]
EPOCHS = 6


def synthesize(count, rng):
    """`count` clips (float32 [count, SAMPLES]) with labels cycling through the classes."""
    t = np.arange(SAMPLES) / RATE
    clips = np.zeros((count, SAMPLES), dtype=np.float64)
    labels = np.arange(count) % len(CLASSES)
    for i, label in enumerate(labels):
        jitter = rng.uniform(0.9, 1.1)
        phase = rng.uniform(0, 2 * math.pi)
        if label < 3:
            signal = np.sin(2 * math.pi * [400, 1200, 2400][label] * jitter * t + phase)
        elif label < 5:
            f0, f1 = (300 * jitter, 2500 * jitter) if label == 3 else (2500 * jitter, 300 * jitter)
            signal = np.sin(2 * math.pi * (f0 * t + (f1 - f0) * t * t / (2 * t[-1])) + phase)
        else:
            signal = 0.5 * (np.sin(2 * math.pi * 600 * jitter * t + phase) + np.sin(2 * math.pi * 1800 * jitter * t))
        length = rng.integers(SAMPLES * 6 // 10, SAMPLES + 1)
        onset = rng.integers(0, SAMPLES - length + 1)
        envelope = np.zeros(SAMPLES)
        envelope[onset:onset + length] = np.hanning(length) ** 0.25
        clips[i] = rng.uniform(0.05, 0.8) * envelope * signal + rng.uniform(0.002, 0.05) * rng.standard_normal(SAMPLES)
    pcm = np.clip(np.round(clips * 32767), -32768, 32767)
    return (pcm / 32768).astype(np.float32), labels.astype(np.int64)


def mel_matrix():
    """HTK mel filterbank [N_FFT/2+1, MELS], triangular, 20 Hz to the Nyquist frequency."""
    def to_mel(f):
        return 2595 * np.log10(1 + f / 700)

    def to_hz(m):
        return 700 * (10 ** (m / 2595) - 1)

    bins = np.linspace(0, RATE / 2, N_FFT // 2 + 1)
    edges = to_hz(np.linspace(to_mel(20), to_mel(RATE / 2), MELS + 2))
    fb = np.zeros((len(bins), MELS))
    for m in range(MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        fb[:, m] = np.maximum(0, np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)))
    return torch.tensor(fb, dtype=torch.float32)


class LogMel(nn.Module):
    def __init__(self):
        super().__init__()
        n = np.arange(N_FFT)
        k = np.arange(N_FFT // 2 + 1)[:, None]
        window = 0.5 - 0.5 * np.cos(2 * math.pi * n / N_FFT)
        kernels = np.concatenate([window * np.cos(2 * math.pi * k * n / N_FFT), -window * np.sin(2 * math.pi * k * n / N_FFT)])
        self.register_buffer("stft", torch.tensor(kernels[:, None, :], dtype=torch.float32))
        self.register_buffer("mel", mel_matrix())

    def forward(self, audio):
        spectrum = nn.functional.conv1d(audio.unsqueeze(1), self.stft, stride=HOP)   # [batch, 130, 30]
        bins = N_FFT // 2 + 1
        power = spectrum[:, :bins].pow(2) + spectrum[:, bins:].pow(2)
        mel = torch.matmul(power.transpose(1, 2), self.mel)                          # [batch, 30, 32]
        logmel = torch.log(mel + 1e-6)
        return torch.clamp(logmel - logmel.amax(dim=(1, 2), keepdim=True), min=-10.0)


class WrittenLayerNorm(nn.Module):
    def __init__(self, features, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(features))
        self.bias = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x):
        d = x - x.mean(-1, keepdim=True)
        return d / torch.sqrt(d.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight + self.bias


class KeywordSpotter(nn.Module):
    def __init__(self, width=48):
        super().__init__()
        self.frontend = LogMel()
        self.proj = nn.Linear(MELS, width)
        self.norm = WrittenLayerNorm(width)
        self.dense = nn.Linear(width, width)
        self.temporal = nn.Conv1d(width, width, 3, padding=1)
        self.head = nn.Linear(width, len(CLASSES))

    def forward(self, audio):
        h = self.norm(self.proj(self.frontend(audio)))                   # [batch, 30, width]
        a = torch.relu(self.dense(h))
        b = self.temporal(h.transpose(1, 2)).transpose(1, 2)
        return self.head(torch.maximum(a, b).mean(1))


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED)
    x_train, y_train = synthesize(3000, rng)
    x_eval, y_eval = synthesize(300, rng)
    calib, _ = synthesize(64, rng)
    np.save(os.path.join(common.HERE, "audio_calib.npy"), calib)
    np.savez_compressed(os.path.join(common.HERE, "audio_eval.npz"), audio=x_eval, labels=y_eval)

    model = KeywordSpotter()
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    common.train(model, x_train, y_train, EPOCHS, 64, 3e-3, SEED)
    eval_acc = (common.predict(model, x_eval).argmax(1) == y_eval).mean()
    print(f"fp32 accuracy: audio_eval.npz (300) {eval_acc:.4f}")
    common.export(model, torch.from_numpy(x_eval[:1]), os.path.join(common.HERE, "audio_kws.onnx"), 15, "audio", "logits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
