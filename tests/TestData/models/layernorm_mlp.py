#!/usr/bin/env python3
"""Export the small transformer-style MLP the graph-pass tests fuse, and its calibration data.

Run from the repository root with the Debian python (python3-torch, python3-onnx, python3-numpy):

    /usr/bin/python3 tests/TestData/models/layernorm_mlp.py

Outputs (in tests/TestData/models/):
    layernorm_mlp.onnx        x [batch, 20] -> logits [batch, 10], opset 13, so that torch writes out
                              what it exports as one node from opset 17 on:
                              Gemm - LayerNorm - GELU - Gemm - LayerNorm - GELU - Gemm, where
                                nn.LayerNorm is ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul, Add;
                                the hand-written norm squares with Mul(d, d) and takes gamma and beta on
                                the other side of Mul and Add (as Keras exports write it);
                                nn.GELU is Div sqrt(2), Erf, Add 1, Mul x, Mul 0.5;
                                the hand-written GELU is Mul 0.5 first, then Mul by (1 + Erf(x / sqrt(2))).
    layernorm_mlp_calib.npy   float32 [64, 20], seeded normal samples (calibration and evaluation)

Weights are seeded and untrained: the tests compare BuildOptim with ONNX Runtime, not accuracy.
"""
import math
import os

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))


class WrittenOutNorm(nn.Module):
    """Layer normalization as hand-written code squares and scales it: Mul(d, d), gamma * n + beta."""

    def __init__(self, features, eps):
        super().__init__()
        self.gamma = nn.Parameter(torch.rand(features) + 0.5)
        self.beta = nn.Parameter(torch.randn(features) * 0.1)
        self.eps = eps

    def forward(self, x):
        u = x.mean(-1, keepdim=True)
        d = x - u
        v = (d * d).mean(-1, keepdim=True)
        return self.beta + self.gamma * (d / torch.sqrt(v + self.eps))


class WrittenOutGelu(nn.Module):
    """GELU as hand-written code orders it: (x * 0.5) * (1 + erf(x / sqrt(2)))."""

    def forward(self, x):
        return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


class LayerNormMlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.norm1 = nn.LayerNorm(32, eps=1e-5)
        self.act1 = nn.GELU()
        self.fc2 = nn.Linear(32, 32)
        self.norm2 = WrittenOutNorm(32, eps=1e-6)
        self.act2 = WrittenOutGelu()
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.act1(self.norm1(self.fc1(x)))
        x = self.act2(self.norm2(self.fc2(x)))
        return self.fc3(x)


def main():
    torch.manual_seed(15)
    model = LayerNormMlp().eval()
    with torch.no_grad():
        model.norm1.weight.copy_(torch.rand(32) + 0.5)
        model.norm1.bias.copy_(torch.randn(32) * 0.1)

    calibration = np.random.default_rng(15).normal(size=(64, 20)).astype(np.float32)
    np.save(os.path.join(HERE, "layernorm_mlp_calib.npy"), calibration)
    torch.onnx.export(
        model,
        torch.from_numpy(calibration[:1]),
        os.path.join(HERE, "layernorm_mlp.onnx"),
        input_names=["x"],
        output_names=["logits"],
        dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13,
    )


if __name__ == "__main__":
    main()
