// BatchNorm1d / BatchNorm2d: normalisation, running statistics (unbiased variance), gradient checks in training and
// eval mode, the fast kernel against the plain reference, thread-count independence, accumulation, errors; the
// kernels of every ISA this CPU supports (kernels/batchnorm.hpp) against the scalar ISA bit for bit and against
// double within stated bounds, on the MNIST net's shapes and awkward ones.
#include <minitorch/gradcheck.hpp>
#include <minitorch/kernels/batchnorm.hpp>
#include <minitorch/kernels/batchnorm_channel.hpp>
#include <minitorch/kernels/batchnorm_reference.hpp>
#include <minitorch/kernels/parallel.hpp>
#include <minitorch/layers/batchnorm.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"
#include "support/same_bits.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

using namespace minitorch;

namespace {
using test_support::first_bit_difference;
using test_support::random_tensor;
using test_support::same_bits;

/// Per-channel mean and biased variance of a [N, C, ...] tensor, computed directly (two passes, double).
void channel_stats(const Tensor<double>& x, std::vector<double>& mean, std::vector<double>& var) {
    const std::size_t batch = x.dim(0), channels = x.dim(1), spatial = x.size() / (batch * channels);
    mean.assign(channels, 0.0);
    var.assign(channels, 0.0);
    for (std::size_t c = 0; c < channels; ++c) {
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t s = 0; s < spatial; ++s) mean[c] += x[(n * channels + c) * spatial + s];
        mean[c] /= static_cast<double>(batch * spatial);
        for (std::size_t n = 0; n < batch; ++n)
            for (std::size_t s = 0; s < spatial; ++s) {
                const double d = x[(n * channels + c) * spatial + s] - mean[c];
                var[c] += d * d;
            }
        var[c] /= static_cast<double>(batch * spatial);
    }
}

/// CHECKs that y is x normalised per channel with the batch statistics: each channel of y has mean 0 and the
/// variance σ²/(σ² + eps) of x̂, σ² the biased variance of x's channel (exactly so, up to rounding).
void check_normalised(const Tensor<double>& x, const Tensor<double>& y) {
    std::vector<double> x_mean, x_var, y_mean, y_var;
    channel_stats(x, x_mean, x_var);
    channel_stats(y, y_mean, y_var);
    for (std::size_t c = 0; c < x_mean.size(); ++c) {
        CHECK(std::abs(y_mean[c]) < 1e-12);
        CHECK(y_var[c] == doctest::Approx(x_var[c] / (x_var[c] + 1e-5)).epsilon(1e-12));
    }
}

template <class BN>
void set_random_affine(BN& bn, std::size_t channels, std::uint64_t seed) {
    bn.set_weight(random_tensor({channels}, seed, 1.0, 0.5));
    bn.set_bias(random_tensor({channels}, seed + 1, 0.0, 0.5));
}

/// A BatchNorm2d over gamma's channels with γ = gamma and β = beta.
template <class T>
Standalone<BatchNorm2d<T>> with_affine(const Tensor<T>& gamma, const Tensor<T>& beta) {
    Standalone<BatchNorm2d<T>> bn({.features = gamma.size()});
    bn.set_weight(gamma);
    bn.set_bias(beta);
    return bn;
}

/// The plain reference's training forward and backward (reference::batch_norm_*_train, eps 1e-5), in double.
struct Reference {
    Tensor<double> y, dx;
    std::vector<double> mean, var, dgamma, dbeta;
};

template <class T>
Reference reference_training(const Tensor<T>& x, const Tensor<T>& gamma, const Tensor<T>& beta, const Tensor<T>& dy) {
    Reference r;
    reference::batch_norm_forward_train(x, gamma, beta, 1e-5, r.y, r.mean, r.var);
    reference::batch_norm_backward_train(x, gamma, 1e-5, dy, r.dx, r.dgamma, r.dbeta);
    return r;
}

/// CHECKs a float layer's training y and dx against the double reference: y (γ·x̂ + β of size ~3: a few float
/// roundings of x̂, ~2e-7 each, plus μ and inv_std in float) within 2e-6, dx within 2e-6 of its largest value.
void check_within_float_rounding(const Tensor<float>& y, const Tensor<float>& dx, const Reference& ref) {
    double y_err = 0, dx_err = 0, dx_scale = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        y_err = std::max(y_err, std::abs(y[i] - ref.y[i]));
        dx_err = std::max(dx_err, std::abs(dx[i] - ref.dx[i]));
        dx_scale = std::max(dx_scale, std::abs(ref.dx[i]));
    }
    CHECK(y_err < 2e-6);
    CHECK(dx_err < 2e-6 * dx_scale);
}
}  // namespace

