// Conv2d: hand-computed values, im2col + GEMM against the direct reference (forward, dx, dW, db; float and double;
// stride, padding, rectangular kernels, odd sizes, 1×1 kernels), gradient checks, accumulation, thread-count
// determinism, options, describe(), init, and error messages.
#include <minitorch/gradcheck.hpp>
#include <minitorch/kernels/conv_reference.hpp>
#include <minitorch/kernels/parallel.hpp>
#include <minitorch/layers/conv2d.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"

#include <cmath>
#include <vector>

using namespace minitorch;

static_assert(Layer<Conv2d<float>>);
static_assert(Layer<Conv2d<double>>);
static_assert(WindowedLayer<Conv2d<float>>);
static_assert(WindowedLayer<Conv2d<double>>);

namespace {

/// |got − want| ≤ tol·(1 + |want|) for every element; reports the worst one.
template <class T>
void check_close(const Tensor<T>& got, const Tensor<T>& want, double tol, const char* what) {
    REQUIRE(got.shape() == want.shape());
    double worst = 0;
    std::size_t at = 0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const double err = std::abs(double(got[i]) - double(want[i])) / (tol * (1 + std::abs(double(want[i]))));
        if (!(err <= worst)) worst = err, at = i;
    }
    INFO(what << ": worst element " << at << ": got " << got[at] << ", reference " << want[at] << " (tol " << tol
              << ")");
    CHECK(worst <= 1.0);
}

using test_support::random_tensor;

template <class T>
void zero_grads(Conv2d<T>& conv) {
    for (auto& p : conv.parameters()) p.grad->zero();
}

struct Case {
    Conv2dOptions options;
    Shape x;
};

// Shapes the fast path is compared with the reference on (batch 2–3, odd sizes, every geometry branch).
const std::vector<Case> cases = {
    {{.in = 3, .out = 4, .kernel = 3}, {3, 3, 7, 6}},
    {{.in = 2, .out = 5, .kernel = 3, .stride = 2, .padding = 1}, {3, 2, 9, 8}},
    {{.in = 1, .out = 4, .kernel_h = 2, .kernel_w = 3, .stride = 2, .padding = 1, .bias = false}, {3, 1, 5, 7}},
    {{.in = 4, .out = 3, .kernel_h = 3, .kernel_w = 1, .padding = 2}, {2, 4, 5, 5}},
    {{.in = 3, .out = 2, .kernel = 1}, {3, 3, 5, 4}},                 // 1×1, stride 1: col is the image itself
    {{.in = 2, .out = 3, .kernel = 1, .stride = 2}, {3, 2, 5, 5}},    // 1×1 but strided: the general path
    {{.in = 2, .out = 3, .kernel = 5, .bias = false}, {2, 2, 5, 5}},  // output 1×1
    {{.in = 2, .out = 2, .kernel = 3, .stride = 3, .padding = 1}, {3, 2, 7, 8}},
    {{.in = 16, .out = 8, .kernel = 3}, {2, 16, 6, 6}},  // more channels than taps per channel
};

}  // namespace

