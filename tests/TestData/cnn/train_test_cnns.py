#!/usr/bin/env python3
"""Train small CNN test models (briefly) and export them to ONNX, plus calibration/eval data
and torch fp32 reference outputs.

Run from the repository root with the Debian python (python3-torch, python3-onnx,
python3-numpy and dataset-fashion-mnist installed):

    /usr/bin/python3 tests/TestData/cnn/train_test_cnns.py

Run samples/FashionCnn/Models/train_fashion_cnn.py first: the `fashion_cnn` reference output
is computed by loading the weights stored in samples/FashionCnn/Models/fashion_cnn.onnx back
into the sample's torch module (no .pt file needed).

Outputs (in this directory):
    cnn_nhwc.onnx                     NHWC input (Transpose first), opset 13
    cnn_misc.onnx                     misc ops (dilation, LeakyRelu, AvgPool ceil, Concat, HardSwish,
                                      PRelu, reflect Pad, Sigmoid gate, GlobalMaxPool, LogSoftmax), opset 14
    cnn_initializers_as_inputs.onnx   cnn_nhwc weights, NCHW input, opset 9, initializers listed as inputs
    cnn_calib.npy / cnn_calib_nhwc.npy      64 training images [64,1,28,28] / [64,28,28,1]
    cnn_eval.npz / cnn_eval_nhwc.npz        first 200 test images ('input' / 'input_1') + 'labels'
    reference_outputs.npz             torch fp32 outputs on the first 16 eval images

Everything is seeded; on the same machine/torch version the output is reproducible.
"""
import gzip
import importlib.util
import inspect
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATASET_DIR = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
SAMPLE_SCRIPT = os.path.join(REPO, "samples", "FashionCnn", "Models", "train_fashion_cnn.py")
SAMPLE_MODEL = os.path.join(REPO, "samples", "FashionCnn", "Models", "fashion_cnn.onnx")

SEED = 0
N_TRAIN = 12000     # training subset, 1 epoch
BATCH = 64
LR = 2e-3           # cnn_nhwc (Adam)
LR_MISC = 1e-2      # cnn_misc learns slowly (small receptive field + global max pool)
N_CALIB = 64
N_EVAL = 200
N_REF = 16


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


def to_nhwc(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1), dtype=np.float32)


# ---------------------------------------------------------------- models

class SmallCnn(nn.Module):
    """conv3x3(1->8, pad 1)+ReLU -> MaxPool2 -> Flatten -> Linear(8*14*14 -> 10).

    nhwc=True: input is [N,28,28,1] and forward starts with permute(0,3,1,2) (exported as a
    Transpose right after the graph input, like tf2onnx Keras exports)."""

    def __init__(self, nhwc):
        super().__init__()
        self.nhwc = nhwc
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.act = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        if self.nhwc:
            x = x.permute(0, 3, 1, 2)
        x = self.pool(self.act(self.conv(x)))
        return self.fc(torch.flatten(x, 1))


class _GlobalMaxPoolExport(torch.autograd.Function):
    """Export-only: emits ONNX GlobalMaxPool. nn.AdaptiveMaxPool2d(1) would be exported by the
    legacy exporter (torch 1.13) as MaxPool with kernel_shape = the static spatial size."""

    @staticmethod
    def forward(ctx, x):
        return F.adaptive_max_pool2d(x, 1)

    @staticmethod
    def symbolic(g, x):
        return g.op("GlobalMaxPool", x)


class GlobalMaxPool(nn.Module):
    """nn.AdaptiveMaxPool2d(1) in torch; GlobalMaxPool in the exported ONNX graph."""

    def forward(self, x):
        if torch.onnx.is_in_onnx_export():
            return _GlobalMaxPoolExport.apply(x)
        return F.adaptive_max_pool2d(x, 1)


class MiscCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.c0 = nn.Conv2d(1, 16, 3, padding=2, dilation=2)                         # [N,16,28,28]
        self.lrelu = nn.LeakyReLU(0.1)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False,
                                 ceil_mode=True)                                    # [N,16,15,15]
        self.branch_a = nn.Conv2d(16, 16, 1)
        self.hswish = nn.Hardswish()
        self.branch_b = nn.Conv2d(16, 16, 3)                                        # after reflect pad 1
        self.prelu = nn.PReLU(32, init=0.2)
        self.gate = nn.Conv2d(32, 32, 1)
        self.gmp = GlobalMaxPool()
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(self.lrelu(self.c0(x)))
        a = self.hswish(self.branch_a(x))
        b = self.branch_b(F.pad(x, (1, 1, 1, 1), mode="reflect"))
        x = self.prelu(torch.cat([a, b], dim=1))                                    # [N,32,15,15]
        x = x * torch.sigmoid(self.gate(x))
        x = torch.flatten(self.gmp(x), 1)                                           # [N,32]
        return F.log_softmax(self.fc(x), dim=1)


# ---------------------------------------------------------------- helpers

def train_one_epoch(model, x, y, lr, nhwc=False):
    gen = torch.Generator().manual_seed(SEED)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt = torch.from_numpy(to_nhwc(x) if nhwc else x)
    yt = torch.from_numpy(y)
    perm = torch.randperm(len(xt), generator=gen)
    model.train()
    total = 0.0
    for i in range(0, len(xt), BATCH):
        idx = perm[i:i + BATCH]
        opt.zero_grad()
        out = model(xt[idx])
        # MiscCnn already ends with LogSoftmax: cross_entropy(log_probs) == nll_loss(log_probs).
        loss = F.cross_entropy(out, yt[idx])
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / len(xt)


@torch.no_grad()
def predict(model, x, batch=500):
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i:i + batch])) for i in range(0, len(x), batch)]).numpy()


def export(model, example, path, opset, input_name, output_name, **extra):
    kwargs = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # legacy TorchScript exporter
    kwargs.update(extra)
    model.eval()
    torch.onnx.export(
        model, example, path,
        export_params=True,
        opset_version=opset,
        do_constant_folding=True,
        input_names=[input_name],
        output_names=[output_name],
        dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}},
        **kwargs,
    )


def describe(path):
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)

    def dims(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]

    init_names = {t.name for t in m.graph.initializer}
    inputs = [(i.name, dims(i)) for i in m.graph.input if i.name not in init_names]
    n_init_inputs = sum(1 for i in m.graph.input if i.name in init_names)
    outputs = [(o.name, dims(o)) for o in m.graph.output]
    print(f"== {os.path.relpath(path, REPO)} ({os.path.getsize(path)} bytes)")
    print("   opset:", [(o.domain or "ai.onnx", o.version) for o in m.opset_import], "ir", m.ir_version)
    print("   inputs:", inputs, f"(+{n_init_inputs} initializers listed as graph inputs)")
    print("   outputs:", outputs)
    print("   node op types:", [n.op_type for n in m.graph.node])
    print("   initializers:", [(t.name, list(t.dims)) for t in m.graph.initializer])


