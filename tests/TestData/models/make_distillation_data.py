#!/usr/bin/env python3
"""Write the untrained Student and the training images the distillation tests use.

Run from the repository root with the Debian python (python3-torch, python3-onnx, python3-numpy and
dataset-fashion-mnist installed):

    /usr/bin/python3 tests/TestData/models/make_distillation_data.py

Outputs (next to this script):
    student_784_64_10.onnx   an untrained 784-64-10 MLP (PyTorch's default initialization, seed 0): input 'input'
                             float32 [batch,1,28,28] (pixels/255), output 'logits' [batch,10]; opset 13, legacy exporter
    fashion_train.npz        the first N_TRAIN Fashion-MNIST training images, 'input' float32 [N,1,28,28] (pixels/255),
                             and their 'labels' int64 [N] (np.savez_compressed)

Seeded; byte-for-byte reproducible on the same machine and package versions.
"""
import gzip
import inspect
import os
import sys

import numpy as np
import torch
import torch.nn as nn

DATASET_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))
N_TRAIN = int(os.environ.get("N_TRAIN", "10000"))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


def main():
    torch.manual_seed(0)
    images = read_idx(os.path.join(DATASET_DIR, "train-images-idx3-ubyte.gz"))[:N_TRAIN]
    labels = read_idx(os.path.join(DATASET_DIR, "train-labels-idx1-ubyte.gz"))[:N_TRAIN]
    x = np.ascontiguousarray((images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28))
    np.savez_compressed(os.path.join(HERE, "fashion_train.npz"), input=x, labels=labels.astype(np.int64))

    model = Student().eval()
    path = os.path.join(HERE, "student_784_64_10.onnx")
    kwargs = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    torch.onnx.export(model, torch.from_numpy(x[:1]), path, export_params=True, opset_version=13,
                      do_constant_folding=True, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, **kwargs)
    import onnx
    onnx.checker.check_model(onnx.load(path), full_check=True)
    print(f"wrote {path} ({os.path.getsize(path)} bytes) and fashion_train.npz ({N_TRAIN} images)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