TEST_CASE("Conv2d: a 4×4 single-channel input and a known 3×3 kernel, by hand") {
    // x[i, j] = 4i + j + 1 (1 … 16), image 2 is 2·x. Kernel K = [[1, 2, 0], [0, −1, 3], [−2, 0, 1]], bias 0.5.
    // Valid window at (oh, ow): Σ K[i, j]·(4(oh + i) + (ow + j) + 1) = 13 + ΣK·(4·oh + ow) with ΣK = 4, so
    // y = 13, 17, 29, 33 (+0.5), and twice that (+0.5) for image 2.
    Tensor<double> x({2, 1, 4, 4});
    for (std::size_t k = 0; k < 16; ++k) x[k] = double(k + 1), x[16 + k] = 2.0 * double(k + 1);
    const Tensor<double> K({1, 1, 3, 3}, {1, 2, 0, 0, -1, 3, -2, 0, 1});

    Standalone<Conv2d<double>> conv({.in = 1, .out = 1, .kernel = 3});
    conv.set_weight(K);
    conv.set_bias(Tensor<double>({1}, {0.5}));
    const auto& y = conv.forward(x);
    REQUIRE(y.shape() == Shape{2, 1, 2, 2});
    CHECK(y(0, 0, 0, 0) == 13.5);
    CHECK(y(0, 0, 0, 1) == 17.5);
    CHECK(y(0, 0, 1, 0) == 29.5);
    CHECK(y(0, 0, 1, 1) == 33.5);
    CHECK(y(1, 0, 0, 0) == 26.5);
    CHECK(y(1, 0, 1, 1) == 66.5);

    // padding 1: the top-left output sees only K[1..2, 1..2] on x[0..1, 0..1]: −1·1 + 3·2 + 0·5 + 1·6 = 11.
    // stride 2 with padding 1 gives 2×2; its (1, 1) window is the unpadded window at (1, 1): 33.
    Standalone<Conv2d<double>> padded({.in = 1, .out = 1, .kernel = 3, .stride = 2, .padding = 1, .bias = false});
    padded.set_weight(K);
    const auto& yp = padded.forward(x);
    REQUIRE(yp.shape() == Shape{2, 1, 2, 2});
    CHECK(yp(0, 0, 0, 0) == 11.0);
    CHECK(yp(0, 0, 1, 1) == 33.0);

    // backward with dy = 1 everywhere on the unpadded conv: db = number of outputs (8), dW[i, j] = Σ over both
    // images of the 2×2 block of x starting at (i, j) = 3·(4·(4i + j + 1) + 10) … check two taps by hand:
    // dW[0, 0] = 3·(1 + 2 + 5 + 6) = 42, dW[2, 2] = 3·(11 + 12 + 15 + 16) = 162.
    conv.forward(x);
    const auto& dx = conv.backward(Tensor<double>({2, 1, 2, 2}, 1.0));
    CHECK(conv.bias_grad()[0] == 8.0);
    CHECK(conv.weight_grad()(0, 0, 0, 0) == 42.0);
    CHECK(conv.weight_grad()(0, 0, 2, 2) == 162.0);
    // dx[0, 0] is touched only by the window at (0, 0) through K[0, 0]; dx[1, 1] by all four windows:
    // K[1, 1] + K[1, 0] + K[0, 1] + K[0, 0] = −1 + 0 + 2 + 1 = 2.
    CHECK(dx(0, 0, 0, 0) == 1.0);
    CHECK(dx(0, 0, 1, 1) == 2.0);
}

TEST_CASE_TEMPLATE("Conv2d: im2col + GEMM agrees with the direct reference (forward, dx, dW, db)", T, float, double) {
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    Generator gen(21);
    for (const auto& c : cases) {
        Standalone<Conv2d<T>> conv(c.options, gen);
        INFO(conv.describe() << " on " << to_string(c.x));
        const Tensor<T> x = random_tensor<T>(c.x, gen);
        const Tensor<T> y = conv.forward(x);
        const Tensor<T> y_ref =
            conv2d_forward_reference(x, conv.weight(), conv.bias(), c.options.stride, c.options.padding);
        check_close(y, y_ref, tol, "forward");

        const Tensor<T> dy = random_tensor<T>(y.shape(), gen);
        zero_grads(conv);
        const Tensor<T> dx = conv.backward(dy);
        check_close(dx,
                    conv2d_backward_data_reference(dy, conv.weight(), x.shape(), c.options.stride, c.options.padding),
                    tol, "dx");
        check_close(
            conv.weight_grad(),
            conv2d_backward_weights_reference(x, dy, conv.weight().shape(), c.options.stride, c.options.padding), tol,
            "dW");
        if (c.options.bias) check_close(conv.bias_grad(), conv2d_backward_bias_reference(dy), tol, "db");
    }
}