def load_sample_module():
    spec = importlib.util.spec_from_file_location("train_fashion_cnn", SAMPLE_SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def fashion_cnn_from_onnx():
    """Rebuild the sample torch model from the initializers stored in fashion_cnn.onnx."""
    import onnx
    from onnx import numpy_helper
    mod = load_sample_module()
    model = mod.FashionCnn()
    m = onnx.load(SAMPLE_MODEL)
    inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    state = model.state_dict()
    for k in state:
        if k.endswith("num_batches_tracked"):
            continue
        assert k in inits, f"{k} not found among fashion_cnn.onnx initializers (was BN fused?)"
        assert tuple(inits[k].shape) == tuple(state[k].shape), k
        state[k] = inits[k]
    model.load_state_dict(state)
    return model.eval()


# ---------------------------------------------------------------- main

def main():
    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    rng = np.random.default_rng(SEED)

    x_train, y_train = load_split("train")
    x_test, y_test = load_split("t10k")

    # ---- data ----
    calib_idx = np.sort(rng.choice(len(x_train), N_CALIB, replace=False))
    calib = np.ascontiguousarray(x_train[calib_idx], dtype=np.float32)
    np.save(os.path.join(HERE, "cnn_calib.npy"), calib)
    np.save(os.path.join(HERE, "cnn_calib_nhwc.npy"), to_nhwc(calib))
    eval_x = np.ascontiguousarray(x_test[:N_EVAL], dtype=np.float32)
    eval_y = y_test[:N_EVAL].astype(np.int64)
    eval_x_nhwc = to_nhwc(eval_x)
    np.savez_compressed(os.path.join(HERE, "cnn_eval.npz"), input=eval_x, labels=eval_y)
    np.savez_compressed(os.path.join(HERE, "cnn_eval_nhwc.npz"), input_1=eval_x_nhwc, labels=eval_y)

    sub = np.sort(rng.choice(len(x_train), N_TRAIN, replace=False))
    xs, ys = x_train[sub], y_train[sub]

    ref = {"inputs": eval_x[:N_REF], "inputs_nhwc": eval_x_nhwc[:N_REF]}
    acc = {}

    # ---- cnn_nhwc ----
    torch.manual_seed(SEED)
    nhwc = SmallCnn(nhwc=True)
    loss = train_one_epoch(nhwc, xs, ys, LR, nhwc=True)
    acc["cnn_nhwc"] = (predict(nhwc, eval_x_nhwc).argmax(1) == eval_y).mean()
    full = (predict(nhwc, to_nhwc(x_test)).argmax(1) == y_test).mean()
    print(f"cnn_nhwc: loss {loss:.4f}; acc eval({N_EVAL}) {acc['cnn_nhwc']:.4f}, full test {full:.4f}")
    export(nhwc, torch.from_numpy(eval_x_nhwc[:1]), os.path.join(HERE, "cnn_nhwc.onnx"),
           13, "input_1", "dense")
    ref["cnn_nhwc"] = predict(nhwc, eval_x_nhwc[:N_REF])

    # ---- cnn_initializers_as_inputs: same weights, NCHW input, opset 9 ----
    nchw = SmallCnn(nhwc=False)
    nchw.load_state_dict(nhwc.state_dict())
    acc["cnn_initializers_as_inputs"] = (predict(nchw, eval_x).argmax(1) == eval_y).mean()
    print(f"cnn_initializers_as_inputs: acc eval({N_EVAL}) {acc['cnn_initializers_as_inputs']:.4f}")
    export(nchw, torch.from_numpy(eval_x[:1]), os.path.join(HERE, "cnn_initializers_as_inputs.onnx"),
           9, "input", "logits", keep_initializers_as_inputs=True)
    ref["cnn_initializers_as_inputs"] = predict(nchw, eval_x[:N_REF])

    # ---- cnn_misc ----
    torch.manual_seed(SEED)
    misc = MiscCnn()
    loss = train_one_epoch(misc, xs, ys, LR_MISC)
    acc["cnn_misc"] = (predict(misc, eval_x).argmax(1) == eval_y).mean()
    full = (predict(misc, x_test).argmax(1) == y_test).mean()
    print(f"cnn_misc: loss {loss:.4f}; acc eval({N_EVAL}) {acc['cnn_misc']:.4f}, full test {full:.4f}")
    export(misc, torch.from_numpy(eval_x[:1]), os.path.join(HERE, "cnn_misc.onnx"),
           14, "input", "log_probs")
    ref["cnn_misc"] = predict(misc, eval_x[:N_REF])

    # ---- fashion_cnn (sample) ----
    fashion = fashion_cnn_from_onnx()
    acc_f = (predict(fashion, eval_x).argmax(1) == eval_y).mean()
    print(f"fashion_cnn (weights from {os.path.relpath(SAMPLE_MODEL, REPO)}): acc eval({N_EVAL}) {acc_f:.4f}")
    ref["fashion_cnn"] = predict(fashion, eval_x[:N_REF])

    ref = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in ref.items()}
    np.savez_compressed(os.path.join(HERE, "reference_outputs.npz"), **ref)
    print("reference_outputs.npz:", {k: v.shape for k, v in ref.items()})

    for name in ("cnn_nhwc", "cnn_misc", "cnn_initializers_as_inputs"):
        describe(os.path.join(HERE, name + ".onnx"))
    describe(SAMPLE_MODEL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
