// MaxPool2d and AvgPool2d: hand-computed values, ties (the first maximum gets the gradient), overlapping windows,
// floor output sizes, gradient checks on odd sizes, global pooling, thread independence, errors; the 2×2 eval kernel
// of every ISA this CPU supports (kernels/pool.hpp) against the scalar ISA and the rule, bit for bit.
#include <minitorch/gradcheck.hpp>
#include <minitorch/kernels/parallel.hpp>
#include <minitorch/kernels/pool.hpp>
#include <minitorch/layers/pool.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"
#include "support/same_bits.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

using namespace minitorch;
using test_support::first_bit_difference;
using test_support::random_tensor;

static_assert(Layer<MaxPool2d<float>>);
static_assert(Layer<MaxPool2d<double>>);
static_assert(Layer<AvgPool2d<float>>);
static_assert(Layer<AvgPool2d<double>>);
static_assert(WindowedLayer<MaxPool2d<double>>);
static_assert(WindowedLayer<AvgPool2d<double>>);

namespace {

/// Distinct values 0.01·π(i) for a random permutation π: every gap is 0.01, far above gradcheck's ε = 1e-6, so the
/// finite differences never move the argmax of a window.
Tensor<double> distinct_values(const Shape& shape, Generator& gen) {
    Tensor<double> t(shape);
    std::vector<std::size_t> perm(t.size());
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    for (std::size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[gen.below(i)]);
    for (std::size_t i = 0; i < t.size(); ++i) t[i] = 0.01 * static_cast<double>(perm[i]) - 1.0;
    return t;
}

/// gradcheck of a Pool built with each (options, input shape) of `checks`, on the input make_input(shape).
template <class Pool, class Options, class MakeInput>
void check_gradients(const std::vector<std::pair<Options, Shape>>& checks, MakeInput make_input) {
    for (const auto& check : checks) {
        const Shape& shape = check.second;  // (not a structured binding: clang 14 cannot capture one in INFO's lambda)
        Pool pool(check.first);
        const auto r = gradcheck(pool, make_input(shape));
        INFO(pool.describe() << " on " << to_string(shape) << "\n" << r.report);
        CHECK(r.ok);
    }
}

}  // namespace

TEST_CASE("MaxPool2d: 2×2 windows with ties — the first maximum in row-major order gets the gradient") {
    // image 0:          windows (2×2, stride 2) and their first maximum:
    //   1  1 | 2  0      top-left  {1, 1, 1, 0}  → 1 at (0, 0)
    //   1  0 | 2  2      top-right {2, 0, 2, 2}  → 2 at (0, 2)
    //   ---------        bottom-left {3, −1, 0, 3} → 3 at (2, 0)
    //   3 -1 | 5  5      bottom-right all 5      → 5 at (2, 2)
    //   0  3 | 5  5
    // image 1 = −(image 0): windows {−1, −1, −1, 0} → 0 at (1, 1); {−2, 0, −2, −2} → 0 at (0, 3);
    //   {−3, 1, 0, −3} → 1 at (2, 1); all −5 → (2, 2)
    Tensor<double> x({2, 1, 4, 4}, {1,  1,  2,  0, 1,  0, 2,  2,  3,  -1, 5,  5,  0, 3,  5,  5,  //
                                    -1, -1, -2, 0, -1, 0, -2, -2, -3, 1,  -5, -5, 0, -3, -5, -5});
    Standalone<MaxPool2d<double>> pool({.kernel = 2});
    const auto& y = pool.forward(x);
    REQUIRE(y.shape() == Shape{2, 1, 2, 2});
    CHECK(y == Tensor<double>({2, 1, 2, 2}, {1, 2, 3, 5, 0, 0, 1, -5}));

    const auto& dx = pool.backward(Tensor<double>({2, 1, 2, 2}, {10, 20, 30, 40, 50, 60, 70, 80}));
    Tensor<double> expected({2, 1, 4, 4});
    expected(0, 0, 0, 0) = 10;
    expected(0, 0, 0, 2) = 20;
    expected(0, 0, 2, 0) = 30;
    expected(0, 0, 2, 2) = 40;
    expected(1, 0, 1, 1) = 50;
    expected(1, 0, 0, 3) = 60;
    expected(1, 0, 2, 1) = 70;
    expected(1, 0, 2, 2) = 80;
    CHECK(dx == expected);
}