TEST_CASE("Conv2d: gradcheck of input, weight and bias (stride, padding, rectangular kernels, 1×1)") {
    Generator gen(7);
    const std::vector<Case> checks = {
        {{.in = 2, .out = 3, .kernel = 3}, {2, 2, 5, 6}},
        {{.in = 2, .out = 3, .kernel = 3, .stride = 2, .padding = 1}, {2, 2, 7, 6}},
        {{.in = 1, .out = 2, .kernel_h = 2, .kernel_w = 3, .stride = 2, .padding = 1, .bias = false}, {3, 1, 5, 5}},
        {{.in = 3, .out = 2, .kernel = 1}, {2, 3, 3, 4}},
        {{.in = 2, .out = 2, .kernel_h = 3, .kernel_w = 1, .padding = 2}, {2, 2, 3, 3}},
    };
    for (const auto& c : checks) {
        Standalone<Conv2d<double>> conv(c.options, gen);
        const auto r = gradcheck(conv, random_tensor<double>(c.x, gen));
        INFO(conv.describe() << " on " << to_string(c.x) << "\n" << r.report);
        CHECK(r.ok);
        CHECK(conv.parameters().size() == (c.options.bias ? 2u : 1u));
    }
}

TEST_CASE("Conv2d: parameter gradients accumulate until zeroed, dx is assigned") {
    Generator gen(2);
    Standalone<Conv2d<double>> conv({.in = 2, .out = 3, .kernel = 3, .padding = 1}, gen);
    const auto x = random_tensor<double>({2, 2, 4, 4}, gen);
    const auto dy = random_tensor<double>({2, 3, 4, 4}, gen);
    conv.forward(x);
    const Tensor<double> dx_once = conv.backward(dy);
    const Tensor<double> w_once = conv.weight_grad(), b_once = conv.bias_grad();
    const Tensor<double> dx_twice = conv.backward(dy);
    CHECK(dx_twice == dx_once);
    // 0 + g = g and g + g = 2g exactly in floating point, so these are exact comparisons.
    for (std::size_t i = 0; i < w_once.size(); ++i) CHECK(conv.weight_grad()[i] == 2 * w_once[i]);
    for (std::size_t i = 0; i < b_once.size(); ++i) CHECK(conv.bias_grad()[i] == 2 * b_once[i]);
    zero_grads(conv);
    conv.backward(dy);
    CHECK(conv.weight_grad() == w_once);
}

TEST_CASE("Conv2d: thread count — y and dx do not depend on it, dW is reproducible and matches the reference") {
    // y and dx: every image is computed by the same code whichever thread runs it → bit-identical for 1 and 2 threads.
    // dW, db: each thread sums its own chunk of the batch, then the partials are added in thread order. With 2 threads
    // the float additions are grouped differently from 1 thread, so dW may differ in the last bits (compared with a
    // tolerance), but the same thread count always gives the same bits.
    Generator gen(5);
    Standalone<Conv2d<float>> conv({.in = 3, .out = 4, .kernel = 3, .stride = 2, .padding = 1}, gen);
    const auto x = random_tensor<float>({5, 3, 9, 7}, gen);  // 5 images: chunks of 3 and 2
    const auto dy = random_tensor<float>(conv.output_shape(x.shape()), gen);

    auto run = [&](std::size_t threads) {
        set_num_threads(threads);
        zero_grads(conv);
        const Tensor<float> y = conv.forward(x);
        const Tensor<float> dx = conv.backward(dy);
        return std::vector<Tensor<float>>{y, dx, conv.weight_grad(), conv.bias_grad()};
    };
    const auto one = run(1);
    const auto two = run(2);
    const auto two_again = run(2);
    set_num_threads(1);

    CHECK(two[0] == one[0]);
    CHECK(two[1] == one[1]);
    CHECK(two_again[2] == two[2]);
    CHECK(two_again[3] == two[3]);
    check_close(two[2], one[2], 1e-5, "dW, 2 threads vs 1");
    check_close(two[3], one[3], 1e-5, "db, 2 threads vs 1");
    check_close(two[2], conv2d_backward_weights_reference(x, dy, conv.weight().shape(), 2, 1), 1e-5, "dW vs reference");

    // A batch smaller than the thread count: the idle thread contributes nothing, so every result equals 1 thread's.
    Tensor<float> x1({1, 3, 9, 7});
    std::copy(x.begin(), x.begin() + static_cast<long>(x1.size()), x1.begin());
    Tensor<float> dy1(conv.output_shape(x1.shape()));
    std::copy(dy.begin(), dy.begin() + static_cast<long>(dy1.size()), dy1.begin());
    auto run1 = [&](std::size_t threads) {
        set_num_threads(threads);
        zero_grads(conv);
        conv.forward(x1);
        conv.backward(dy1);
        return conv.weight_grad();
    };
    const Tensor<float> w1 = run1(1), w2 = run1(2);
    set_num_threads(1);
    CHECK(w2 == w1);
}

