// ReLU and Sigmoid: forward values, gradient checks, the checker catching a wrong Sigmoid derivative, and ReLU's
// float kernels under every ISA this CPU supports.
#include <minitorch/standalone.hpp>
#include <minitorch/gradcheck.hpp>
#include <minitorch/layers/activation.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"
#include "support/same_bits.hpp"

#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <vector>

using namespace minitorch;
using test_support::random_tensor;
using test_support::same_bits;

namespace {
// Inputs kept away from ReLU's kink at 0, so central differences never straddle it.
Tensor<double> away_from_zero(Shape shape, std::uint64_t seed) {
    Generator gen(seed);
    Tensor<double> x(std::move(shape));
    for (double& v : x) {
        const double u = gen.uniform(0.1, 2.0);
        v = gen.uniform01() < 0.5 ? -u : u;
    }
    return x;
}

/// A deliberately wrong Sigmoid: its backward uses σ(x)·(1 − σ(x)) of the *input* x instead of the output —
/// the classic slip of using the wrong activation in the derivative.
class WrongSigmoid : public Sigmoid<double> {
public:
    using Sigmoid<double>::forward;
    void backward(const Tensor<double>& x, const Tensor<double>&, const Cache&, const Tensor<double>& dy,
                  Tensor<double>& dx) {
        dx.resize(dy.shape());
        dx.array() = dy.array() * x.array() * (1.0 - x.array());
    }
};
static_assert(Layer<WrongSigmoid>);
}  // namespace

TEST_CASE("ReLU: forward and gradcheck on [2, 3, 5, 5]") {
    Standalone<ReLU<double>> relu;
    const auto& y = relu.forward(Tensor<double>({4}, {-1, 0, 2, -0.5}));
    CHECK(y == Tensor<double>({4}, {0, 0, 2, 0}));
    const auto x = away_from_zero({2, 3, 5, 5}, 1);
    const auto r = gradcheck(relu, x);
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("Sigmoid: forward values and gradcheck") {
    Standalone<Sigmoid<double>> s;
    const auto& y = s.forward(Tensor<double>({3}, {0, 2, -2}));
    CHECK(y[0] == 0.5);
    CHECK(y[1] == doctest::Approx(1 / (1 + std::exp(-2.0))).epsilon(1e-15));
    CHECK(y[2] == doctest::Approx(1 / (1 + std::exp(2.0))).epsilon(1e-15));
    const auto r = gradcheck(s, random_tensor({3, 7}, 3, 0, 2));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("gradcheck catches a Sigmoid whose derivative uses the wrong activation") {
    WrongSigmoid wrong;
    const auto r = gradcheck(wrong, random_tensor({2, 5}, 4));
    INFO(r.report);
    CHECK_FALSE(r.ok);
    CHECK(r.worst_tensor == "input");
    CHECK(r.worst_ratio > 1000);  // not a near miss: the error is orders of magnitude over the tolerance
    CHECK(r.report.find("gradcheck FAILED") != std::string::npos);
}

TEST_CASE("Activations: backward before forward and wrong dy shape are errors") {
    Standalone<ReLU<float>> relu;
    CHECK_THROWS_WITH_AS(relu.backward(Tensor<float>({2})), doctest::Contains("ReLU(): backward called without"),
                         std::logic_error);
    Standalone<Sigmoid<float>> s;
    s.forward(Tensor<float>({2, 2}));
    CHECK_THROWS_WITH_AS(s.backward(Tensor<float>({4})),
                         "Sigmoid(): expected gradient of the output's shape [2, 2], got [4]", std::invalid_argument);
}

TEST_CASE("ReLU float kernels, every ISA: the definition bit for bit (NaN propagates, −0 → +0), lengths 0..70") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    const float specials[] = {nan, -0.0f, 0.0f, inf, -inf, 1e-45f, -1e-45f, 3.5f, -2.25f};
    for (Isa isa : supported_isas()) {
        CAPTURE(isa_name(isa));
        const auto& k = kernels::elementwise_for(isa);
        CHECK(k.isa == isa);
        Generator gen(5);
        for (std::size_t n = 0; n <= 70; ++n) {
            CAPTURE(n);
            std::vector<float> x(n), dy(n), y(n, 7.f), dx(n, 7.f);
            for (std::size_t i = 0; i < n; ++i) {
                x[i] = i % 5 == 0 ? specials[(i / 5) % std::size(specials)] : static_cast<float>(gen.normal());
                dy[i] = static_cast<float>(gen.normal());
            }
            k.relu_forward(x.data(), y.data(), n);
            k.relu_backward(y.data(), dy.data(), dx.data(), n);
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < n; ++i) {
                const float want_y = x[i] > 0 || std::isnan(x[i]) ? x[i] : 0.0f;  // +0, never −0
                const float want_dx = y[i] > 0 ? dy[i] : 0.0f;
                wrong += !same_bits(y[i], want_y);
                wrong += !same_bits(dx[i], want_dx);
            }
            CHECK(wrong == 0);
        }
    }
}
