#!/usr/bin/env python3
"""Train the small Fashion-MNIST test models and write the test data beside them.

Run from the repository root with the Debian python (python3-torch, python3-onnx,
python3-numpy and dataset-fashion-mnist installed), AFTER
samples/FashionMnist/Models/train_fashion_mlp.py (its ONNX file is read for the
reference outputs):

    /usr/bin/python3 tests/TestData/models/train_test_models.py

Outputs (all in tests/TestData/models/):
    mlp_tanh.onnx            Flatten-Gemm-Tanh-Gemm-Sigmoid-Gemm-Softmax, opset 17, x -> probs
    mlp_matmul.onnx          Reshape-MatMul-Add-Relu-MatMul-Add, opset 11, x -> logits
    mlp_tanh_calib.npy       64 training images, float32 [64,1,28,28]
    mlp_eval.npz             'x' float32 [200,1,28,28] (first 200 test images), 'labels' int64 [200]
    mlp_eval.csv             first 50 test images, 784 comma-separated floats per line, no header
    mlp_eval_labels.csv      the 50 labels, one per line
    reference_outputs.npz    'inputs' float32 [16,1,28,28] (first 16 test images) and the fp32
                             outputs of 'fashion_mlp', 'mlp_tanh', 'mlp_matmul' on them

onnx.reference.ReferenceEvaluator needs onnx >= 1.13 (Debian bookworm ships 1.12), so a
minimal numpy evaluator for the ops used here is included; every exported model is run
through it and checked against torch.
"""
import gzip
import inspect
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn

DATASET_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
FASHION_ONNX = os.path.join(REPO, "samples", "FashionMnist", "Models", "fashion_mlp.onnx")
FASHION_EVAL = os.path.join(REPO, "samples", "FashionMnist", "Data", "eval.npz")

SEED = 0
BATCH = 128
N_CALIB = 64
N_EVAL = 200
N_CSV = 50
N_REF = 16


# --------------------------------------------------------------------------- data
def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    assert data[0] == 0 and data[1] == 0 and data[2] == 0x08, "expected unsigned-byte IDX file"
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(prefix):
    images = read_idx(os.path.join(DATASET_DIR, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATASET_DIR, f"{prefix}-labels-idx1-ubyte.gz"))
    x = (images.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28)
    return np.ascontiguousarray(x, dtype=np.float32), labels.astype(np.int64)