TEST_CASE("Conv2d: options, describe(), window(), output_shape(), parameters") {
    Standalone<Conv2d<float>> a({.in = 16, .out = 32, .kernel = 3});
    CHECK(a.describe() == "Conv2d(16→32, k=3)");
    CHECK(a.window().kernel == 3);
    CHECK(a.window().stride == 1);
    CHECK(a.output_shape({128, 16, 26, 26}) == Shape{128, 32, 24, 24});
    CHECK(a.weight().shape() == Shape{32, 16, 3, 3});
    CHECK(a.bias().shape() == Shape{32});
    CHECK(a.options().kernel_h == 3);
    CHECK(a.options().kernel_w == 3);

    Standalone<Conv2d<float>> b(
        {.in = 1, .out = 4, .kernel_h = 2, .kernel_w = 3, .stride = 2, .padding = 1, .bias = false});
    CHECK(b.describe() == "Conv2d(1→4, k=2×3, s=2, p=1, bias=false)");
    CHECK(b.window().kernel == 2);
    CHECK(b.window().stride == 2);
    CHECK(b.output_shape({2, 1, 5, 7}) == Shape{2, 4, 3, 4});  // (5 + 2 − 2)/2 + 1, (7 + 2 − 3)/2 + 1
    CHECK(b.weight().shape() == Shape{4, 1, 2, 3});
    CHECK(b.bias().empty());
    CHECK(b.options().kernel == 0);
    const auto params = b.parameters();
    REQUIRE(params.size() == 1);
    CHECK(params[0].name == "weight");

    // kernel_h = kernel_w is a square kernel; kernel given twice consistently is accepted (options() round-trips).
    Standalone<Conv2d<float>> c({.in = 2, .out = 2, .kernel_h = 5, .kernel_w = 5, .padding = 2});
    CHECK(c.describe() == "Conv2d(2→2, k=5, p=2)");
    CHECK_NOTHROW(Conv2d<float>(c.options()));
    const auto pc = c.parameters();
    REQUIRE(pc.size() == 2);
    CHECK(pc[0].name == "weight");
    CHECK(pc[1].name == "bias");
    CHECK(pc[1].value == &c.bias());
}

TEST_CASE("Conv2d: PyTorch's init, U(−1/√fan_in, 1/√fan_in) for weight and bias, reproducible from the seed") {
    Generator g1(42), g2(42);
    Standalone<Conv2d<float>> a({.in = 4, .out = 8, .kernel = 3}, g1), b({.in = 4, .out = 8, .kernel = 3}, g2);
    CHECK(a.weight() == b.weight());
    CHECK(a.bias() == b.bias());
    const float bound = 1.0f / 6.0f;  // fan_in = 4·3·3 = 36
    CHECK(a.weight().array().abs().maxCoeff() <= bound);
    CHECK(a.weight().array().abs().maxCoeff() > 0.8f * bound);  // spread over the range, not a tiny or zero init
    CHECK(a.bias().array().abs().maxCoeff() <= bound);
    CHECK(a.bias().array().abs().maxCoeff() > 0.0f);
    CHECK(a.weight_grad().array().abs().maxCoeff() == 0.0f);
}