TEST_CASE("BatchNorm2d: training forward normalises each channel with the biased batch variance") {
    Standalone<BatchNorm2d<double>> bn({.features = 3});
    const auto x = random_tensor({4, 3, 5, 6}, 1, 2.0, 3.0);
    const auto& y = bn.forward(x);
    check_normalised(x, y);
    // with γ, β: y = γ·x̂ + β elementwise
    Standalone<BatchNorm2d<double>> affine({.features = 3});
    set_random_affine(affine, 3, 7);
    const auto& ya = affine.forward(x);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = (i / 30) % 3;
        CHECK(ya[i] == doctest::Approx(affine.weight()[c] * y[i] + affine.bias()[c]).epsilon(1e-12));
    }
}

TEST_CASE("BatchNorm: running statistics follow PyTorch's update with the unbiased variance") {
    Standalone<BatchNorm2d<double>> bn({.features = 2, .momentum = 0.3});
    std::vector<double> rm(2, 0.0), rv(2, 1.0), mean, var;
    for (std::uint64_t step = 0; step < 4; ++step) {
        const auto x = random_tensor({3, 2, 3, 5}, 100 + step, 1.0 + static_cast<double>(step), 2.0);
        bn.forward(x);
        channel_stats(x, mean, var);
        const double n = 3 * 3 * 5;
        for (std::size_t c = 0; c < 2; ++c) {
            rm[c] = 0.7 * rm[c] + 0.3 * mean[c];
            rv[c] = 0.7 * rv[c] + 0.3 * var[c] * n / (n - 1);
        }
    }
    for (std::size_t c = 0; c < 2; ++c) {
        CHECK(bn.running_mean()[c] == doctest::Approx(rm[c]).epsilon(1e-13));
        CHECK(bn.running_var()[c] == doctest::Approx(rv[c]).epsilon(1e-13));
    }
    CHECK(bn.num_batches_tracked().shape() == Shape{});
    CHECK(bn.num_batches_tracked()[0] == 4.0);

    // eval: normalises with the running statistics, updates nothing
    bn.eval();
    const auto x = random_tensor({2, 2, 3, 5}, 9);
    const auto& y = bn.forward(x);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = (i / 15) % 2;
        CHECK(y[i] == doctest::Approx((x[i] - rm[c]) / std::sqrt(rv[c] + 1e-5)).epsilon(1e-12));
    }
    CHECK(bn.num_batches_tracked()[0] == 4.0);
    CHECK(bn.running_mean()[0] == doctest::Approx(rm[0]).epsilon(1e-13));
}

TEST_CASE("BatchNorm1d: running statistics and normalisation for N×C and N×C×L inputs") {
    Standalone<BatchNorm1d<double>> bn({.features = 3});
    const auto x = random_tensor({5, 3}, 3, -1.0, 0.5);
    check_normalised(x, bn.forward(x));
    std::vector<double> mean, var;
    channel_stats(x, mean, var);
    for (std::size_t c = 0; c < 3; ++c) {
        CHECK(bn.running_mean()[c] == doctest::Approx(0.1 * mean[c]).epsilon(1e-13));
        CHECK(bn.running_var()[c] == doctest::Approx(0.9 + 0.1 * var[c] * 5.0 / 4.0).epsilon(1e-13));
    }
    const auto x3 = random_tensor({2, 3, 4}, 4);
    check_normalised(x3, bn.forward(x3));
    CHECK(bn.num_batches_tracked()[0] == 2.0);
}

