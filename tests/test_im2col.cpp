// im2col / col2im: against a naive index computation (stride, padding, rectangular kernels, a kernel larger than the
// image), col2im is the adjoint of im2col, geometry checks.
#include <minitorch/kernels/im2col.hpp>
#include <minitorch/random.hpp>
#include <minitorch/tensor.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <vector>

using namespace minitorch;

namespace {

// The definition, written independently of the kernel: signed arithmetic, one bounds check per entry.
//   col[(c·kh + i)·kw + j, oh·outW + ow] = im[c, oh·s − p + i, ow·s − p + j], 0 outside the image.
bool source_pixel(const ConvGeometry& g, std::size_t i, std::size_t j, std::size_t oh, std::size_t ow, long& ih,
                  long& iw) {
    ih = static_cast<long>(oh * g.stride + i) - static_cast<long>(g.padding);
    iw = static_cast<long>(ow * g.stride + j) - static_cast<long>(g.padding);
    return ih >= 0 && iw >= 0 && ih < static_cast<long>(g.height) && iw < static_cast<long>(g.width);
}

/// Calls visit(entry, pixel, inside) for every entry of col in order, c, i, j, oh, ow: `pixel` is the index in the
/// image of the pixel the entry holds when `inside`; otherwise the entry is zero padding (and `pixel` meaningless).
template <class Visit>
void for_each_col_entry(const ConvGeometry& g, Visit visit) {
    const std::size_t oh_n = g.out_h(), ow_n = g.out_w();
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t i = 0; i < g.kernel_h; ++i)
            for (std::size_t j = 0; j < g.kernel_w; ++j)
                for (std::size_t oh = 0; oh < oh_n; ++oh)
                    for (std::size_t ow = 0; ow < ow_n; ++ow) {
                        long ih, iw;
                        const bool inside = source_pixel(g, i, j, oh, ow, ih, iw);
                        const std::size_t row = (c * g.kernel_h + i) * g.kernel_w + j;
                        const std::size_t pixel = inside ? (c * g.height + static_cast<std::size_t>(ih)) * g.width +
                                                               static_cast<std::size_t>(iw)
                                                         : 0;
                        visit(row * oh_n * ow_n + oh * ow_n + ow, pixel, inside);
                    }
}

std::vector<double> naive_im2col(const std::vector<double>& im, const ConvGeometry& g) {
    std::vector<double> col(g.col_rows() * g.col_cols(), -999.0);  // sentinel: every entry must be written
    for_each_col_entry(
        g, [&](std::size_t entry, std::size_t pixel, bool inside) { col[entry] = inside ? im[pixel] : 0.0; });
    return col;
}

std::vector<double> naive_col2im(const std::vector<double>& col, const ConvGeometry& g) {
    std::vector<double> im(g.channels * g.height * g.width, 0.0);
    for_each_col_entry(g, [&](std::size_t entry, std::size_t pixel, bool inside) {
        if (inside) im[pixel] += col[entry];
    });
    return im;
}

std::vector<double> random_vector(std::size_t n, Generator& gen) {
    std::vector<double> v(n);
    for (double& x : v) x = gen.normal();
    return v;
}

// channels, H, W, kh, kw, stride, padding
const std::vector<ConvGeometry> geometries = {
    {.channels = 2, .height = 5, .width = 4, .kernel_h = 3, .kernel_w = 3, .stride = 1, .padding = 0},
    {.channels = 3, .height = 5, .width = 6, .kernel_h = 3, .kernel_w = 3, .stride = 2, .padding = 1},
    {.channels = 1, .height = 4, .width = 5, .kernel_h = 2, .kernel_w = 3, .stride = 2, .padding = 1},  // rectangular
    {.channels = 2, .height = 6, .width = 5, .kernel_h = 3, .kernel_w = 2, .stride = 3, .padding = 2},
    {.channels = 2, .height = 7, .width = 7, .kernel_h = 1, .kernel_w = 1, .stride = 1, .padding = 0},  // identity
    {.channels = 1, .height = 3, .width = 3, .kernel_h = 5, .kernel_w = 5, .stride = 1, .padding = 2},  // k > image
    {.channels = 1, .height = 2, .width = 3, .kernel_h = 1, .kernel_w = 1, .stride = 1, .padding = 2},  // zero rows
    {.channels = 2, .height = 1, .width = 1, .kernel_h = 7, .kernel_w = 7, .stride = 1, .padding = 3},  // 1×1 image
    {.channels = 3, .height = 9, .width = 8, .kernel_h = 4, .kernel_w = 3, .stride = 2, .padding = 0},  // odd sizes
};

}  // namespace

