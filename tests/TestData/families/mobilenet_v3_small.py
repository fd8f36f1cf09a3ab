#!/usr/bin/env python3
"""Train a MobileNetV3-small-style classifier on Fashion-MNIST and export it twice.

Run from the repository root with the Debian python (python3-torch, python3-onnx, python3-numpy,
dataset-fashion-mnist):

    /usr/bin/python3 tests/TestData/families/mobilenet_v3_small.py

The network follows torchvision's mobilenet_v3_small (stem conv + BN + hard-swish, inverted-residual
"bneck" blocks with depthwise convolutions, squeeze-excitation with ReLU and hard-sigmoid, a 1x1 conv
before global average pooling, Linear + hard-swish + Dropout + Linear), at a reduced width for a 28x28
one-channel input. Outputs (in tests/TestData/families/):

    mobilenet_v3_small.onnx          opset 13: nn.Hardswish exports as HardSigmoid(alpha=1/6) + Mul (ONNX
                                     has HardSwish only from opset 14), nn.Hardsigmoid as HardSigmoid,
                                     BatchNorm folded into the convolutions (the exporter's default)
    mobilenet_v3_small_clip.onnx     the same weights with hard-swish and hard-sigmoid written by hand as
                                     the MobileNetV3 reimplementations write them, x * relu6(x + 3) / 6 and
                                     relu6(x + 3) / 6, exported at opset 11: Add, Clip(0, 6), Div, Mul

Data: the FashionCnn sample's samples/FashionCnn/Data/calib.npy and eval.npz. Seeded; reproducible on the
same machine and torch version.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SEED = 0
N_TRAIN = 20000  # a seeded subset of the training set keeps training to minutes on two cores
EPOCHS = 2


def make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class HandHardSigmoid(nn.Module):
    def forward(self, x):
        return F.relu6(x + 3.0) / 6.0


class HandHardSwish(nn.Module):
    def forward(self, x):
        return x * F.relu6(x + 3.0) / 6.0


def activations(hand_written):
    return (HandHardSwish, HandHardSigmoid) if hand_written else (nn.Hardswish, nn.Hardsigmoid)


class SqueezeExcitation(nn.Module):
    """torchvision's: avgpool -> 1x1 conv -> ReLU -> 1x1 conv -> hard-sigmoid -> scale the input."""

    def __init__(self, channels, squeeze, hard_sigmoid):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.scale_activation = hard_sigmoid()

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * self.scale_activation(self.fc2(self.relu(self.fc1(s))))


def conv_bn_act(cin, cout, k, stride, groups, act):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, k, expanded, cout, se, hs, stride, hand_written):
        super().__init__()
        hard_swish, hard_sigmoid = activations(hand_written)
        act = hard_swish if hs else nn.ReLU
        layers = []
        if expanded != cin:
            layers.append(conv_bn_act(cin, expanded, 1, 1, 1, act))
        layers.append(conv_bn_act(expanded, expanded, k, stride, expanded, act))
        if se:
            layers.append(SqueezeExcitation(expanded, make_divisible(expanded // 4), hard_sigmoid))
        layers.append(conv_bn_act(expanded, cout, 1, 1, 1, None))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


# (in, kernel, expanded, out, squeeze-excitation, hard-swish, stride): torchvision's table, narrowed and shortened.
BLOCKS = [
    (16, 3, 16, 16, True, False, 2),     # 7x7
    (16, 3, 48, 24, False, False, 1),
    (24, 3, 72, 24, False, False, 1),
    (24, 5, 96, 40, True, True, 2),      # 4x4
    (40, 5, 160, 40, True, True, 1),
    (40, 5, 120, 48, True, True, 1),
]


class MobileNetV3Small(nn.Module):
    def __init__(self, hand_written=False, classes=10):
        super().__init__()
        hard_swish, _ = activations(hand_written)
        layers = [conv_bn_act(1, 16, 3, 2, 1, hard_swish)]   # 28x28 -> 14x14
        layers += [InvertedResidual(*b, hand_written) for b in BLOCKS]
        layers.append(conv_bn_act(48, 288, 1, 1, 1, hard_swish))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Linear(288, 256), hard_swish(), nn.Dropout(0.2), nn.Linear(256, classes))

    def forward(self, x):
        x = torch.flatten(self.avgpool(self.features(x)), 1)
        return self.classifier(x)


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    x_train, y_train = common.load_fashion("train")
    subset = np.sort(np.random.default_rng(SEED).choice(len(x_train), N_TRAIN, replace=False))
    x_train, y_train = x_train[subset], y_train[subset]
    x_test, y_test = common.load_fashion("t10k")
    eval_x = np.load(common.FASHION_EVAL)["input"]
    eval_y = np.load(common.FASHION_EVAL)["labels"]

    model = MobileNetV3Small()
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    common.train(model, x_train, y_train, EPOCHS, 128, 4e-3, SEED)
    test_acc = (common.predict(model, x_test).argmax(1) == y_test).mean()
    eval_acc = (common.predict(model, eval_x).argmax(1) == eval_y).mean()
    print(f"fp32 accuracy: full test set {test_acc:.4f}; eval.npz (1000) {eval_acc:.4f}")

    example = torch.from_numpy(eval_x[:1])
    common.export(model, example, os.path.join(common.HERE, "mobilenet_v3_small.onnx"), 13, "input", "logits")

    hand = MobileNetV3Small(hand_written=True)
    hand.load_state_dict(model.state_dict())
    hand.eval()
    difference = np.abs(common.predict(hand, eval_x) - common.predict(model, eval_x)).max()
    print(f"hand-written activations: max |difference| {difference:.2e}")
    common.export(hand, example, os.path.join(common.HERE, "mobilenet_v3_small_clip.onnx"), 11, "input", "logits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