TEST_CASE("MaxPool2d: overlapping windows add their gradients on a shared maximum") {
    // 3×3 with the maximum in the centre, k = 2, s = 1: all four windows pick the centre.
    Tensor<double> x({2, 1, 3, 3}, {0, 1, 0, 2, 9, 3, 0, 4, 0,  //
                                    5, 1, 0, 2, 0, 3, 0, 4, 6});
    Standalone<MaxPool2d<double>> pool({.kernel = 2, .stride = 1});
    CHECK(pool.describe() == "MaxPool2d(k=2, s=1)");
    const auto& y = pool.forward(x);
    CHECK(y == Tensor<double>({2, 1, 2, 2}, {9, 9, 9, 9, 5, 3, 4, 6}));
    const auto& dx = pool.backward(Tensor<double>({2, 1, 2, 2}, {1, 2, 3, 4, 1, 2, 3, 4}));
    CHECK(dx(0, 0, 1, 1) == 10);  // 1 + 2 + 3 + 4
    CHECK(dx(1, 0, 0, 0) == 1);
    CHECK(dx(1, 0, 1, 2) == 2);
    CHECK(dx(1, 0, 2, 1) == 3);
    CHECK(dx(1, 0, 2, 2) == 4);
    double total = 0;
    for (double v : dx) total += v;
    CHECK(total == 20);  // nothing else received gradient
}

TEST_CASE("MaxPool2d: a NaN in a window propagates (PyTorch's CPU kernel treats it as the maximum)") {
    Standalone<MaxPool2d<float>> pool({.kernel = 2});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const auto& y = pool.forward(Tensor<float>({2, 1, 2, 2}, {1, nan, 3, 2, 1, 4, 3, 2}));
    CHECK(std::isnan(y[0]));
    CHECK(y[1] == 4);
    const auto& dx = pool.backward(Tensor<float>({2, 1, 1, 1}, {1, 1}));
    CHECK(dx == Tensor<float>({2, 1, 2, 2}, {0, 1, 0, 0, 0, 1, 0, 0}));
}

TEST_CASE("MaxPool2d: gradcheck on distinct values (kernel 2, kernel 3 stride 2 and kernel 3 stride 1 on odd sizes)") {
    Generator gen(17);
    const std::vector<std::pair<MaxPool2dOptions, Shape>> checks = {
        {{.kernel = 2}, {2, 3, 6, 6}},
        {{.kernel = 2}, {2, 2, 5, 7}},  // floor: the last row and column are in no window
        {{.kernel = 3, .stride = 2}, {2, 2, 7, 7}},
        {{.kernel = 3, .stride = 1}, {2, 1, 5, 6}},  // overlapping
    };
    check_gradients<MaxPool2d<double>>(checks, [&](const Shape& shape) { return distinct_values(shape, gen); });
}