TEST_CASE("Conv2d: error messages") {
    Standalone<Conv2d<float>> conv({.in = 16, .out = 32, .kernel = 3});
    CHECK_THROWS_WITH_AS(conv.forward(Tensor<float>({128, 10, 24, 24})),
                         "Conv2d(16→32, k=3): expected input [N, 16, H, W] with H, W ≥ 3, got [128, 10, 24, 24]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(conv.forward(Tensor<float>({2, 16, 2, 5})),
                         "Conv2d(16→32, k=3): expected input [N, 16, H, W] with H, W ≥ 3, got [2, 16, 2, 5]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(conv.output_shape({16, 24, 24}),
                         "Conv2d(16→32, k=3): expected input [N, 16, H, W] with H, W ≥ 3, got [16, 24, 24]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(conv.backward(Tensor<float>({2, 32, 1, 1})),
                         doctest::Contains("Conv2d(16→32, k=3): backward called without a forward before it"),
                         std::logic_error);
    conv.forward(Tensor<float>({2, 16, 5, 5}));
    CHECK_THROWS_WITH_AS(conv.backward(Tensor<float>({2, 32, 3, 4})),
                         "Conv2d(16→32, k=3): expected gradient of the output's shape [2, 32, 3, 3], got [2, 32, 3, 4]",
                         std::invalid_argument);
    CHECK_NOTHROW(conv.backward(Tensor<float>({2, 32, 3, 3})));
    conv.eval();
    conv.forward(Tensor<float>({2, 16, 5, 5}));
    CHECK_NOTHROW(conv.backward(
        Tensor<float>({2, 32, 3, 3})));  // the caller keeps x: backward works after an eval-mode forward too

    // with padding the bound accounts for it: H + 2·1 ≥ 5
    Standalone<Conv2d<float>> padded({.in = 2, .out = 3, .kernel = 5, .padding = 1});
    CHECK_THROWS_WITH_AS(padded.forward(Tensor<float>({2, 2, 2, 6})),
                         "Conv2d(2→3, k=5, p=1): expected input [N, 2, H, W] with H, W ≥ 3, got [2, 2, 2, 6]",
                         std::invalid_argument);
    CHECK(padded.output_shape({2, 2, 3, 3}) == Shape{2, 3, 1, 1});
    Standalone<Conv2d<float>> rect({.in = 1, .out = 1, .kernel_h = 2, .kernel_w = 3});
    CHECK_THROWS_WITH_AS(rect.forward(Tensor<float>({1, 1, 4, 2})),
                         "Conv2d(1→1, k=2×3): expected input [N, 1, H, W] with H ≥ 2, W ≥ 3, got [1, 1, 4, 2]",
                         std::invalid_argument);

    CHECK_THROWS_WITH_AS(conv.set_weight(Tensor<float>({32, 16, 3, 2})),
                         "Conv2d(16→32, k=3).set_weight: expected shape [32, 16, 3, 3], got [32, 16, 3, 2]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(conv.set_bias(Tensor<float>({16})),
                         "Conv2d(16→32, k=3).set_bias: expected shape [32], got [16]", std::invalid_argument);
    Standalone<Conv2d<float>> no_bias({.in = 1, .out = 2, .kernel = 2, .bias = false});
    CHECK_THROWS_WITH_AS(no_bias.set_bias(Tensor<float>({2})),
                         "Conv2d(1→2, k=2, bias=false).set_bias: this layer was built without a bias",
                         std::logic_error);
}

