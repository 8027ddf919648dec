// LogSoftmax: hand-computed values, stability for large scores, gradcheck, errors.
#include <minitorch/gradcheck.hpp>
#include <minitorch/layers/log_softmax.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"

#include <cmath>

using namespace minitorch;
using test_support::random_tensor;

TEST_CASE("LogSoftmax: values on the rows (1, 2, 3) and (1, 1, 1)") {
    Standalone<LogSoftmax<double>> ls;
    const auto& y = ls.forward(Tensor<double>({2, 3}, {1, 2, 3, 1, 1, 1}));
    // row 0: log Σ exp = 3 + log(1 + e⁻¹ + e⁻²) = 3.4076059644443806
    CHECK(y(0, 0) == doctest::Approx(-2.4076059644443806).epsilon(1e-15));
    CHECK(y(0, 1) == doctest::Approx(-1.4076059644443806).epsilon(1e-15));
    CHECK(y(0, 2) == doctest::Approx(-0.4076059644443806).epsilon(1e-15));
    // row 1: uniform, −log 3
    for (std::size_t j = 0; j < 3; ++j) CHECK(y(1, j) == doctest::Approx(-std::log(3.0)).epsilon(1e-15));
}

TEST_CASE("LogSoftmax: rows of exp(y) sum to 1 and large scores stay finite") {
    Standalone<LogSoftmax<float>> ls;
    const auto& y = ls.forward(Tensor<float>({2, 3}, {1000, -1000, 0, -1000, -1000, -1000}));
    for (float v : y) CHECK(std::isfinite(v));
    CHECK(y(0, 0) == 0.0f);
    CHECK(y(0, 1) == -2000.0f);
    CHECK(y(0, 2) == -1000.0f);
    CHECK(y(1, 0) == doctest::Approx(-std::log(3.0)).epsilon(1e-6));

    Standalone<LogSoftmax<double>> ld;
    const auto x = random_tensor({4, 6}, 1, 0, 5);
    const auto& yd = ld.forward(x);
    for (std::size_t n = 0; n < 4; ++n) {
        double s = 0;
        for (std::size_t j = 0; j < 6; ++j) s += std::exp(yd(n, j));
        CHECK(s == doctest::Approx(1.0).epsilon(1e-14));
    }
}

TEST_CASE("LogSoftmax: gradcheck on 4×5") {
    Standalone<LogSoftmax<double>> ls;
    const auto r = gradcheck(ls, random_tensor({4, 5}, 2, 0, 2));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("LogSoftmax: errors and eval mode") {
    Standalone<LogSoftmax<float>> ls;
    CHECK(ls.describe() == "LogSoftmax(dim=1)");
    CHECK_THROWS_WITH_AS(ls.forward(Tensor<float>({2, 3, 4})),
                         "LogSoftmax(dim=1): expected input [N, C] with C ≥ 1, got [2, 3, 4]", std::invalid_argument);
    CHECK_THROWS_WITH_AS(ls.forward(Tensor<float>({2, 0})),
                         "LogSoftmax(dim=1): expected input [N, C] with C ≥ 1, got [2, 0]", std::invalid_argument);
    CHECK_THROWS_WITH_AS(ls.backward(Tensor<float>({2, 3})),
                         doctest::Contains("LogSoftmax(dim=1): backward called without a forward before it"),
                         std::logic_error);
    ls.forward(Tensor<float>({2, 3}));
    CHECK_THROWS_WITH_AS(ls.backward(Tensor<float>({3, 2})),
                         "LogSoftmax(dim=1): expected gradient of the output's shape [2, 3], got [3, 2]",
                         std::invalid_argument);
    ls.eval();
    ls.forward(Tensor<float>({2, 3}));
    CHECK_NOTHROW(
        ls.backward(Tensor<float>({2, 3})));  // the caller keeps x: backward works after an eval-mode forward too
    static_assert(Layer<LogSoftmax<float>>);
}