TEST_CASE("AvgPool2d: 2×2 means by hand, each pixel gets a quarter of its window's gradient") {
    Tensor<double> x({2, 1, 4, 4});
    for (std::size_t k = 0; k < 16; ++k) x[k] = double(k + 1), x[16 + k] = -double(k + 1);
    Standalone<AvgPool2d<double>> pool({.kernel = 2});
    const auto& y = pool.forward(x);
    // (1+2+5+6)/4, (3+4+7+8)/4, (9+10+13+14)/4, (11+12+15+16)/4
    CHECK(y == Tensor<double>({2, 1, 2, 2}, {3.5, 5.5, 11.5, 13.5, -3.5, -5.5, -11.5, -13.5}));
    const auto& dx = pool.backward(Tensor<double>({2, 1, 2, 2}, {4, 8, 12, 16, 0, 0, 0, 0}));
    CHECK(dx == Tensor<double>({2, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4,  //
                                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
}

TEST_CASE("AvgPool2d: floor output size — pixels outside every window get zero gradient") {
    Standalone<AvgPool2d<double>> pool({.kernel = 2});
    CHECK(pool.output_shape({2, 3, 5, 5}) == Shape{2, 3, 2, 2});
    Tensor<double> x({2, 3, 5, 5}, 1.0);
    pool.forward(x);
    const auto& dx = pool.backward(Tensor<double>({2, 3, 2, 2}, 1.0));
    CHECK(dx(1, 2, 4, 0) == 0);
    CHECK(dx(1, 2, 0, 4) == 0);
    CHECK(dx(1, 2, 3, 3) == 0.25);
}

TEST_CASE("AvgPool2d: gradcheck (kernel 2, kernel 3 stride 2 on odd sizes)") {
    Generator gen(19);
    const std::vector<std::pair<AvgPool2dOptions, Shape>> checks = {
        {{.kernel = 2}, {2, 3, 4, 6}},
        {{.kernel = 2}, {2, 2, 5, 5}},
        {{.kernel = 3, .stride = 2}, {2, 2, 7, 7}},
        {{.kernel = 3, .stride = 2}, {2, 1, 8, 5}},
    };
    check_gradients<AvgPool2d<double>>(checks, [&](const Shape& shape) { return random_tensor(shape, gen); });
}

TEST_CASE("AvgPool2d(6) on 6×6 is a global average, output N×C×1×1") {
    Standalone<AvgPool2d<double>> pool({.kernel = 6});
    const auto x = random_tensor({2, 3, 6, 6}, 23);
    const auto& y = pool.forward(x);
    REQUIRE(y.shape() == Shape{2, 3, 1, 1});
    for (std::size_t p = 0; p < 6; ++p) {
        double mean = 0;
        for (std::size_t i = 0; i < 36; ++i) mean += x[p * 36 + i];
        CHECK(y[p] == doctest::Approx(mean / 36).epsilon(1e-14));
    }
    const auto r = gradcheck(pool, x);
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("Pooling: results do not depend on the thread count") {
    Generator gen(29);
    const auto x = random_tensor<float>({3, 5, 7, 7}, gen);
    const auto dy = random_tensor<float>({3, 5, 3, 3}, gen);
    auto run = [&](auto& pool, std::size_t threads) {
        set_num_threads(threads);
        const Tensor<float> y = pool.forward(x);
        const Tensor<float> dx = pool.backward(dy);
        return std::pair{y, dx};
    };
    Standalone<MaxPool2d<float>> maxpool({.kernel = 3, .stride = 2});
    Standalone<AvgPool2d<float>> avgpool({.kernel = 3, .stride = 2});
    const auto m1 = run(maxpool, 1), m2 = run(maxpool, 2);
    const auto a1 = run(avgpool, 1), a2 = run(avgpool, 2);
    set_num_threads(1);
    CHECK(m1 == m2);
    CHECK(a1 == a2);
}

TEST_CASE("Pooling: options, describe(), window(), errors") {
    Standalone<MaxPool2d<float>> maxpool({.kernel = 2});
    CHECK(maxpool.describe() == "MaxPool2d(k=2)");
    CHECK(maxpool.options().stride == 2);
    CHECK(maxpool.window().kernel == 2);
    CHECK(maxpool.window().stride == 2);
    CHECK(maxpool.parameters().empty());
    Standalone<AvgPool2d<float>> avgpool({.kernel = 3, .stride = 2});
    CHECK(avgpool.describe() == "AvgPool2d(k=3, s=2)");
    CHECK(avgpool.window().kernel == 3);
    CHECK(avgpool.window().stride == 2);
    CHECK(AvgPool2d<float>({.kernel = 2, .stride = 2}).describe() == "AvgPool2d(k=2)");

    CHECK_THROWS_WITH_AS(MaxPool2d<float>({.kernel = 0}), "MaxPool2d: kernel must be positive, got 0",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(AvgPool2d<float>({}), "AvgPool2d: kernel must be positive, got 0", std::invalid_argument);

    CHECK_THROWS_WITH_AS(maxpool.forward(Tensor<float>({2, 3, 1, 5})),
                         "MaxPool2d(k=2): expected input [N, C, H, W] with H, W ≥ 2, got [2, 3, 1, 5]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(avgpool.output_shape({3, 8, 8}),
                         "AvgPool2d(k=3, s=2): expected input [N, C, H, W] with H, W ≥ 3, got [3, 8, 8]",
                         std::invalid_argument);

    CHECK_THROWS_WITH_AS(maxpool.backward(Tensor<float>({2, 3, 2, 2})),
                         doctest::Contains("MaxPool2d(k=2): backward called without a forward before it"),
                         std::logic_error);
    CHECK_THROWS_WITH_AS(avgpool.backward(Tensor<float>({2, 3, 2, 2})),
                         doctest::Contains("AvgPool2d(k=3, s=2): backward called without a forward before it"),
                         std::logic_error);
    maxpool.forward(Tensor<float>({2, 3, 4, 4}));
    CHECK_THROWS_WITH_AS(maxpool.backward(Tensor<float>({2, 3, 2, 3})),
                         "MaxPool2d(k=2): expected gradient of the output's shape [2, 3, 2, 2], got [2, 3, 2, 3]",
                         std::invalid_argument);
    avgpool.forward(Tensor<float>({2, 3, 7, 7}));
    CHECK_THROWS_WITH_AS(avgpool.backward(Tensor<float>({2, 3, 2, 2})),
                         "AvgPool2d(k=3, s=2): expected gradient of the output's shape [2, 3, 3, 3], got [2, 3, 2, 2]",
                         std::invalid_argument);

    // An eval-mode MaxPool2d keeps no positions of its maxima; AvgPool2d needs none.
    maxpool.eval();
    avgpool.eval();
    maxpool.forward(Tensor<float>({2, 3, 4, 4}));
    avgpool.forward(Tensor<float>({2, 3, 7, 7}));
    CHECK_THROWS_WITH_AS(maxpool.backward(Tensor<float>({2, 3, 2, 2})),
                         "MaxPool2d(k=2): backward after an eval-mode forward, which keeps no positions of the maxima "
                         "(run forward in training mode first)",
                         std::logic_error);
    CHECK_NOTHROW(avgpool.backward(Tensor<float>({2, 3, 3, 3})));
}

TEST_CASE_TEMPLATE("MaxPool2d 2×2 in eval mode (values only) gives the training path's values bit for bit", T, float,
                   double) {
    // Few distinct values, so windows hold ties (including −0 against +0) and NaNs; odd sizes drop the last row and
    // column as the floor rule says.
    const T nan = std::numeric_limits<T>::quiet_NaN(), inf = std::numeric_limits<T>::infinity();
    const T values[] = {T(-1), T(-0.0), T(0), T(1), T(2), nan, -inf, inf};
    Generator gen(7);
    const auto same = [](T a, T b) {
        return (std::isnan(a) && std::isnan(b)) || (a == b && std::signbit(a) == std::signbit(b));
    };
    // Output widths 4 (a partial vector), 12 (the MNIST net's pool), 35 (two whole 16-lane vectors and 3).
    for (const Shape& shape : {Shape{3, 4, 7, 9}, Shape{2, 10, 24, 24}, Shape{2, 3, 5, 71}})
    for (std::size_t threads : {1, 2}) {
        CAPTURE(threads);
        CAPTURE(shape[3]);
        Tensor<T> x(shape);
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = values[gen.below(8)];
        set_num_threads(threads);
        Standalone<MaxPool2d<T>> training({.kernel = 2}), eval({.kernel = 2});
        eval.eval();
        const Tensor<T> expected = training.forward(x);
        const Tensor<T>& got = eval.forward(x);
        REQUIRE(got.shape() == Shape{shape[0], shape[1], shape[2] / 2, shape[3] / 2});
        std::size_t mismatches = 0, nans = 0, negative_zeros = 0;
        for (std::size_t i = 0; i < got.size(); ++i) {
            mismatches += !same(got[i], expected[i]);
            nans += std::isnan(got[i]);
            negative_zeros += got[i] == T(0) && std::signbit(got[i]);
        }
        CHECK(mismatches == 0);
        CHECK(nans > 0);  // the data exercised the NaN rule …
        CHECK(nans < got.size());
        CHECK(negative_zeros > 0);  // … and the tie of −0 and +0 (a NaN-free window of zeros and −1 only)
    }
    set_num_threads(1);
}

namespace {

/// The 2×2 eval rule written out for one window, in double: the first value, replaced in row-major order by a later
/// one that is greater or NaN, never once it is NaN — the first maximum, or the first NaN.
double first_max_or_nan(double a, double b, double c, double d) {
    double m = a;
    for (double v : {b, c, d})
        if (!std::isnan(m) && (std::isnan(v) || v > m)) m = v;
    return m;
}

}  // namespace

TEST_CASE("MaxPool2d 2×2 eval kernel, every ISA: bit for bit the scalar ISA, and exactly the rule in double") {
    // Values with ties (−0 against +0, repeated values), ±∞ and two NaNs with different payloads (so "the first NaN"
    // is checked bit for bit), then normal values. Shapes: the MNIST net's pool input at batch 4, every output width
    // 1 … 35 (whole vectors and every partial one on each ISA), odd H and W (the floor drops a row and a column), one
    // plane.
    const float nan_a = std::bit_cast<float>(0x7fc00001u), nan_b = std::bit_cast<float>(0xffc00abcu);
    const float inf = std::numeric_limits<float>::infinity();
    const float specials[] = {-1.f, -0.f, 0.f, 1.f, 2.f, nan_a, nan_b, -inf, inf, 1.f};
    std::vector<std::array<std::size_t, 3>> shapes = {{40, 24, 24}};  // [4, 10, 24, 24] as 40 planes
    for (std::size_t W = 2; W <= 71; ++W) shapes.push_back({3, 2 + W % 5, W});
    shapes.push_back({1, 7, 9});
    Generator gen(41);
    for (const auto& shape : shapes) {
        // (not a structured binding: clang 14 cannot capture one in CAPTURE's lambda)
        const std::size_t planes = shape[0], H = shape[1], W = shape[2];
        CAPTURE(planes);
        CAPTURE(H);
        CAPTURE(W);
        const std::size_t out_h = H / 2, out_w = W / 2;
        for (bool special : {true, false}) {
            std::vector<float> x(planes * H * W);
            for (float& v : x) v = special ? specials[gen.below(10)] : static_cast<float>(gen.normal());
            std::vector<float> expected(planes * out_h * out_w);
            for (std::size_t p = 0; p < planes; ++p)
                for (std::size_t oh = 0; oh < out_h; ++oh)
                    for (std::size_t ow = 0; ow < out_w; ++ow) {
                        const float* w = x.data() + (p * H + 2 * oh) * W + 2 * ow;
                        const double m = first_max_or_nan(w[0], w[1], w[W], w[W + 1]);
                        // float → double → float keeps every value and NaN payload, so the rule's pick is exact
                        expected[(p * out_h + oh) * out_w + ow] = static_cast<float>(m);
                    }
            std::vector<float> scalar(expected.size(), -7.f);
            kernels::pool_for(Isa::scalar).max_2x2(x.data(), planes, H, W, scalar.data());
            // Tolerance 0: a maximum is a selection, so the kernel must return the rule's value itself (NaN payload
            // and sign of zero included).
            CHECK(first_bit_difference(scalar, expected) == -1);
            for (Isa isa : supported_isas()) {
                CAPTURE(isa_name(isa));
                std::vector<float> got(expected.size(), -7.f);
                kernels::pool_for(isa).max_2x2(x.data(), planes, H, W, got.data());
                CHECK(first_bit_difference(got, scalar) == -1);
            }
        }
    }
}
