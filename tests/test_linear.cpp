// Linear: forward against hand-computed values, gradient check (input, weight, bias), accumulation, errors.
#include <minitorch/gradcheck.hpp>
#include <minitorch/layers/linear.hpp>

#include <doctest/doctest.h>

using namespace minitorch;

TEST_CASE("Linear: forward is x·Wᵀ + b") {
    Linear<double> fc({.in = 3, .out = 2});
    fc.set_weight(Tensor<double>({2, 3}, {1, 2, 3, -1, 0, 1}));
    fc.set_bias(Tensor<double>({2}, {0.5, -0.5}));
    const auto& y = fc.forward(Tensor<double>({2, 3}, {1, 1, 1, 2, 0, -1}));
    CHECK(y.shape() == Shape{2, 2});
    CHECK(y(0, 0) == 6.5);   // 1+2+3+0.5
    CHECK(y(0, 1) == -0.5);  // -1+0+1-0.5
    CHECK(y(1, 0) == -0.5);  // 2+0-3+0.5
    CHECK(y(1, 1) == -3.5);  // -2+0-1-0.5
}

TEST_CASE("Linear: gradcheck with and without bias, batch 3") {
    Generator gen(11);
    for (bool bias : {true, false}) {
        Linear<double> fc({.in = 5, .out = 4, .bias = bias}, gen);
        Tensor<double> x({3, 5});
        normal_(x, 0, 1, gen);
        const auto r = gradcheck(fc, x);
        INFO(r.report);
        CHECK(r.ok);
        CHECK(fc.parameters().size() == (bias ? 2u : 1u));
    }
}

TEST_CASE("Linear: parameter gradients accumulate until zeroed") {
    Generator gen(2);
    Linear<double> fc({.in = 3, .out = 2}, gen);
    Tensor<double> x({2, 3}), dy({2, 2});
    normal_(x, 0, 1, gen);
    normal_(dy, 0, 1, gen);
    fc.forward(x);
    fc.backward(dy);
    const Tensor<double> once = fc.weight_grad(), bias_once = fc.bias_grad();
    fc.backward(dy);
    for (std::size_t i = 0; i < once.size(); ++i) CHECK(fc.weight_grad()[i] == doctest::Approx(2 * once[i]));
    for (std::size_t i = 0; i < bias_once.size(); ++i) CHECK(fc.bias_grad()[i] == doctest::Approx(2 * bias_once[i]));
}

TEST_CASE("Linear: init bound, shape errors, backward before forward") {
    Linear<float> fc({.in = 16, .out = 8});
    CHECK(fc.weight().array().abs().maxCoeff() <= 0.25f);
    CHECK_THROWS_WITH_AS(fc.forward(Tensor<float>({4, 15})), "Linear(16→8): expected input [N, 16], got [4, 15]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(fc.backward(Tensor<float>({4, 8})),
                         doctest::Contains("Linear(16→8): backward called without a training-mode forward"),
                         std::logic_error);
    fc.forward(Tensor<float>({4, 16}));
    CHECK_THROWS_WITH_AS(fc.backward(Tensor<float>({4, 9})),
                         "Linear(16→8): expected gradient of the output's shape [4, 8], got [4, 9]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(fc.set_weight(Tensor<float>({16, 8})),
                         "Linear(16→8).set_weight: expected shape [8, 16], got [16, 8]", std::invalid_argument);
    fc.eval();
    fc.forward(Tensor<float>({4, 16}));
    CHECK_THROWS_AS(fc.backward(Tensor<float>({4, 8})), std::logic_error);
}
