// ReLU and Sigmoid: forward values, gradient checks, and the checker catching a wrong Sigmoid derivative.
#include <minitorch/gradcheck.hpp>
#include <minitorch/layers/activation.hpp>

#include <doctest/doctest.h>

#include <cmath>

using namespace minitorch;

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
    const Tensor<double>& forward(const Tensor<double>& x) {
        x_ = x;
        return Sigmoid<double>::forward(x);
    }
    const Tensor<double>& backward(const Tensor<double>& dy) {
        Sigmoid<double>::backward(dy);  // keeps the contract checks
        dx_.resize(dy.shape());
        dx_.array() = dy.array() * x_.array() * (1.0 - x_.array());
        return dx_;
    }

private:
    Tensor<double> x_, dx_;
};
static_assert(Layer<WrongSigmoid>);
}  // namespace

TEST_CASE("ReLU: forward and gradcheck on [2, 3, 5, 5]") {
    ReLU<double> relu;
    const auto& y = relu.forward(Tensor<double>({4}, {-1, 0, 2, -0.5}));
    CHECK(y == Tensor<double>({4}, {0, 0, 2, 0}));
    const auto x = away_from_zero({2, 3, 5, 5}, 1);
    const auto r = gradcheck(relu, x);
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("Sigmoid: forward values and gradcheck") {
    Sigmoid<double> s;
    const auto& y = s.forward(Tensor<double>({3}, {0, 2, -2}));
    CHECK(y[0] == 0.5);
    CHECK(y[1] == doctest::Approx(1 / (1 + std::exp(-2.0))).epsilon(1e-15));
    CHECK(y[2] == doctest::Approx(1 / (1 + std::exp(2.0))).epsilon(1e-15));
    Generator gen(3);
    Tensor<double> x({3, 7});
    normal_(x, 0, 2, gen);
    const auto r = gradcheck(s, x);
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("gradcheck catches a Sigmoid whose derivative uses the wrong activation") {
    WrongSigmoid wrong;
    Generator gen(4);
    Tensor<double> x({2, 5});
    normal_(x, 0, 1, gen);
    const auto r = gradcheck(wrong, x);
    INFO(r.report);
    CHECK_FALSE(r.ok);
    CHECK(r.worst_tensor == "input");
    CHECK(r.worst_ratio > 1000);  // not a near miss: the error is orders of magnitude over the tolerance
    CHECK(r.report.find("gradcheck FAILED") != std::string::npos);
}

TEST_CASE("Activations: backward before forward and wrong dy shape are errors") {
    ReLU<float> relu;
    CHECK_THROWS_WITH_AS(relu.backward(Tensor<float>({2})), doctest::Contains("ReLU(): backward called without"),
                         std::logic_error);
    Sigmoid<float> s;
    s.forward(Tensor<float>({2, 2}));
    CHECK_THROWS_WITH_AS(s.backward(Tensor<float>({4})),
                         "Sigmoid(): expected gradient of the output's shape [2, 2], got [4]", std::invalid_argument);
}