# --------------------------------------------------------------------------- models
class MlpTanh(nn.Module):
    """784-64-32-10, Flatten + Tanh + Sigmoid, Softmax output (probabilities)."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 64),
            nn.Tanh(),
            nn.Linear(64, 32),
            nn.Sigmoid(),
            nn.Linear(32, 10),
        )
        self.softmax = nn.Softmax(dim=1)

    def logits(self, x):
        return self.body(x)

    def forward(self, x):
        return self.softmax(self.body(x))


class MlpMatMul(nn.Module):
    """784-32-10 with explicit parameters: exports MatMul + Add instead of Gemm."""

    def __init__(self):
        super().__init__()
        w1 = torch.empty(784, 32)
        w2 = torch.empty(32, 10)
        nn.init.kaiming_uniform_(w1.T, a=5 ** 0.5)  # same init as nn.Linear
        nn.init.kaiming_uniform_(w2.T, a=5 ** 0.5)
        self.w1 = nn.Parameter(w1)
        self.b1 = nn.Parameter(torch.empty(32).uniform_(-1 / 784 ** 0.5, 1 / 784 ** 0.5))
        self.w2 = nn.Parameter(w2)
        self.b2 = nn.Parameter(torch.empty(10).uniform_(-1 / 32 ** 0.5, 1 / 32 ** 0.5))

    def logits(self, x):
        x = x.reshape(-1, 784)  # static target shape [-1, 784]: Reshape with a constant shape
        x = torch.relu(x @ self.w1 + self.b1)
        return x @ self.w2 + self.b2

    def forward(self, x):
        return self.logits(x)


def train(model, x, y, epochs, lr, seed):
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model.logits(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        print(f"  epoch {epoch + 1}/{epochs} loss {total / len(xt):.4f}")
    model.eval()


@torch.no_grad()
def predict(model, x, batch=1000):
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i:i + batch])) for i in range(0, len(x), batch)]).numpy()


def export(model, path, opset, input_name, output_name, sample):
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # legacy TorchScript exporter
    torch.onnx.export(
        model, torch.from_numpy(sample), path,
        export_params=True, opset_version=opset, do_constant_folding=True,
        input_names=[input_name], output_names=[output_name],
        dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
        **kwargs,
    )
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    print(f"  {os.path.basename(path)}: opset {[o.version for o in m.opset_import]}, "
          f"ops {[n.op_type for n in m.graph.node]}, "
          f"initializers {[(t.name, list(t.dims)) for t in m.graph.initializer]}, "
          f"{os.path.getsize(path)} bytes")
    return m


# --------------------------------------------------------------------------- numpy ONNX evaluator
def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run_onnx(model, feeds):
    """Evaluate a small ONNX graph with numpy (only the ops these models use)."""
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        a = _attrs(node)
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Constant":
            out = numpy_helper.to_array(a["value"])
        elif op == "Shape":
            out = np.array(i[0].shape, dtype=np.int64)
        elif op == "Gather":
            out = np.take(i[0], i[1], axis=a.get("axis", 0))
        elif op == "Unsqueeze":
            axes = a["axes"] if opset < 13 else i[1]
            out = i[0]
            for ax in sorted(int(v) % (out.ndim + len(axes)) for v in np.ravel(axes)):
                out = np.expand_dims(out, ax)
        elif op == "Concat":
            out = np.concatenate(i, axis=a["axis"])
        elif op == "Reshape":
            shape = [int(s) if not (s == 0 and not a.get("allowzero", 0)) else i[0].shape[k]
                     for k, s in enumerate(i[1])]
            out = i[0].reshape(shape)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
        elif op == "Gemm":
            A = i[0].T if a.get("transA", 0) else i[0]
            B = i[1].T if a.get("transB", 0) else i[1]
            out = a.get("alpha", 1.0) * (A @ B)
            if len(i) > 2 and i[2] is not None:
                out = out + a.get("beta", 1.0) * i[2]
        elif op == "MatMul":
            out = i[0] @ i[1]
        elif op == "Add":
            out = i[0] + i[1]
        elif op == "Relu":
            out = np.maximum(i[0], 0)
        elif op == "Tanh":
            out = np.tanh(i[0])
        elif op == "Sigmoid":
            out = 1.0 / (1.0 + np.exp(-i[0]))
        elif op == "Softmax":
            if opset >= 13:
                ax = a.get("axis", -1)
                e = np.exp(i[0] - i[0].max(axis=ax, keepdims=True))
                out = e / e.sum(axis=ax, keepdims=True)
            else:  # coerced to 2D at axis (default 1)
                ax = a.get("axis", 1)
                x2 = i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
                e = np.exp(x2 - x2.max(axis=1, keepdims=True))
                out = (e / e.sum(axis=1, keepdims=True)).reshape(i[0].shape)
        elif op in ("Identity", "Dropout"):
            out = i[0]
        else:
            raise NotImplementedError(f"op {op} not supported by the numpy evaluator")
        if isinstance(out, np.ndarray) and out.dtype == np.float64 and i and i[0] is not None \
                and getattr(i[0], "dtype", None) == np.float32:
            out = out.astype(np.float32)
        env[node.output[0]] = np.asarray(out)
    return [env[o.name] for o in model.graph.output]


# --------------------------------------------------------------------------- main
def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED + 1)

    x_train, y_train = load_split("train")
    x_test, y_test = load_split("t10k")

    # ---- data files ----
    calib_idx = np.sort(rng.choice(len(x_train), N_CALIB, replace=False))
    np.save(os.path.join(HERE, "mlp_tanh_calib.npy"),
            np.ascontiguousarray(x_train[calib_idx], dtype=np.float32))
    eval_x = np.ascontiguousarray(x_test[:N_EVAL], dtype=np.float32)
    eval_y = y_test[:N_EVAL].astype(np.int64)
    np.savez_compressed(os.path.join(HERE, "mlp_eval.npz"), x=eval_x, labels=eval_y)
    # %.9g round-trips every float32 exactly (%.6g does not for k/255 values).
    np.savetxt(os.path.join(HERE, "mlp_eval.csv"), eval_x[:N_CSV].reshape(N_CSV, -1),
               fmt="%.9g", delimiter=",")
    np.savetxt(os.path.join(HERE, "mlp_eval_labels.csv"), eval_y[:N_CSV], fmt="%d")

    results = {}
    # ---- mlp_tanh ----
    print("mlp_tanh")
    torch.manual_seed(SEED)
    tanh = MlpTanh()
    train(tanh, x_train, y_train, epochs=2, lr=2e-3, seed=SEED)
    tanh_path = os.path.join(HERE, "mlp_tanh.onnx")
    tanh_onnx = export(tanh, tanh_path, 17, "x", "probs", eval_x[:1])
    results["mlp_tanh"] = (tanh, tanh_onnx, "x")

    # ---- mlp_matmul ----
    print("mlp_matmul")
    torch.manual_seed(SEED)
    mm = MlpMatMul()
    train(mm, x_train, y_train, epochs=1, lr=2e-3, seed=SEED)
    mm_path = os.path.join(HERE, "mlp_matmul.onnx")
    mm_onnx = export(mm, mm_path, 11, "x", "logits", eval_x[:1])
    results["mlp_matmul"] = (mm, mm_onnx, "x")

    # ---- accuracies + evaluator cross-check ----
    for name, (model, m, in_name) in results.items():
        full = (predict(model, x_test).argmax(1) == y_test).mean()
        sub = (predict(model, eval_x).argmax(1) == eval_y).mean()
        diff = np.abs(run_onnx(m, {in_name: eval_x})[0] - predict(model, eval_x)).max()
        print(f"{name}: fp32 accuracy full test set (10000) {full:.4f}; eval subset ({N_EVAL}) {sub:.4f}; "
              f"max |numpy-onnx - torch| {diff:.2e}")
        assert diff < 1e-4

    # ---- reference outputs ----
    inputs = np.ascontiguousarray(eval_x[:N_REF], dtype=np.float32)
    if os.path.exists(FASHION_EVAL):
        assert np.array_equal(np.load(FASHION_EVAL)["input"][:N_REF], inputs)
    fashion = onnx.load(FASHION_ONNX)
    fashion_in = fashion.graph.input[0].name
    fashion_full = run_onnx(fashion, {fashion_in: x_test})[0]
    print(f"fashion_mlp (numpy evaluator on {os.path.relpath(FASHION_ONNX, REPO)}): "
          f"full test accuracy {(fashion_full.argmax(1) == y_test).mean():.4f}")
    ref = {
        "inputs": inputs,
        "fashion_mlp": run_onnx(fashion, {fashion_in: inputs})[0].astype(np.float32),
        "mlp_tanh": predict(tanh, inputs).astype(np.float32),
        "mlp_matmul": predict(mm, inputs).astype(np.float32),
    }
    np.savez_compressed(os.path.join(HERE, "reference_outputs.npz"), **ref)
    for k, v in ref.items():
        print(f"reference_outputs.npz[{k}]: {v.dtype} {list(v.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
