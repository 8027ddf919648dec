// Test support: the convolution geometries of the MNIST net, which the kernels are tuned for, for the tests of
// im2col/col2im and the implicit convolution; each test adds its own awkward shapes after them.
#pragma once

#include <minitorch/kernels/im2col.hpp>

#include <initializer_list>
#include <vector>

namespace test_support {

/// The MNIST net's 3×3 convolutions (examples/mnist/mnist_net.hpp), one image each, followed by `others`.
inline std::vector<minitorch::ConvGeometry> mnist_convs_then(std::initializer_list<minitorch::ConvGeometry> others) {
    std::vector<minitorch::ConvGeometry> shapes = {
        {.channels = 1, .height = 28, .width = 28, .kernel_h = 3, .kernel_w = 3},               // 1→16
        {.channels = 16, .height = 26, .width = 26, .kernel_h = 3, .kernel_w = 3},              // 16→32
        {.channels = 10, .height = 12, .width = 12, .kernel_h = 3, .kernel_w = 3},              // 10→16
        {.channels = 16, .height = 10, .width = 10, .kernel_h = 3, .kernel_w = 3},              // 16→12
        {.channels = 12, .height = 8, .width = 8, .kernel_h = 3, .kernel_w = 3},                // 12→12
        {.channels = 12, .height = 6, .width = 6, .kernel_h = 3, .kernel_w = 3, .padding = 1},  // 12→14, p = 1
    };
    shapes.insert(shapes.end(), others);
    return shapes;
}

}  // namespace test_support
