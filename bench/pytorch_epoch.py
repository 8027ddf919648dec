#!/usr/bin/python3
"""PyTorch side of bench/compare_pytorch.sh: times training epochs and test-set evaluations of the course's MNIST net.

The same work as one epoch of examples/mnist (mnist --scheduler none --rotate 0):
  net       examples/mnist/mnist_net.hpp, in PyTorch layers (no conv biases, Conv → ReLU → BN → Dropout(0.05) blocks)
  data      the four IDX files of --data, loaded once, as float32 tensors normalised with MNIST's mean 0.1307 and
            std 0.3081 (kept in memory; not part of the timing)
  training  shuffled batches of 128 (the last one 96), SGD lr 0.01 momentum 0.9, NLL loss on log_softmax; the loss
            and the correct count are accumulated every step, as the minitorch loop does
  eval      the 10k test images in batches of --eval-batch (128), eval mode, no autograd
Each epoch is timed with time.perf_counter, then the evaluation after it; the minor page faults of each pass are
counted too (PyTorch allocates its activations afresh every step; when glibc hands the freed memory back to the
kernel, every step pays its first-touch page faults again, which costs a lot on some VMs — see
bench/compare_pytorch.sh --torch-malloc). Prints one JSON object on stdout.

    /usr/bin/python3 bench/pytorch_epoch.py --data data/mnist --threads 2 --epochs 1
"""
import argparse
import gzip
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def read_idx(path):
    """An unsigned-byte IDX file (plain or .gz) as a numpy array of its shape."""
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        sys.exit(f"pytorch_epoch.py: {path}: not an unsigned-byte IDX file")
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    count = int(np.prod(dims))
    if len(raw) != 4 + 4 * rank + count:
        sys.exit(f"pytorch_epoch.py: {path}: expected {count} values after the header, got {len(raw) - 4 - 4 * rank}")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def split(folder, images, labels):
    x = torch.from_numpy(read_idx(os.path.join(folder, images)).astype(np.float32) / 255.0)
    x = ((x - MNIST_MEAN) / MNIST_STD).unsqueeze(1).contiguous()  # [N, 1, 28, 28]
    y = torch.from_numpy(read_idx(os.path.join(folder, labels)).astype(np.int64))
    return x, y


def block(cin, cout, padding=0, dropout=True):
    layers = [nn.Conv2d(cin, cout, 3, padding=padding, bias=False), nn.ReLU(), nn.BatchNorm2d(cout)]
    if dropout:
        layers.append(nn.Dropout(0.05))
    return layers


def make_net():
    """The course net, layer for layer as examples/mnist/mnist_net.hpp lists it."""
    return nn.Sequential(
        *block(1, 16),                        # → 16×26×26
        *block(16, 32),                       # → 32×24×24
        nn.Conv2d(32, 10, 1, bias=False),     # → 10×24×24
        nn.MaxPool2d(2, 2),                   # → 10×12×12
        *block(10, 16),                       # → 16×10×10
        *block(16, 12),                       # → 12×8×8
        *block(12, 12),                       # → 12×6×6
        *block(12, 14, padding=1, dropout=False),  # → 14×6×6
        nn.AvgPool2d(6),                      # → 14×1×1
        nn.Conv2d(14, 10, 1, bias=False),     # → 10×1×1
        nn.Flatten(),
        nn.LogSoftmax(dim=1),
    )


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def train_epoch(net, opt, x, y, batch, gen):
    net.train()
    order = torch.randperm(x.shape[0], generator=gen)
    loss_sum, correct = 0.0, 0
    faults = minor_faults()
    start = time.perf_counter()
    for i in range(0, x.shape[0], batch):
        idx = order[i:i + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad()
        out = net(xb)
        loss = F.nll_loss(out, yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * yb.shape[0]
        correct += (out.argmax(1) == yb).sum().item()
    seconds = time.perf_counter() - start
    return seconds, minor_faults() - faults, loss_sum / x.shape[0], correct / x.shape[0]


@torch.no_grad()
def evaluate(net, x, y, batch):
    net.eval()
    loss_sum, correct = 0.0, 0
    faults = minor_faults()
    start = time.perf_counter()
    for i in range(0, x.shape[0], batch):
        out = net(x[i:i + batch])
        loss_sum += F.nll_loss(out, y[i:i + batch], reduction="sum").item()
        correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    seconds = time.perf_counter() - start
    return seconds, minor_faults() - faults, loss_sum / x.shape[0], correct / x.shape[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/mnist", help="folder with the four MNIST IDX files")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--epochs", type=int, default=1, help="epochs to time, each followed by an evaluation")
    ap.add_argument("--batch", type=int, default=128, help="training batch size")
    ap.add_argument("--eval-batch", type=int, default=128, help="evaluation batch size")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    if a.threads < 1 or a.epochs < 1 or a.batch < 1 or a.eval_batch < 1:
        sys.exit("pytorch_epoch.py: --threads, --epochs, --batch and --eval-batch must be at least 1")

    torch.set_num_threads(a.threads)  # left alone, torch uses 1 thread on this kind of machine
    torch.manual_seed(a.seed)
    x_train, y_train = split(a.data, "train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    x_test, y_test = split(a.data, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    net = make_net()
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    gen = torch.Generator().manual_seed(a.seed)

    epochs = []
    for _ in range(a.epochs):
        train_s, train_faults, train_loss, train_acc = train_epoch(net, opt, x_train, y_train, a.batch, gen)
        eval_s, eval_faults, test_loss, test_acc = evaluate(net, x_test, y_test, a.eval_batch)
        epochs.append(dict(train_s=train_s, eval_s=eval_s, train_minor_faults=train_faults,
                           eval_minor_faults=eval_faults, train_loss=train_loss, train_acc=train_acc,
                           test_loss=test_loss, test_acc=test_acc))
    print(json.dumps(dict(impl="pytorch", torch=torch.__version__, threads=torch.get_num_threads(),
                          params=sum(p.numel() for p in net.parameters()), batch=a.batch, eval_batch=a.eval_batch,
                          train_steps=-(-x_train.shape[0] // a.batch),
                          malloc_env={k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
                          isa_env={k: v for k, v in os.environ.items() if k in ("ATEN_CPU_CAPABILITY",
                                                                                "ONEDNN_MAX_CPU_ISA")},
                          cpu_capability=next((line.split(":", 1)[1].strip() for line in
                                               torch.__config__.show().splitlines() if "CPU capability" in line), "?"),
                          epochs=epochs)))


if __name__ == "__main__":
    main()