TEST_CASE("ConvGeometry: output size and col shape") {
    const ConvGeometry g{
        .channels = 3, .height = 5, .width = 6, .kernel_h = 3, .kernel_w = 3, .stride = 2, .padding = 1};
    CHECK(g.out_h() == 3);  // (5 + 2 − 3)/2 + 1
    CHECK(g.out_w() == 3);  // (6 + 2 − 3)/2 + 1 = 3 (floor)
    CHECK(g.col_rows() == 27);
    CHECK(g.col_cols() == 9);
    CHECK_FALSE(g.is_identity());
    CHECK(ConvGeometry{.channels = 2, .height = 4, .width = 4, .kernel_h = 1, .kernel_w = 1}.is_identity());
    CHECK_NOTHROW(g.validate());
    CHECK_THROWS_WITH_AS(
        (ConvGeometry{.channels = 1, .height = 2, .width = 5, .kernel_h = 3, .kernel_w = 3}.validate()),
        "ConvGeometry: need positive sizes and a kernel that fits the padded image, got C=1, H=2, W=5, "
        "kernel 3×3, stride 1, padding 0",
        std::invalid_argument);
}

TEST_CASE("im2col: a 3×3 image with a 2×2 kernel, by hand") {
    const ConvGeometry g{.channels = 1, .height = 3, .width = 3, .kernel_h = 2, .kernel_w = 2};
    const double im[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    double col[16];
    im2col(im, g, col);
    // rows: taps (0,0), (0,1), (1,0), (1,1); columns: output positions (0,0), (0,1), (1,0), (1,1)
    const double expected[16] = {1, 2, 4, 5,  //
                                 2, 3, 5, 6,  //
                                 4, 5, 7, 8,  //
                                 5, 6, 8, 9};
    for (int k = 0; k < 16; ++k) CHECK(col[k] == expected[k]);
}

TEST_CASE("im2col and col2im match the naive index computation") {
    Generator gen(5);
    for (const auto& g : geometries) {
        CAPTURE(g.channels);
        CAPTURE(g.height);
        CAPTURE(g.width);
        CAPTURE(g.kernel_h);
        CAPTURE(g.kernel_w);
        CAPTURE(g.stride);
        CAPTURE(g.padding);
        REQUIRE_NOTHROW(g.validate());
        const auto im = random_vector(g.channels * g.height * g.width, gen);
        std::vector<double> col(g.col_rows() * g.col_cols(), 12345.0);  // garbage: im2col must overwrite all
        im2col(im.data(), g, col.data());
        const auto want_col = naive_im2col(im, g);
        for (std::size_t k = 0; k < col.size(); ++k) CHECK(col[k] == want_col[k]);  // a copy: exact

        const auto c = random_vector(col.size(), gen);
        std::vector<double> back(im.size(), 12345.0);  // garbage: col2im must overwrite, not add
        col2im(c.data(), g, back.data());
        const auto want_im = naive_col2im(c, g);
        for (std::size_t k = 0; k < back.size(); ++k) CHECK(back[k] == doctest::Approx(want_im[k]).epsilon(1e-12));
    }
}

TEST_CASE("col2im is the adjoint of im2col: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩") {
    Generator gen(9);
    for (const auto& g : geometries) {
        CAPTURE(g.kernel_h);
        CAPTURE(g.stride);
        CAPTURE(g.padding);
        for (int trial = 0; trial < 3; ++trial) {
            const auto x = random_vector(g.channels * g.height * g.width, gen);
            const auto c = random_vector(g.col_rows() * g.col_cols(), gen);
            std::vector<double> col(c.size()), back(x.size());
            im2col(x.data(), g, col.data());
            col2im(c.data(), g, back.data());
            double lhs = 0, rhs = 0;
            for (std::size_t k = 0; k < c.size(); ++k) lhs += col[k] * c[k];
            for (std::size_t k = 0; k < x.size(); ++k) rhs += x[k] * back[k];
            CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));
        }
    }
}

