// Flatten: shapes, value order, round trip, gradcheck, the MNIST head (conv to [N, 10, 1, 1] then flatten), errors.
#include <minitorch/gradcheck.hpp>
#include <minitorch/layers/conv2d.hpp>
#include <minitorch/layers/flatten.hpp>
#include <minitorch/sequential.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"

using namespace minitorch;
using test_support::random_tensor;

static_assert(Layer<Flatten<float>>);
static_assert(Layer<Flatten<double>>);

TEST_CASE("Flatten: N×d1×…×dk becomes N×(d1·…·dk), values in row-major order") {
    Standalone<Flatten<float>> flat;
    CHECK(flat.describe() == "Flatten()");
    CHECK(flat.parameters().empty());
    CHECK(flat.output_shape({2, 3, 4, 5}) == Shape{2, 60});
    CHECK(flat.output_shape({128, 10, 1, 1}) == Shape{128, 10});
    CHECK(flat.output_shape({3, 7}) == Shape{3, 7});
    CHECK(flat.output_shape({0, 3, 2}) == Shape{0, 6});

    Tensor<float> x({2, 3, 2, 2});
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i);
    const auto& y = flat.forward(x);
    REQUIRE(y.shape() == Shape{2, 12});
    CHECK(y(0, 0) == x(0, 0, 0, 0));
    CHECK(y(0, 5) == x(0, 1, 0, 1));  // 5 = (1·2 + 0)·2 + 1
    CHECK(y(1, 11) == x(1, 2, 1, 1));
}

TEST_CASE("Flatten: backward reshapes the gradient back, forward then backward is a round trip") {
    Standalone<Flatten<double>> flat;
    const auto x = random_tensor({3, 2, 3, 1}, 3);
    const Tensor<double> y = flat.forward(x);
    const auto& dx = flat.backward(y);
    CHECK(dx == x);
    CHECK(dx.shape() == x.shape());
}

TEST_CASE("Flatten: gradcheck") {
    Standalone<Flatten<double>> flat;
    const auto r = gradcheck(flat, random_tensor({2, 3, 2, 2}, 4));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("Flatten: after a conv to N×10×1×1 it is PyTorch's view(-1, 10), gradcheck of the pair") {
    Generator gen(8);
    Sequential<double> head(Conv2d<double>({.in = 4, .out = 10, .kernel = 3}, gen), Flatten<double>());
    CHECK(head.output_shape({2, 4, 3, 3}) == Shape{2, 10});
    const auto r = gradcheck(head, random_tensor({2, 4, 3, 3}, gen));
    INFO(r.report);
    CHECK(r.ok);
}

TEST_CASE("Flatten: errors") {
    Standalone<Flatten<float>> flat;
    CHECK_THROWS_WITH_AS(flat.forward(Tensor<float>({5})), "Flatten(): expected input [N, ...] of rank ≥ 2, got [5]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(flat.output_shape({}), "Flatten(): expected input [N, ...] of rank ≥ 2, got []",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(flat.backward(Tensor<float>({2, 6})),
                         doctest::Contains("Flatten(): backward called without a forward before it"), std::logic_error);
    flat.forward(Tensor<float>({2, 3, 2}));
    CHECK_THROWS_WITH_AS(flat.backward(Tensor<float>({2, 3, 2})),
                         "Flatten(): expected gradient of the output's shape [2, 6], got [2, 3, 2]",
                         std::invalid_argument);
    flat.eval();
    flat.forward(Tensor<float>({2, 3, 2}));
    CHECK(flat.backward(Tensor<float>({2, 6}, 1.f)) ==
          Tensor<float>({2, 3, 2}, 1.f));  // the caller keeps x: backward works after an eval-mode forward too
}
