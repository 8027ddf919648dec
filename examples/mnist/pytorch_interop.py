#!/usr/bin/python3
"""Weights move both ways between minitorch and PyTorch.

Loads a minitorch checkpoint (safetensors) into the same network written as a flat torch.nn.Sequential with
load_state_dict(strict=True) — every name, shape and buffer must match — evaluates it on the MNIST test set, and
writes the PyTorch state_dict back out as safetensors for `mnist --load ... --eval-only`.

    /usr/bin/python3 examples/mnist/pytorch_interop.py out/mnist/mnist.safetensors --data data/mnist \
        --write-back out/mnist/from_pytorch.safetensors

Needs Debian's python3-torch (no `safetensors` package: the format is read and written here by hand).
"""
import argparse
import json
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": (np.float32, torch.float32), "F64": (np.float64, torch.float64), "I64": (np.int64, torch.int64)}


def read_safetensors(path):
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        np_type, _ = DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=np.dtype(np_type).newbyteorder("<")).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, header.get("__metadata__", {})


def write_safetensors(path, tensors, metadata):
    names = sorted(tensors, key=lambda k: tensors[k].element_size() != 8)  # 8-byte tensors first (alignment)
    header, chunks, offset = {}, [], 0
    for name in names:
        t = tensors[name].contiguous()
        dtype = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}[t.dtype]
        raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def course_net():
    """The course net as ONE flat nn.Sequential, layer for layer as examples/mnist/mnist_net.hpp builds it."""
    layers = []

    def block(cin, cout, padding, dropout):
        layers.extend([nn.Conv2d(cin, cout, 3, padding=padding, bias=False), nn.ReLU(), nn.BatchNorm2d(cout)])
        if dropout:
            layers.append(nn.Dropout(0.05))

    block(1, 16, 0, True)
    block(16, 32, 0, True)
    layers += [nn.Conv2d(32, 10, 1, bias=False), nn.MaxPool2d(2, 2)]
    block(10, 16, 0, True)
    block(16, 12, 0, True)
    block(12, 12, 0, True)
    block(12, 14, 1, False)
    layers += [nn.AvgPool2d(6), nn.Conv2d(14, 10, 1, bias=False), nn.Flatten(), nn.LogSoftmax(dim=1)]
    return nn.Sequential(*layers)


def load_idx(path):
    with open(path, "rb") as f:
        blob = f.read()
    rank = blob[3]
    dims = struct.unpack(">" + "I" * rank, blob[4:4 + 4 * rank])
    return np.frombuffer(blob, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--write-back", default=None, help="write the PyTorch state_dict to this safetensors file")
    a = ap.parse_args()

    tensors, metadata = read_safetensors(a.checkpoint)
    net = course_net()
    net.load_state_dict(tensors, strict=True)  # raises on any missing/unexpected name or shape mismatch
    net.eval()
    images = torch.from_numpy(load_idx(f"{a.data}/t10k-images-idx3-ubyte").astype(np.float32) / 255.0)
    images = ((images - 0.1307) / 0.3081).unsqueeze(1)
    labels = torch.from_numpy(load_idx(f"{a.data}/t10k-labels-idx1-ubyte").astype(np.int64))
    loss, correct = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(labels), 128):
            out = net(images[i:i + 128])
            loss += F.nll_loss(out, labels[i:i + 128], reduction="sum").item()
            correct += (out.argmax(1) == labels[i:i + 128]).sum().item()
    n = len(labels)
    print(f"PyTorch {torch.__version__}, load_state_dict(strict=True) of {a.checkpoint}: {len(tensors)} tensors")
    print(f"Test set: Average loss: {loss / n:.4f}, Accuracy: {correct}/{n} ({100.0 * correct / n:.2f}%)")
    if a.write_back:
        state = {k: v for k, v in net.state_dict().items()}
        write_safetensors(a.write_back, state, {"written_by": f"PyTorch {torch.__version__} (pytorch_interop.py)"})
        print(f"wrote {a.write_back}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
