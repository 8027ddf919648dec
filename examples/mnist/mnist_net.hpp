// The course's MNIST network (11,392 parameters), exactly as the original notebook defines it, from minitorch's
// layers. Shared by the MNIST example, the benchmarks and the tests.
//
//   Conv2d(1,16,3)  ReLU BN(16) Dropout(0.05)      → 26×26
//   Conv2d(16,32,3) ReLU BN(32) Dropout(0.05)      → 24×24
//   Conv2d(32,10,1)                                → 24×24
//   MaxPool2d(2,2)                                 → 12×12
//   Conv2d(10,16,3) ReLU BN(16) Dropout(0.05)      → 10×10
//   Conv2d(16,12,3) ReLU BN(12) Dropout(0.05)      → 8×8
//   Conv2d(12,12,3) ReLU BN(12) Dropout(0.05)      → 6×6
//   Conv2d(12,14,3,padding=1) ReLU BN(14)          → 6×6
//   AvgPool2d(6)                                   → 1×1
//   Conv2d(14,10,1) → view(-1, 10) → log_softmax   (→ nll_loss)
//
// All convolutions have no bias. Layer indices, and so the checkpoint names ("0.weight", "2.running_mean", …), are
// those of a flat PyTorch nn.Sequential holding the same layers in the same order (see docs/mnist.md).
#pragma once

#include <minitorch/minitorch.hpp>

namespace mnist_example {

inline constexpr double kDropout = 0.05;

template <class T>
minitorch::Sequential<T> make_net(minitorch::Generator& gen) {
    using namespace minitorch;
    Sequential<T> net;
    // Conv → ReLU → BN (→ Dropout): the notebook's block.
    const auto block = [&](std::size_t in, std::size_t out, std::size_t padding, bool dropout) {
        net.add(Conv2d<T>({.in = in, .out = out, .kernel = 3, .padding = padding, .bias = false}, gen));
        net.add(ReLU<T>());
        net.add(BatchNorm2d<T>({.features = out}));
        if (dropout) net.add(Dropout<T>({.p = kDropout}, gen));
    };
    block(1, 16, 0, true);                                                        // 0..3    → [16, 26, 26]
    block(16, 32, 0, true);                                                       // 4..7    → [32, 24, 24]
    net.add(Conv2d<T>({.in = 32, .out = 10, .kernel = 1, .bias = false}, gen));  // 8       → [10, 24, 24]
    net.add(MaxPool2d<T>({.kernel = 2, .stride = 2}));                            // 9       → [10, 12, 12]
    block(10, 16, 0, true);                                                       // 10..13  → [16, 10, 10]
    block(16, 12, 0, true);                                                       // 14..17  → [12, 8, 8]
    block(12, 12, 0, true);                                                       // 18..21  → [12, 6, 6]
    block(12, 14, 1, false);                                                      // 22..24  → [14, 6, 6]
    net.add(AvgPool2d<T>({.kernel = 6}));                                         // 25      → [14, 1, 1]
    net.add(Conv2d<T>({.in = 14, .out = 10, .kernel = 1, .bias = false}, gen));  // 26      → [10, 1, 1]
    net.add(Flatten<T>());                                                        // 27      → [10]
    net.add(LogSoftmax<T>());                                                     // 28      → [10]
    return net;
}

}  // namespace mnist_example
