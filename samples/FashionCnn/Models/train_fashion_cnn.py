#!/usr/bin/env python3
"""Train the FashionCnn sample (small residual CNN with BatchNorm) and export it to ONNX.

Run from the repository root with the Debian python (python3-torch, python3-onnx,
python3-numpy and dataset-fashion-mnist installed):

    /usr/bin/python3 samples/FashionCnn/Models/train_fashion_cnn.py

Outputs (paths relative to the repository root):
    samples/FashionCnn/Models/fashion_cnn.onnx   fp32 model, opset 13, legacy exporter
    samples/FashionCnn/Data/calib.npy            256 training images, float32 [256,1,28,28]
    samples/FashionCnn/Data/eval.npz             first 1000 test images ('input') + 'labels'

The model is exported from eval mode but with training=TrainingMode.PRESERVE: the default
(TrainingMode.EVAL) makes the legacy exporter fuse every Conv+BatchNormalization pair into
the Conv weights (an eval-mode peephole pass that runs even with do_constant_folding=False).
PRESERVE keeps inference-form BatchNormalization nodes (1 output, running statistics as
initializers) in the graph, which is what we want the compressor to see.

Everything is seeded; on the same machine/torch version the output is reproducible.
"""
import gzip
import inspect
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

DATASET_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PATH = os.path.join(HERE, "fashion_cnn.onnx")
DATA_DIR = os.path.normpath(os.path.join(HERE, "..", "Data"))

SEED = 0
EPOCHS = 12
BATCH = 128
LR = 3e-3
WEIGHT_DECAY = 1e-4
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


class ResidualDwBlock(nn.Module):
    """out = relu(x + BN(pw1x1(ReLU6(BN(dw3x3(x))))))"""

    def __init__(self, c):
        super().__init__()
        self.dw = nn.Conv2d(c, c, 3, padding=1, groups=c, bias=False)
        self.dw_bn = nn.BatchNorm2d(c)
        self.dw_act = nn.ReLU6()
        self.pw = nn.Conv2d(c, c, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(c)
        self.act = nn.ReLU()

    def forward(self, x):
        y = self.dw_act(self.dw_bn(self.dw(x)))
        y = self.pw_bn(self.pw(y))
        return self.act(x + y)


class FashionCnn(nn.Module):
    def __init__(self, c1=16, c2=64):
        super().__init__()
        # Stem conv keeps its bias (Conv with a B input followed by BN); the others are bias-free.
        self.stem = nn.Conv2d(1, c1, 3, padding=1)
        self.stem_bn = nn.BatchNorm2d(c1)
        self.stem_act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.block = ResidualDwBlock(c1)
        self.down = nn.Conv2d(c1, c2, 3, stride=2, padding=1, bias=False)
        self.down_bn = nn.BatchNorm2d(c2)
        self.down_act = nn.ReLU6()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c2, 10)

    def forward(self, x):
        x = self.pool(self.stem_act(self.stem_bn(self.stem(x))))   # [N,16,14,14]
        x = self.block(x)                                          # [N,16,14,14]
        x = self.down_act(self.down_bn(self.down(x)))              # [N,64,7,7]
        x = torch.flatten(self.gap(x), 1)                          # [N,32]
        return self.fc(x)                                          # [N,10]


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    outs = [model(torch.from_numpy(x[i:i + batch])) for i in range(0, len(x), batch)]
    return torch.cat(outs).numpy()


def export_onnx(model, example, path):
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # legacy TorchScript exporter
    model.eval()
    torch.onnx.export(
        model,
        example,
        path,
        export_params=True,
        opset_version=13,
        do_constant_folding=False,
        # Model is in eval mode; PRESERVE only stops the Conv+BN fusion pass (see docstring).
        training=torch.onnx.TrainingMode.PRESERVE,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        **kwargs,
    )


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
    model = FashionCnn()
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    steps_per_epoch = (len(x_train) + BATCH - 1) // BATCH
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, epochs=EPOCHS, steps_per_epoch=steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss()
    xt = torch.from_numpy(x_train)
    yt = torch.from_numpy(y_train)
    gen = torch.Generator().manual_seed(SEED)
    t0 = time.time()
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
            sched.step()
            total += loss.item() * len(idx)
        acc = (predict(model, x_test).argmax(1) == y_test).mean()
        print(f"epoch {epoch + 1}/{EPOCHS} loss {total / len(xt):.4f} test acc {acc:.4f} "
              f"({time.time() - t0:.0f} s)", flush=True)

    model.eval()
    test_acc = (predict(model, x_test).argmax(1) == y_test).mean()
    eval_acc = (predict(model, eval_x).argmax(1) == eval_y).mean()
    print(f"fp32 accuracy: full test set (10000) {test_acc:.4f}; eval subset ({N_EVAL}) {eval_acc:.4f}")

    # ---- export ----
    export_onnx(model, torch.from_numpy(eval_x[:1]), MODEL_PATH)

    import onnx
    m = onnx.load(MODEL_PATH)
    onnx.checker.check_model(m, full_check=True)
    print("onnx opset:", [(o.domain or "ai.onnx", o.version) for o in m.opset_import], "ir", m.ir_version)
    print("node op types:", [n.op_type for n in m.graph.node])
    print("initializers:", [(t.name, list(t.dims)) for t in m.graph.initializer])
    print(f"wrote {MODEL_PATH} ({os.path.getsize(MODEL_PATH)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