TEST_CASE("im2col works in float too") {
    const ConvGeometry g{
        .channels = 2, .height = 4, .width = 5, .kernel_h = 3, .kernel_w = 2, .stride = 2, .padding = 1};
    Generator gen(3);
    const auto imd = random_vector(g.channels * g.height * g.width, gen);
    std::vector<float> imf(imd.begin(), imd.end()), colf(g.col_rows() * g.col_cols());
    im2col(imf.data(), g, colf.data());
    const auto want = naive_im2col(std::vector<double>(imf.begin(), imf.end()), g);
    for (std::size_t k = 0; k < colf.size(); ++k) CHECK(static_cast<double>(colf[k]) == want[k]);
}

TEST_CASE("im2col and col2im in float, stride 1: the vectorised paths against the definition") {
    // Float at stride 1 takes the kernels of the active ISA (body/im2col.inl: whole-vector copies where both buffers
    // extend far enough, a scalar tail where not; col2im: rows gathered in registers, partial taps through a lane
    // buffer). Widths around 8, 16 and 32, the MNIST convs' shapes, and images so narrow that a whole-vector copy
    // would run past the image. With padding, stride 1 goes through a zero-padded copy of the image (any type).
    // tests/test_kernels.cpp runs every ISA against the scalar one bit for bit.
    const std::vector<ConvGeometry> shapes = {
        {.channels = 16, .height = 26, .width = 26, .kernel_h = 3, .kernel_w = 3},  // 16→32 conv: out_w 24
        {.channels = 1, .height = 28, .width = 28, .kernel_h = 3, .kernel_w = 3},   // 1→16: out_w 26
        {.channels = 12, .height = 8, .width = 8, .kernel_h = 3, .kernel_w = 3},    // out_w 6
        {.channels = 3, .height = 5, .width = 17, .kernel_h = 2, .kernel_w = 2},    // out_w 16: exactly one vector
        {.channels = 2, .height = 4, .width = 34, .kernel_h = 3, .kernel_w = 2},    // out_w 33
        {.channels = 2, .height = 3, .width = 3, .kernel_h = 3, .kernel_w = 3},     // one output pixel
        {.channels = 12, .height = 6, .width = 6, .kernel_h = 3, .kernel_w = 3, .padding = 1},  // 12→14, p=1
        {.channels = 3, .height = 5, .width = 18, .kernel_h = 3, .kernel_w = 2, .padding = 2},  // out_w 21
    };
    Generator gen(17);
    for (const auto& g : shapes) {
        CAPTURE(g.channels);
        CAPTURE(g.height);
        CAPTURE(g.width);
        CAPTURE(g.kernel_h);
        CAPTURE(g.kernel_w);
        const auto imd = random_vector(g.channels * g.height * g.width, gen);
        const std::vector<float> imf(imd.begin(), imd.end());
        std::vector<float> colf(g.col_rows() * g.col_cols(), 12345.0f);
        im2col(imf.data(), g, colf.data());
        const auto want_col = naive_im2col(std::vector<double>(imf.begin(), imf.end()), g);
        std::size_t wrong = 0;
        for (std::size_t k = 0; k < colf.size(); ++k) wrong += static_cast<double>(colf[k]) != want_col[k];
        CHECK(wrong == 0);

        const auto cd = random_vector(colf.size(), gen);
        const std::vector<float> cf(cd.begin(), cd.end());
        std::vector<float> back(imf.size(), 12345.0f);
        col2im(cf.data(), g, back.data());
        const auto want_im = naive_col2im(std::vector<double>(cf.begin(), cf.end()), g);
        for (std::size_t k = 0; k < back.size(); ++k)  // at most kh·kw float additions per pixel
            CHECK(static_cast<double>(back[k]) == doctest::Approx(want_im[k]).epsilon(1e-5));
    }
}
