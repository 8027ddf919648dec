// Test support: a small learnable image data set and a small CNN on it, for the tests of the training loop, the
// monitor and the MNIST example's report — no download, a few milliseconds to train.
#pragma once

#include <minitorch/data/mnist.hpp>
#include <minitorch/minitorch.hpp>

#include <cstddef>
#include <cstdint>

namespace test_support {

/// 200 images of 8×8 bytes in 4 classes: class k has a bright 3×3 blob in quadrant k, plus noise everywhere.
inline minitorch::MnistDataset synthetic_dataset(std::uint64_t seed) {
    minitorch::MnistDataset ds;
    ds.count = 200;
    ds.height = ds.width = 8;
    ds.images.resize(ds.count * 64);
    ds.labels.resize(ds.count);
    minitorch::Generator gen(seed);
    for (std::size_t i = 0; i < ds.count; ++i) {
        const auto label = static_cast<std::uint8_t>(i % 4);
        ds.labels[i] = label;
        std::uint8_t* img = ds.images.data() + i * 64;
        for (std::size_t p = 0; p < 64; ++p) img[p] = static_cast<std::uint8_t>(gen.below(60));
        const std::size_t r0 = (label / 2) * 4 + gen.below(2), c0 = (label % 2) * 4 + gen.below(2);
        for (std::size_t r = r0; r < r0 + 3; ++r)
            for (std::size_t c = c0; c < c0 + 3; ++c) img[r * 8 + c] = static_cast<std::uint8_t>(200 + gen.below(56));
    }
    return ds;
}

/// A CNN of every kind of layer for synthetic_dataset's 8×8 images: [N, 1, 8, 8] → log-probabilities [N, 4].
inline minitorch::Sequential<float> small_net(std::uint64_t seed) {
    using namespace minitorch;
    Generator gen(seed);
    return Sequential<float>(Conv2d<float>({.in = 1, .out = 4, .kernel = 3, .bias = false}, gen), ReLU<float>(),
                             BatchNorm2d<float>({.features = 4}), Dropout<float>({.p = 0.05}, gen),
                             MaxPool2d<float>({.kernel = 2}), Conv2d<float>({.in = 4, .out = 4, .kernel = 1}, gen),
                             AvgPool2d<float>({.kernel = 3}), Flatten<float>(), LogSoftmax<float>());
}

}  // namespace test_support