TEST_CASE("BatchNorm2d: gradcheck in training mode on an odd spatial size") {
    Standalone<BatchNorm2d<double>> bn({.features = 2});
    set_random_affine(bn, 2, 21);
    const auto r = gradcheck(bn, random_tensor({3, 2, 5, 3}, 22, 0.5, 2.0));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("BatchNorm1d: gradcheck in training mode on 4×3 and 3×2×4") {
    Standalone<BatchNorm1d<double>> bn({.features = 3});
    set_random_affine(bn, 3, 31);
    auto r = gradcheck(bn, random_tensor({4, 3}, 32));
    INFO(r.report);
    CHECK(r.ok);
    Standalone<BatchNorm1d<double>> bn2({.features = 2});
    set_random_affine(bn2, 2, 33);
    r = gradcheck(bn2, random_tensor({3, 2, 4}, 34));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("BatchNorm2d: gradcheck without affine parameters") {
    Standalone<BatchNorm2d<double>> bn({.features = 2, .affine = false});
    CHECK(bn.parameters().size() == 3);
    const auto r = gradcheck(bn, random_tensor({2, 2, 3, 3}, 41));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("BatchNorm2d: eval mode is the affine map dx = γ·dy/√(running_var + eps)") {
    // The eval-mode derivative as a formula, against finite differences of the eval-mode forward, and then the
    // layer's own eval-mode backward against the formula.
    Standalone<BatchNorm2d<double>> bn({.features = 2});
    set_random_affine(bn, 2, 51);
    bn.set_running_mean(Tensor<double>({2}, {0.3, -1.2}));
    bn.set_running_var(Tensor<double>({2}, {0.5, 2.5}));
    bn.eval();
    Tensor<double> x = random_tensor({3, 2, 4, 3}, 52);
    const auto dy = random_tensor(x.shape(), 53);
    const std::size_t spatial = 12;
    Tensor<double> dx(x.shape()), dgamma({2}), dbeta({2});
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = (i / spatial) % 2;
        const double inv_std = 1 / std::sqrt(bn.running_var()[c] + 1e-5);
        dx[i] = bn.weight()[c] * dy[i] * inv_std;
        dgamma[c] += dy[i] * (x[i] - bn.running_mean()[c]) * inv_std;
        dbeta[c] += dy[i];
    }
    auto params = bn.parameters();
    std::vector<GradcheckTarget> targets{
        {"input", &x, dx}, {"weight", params[0].value, dgamma}, {"bias", params[1].value, dbeta}};
    const auto f = [&] { return detail::dot(bn.forward(x), dy); };
    const auto r = check_gradients(f, targets);
    INFO(r.report);
    CHECK(r.ok);
    CHECK(bn.num_batches_tracked()[0] == 0.0);
    // The layer's own backward in eval mode (issue 15: it threw "backward called without a training-mode forward")
    // gives exactly these formulas.
    for (auto& p : params)
        if (p.trainable()) p.grad->zero();
    bn.forward(x);
    const Tensor<double> got = bn.backward(dy);
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(got[i] == doctest::Approx(dx[i]).epsilon(1e-14));
    for (std::size_t c = 0; c < 2; ++c) {
        CHECK(bn.weight_grad()[c] == doctest::Approx(dgamma[c]).epsilon(1e-13));
        CHECK(bn.bias_grad()[c] == doctest::Approx(dbeta[c]).epsilon(1e-13));
    }
}

TEST_CASE("BatchNorm1d/2d: gradcheck in eval mode (frozen running statistics), with and without affine") {
    const Shape shapes[] = {{3, 2, 4, 3}, {5, 2}, {3, 2, 4}};
    for (const Shape& shape : shapes) {
        for (const bool affine : {true, false}) {
            INFO("shape " << to_string(shape) << ", affine " << affine);
            const auto check = [&](auto& bn) {
                if (affine) set_random_affine(bn, 2, 61);
                bn.set_running_mean(Tensor<double>({2}, {0.3, -1.2}));
                bn.set_running_var(Tensor<double>({2}, {0.5, 2.5}));
                const auto r = gradcheck(bn, random_tensor(shape, 62), {.training = false});
                INFO(r.report);
                CHECK(r.ok);
                // Eval mode leaves the statistics alone, forward and backward.
                CHECK(bn.running_mean() == Tensor<double>({2}, {0.3, -1.2}));
                CHECK(bn.running_var() == Tensor<double>({2}, {0.5, 2.5}));
                CHECK(bn.num_batches_tracked()[0] == 0.0);
            };
            if (shape.size() == 4) {
                Standalone<BatchNorm2d<double>> bn({.features = 2, .affine = affine});
                check(bn);
            } else {
                Standalone<BatchNorm1d<double>> bn({.features = 2, .affine = affine});
                check(bn);
            }
        }
    }
    // After a training forward the backward is the training one again (batch statistics).
    Standalone<BatchNorm2d<double>> bn({.features = 2});
    bn.eval();
    bn.forward(random_tensor({3, 2, 2, 2}, 63));
    const auto r = gradcheck(bn, random_tensor({3, 2, 2, 2}, 64));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("BatchNorm: the fast kernel matches the plain reference (double and float)") {
    const Shape shapes[] = {{4, 3, 5, 7}, {6, 3, 1, 1}};
    for (const Shape& shape : shapes) {
        const auto xd = random_tensor(shape, 61, 0.7, 1.5);
        const auto dyd = random_tensor(shape, 62);
        const auto gamma = random_tensor({3}, 63, 1.0, 0.5), beta = random_tensor({3}, 64);
        const Reference ref = reference_training(xd, gamma, beta, dyd);

        Standalone<BatchNorm2d<double>> bn = with_affine(gamma, beta);
        const auto& y = bn.forward(xd);
        for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == doctest::Approx(ref.y[i]).epsilon(1e-12));
        const auto& dx = bn.backward(dyd);
        for (std::size_t i = 0; i < dx.size(); ++i) CHECK(dx[i] == doctest::Approx(ref.dx[i]).epsilon(1e-10));
        for (std::size_t c = 0; c < 3; ++c) {
            CHECK(bn.weight_grad()[c] == doctest::Approx(ref.dgamma[c]).epsilon(1e-12));
            CHECK(bn.bias_grad()[c] == doctest::Approx(ref.dbeta[c]).epsilon(1e-12));
        }

        // float: the same within float rounding (sums are accumulated in double)
        Standalone<BatchNorm2d<float>> bf = with_affine(gamma.cast<float>(), beta.cast<float>());
        const auto xf = xd.cast<float>();
        const auto& yf = bf.forward(xf);
        const auto& dxf = bf.backward(dyd.cast<float>());
        check_within_float_rounding(yf, dxf, ref);
    }
}

TEST_CASE("BatchNorm2d<float>: statistics stay accurate for a large mean (shifted sums in double)") {
    const auto xd = random_tensor({8, 2, 6, 6}, 71, 1000.0, 0.01);
    const auto xf = xd.cast<float>();
    Tensor<double> y_ref;
    std::vector<double> mean, var;
    reference::batch_norm_forward_train(xf, Tensor<float>(), Tensor<float>(), 1e-5, y_ref, mean, var);
    Standalone<BatchNorm2d<float>> bn({.features = 2});
    const auto& y = bn.forward(xf);
    double err = 0;
    for (std::size_t i = 0; i < y.size(); ++i) err = std::max(err, std::abs(y[i] - y_ref[i]));
    // σ ≈ 0.01 against μ = 1000 (float's ulp at 1000 is 6e-5): a float E[x²] − E[x]² would lose the variance
    // entirely, and rounding μ to float before subtracting would shift x̂ by up to 3e-3. Both are avoided (double
    // shifted sums, μ split into two floats), so x̂ is as accurate as float allows for values of size ~3.
    CHECK(err < 1e-5);
    for (std::size_t c = 0; c < 2; ++c)
        CHECK(bn.running_var()[c] == doctest::Approx(0.9 + 0.1 * var[c] * 288.0 / 287.0).epsilon(1e-6));
}

TEST_CASE("BatchNorm2d: results do not depend on the thread count") {
    const auto x = random_tensor({5, 7, 4, 6}, 81).cast<float>();
    const auto dy = random_tensor({5, 7, 4, 6}, 82).cast<float>();
    const auto run = [&](std::size_t threads) {
        set_num_threads(threads);
        Standalone<BatchNorm2d<float>> bn({.features = 7});
        Tensor<float> y = bn.forward(x), dx = bn.backward(dy);
        Tensor<float> dgamma = bn.weight_grad(), rv = bn.running_var();
        bn.eval();  // eval mode splits the images across the threads, training mode the channels
        Tensor<float> y_eval = bn.forward(x);
        set_num_threads(1);
        return std::vector<Tensor<float>>{y, dx, dgamma, rv, y_eval};
    };
    const auto one = run(1), two = run(2);
    for (std::size_t i = 0; i < one.size(); ++i) CHECK(one[i] == two[i]);  // bit-identical
}

TEST_CASE("BatchNorm: parameter gradients accumulate and outputs are reused between steps") {
    Standalone<BatchNorm2d<double>> bn({.features = 2});
    const auto x = random_tensor({2, 2, 3, 3}, 91), dy = random_tensor({2, 2, 3, 3}, 92);
    const double* y_storage = bn.forward(x).data();
    bn.backward(dy);
    const Tensor<double> w_once = bn.weight_grad(), b_once = bn.bias_grad();
    bn.backward(dy);
    for (std::size_t c = 0; c < 2; ++c) {
        CHECK(bn.weight_grad()[c] == doctest::Approx(2 * w_once[c]));
        CHECK(bn.bias_grad()[c] == doctest::Approx(2 * b_once[c]));
        CHECK(w_once[c] != 0.0);
    }
    CHECK(bn.forward(x).data() == y_storage);  // same shape: the output storage is kept
}

TEST_CASE("BatchNorm: parameters, buffers and describe()") {
    Standalone<BatchNorm2d<float>> bn({.features = 16});
    CHECK(bn.describe() == "BatchNorm2d(16)");
    CHECK(BatchNorm1d<float>({.features = 8, .eps = 1e-3, .affine = false}).describe() ==
          "BatchNorm1d(8, eps=0.001, affine=false)");
    const auto p = bn.parameters();
    REQUIRE(p.size() == 5);
    const char* names[] = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"};
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(p[i].name == names[i]);
        CHECK(p[i].trainable() == (i < 2));
    }
    CHECK(*p[0].value == Tensor<float>({16}, 1.0f));
    CHECK(*p[1].value == Tensor<float>({16}, 0.0f));
    CHECK(*p[2].value == Tensor<float>({16}, 0.0f));
    CHECK(*p[3].value == Tensor<float>({16}, 1.0f));
    CHECK(p[4].value->shape() == Shape{});
    CHECK((*p[4].value)[0] == 0.0f);
    static_assert(Layer<BatchNorm2d<float>> && Layer<BatchNorm1d<double>>);
}

TEST_CASE("BatchNorm: shape, batch-size and option errors") {
    Standalone<BatchNorm2d<float>> bn({.features = 16});
    CHECK_THROWS_WITH_AS(bn.forward(Tensor<float>({128, 10, 24, 24})),
                         "BatchNorm2d(16): expected input [N, 16, H, W], got [128, 10, 24, 24]", std::invalid_argument);
    CHECK_THROWS_WITH_AS(bn.forward(Tensor<float>({128, 16})),
                         "BatchNorm2d(16): expected input [N, 16, H, W], got [128, 16]", std::invalid_argument);
    CHECK_THROWS_WITH_AS(bn.forward(Tensor<float>({1, 16, 1, 1})),
                         "BatchNorm2d(16): expected more than 1 value per channel when training, got input "
                         "[1, 16, 1, 1]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(bn.backward(Tensor<float>({2, 16, 1, 1})),
                         doctest::Contains("BatchNorm2d(16): backward called without a forward before it"),
                         std::logic_error);
    bn.forward(Tensor<float>({2, 16, 1, 1}));  // two values per channel are enough
    CHECK_THROWS_WITH_AS(bn.backward(Tensor<float>({2, 16, 1, 2})),
                         "BatchNorm2d(16): expected gradient of the output's shape [2, 16, 1, 1], got [2, 16, 1, 2]",
                         std::invalid_argument);
    bn.eval();
    CHECK(bn.forward(Tensor<float>({1, 16, 1, 1})).shape() == Shape{1, 16, 1, 1});  // one sample is fine in eval

    Standalone<BatchNorm1d<float>> b1({.features = 3});
    CHECK_THROWS_WITH_AS(b1.forward(Tensor<float>({4, 5})),
                         "BatchNorm1d(3): expected input [N, 3] or [N, 3, L], got [4, 5]", std::invalid_argument);
    CHECK_THROWS_WITH_AS(b1.forward(Tensor<float>({1, 3})),
                         "BatchNorm1d(3): expected more than 1 value per channel when training, got input [1, 3]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(BatchNorm2d<float>({.features = 0}), "BatchNorm2d: features must be positive, got 0",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(BatchNorm2d<float>({.features = 2, .momentum = 1.5}),
                         doctest::Contains("BatchNorm2d: momentum must be in [0, 1]"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(BatchNorm1d<float>({.features = 2, .affine = false}).set_weight(Tensor<float>({2})),
                         "BatchNorm1d(2, affine=false).set_weight: this layer was built without affine parameters",
                         std::logic_error);
    CHECK_THROWS_WITH_AS(bn.set_running_var(Tensor<float>({15})),
                         "BatchNorm2d(16).set_running_var: expected shape [16], got [15]", std::invalid_argument);
}

// ---- the kernels of every ISA (kernels/batchnorm.hpp) ------------------------------------------------------------

namespace {

/// One channel's data for the kernel tests: x, dy of a contiguous [N, C, S] tensor and the per-channel values the
/// layer would pass (μ split in two floats, inv_std, γ, β, the eval statistics, the backward's k, a, b).
struct KernelCase {
    std::size_t batch, channels, spatial;
    std::vector<float> x, dy;
    Tensor<double> xd;  // x as double, for the references
    std::vector<double> mean, var;

    KernelCase(std::size_t n, std::size_t c, std::size_t s, std::uint64_t seed) : batch(n), channels(c), spatial(s) {
        xd = random_tensor({n, c, s}, seed, 0.7, 1.5).cast<float>().cast<double>();
        const auto dyd = random_tensor({n, c, s}, seed + 1).cast<float>();
        x.assign(xd.size(), 0.f);
        dy.assign(dyd.data(), dyd.data() + dyd.size());
        for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(xd[i]);
        channel_stats(xd, mean, var);
    }
    kernels::Runs runs() const { return {batch, spatial, channels * spatial}; }
    kernels::XhatParams xhat_params(std::size_t c) const {
        const float mu_hi = static_cast<float>(mean[c]);
        return {mu_hi, static_cast<float>(mean[c] - mu_hi), static_cast<float>(1.0 / std::sqrt(var[c] + 1e-5))};
    }
    // γ, β, the eval statistics and the backward's k, a, b: fixed per channel, of the sizes the layer sees.
    float gamma(std::size_t c) const { return 0.75f + 0.125f * static_cast<float>(c % 5); }
    float beta(std::size_t c) const { return -0.5f + 0.25f * static_cast<float>(c % 3); }
    float eval_mean(std::size_t c) const { return static_cast<float>(mean[c]) + 0.0625f; }
    float eval_scale(std::size_t c) const { return 1.1f / static_cast<float>(std::sqrt(var[c] + 1e-5)); }
    float k(std::size_t c) const { return gamma(c) * xhat_params(c).inv_std; }
    float a(std::size_t) const { return 0.03125f; }
    float b(std::size_t c) const { return 0.1f * static_cast<float>(c % 4) - 0.15f; }
};

/// Everything the kernels of one ISA compute on a KernelCase: per channel the four sums, per element x̂ and y of the
/// training forward (also through the x̂-only and y-only calls), the eval y, and dx (x̂ recomputed from x).
struct KernelOutputs {
    std::vector<double> sums;  // [C, 4]: s1, s2, Σdy, Σdy·x̂
    std::vector<float> xhat, y, xhat_only, y_only, y_eval, dx;
    /// Zeros, sized for a KernelCase.
    explicit KernelOutputs(const KernelCase& d) : sums(4 * d.channels, 0.0) {
        for (auto* v : {&xhat, &y, &xhat_only, &y_only, &y_eval, &dx}) v->assign(d.x.size(), 0.f);
    }
};

/// CHECKs that two runs computed every output with the same bits.
void check_same_bits(const KernelOutputs& got, const KernelOutputs& want) {
    CHECK(first_bit_difference(got.sums, want.sums) == -1);
    CHECK(first_bit_difference(got.xhat, want.xhat) == -1);
    CHECK(first_bit_difference(got.y, want.y) == -1);
    CHECK(first_bit_difference(got.xhat_only, want.xhat_only) == -1);
    CHECK(first_bit_difference(got.y_only, want.y_only) == -1);
    CHECK(first_bit_difference(got.y_eval, want.y_eval) == -1);
    CHECK(first_bit_difference(got.dx, want.dx) == -1);
}

KernelOutputs run_kernels(const kernels::BatchNormKernels& k, const KernelCase& d) {
    KernelOutputs o(d);
    const auto runs = d.runs();
    for (std::size_t c = 0; c < d.channels; ++c) {
        const std::size_t at = c * d.spatial;
        const auto p = d.xhat_params(c);
        double* s = o.sums.data() + 4 * c;
        k.shifted_sums(d.x.data() + at, runs, static_cast<double>(d.x[at]), s[0], s[1]);
        k.normalize(d.x.data() + at, p, d.gamma(c), d.beta(c), runs, o.xhat.data() + at, o.y.data() + at);
        k.normalize(d.x.data() + at, p, d.gamma(c), d.beta(c), runs, o.xhat_only.data() + at, nullptr);
        k.normalize(d.x.data() + at, p, d.gamma(c), d.beta(c), runs, nullptr, o.y_only.data() + at);
        k.normalize_eval(d.x.data() + at, d.eval_mean(c), d.eval_scale(c), d.beta(c), runs, o.y_eval.data() + at);
        k.dot_sums_of_x(d.dy.data() + at, d.x.data() + at, p, runs, s[2], s[3]);
        k.input_grad_of_x(d.dy.data() + at, d.x.data() + at, p, d.k(c), d.a(c), d.b(c), runs, o.dx.data() + at);
    }
    return o;
}

/// The plain loops (kernels::plain, which the layer runs for strided runs and double) on the contiguous float runs of
/// a KernelCase: the kernels' definition written element by element.
KernelOutputs run_plain_loops(const KernelCase& d) {
    const auto runs = kernels::ChannelRuns::of(d.batch, d.channels, d.spatial);
    KernelOutputs o(d);
    for (std::size_t c = 0; c < d.channels; ++c) {
        const auto p = d.xhat_params(c);
        const kernels::SplitMean<float> mu{p.mu_hi, p.mu_lo};
        const float* x = d.x.data();
        double* s = o.sums.data() + 4 * c;
        kernels::plain::shifted_sums(x, runs, c, static_cast<double>(d.x[c * d.spatial]), s[0], s[1]);
        kernels::plain::normalize(x, runs, c, mu, p.inv_std, d.gamma(c), d.beta(c), o.xhat.data(), o.y.data());
        kernels::plain::normalize(x, runs, c, mu, p.inv_std, d.gamma(c), d.beta(c), o.xhat_only.data(),
                                  static_cast<float*>(nullptr));
        kernels::plain::normalize(x, runs, c, mu, p.inv_std, d.gamma(c), d.beta(c), static_cast<float*>(nullptr),
                                  o.y_only.data());
        kernels::plain::normalize_eval(x, runs, c, 0, d.batch, d.eval_mean(c), d.eval_scale(c), d.beta(c),
                                       o.y_eval.data());
        kernels::plain::grad_sums(d.dy.data(), x, runs, c, mu, p.inv_std, s[2], s[3]);
        kernels::plain::input_grad(d.dy.data(), x, runs, c, mu, p.inv_std, d.k(c), d.a(c), d.b(c), o.dx.data());
    }
    return o;
}

/// The kernels' results against the formulas in double (long double for the sums), with the bounds of float and
/// double rounding stated in the comments. Returns the number of values outside their bound.
std::size_t check_against_double(const KernelCase& d, const KernelOutputs& o) {
    const double u = 0x1.0p-24;  // float's unit roundoff
    const std::size_t S = d.spatial, step = d.channels * S;
    std::size_t bad = 0;
    for (std::size_t c = 0; c < d.channels; ++c) {
        const auto p = d.xhat_params(c);
        const double mu_hi = p.mu_hi, mu_lo = p.mu_lo, is = p.inv_std, g = d.gamma(c), b = d.beta(c);
        const double shift = d.x[c * S];
        long double s[4] = {}, mag[4] = {};
        for (std::size_t r = 0; r < d.batch; ++r)
            for (std::size_t i = 0; i < S; ++i) {
                const std::size_t at = c * S + r * step;
                const double x = d.x[at + i], dy = d.dy[at + i], h = o.xhat[at + i];
                const long double t[4] = {x - shift, (x - shift) * (x - shift), dy, (long double)dy * h};
                for (int j = 0; j < 4; ++j) {
                    s[j] += t[j];
                    mag[j] += std::abs(t[j]);
                }
                // x̂ = ((x − mu_hi) − mu_lo)·is: three float roundings, each at most u of its result.
                const double xh = ((x - mu_hi) - mu_lo) * is;
                const double xh_tol = 4 * u * (std::abs(x - mu_hi) + std::abs(mu_lo)) * is;
                bad += !(std::abs(o.xhat[at + i] - xh) <= xh_tol);
                // y = γ·x̂ + β: x̂'s error times |γ|, plus one rounding of the fused result.
                bad += !(std::abs(o.y[at + i] - (g * xh + b)) <= std::abs(g) * xh_tol + 2 * u * std::abs(g * xh + b));
                // eval: (x − mean)·scale + shift: one rounding of x − mean, one of the fused result.
                const double em = d.eval_mean(c), es = d.eval_scale(c), ye = (x - em) * es + b;
                bad += !(std::abs(o.y_eval[at + i] - ye) <= 2 * u * (std::abs(x - em) * std::abs(es) + std::abs(ye)));
                // dx = k·((dy − a) − x̂·b), x̂ recomputed bit for bit as o.xhat: roundings of dy − a, of the fused
                // difference, of the product by k.
                const double k = d.k(c), a = d.a(c), bb = d.b(c), dx = k * ((dy - a) - h * bb);
                bad += !(std::abs(o.dx[at + i] - dx) <= 3 * u * std::abs(k) * (std::abs(dy - a) + std::abs(h * bb)));
            }
        // Sums in double over at most a few thousand terms: well within 1e-12 of Σ|term|.
        for (int j = 0; j < 4; ++j)
            bad += !(std::abs(o.sums[4 * c + j] - static_cast<double>(s[j])) <= 1e-12 * static_cast<double>(mag[j]));
    }
    return bad;
}

}  // namespace

TEST_CASE("BatchNorm kernels, every ISA: bit for bit the scalar ISA and the layer's plain loops, within rounding of "
          "double") {
    // The MNIST net's BatchNorm inputs at batch 4 ([128, 16, 26, 26] … [128, 14, 6, 6]), then awkward ones: every run
    // length 1 … 33 (none, some or several whole vectors and every tail), one image, odd channel counts.
    std::vector<std::array<std::size_t, 3>> shapes = {{4, 16, 676}, {4, 32, 576}, {4, 16, 100},
                                                       {4, 12, 64},  {4, 12, 36},  {4, 14, 36}};
    for (std::size_t len = 1; len <= 33; ++len) shapes.push_back({3, 3, len});
    shapes.push_back({1, 5, 29});
    shapes.push_back({1, 7, 676});
    shapes.push_back({2, 1, 17});
    std::uint64_t seed = 200;
    for (const auto& shape : shapes) {
        // (not a structured binding: clang 14 cannot capture one in CAPTURE's lambda)
        const std::size_t n = shape[0], c = shape[1], s = shape[2];
        CAPTURE(n);
        CAPTURE(c);
        CAPTURE(s);
        const KernelCase d(n, c, s, seed += 2);
        const KernelOutputs scalar = run_kernels(kernels::batchnorm_for(Isa::scalar), d);
        // The scalar kernels are the plain loops, bit for bit (so strided runs and double compute the same
        // formulas), and the x̂-only / y-only calls give the bits of the full call.
        check_same_bits(scalar, run_plain_loops(d));
        CHECK(first_bit_difference(scalar.xhat_only, scalar.xhat) == -1);
        CHECK(first_bit_difference(scalar.y_only, scalar.y) == -1);
        // dx from x̂ recomputed from x has the bits of dx from the x̂ the forward wrote.
        std::vector<float> dx_of_stored_xhat(d.x.size());
        for (std::size_t i = 0; i < d.x.size(); ++i) {
            const std::size_t ch = i / s % c;
            dx_of_stored_xhat[i] = d.k(ch) * std::fma(scalar.xhat[i], -d.b(ch), d.dy[i] - d.a(ch));
        }
        CHECK(first_bit_difference(dx_of_stored_xhat, scalar.dx) == -1);
        CHECK(check_against_double(d, scalar) == 0);
        for (Isa isa : supported_isas()) {
            CAPTURE(isa_name(isa));
            check_same_bits(run_kernels(kernels::batchnorm_for(isa), d), scalar);
        }
    }
}

TEST_CASE("BatchNorm2d<float> on the MNIST net's shapes (batch 4): training forward and backward within float "
          "rounding of the double reference, with the active ISA") {
    INFO("active ISA: " << isa_name(active_isa()));
    const Shape shapes[] = {{4, 16, 26, 26}, {4, 32, 24, 24}, {4, 16, 10, 10},
                            {4, 12, 8, 8},   {4, 12, 6, 6},   {4, 14, 6, 6}};
    std::uint64_t seed = 300;
    for (const Shape& shape : shapes) {
        CAPTURE(to_string(shape));
        const std::size_t C = shape[1];
        const auto x = random_tensor(shape, seed++, 0.7, 1.5).cast<float>();
        const auto dy = random_tensor(shape, seed++).cast<float>();
        const auto gamma = random_tensor({C}, seed++, 1.0, 0.5).cast<float>();
        const auto beta = random_tensor({C}, seed++).cast<float>();
        const Reference ref = reference_training(x, gamma, beta, dy);
        Standalone<BatchNorm2d<float>> bn = with_affine(gamma, beta);
        const Tensor<float> y = bn.forward(x);
        const Tensor<float>& dx = bn.backward(dy);
        check_within_float_rounding(y, dx, ref);
        for (std::size_t c = 0; c < C; ++c) {  // Σ in double, then one rounding to float
            CHECK(bn.weight_grad()[c] == doctest::Approx(ref.dgamma[c]).epsilon(1e-5));
            CHECK(bn.bias_grad()[c] == doctest::Approx(ref.dbeta[c]).epsilon(1e-5));
        }
    }
}

TEST_CASE("BatchNorm: a tensor of its state reshaped through parameters() is refused by name, never used (issue 15)") {
    // The case: γ set to [1] made forward read past it (gamma(c) for c ≥ 1).
    const std::string fixed = " (a parameter's shape is fixed by its layer: write its values through parameters(), "
                              "do not replace the tensor)";
    const char* names[] = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"};
    for (std::size_t i = 0; i < 5; ++i) {
        for (const bool training : {true, false}) {
            Standalone<BatchNorm2d<float>> bn({.features = 3});
            bn.train(training);
            auto params = bn.parameters();
            REQUIRE(params[i].name == names[i]);
            *params[i].value = Tensor<float>(Shape{1}, 1.f);
            const std::string expected = "BatchNorm2d(3): parameter " + std::string(names[i]) +
                                         " has shape [1], expected " + (i == 4 ? "[]" : "[3]") + fixed;
            const Tensor<float> x(Shape{2, 3, 2, 2}, 1.f);
            CHECK_THROWS_WITH_AS(bn.forward(x), expected.c_str(), std::invalid_argument);
        }
    }
    Standalone<BatchNorm1d<float>> bn({.features = 3});
    Tensor<float> x(Shape{4, 3});
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 5);
    bn.forward(x);
    *bn.parameters()[0].grad = Tensor<float>(Shape{2});
    CHECK_THROWS_WITH_AS(bn.backward(Tensor<float>(Shape{4, 3}, 1.f)),
                         ("BatchNorm1d(3): parameter weight's gradient has shape [2], expected [3]" + fixed).c_str(),
                         std::invalid_argument);
}