TEST_CASE("Conv2d: invalid options") {
    CHECK_THROWS_WITH_AS(Conv2d<float>({.in = 0, .out = 32, .kernel = 3}),
                         "Conv2d: in and out channels must be positive, got in=0, out=32", std::invalid_argument);
    CHECK_THROWS_WITH_AS(Conv2d<float>({.in = 3, .out = 0, .kernel = 3}),
                         "Conv2d: in and out channels must be positive, got in=3, out=0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(
        Conv2d<float>({.in = 3, .out = 8}),
        "Conv2d: kernel size must be positive (give kernel, or kernel_h and kernel_w), got kernel_h=0, "
        "kernel_w=0",
        std::invalid_argument);
    CHECK_THROWS_WITH_AS(
        Conv2d<float>({.in = 3, .out = 8, .kernel_h = 3}),
        "Conv2d: kernel size must be positive (give kernel, or kernel_h and kernel_w), got kernel_h=3, "
        "kernel_w=0",
        std::invalid_argument);
    CHECK_THROWS_WITH_AS(Conv2d<float>({.in = 3, .out = 8, .kernel = 3, .kernel_w = 2}),
                         "Conv2d: kernel=3 conflicts with kernel_h=0, kernel_w=2; give either kernel or kernel_h and "
                         "kernel_w",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(Conv2d<float>({.in = 3, .out = 8, .kernel = 3, .stride = 0}),
                         "Conv2d: stride must be positive, got 0", std::invalid_argument);
}

TEST_CASE("conv2d reference: rejects incompatible shapes") {
    const Tensor<double> x({1, 2, 4, 4}), w({3, 2, 3, 3});
    CHECK_THROWS_WITH_AS(
        conv2d_forward_reference(x, Tensor<double>({3, 1, 3, 3}), Tensor<double>(), 1, 0),
        "conv2d reference: incompatible input [1, 2, 4, 4] and weight [3, 1, 3, 3] (stride 1, padding 0)",
        std::invalid_argument);
    CHECK_THROWS_WITH_AS(conv2d_forward_reference(x, w, Tensor<double>({2}), 1, 0),
                         "conv2d reference: bias must be [3] or empty, got [2]", std::invalid_argument);
    CHECK_THROWS_WITH_AS(conv2d_backward_data_reference(Tensor<double>({1, 3, 3, 3}), w, x.shape(), 1, 0),
                         "conv2d reference: dy must be [1, 3, 2, 2], got [1, 3, 3, 3]", std::invalid_argument);
}

TEST_CASE("Standalone<Conv2d>: backward needs a forward; a copy made after forward has its own input") {
    Generator gen(41);
    Standalone<Conv2d<float>> a({.in = 3, .out = 4, .kernel = 3, .padding = 1}, gen);
    const Tensor<float> x = random_tensor<float>({2, 3, 5, 6}, gen);
    const Tensor<float> dy = random_tensor<float>({2, 4, 5, 6}, gen);
    CHECK_THROWS_WITH_AS(a.backward(dy),
                         "Conv2d(3→4, k=3, p=1): backward called without a forward before it (call "
                         "forward(x) first)",
                         std::logic_error);
    a.forward(x);
    CHECK_THROWS_WITH_AS(
        a.backward(Tensor<float>(Shape{2, 4, 5, 5})),
        "Conv2d(3→4, k=3, p=1): expected gradient of the output's shape [2, 4, 5, 6], got [2, 4, 5, 5]",
        std::invalid_argument);
    Standalone<Conv2d<float>> copy = a;
    a.forward(random_tensor<float>({1, 3, 4, 4}, gen));  // the original's next forward does not reach the copy
    Standalone<Conv2d<float>> fresh = copy;
    fresh.forward(x);
    CHECK(copy.backward(dy) == fresh.backward(dy));
    CHECK(copy.weight_grad() == fresh.weight_grad());
}

TEST_CASE("Conv2d: a weight or gradient reshaped through parameters() is refused by name, never used (issue 15)") {
    // The case: a [1] weight made forward read past the heap buffer (ASan) and return garbage.
    const std::string fixed = " (a parameter's shape is fixed by its layer: write its values through parameters(), "
                              "do not replace the tensor)";
    Standalone<Conv2d<float>> conv({.in = 1, .out = 1, .kernel = 3});
    const Tensor<float> x(Shape{1, 1, 4, 4}, 1.f), dy(Shape{1, 1, 2, 2}, 1.f);
    *conv.parameters()[0].value = Tensor<float>({1}, 1.f);
    const std::string weight = "Conv2d(1→1, k=3): parameter weight has shape [1], expected [1, 1, 3, 3]" + fixed;
    CHECK_THROWS_WITH_AS(conv.forward(x), weight.c_str(), std::invalid_argument);

    // A weight larger than its gradient (SGD's case) or a smaller gradient: backward refuses before it writes.
    Standalone<Conv2d<float>> c2({.in = 1, .out = 1, .kernel = 3});
    c2.forward(x);
    *c2.parameters()[0].grad = Tensor<float>(Shape{1, 1, 2, 2});
    const std::string grad =
        "Conv2d(1→1, k=3): parameter weight's gradient has shape [1, 1, 2, 2], expected [1, 1, 3, 3]" + fixed;
    CHECK_THROWS_WITH_AS(c2.backward(dy), grad.c_str(), std::invalid_argument);
    *c2.parameters()[1].value = Tensor<float>(Shape{2});
    CHECK_THROWS_WITH_AS(c2.forward(x), ("Conv2d(1→1, k=3): parameter bias has shape [2], expected [1]" + fixed).c_str(),
                         std::invalid_argument);
}

TEST_CASE("Conv2d: padding or sizes whose geometry overflows size_t are refused naming the layer (issue 15)") {
    // padding 2^63: 2·p wrapped to 0 and the padding was silently ignored.
    CHECK_THROWS_WITH_AS(Conv2d<float>({.in = 1, .out = 1, .kernel = 3, .padding = 1ull << 63}),
                         "Conv2d: padding 9223372036854775808 is too large: 2·padding: 2 · 9223372036854775808 "
                         "overflows size_t",
                         std::invalid_argument);
    // padding 2^62 on a 4×4 input: im2col segfaulted.
    Standalone<Conv2d<float>> conv({.in = 1, .out = 1, .kernel = 3, .padding = 1ull << 62});
    const Tensor<float> x(Shape{1, 1, 4, 4}, 1.f);
    const std::string expected = "Conv2d(1→1, k=3, p=4611686018427387904) on input [1, 1, 4, 4]: output positions "
                                 "outH·outW: 9223372036854775810 · 9223372036854775810 overflows size_t";
    CHECK_THROWS_WITH_AS(conv.forward(x), expected.c_str(), std::invalid_argument);
    CHECK_THROWS_WITH_AS(conv.output_shape(x.shape()), expected.c_str(), std::invalid_argument);
    // An input whose padded height wraps around.
    Standalone<Conv2d<float>> padded({.in = 1, .out = 1, .kernel = 1, .padding = 1ull << 62});
    CHECK_THROWS_AS(padded.output_shape({1, 1, std::size_t(-1) / 2 + 2, 1}), std::invalid_argument);
    // A weight with more elements than size_t counts.
    CHECK_THROWS_WITH_AS(Conv2d<float>({.in = 1ull << 32, .out = 1ull << 32, .kernel = 1}),
                         "Conv2d: weight of shape [4294967296, 4294967296, 1, 1] has too many elements (the count "
                         "overflows size_t; a tensor of 4-byte elements holds at most 2305843009213693951)",
                         std::invalid_argument);
}
