#!/usr/bin/env python3
"""Train the FashionMnist sample MLP (784-256-128-10) and export it to ONNX.

Run from the repository root with the Debian python (python3-torch, python3-onnx,
python3-numpy and dataset-fashion-mnist installed):

    /usr/bin/python3 samples/FashionMnist/Models/train_fashion_mlp.py

Outputs (paths relative to the repository root):
    samples/FashionMnist/Models/fashion_mlp.onnx   fp32 model, opset 13, legacy exporter
    samples/FashionMnist/Data/calib.npy            256 training images, float32 [256,1,28,28]
    samples/FashionMnist/Data/eval.npz             first 1000 test images ('input') + 'labels'

Everything is seeded; on the same machine/torch version the output is reproducible.
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
MODEL_PATH = os.path.join(HERE, "fashion_mlp.onnx")
DATA_DIR = os.path.normpath(os.path.join(HERE, "..", "Data"))

SEED = 0
EPOCHS = 6
BATCH = 128
LR = 1e-3
N_CALIB = 256
N_EVAL = 1000


def read_idx(path):
    """Read a (gzipped) IDX file into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    assert zero == 0 and dtype_code == 0x08, "expected unsigned-byte IDX file"
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(prefix):
    images = read_idx(os.path.join(DATASET_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATASET_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    return np.ascontiguousarray(x, dtype=np.float32), labels.astype(np.int64)


class FashionMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)
        self.act = nn.ReLU()
        self.drop = nn.Dropout(0.1)

    def forward(self, x):
        # Dynamic reshape: the legacy exporter emits Shape->Gather->Unsqueeze->Concat->Reshape.
        x = x.reshape(x.shape[0], -1)
        x = self.drop(self.act(self.fc1(x)))
        x = self.drop(self.act(self.fc2(x)))
        return self.fc3(x)


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    outs = [model(torch.from_numpy(x[i:i + batch])) for i in range(0, len(x), batch)]
    return torch.cat(outs).numpy()


def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED)

    x_train, y_train = load_split("train")
    x_test, y_test = load_split("t10k")
    print(f"train {x_train.shape} test {x_test.shape}")

    # ---- data subsets ----
    os.makedirs(DATA_DIR, exist_ok=True)
    calib_idx = np.sort(rng.choice(len(x_train), N_CALIB, replace=False))
    calib = np.ascontiguousarray(x_train[calib_idx], dtype=np.float32)
    np.save(os.path.join(DATA_DIR, "calib.npy"), calib)
    eval_x = np.ascontiguousarray(x_test[:N_EVAL], dtype=np.float32)
    eval_y = y_test[:N_EVAL].astype(np.int64)
    np.savez_compressed(os.path.join(DATA_DIR, "eval.npz"), input=eval_x, labels=eval_y)

    # ---- training ----
    model = FashionMLP()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x_train)
    yt = torch.from_numpy(y_train)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        acc = (predict(model, x_test).argmax(1) == y_test).mean()
        print(f"epoch {epoch + 1}/{EPOCHS} loss {total / len(xt):.4f} test acc {acc:.4f}")

    model.eval()
    test_acc = (predict(model, x_test).argmax(1) == y_test).mean()
    eval_acc = (predict(model, eval_x).argmax(1) == eval_y).mean()
    print(f"fp32 accuracy: full test set (10000) {test_acc:.4f}; eval subset ({N_EVAL}) {eval_acc:.4f}")

    # ---- export ----
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # legacy TorchScript exporter
    torch.onnx.export(
        model,
        torch.from_numpy(eval_x[:1]),
        MODEL_PATH,
        export_params=True,
        opset_version=13,
        do_constant_folding=True,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        **kwargs,
    )

    import onnx
    m = onnx.load(MODEL_PATH)
    onnx.checker.check_model(m, full_check=True)
    print("onnx opset:", [(o.domain or "ai.onnx", o.version) for o in m.opset_import])
    print("node op types:", [n.op_type for n in m.graph.node])
    print("initializers:", [(t.name, list(t.dims)) for t in m.graph.initializer])
    print(f"wrote {MODEL_PATH} ({os.path.getsize(MODEL_PATH)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
