#!/usr/bin/env python3
"""Train a tiny vision transformer on Fashion-MNIST and export it at opsets 17 and 14.

Run from the repository root with the Debian python (python3-torch, python3-onnx, python3-numpy,
dataset-fashion-mnist):

    /usr/bin/python3 tests/TestData/families/tiny_vit.py

The network: a 7x7 stride-7 patch-embedding convolution (16 patches of width 48), a learned class token
concatenated in front (torch.cat of the token expanded to the batch: Shape, Expand, Concat), a learned
position embedding added, two pre-norm nn.TransformerEncoderLayer (nn.MultiheadAttention with 4 heads,
LayerNorm, a GELU feed-forward of width 96), a final LayerNorm and a Linear head on the class token.
At opset 17 the exporter writes LayerNormalization nodes and GELU as Div, Erf, Add, Mul, Mul; the
attention is MatMul, Add, Reshape, Transpose, Softmax, with the head shapes computed from Shape nodes.

Outputs: tests/TestData/families/tiny_vit.onnx, input `input` [batch,1,28,28], output `logits` [batch,10]; and
tiny_vit_opset14.onnx, the same weights at opset 14, where every LayerNorm is written out (ReduceMean, Sub, Pow,
ReduceMean, Add, Sqrt, Div, Mul, Add).
Data: the FashionCnn sample's samples/FashionCnn/Data/calib.npy and eval.npz. Seeded.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 0
N_TRAIN = 12000  # a seeded subset of the training set keeps training to minutes on two cores
EPOCHS = 3
WIDTH = 48
PATCH = 7


class TinyVit(nn.Module):
    def __init__(self, classes=10, width=WIDTH, heads=4, depth=2):
        super().__init__()
        patches = (28 // PATCH) ** 2
        self.patch_embed = nn.Conv2d(1, width, PATCH, stride=PATCH)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embed = nn.Parameter(torch.randn(1, patches + 1, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)              # [batch, 16, width]
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
        x = self.encoder(x + self.pos_embed)
        return self.head(self.norm(x[:, 0]))


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    x_train, y_train = common.load_fashion("train")
    subset = np.sort(np.random.default_rng(SEED).choice(len(x_train), N_TRAIN, replace=False))
    x_train, y_train = x_train[subset], y_train[subset]
    x_test, y_test = common.load_fashion("t10k")
    eval_x = np.load(common.FASHION_EVAL)["input"]
    eval_y = np.load(common.FASHION_EVAL)["labels"]

    model = TinyVit()
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    common.train(model, x_train, y_train, EPOCHS, 128, 3e-3, SEED)
    test_acc = (common.predict(model, x_test).argmax(1) == y_test).mean()
    eval_acc = (common.predict(model, eval_x).argmax(1) == eval_y).mean()
    print(f"fp32 accuracy: full test set {test_acc:.4f}; eval.npz (1000) {eval_acc:.4f}")

    # Gradients on: nn.TransformerEncoderLayer takes its fused inference path (one aten op ONNX cannot
    # express) only when autograd is off, so the export traces the modules' own operations.
    with torch.enable_grad():
        common.export(model, torch.from_numpy(eval_x[:1]), os.path.join(common.HERE, "tiny_vit.onnx"), 17, "input", "logits")
        common.export(model, torch.from_numpy(eval_x[:1]), os.path.join(common.HERE, "tiny_vit_opset14.onnx"), 14, "input", "logits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
