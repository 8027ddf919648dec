// conv_forward_implicit (Conv2d's forward product read straight from the image): bit for bit im2col + gemm_nn, on
// the MNIST net's conv shapes, odd widths, rectangular kernels, padding, every row-block size of W, and from two
// threads at once (its scratch buffers are per thread); it declines what it does not cover. With the active ISA;
// tests/test_kernels.cpp runs it under every ISA.
#include <minitorch/kernels/conv_implicit.hpp>
#include <minitorch/random.hpp>

#include <doctest/doctest.h>

#include "support/conv_shapes.hpp"
#include "support/random_values.hpp"

#include <cstddef>
#include <thread>
#include <vector>

using namespace minitorch;

namespace {

using test_support::mnist_convs_then;
using test_support::random_floats;

/// The explicit product: Y = W·im2col(image).
std::vector<float> explicit_forward(const std::vector<float>& weight, std::size_t O, const std::vector<float>& image,
                                    const ConvGeometry& g) {
    std::vector<float> col(g.col_rows() * g.col_cols()), y(O * g.col_cols());
    im2col(image.data(), g, col.data());
    gemm_nn(O, g.col_cols(), g.col_rows(), weight.data(), g.col_rows(), 1, col.data(), g.col_cols(), y.data(),
            g.col_cols(), false);
    return y;
}

/// Number of outputs where the implicit product differs (bitwise) from the explicit one; -1 when it declined.
long mismatches(std::size_t O, const ConvGeometry& g, std::uint64_t seed) {
    Generator gen(seed);
    const auto weight = random_floats(O * g.col_rows(), gen);
    const auto image = random_floats(g.channels * g.height * g.width, gen);
    std::vector<float> y(O * g.col_cols(), 12345.0f);  // sentinel: every output must be written
    if (!conv_forward_implicit(weight.data(), O, image.data(), g, y.data())) return -1;
    const auto want = explicit_forward(weight, O, image, g);
    long wrong = 0;
    for (std::size_t i = 0; i < y.size(); ++i) wrong += y[i] != want[i];
    return wrong;
}

// kShapes[1] and kShapes[5] (the MNIST net's 16→32 and 12→14, p = 1) are used again below.
const std::vector<ConvGeometry> kShapes = mnist_convs_then({
    {.channels = 3, .height = 5, .width = 17, .kernel_h = 2, .kernel_w = 2},                // out_w 16
    {.channels = 2, .height = 4, .width = 34, .kernel_h = 3, .kernel_w = 2},                // out_w 33, rectangular
    {.channels = 2, .height = 3, .width = 3, .kernel_h = 3, .kernel_w = 3},                 // one output pixel
    {.channels = 3, .height = 5, .width = 18, .kernel_h = 3, .kernel_w = 2, .padding = 2},  // out_w 21
    {.channels = 4, .height = 7, .width = 5, .kernel_h = 1, .kernel_w = 1, .padding = 1},   // 1×1 with padding
    {.channels = 5, .height = 9, .width = 7, .kernel_h = 3, .kernel_w = 1},                 // kw = 1: no column dropped
});

}  // namespace

TEST_CASE("conv_forward_implicit: bit for bit im2col + gemm_nn where it applies, declines elsewhere") {
    std::uint64_t seed = 1;
    for (const auto& g : kShapes) {
        CAPTURE(g.channels);
        CAPTURE(g.height);
        CAPTURE(g.width);
        CAPTURE(g.kernel_h);
        CAPTURE(g.kernel_w);
        CAPTURE(g.padding);
        CHECK(conv_forward_implicit_applies<float>(g));
        for (std::size_t O : {1u, 7u, 8u, 10u, 14u, 32u}) {  // row blocks of W: 1, 7, 8, 5+5, 7+7, 4×8 (AVX-512)
            CAPTURE(O);
            CHECK(mismatches(O, g, seed++) == 0);
        }
    }
    // Not covered: stride 2, 1×1 without padding (col is the image: no copy to save), double.
    const ConvGeometry strided{.channels = 2, .height = 9, .width = 9, .kernel_h = 3, .kernel_w = 3, .stride = 2};
    const ConvGeometry identity{.channels = 2, .height = 9, .width = 9, .kernel_h = 1, .kernel_w = 1};
    CHECK_FALSE(conv_forward_implicit_applies<float>(strided));
    CHECK_FALSE(conv_forward_implicit_applies<float>(identity));
    CHECK_FALSE(conv_forward_implicit_applies<double>(kShapes[1]));
    CHECK(mismatches(4, strided, 99) == -1);
    CHECK(mismatches(4, identity, 100) == -1);
    std::vector<double> y(4);
    CHECK_FALSE(conv_forward_implicit(y.data(), 1, y.data(), kShapes[1], y.data()));
}

TEST_CASE("conv_forward_implicit: two threads at once, different shapes (per-thread scratch)") {
    long wrong[2] = {0, 0};
    std::thread other([&] {
        for (int round = 0; round < 20; ++round) wrong[1] += mismatches(32, kShapes[1], 200 + round);
    });
    for (int round = 0; round < 20; ++round) wrong[0] += mismatches(14, kShapes[5], 300 + round);
    other.join();
    CHECK(wrong[0] == 0);
    CHECK(wrong[1] == 0);
}
