"""Shared helpers of the model-family scripts: Fashion-MNIST reading, a seeded training loop, the legacy ONNX export.

Imported by mobilenet_v3_small.py, tiny_vit.py and audio_kws.py (same folder); not a script of its own.
"""
import gzip
import inspect
import os
import time

import numpy as np
import torch
import torch.nn as nn

DATASET_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
# The FashionCnn sample's data: 256 training images and the first 1000 test images with labels.
FASHION_CALIB = os.path.join(REPO, "samples", "FashionCnn", "Data", "calib.npy")
FASHION_EVAL = os.path.join(REPO, "samples", "FashionCnn", "Data", "eval.npz")


def read_idx(path):
    """Read a gzipped IDX file into a numpy array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = data[0] * 256 + data[1], data[2], data[3]
    assert zero == 0 and dtype_code == 0x08, "expected unsigned-byte IDX file"
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion(prefix):
    """Fashion-MNIST split `train` or `t10k`: pixels/255 as float32 [n,1,28,28] and int64 labels."""
    images = read_idx(os.path.join(DATASET_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATASET_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    return np.ascontiguousarray(x), labels.astype(np.int64)


@torch.no_grad()
def predict(model, x, batch=500):
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i:i + batch])) for i in range(0, len(x), batch)]).numpy()


def train(model, x, y, epochs, batch, lr, seed, x_test=None, y_test=None):
    """AdamW with a one-cycle schedule, cross-entropy, a seeded shuffle; prints the loss (and test accuracy) per epoch."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = (len(x) + batch - 1) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs, steps_per_epoch=steps)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        line = f"epoch {epoch + 1}/{epochs} loss {total / len(xt):.4f}"
        if x_test is not None:
            line += f" test acc {(predict(model, x_test).argmax(1) == y_test).mean():.4f}"
        print(f"{line} ({time.time() - t0:.0f} s)", flush=True)
    model.eval()


def export(model, example, path, opset, input_name, output_name):
    """The legacy TorchScript exporter, constant folding on, dynamic batch; checks the file and prints its nodes."""
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    model.eval()
    torch.onnx.export(
        model,
        example,
        path,
        opset_version=opset,
        do_constant_folding=True,
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
        **kwargs,
    )
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = {}
    for n in m.graph.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    print(f"wrote {os.path.relpath(path, REPO)}: {os.path.getsize(path)} bytes, opset {opset}, "
          f"{len(m.graph.node)} nodes {dict(sorted(ops.items()))}")
