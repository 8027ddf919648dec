// Linear: forward against hand-computed values, gradient check (input, weight, bias), accumulation, the float
// products against the scalar ISA's bit for bit, errors.
#include <minitorch/gradcheck.hpp>
#include <minitorch/kernels/gemm.hpp>
#include <minitorch/layers/linear.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/same_bits.hpp"

#include <cstddef>
#include <utility>
#include <vector>

using namespace minitorch;
using test_support::first_bit_difference;

namespace {
std::vector<float> values(const Tensor<float>& t) {
    return {t.data(), t.data() + t.size()};
}
}  // namespace

TEST_CASE("Linear: forward is x·Wᵀ + b") {
    Standalone<Linear<double>> fc({.in = 3, .out = 2});
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
        Standalone<Linear<double>> fc({.in = 5, .out = 4, .bias = bias}, gen);
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
    Standalone<Linear<double>> fc({.in = 3, .out = 2}, gen);
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

TEST_CASE("Linear<float>: the scalar ISA's products bit for bit, and a sample's row whatever its batch") {
    // The float products run on the active ISA's GEMM (kernels/gemm.hpp), which must give the scalar ISA's bits
    // (tests/test_kernels.cpp holds those to the definition). {200, 3} takes gemm_nt's dot form (in ≥ 8·out).
    const auto& scalar = kernels::gemm_for(Isa::scalar);
    Generator gen(5);
    for (const auto& [in, out] : {std::pair<std::size_t, std::size_t>{12, 8}, {40, 10}, {200, 3}, {7, 33}})
        for (std::size_t n : {1u, 5u, 17u}) {
            CAPTURE(in);
            CAPTURE(out);
            CAPTURE(n);
            Standalone<Linear<float>> fc({.in = in, .out = out}, gen);
            Tensor<float> x({n, in}), dy({n, out}), x_last({1, in});
            normal_(x, 0, 1, gen);
            normal_(dy, 0, 1, gen);
            for (std::size_t k = 0; k < in; ++k) x_last[k] = x[(n - 1) * in + k];
            const auto y_last = values(fc.forward(x_last));  // the last sample alone, then in its batch
            const auto y = values(fc.forward(x));
            const auto dx = values(fc.backward(dy));
            const float *W = fc.weight().data(), *b = fc.bias().data();

            std::vector<float> want_y(n * out), want_dx(n * in), want_dW(out * in, 0.f), want_db(out, 0.f);
            kernels::gemm_nt(scalar, n, out, in, x.data(), in, W, in, want_y.data(), out, false);  // X·Wᵀ
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t o = 0; o < out; ++o) want_y[i * out + o] += b[o];
            scalar.nn(n, in, out, dy.data(), out, 1, W, in, want_dx.data(), in, false);        // dY·W
            scalar.nn(out, in, n, dy.data(), 1, out, x.data(), in, want_dW.data(), in, true);  // dYᵀ·X
            for (std::size_t o = 0; o < out; ++o) {
                float sum = 0.f;
                for (std::size_t i = 0; i < n; ++i) sum += dy[i * out + o];
                want_db[o] = sum;
            }
            CHECK(first_bit_difference(y, want_y) == -1);
            CHECK(first_bit_difference(dx, want_dx) == -1);
            CHECK(first_bit_difference(values(fc.weight_grad()), want_dW) == -1);
            CHECK(first_bit_difference(values(fc.bias_grad()), want_db) == -1);
            CHECK(first_bit_difference(y_last, std::vector<float>(y.end() - static_cast<long>(out), y.end())) == -1);
            CHECK(fc.weight_grad().array().abs().maxCoeff() > 0.f);  // real gradients, not zeros
        }
}

TEST_CASE("Linear: init bound, shape errors, backward before forward") {
    Standalone<Linear<float>> fc({.in = 16, .out = 8});
    CHECK(fc.weight().array().abs().maxCoeff() <= 0.25f);
    CHECK_THROWS_WITH_AS(fc.forward(Tensor<float>({4, 15})), "Linear(16→8): expected input [N, 16], got [4, 15]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(fc.backward(Tensor<float>({4, 8})),
                         doctest::Contains("Linear(16→8): backward called without a forward before it"),
                         std::logic_error);
    fc.forward(Tensor<float>({4, 16}));
    CHECK_THROWS_WITH_AS(fc.backward(Tensor<float>({4, 9})),
                         "Linear(16→8): expected gradient of the output's shape [4, 8], got [4, 9]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(fc.set_weight(Tensor<float>({16, 8})),
                         "Linear(16→8).set_weight: expected shape [8, 16], got [16, 8]", std::invalid_argument);
    fc.eval();
    fc.forward(Tensor<float>({4, 16}));
    CHECK_NOTHROW(
        fc.backward(Tensor<float>({4, 8})));  // the caller keeps x: backward works after an eval-mode forward too
}

TEST_CASE("Linear: a weight reshaped through parameters() is refused by name, never used (issue 15)") {
    // [4, 3] instead of [3, 4] has the right number of values: it used to train without a word, and then refuse its
    // own checkpoint; [3, 3] failed inside Tensor::matrix naming neither the layer nor the parameter.
    for (const Shape& wrong : {Shape{4, 3}, Shape{3, 3}, Shape{1}}) {
        Standalone<Linear<float>> fc({.in = 4, .out = 3});
        *fc.parameters()[0].value = Tensor<float>(wrong, 1.f);
        const Tensor<float> x(Shape{2, 4}, 1.f);
        const std::string expected = "Linear(4→3): parameter weight has shape " + to_string(wrong) +
                                     ", expected [3, 4] (a parameter's shape is fixed by its layer: write its values "
                                     "through parameters(), do not replace the tensor)";
        CHECK_THROWS_WITH_AS(fc.forward(x), expected.c_str(), std::invalid_argument);
    }
    // A bias, or a gradient, of another shape: refused by backward before it writes.
    Standalone<Linear<float>> fc({.in = 4, .out = 3});
    const Tensor<float> x(Shape{2, 4}, 1.f), dy(Shape{2, 3}, 1.f);
    fc.forward(x);
    *fc.parameters()[1].grad = Tensor<float>(Shape{1});
    CHECK_THROWS_WITH_AS(fc.backward(dy),
                         "Linear(4→3): parameter bias's gradient has shape [1], expected [3] (a parameter's shape is "
                         "fixed by its layer: write its values through parameters(), do not replace the tensor)",
                         std::invalid_argument);
    *fc.parameters()[1].grad = Tensor<float>(Shape{3});
    *fc.parameters()[1].value = Tensor<float>(Shape{3, 1});
    CHECK_THROWS_WITH_AS(fc.forward(x),
                         "Linear(4→3): parameter bias has shape [3, 1], expected [3] (a parameter's shape is fixed by "
                         "its layer: write its values through parameters(), do not replace the tensor)",
                         std::invalid_argument);
}

TEST_CASE("Linear: feature counts whose weight cannot exist are refused naming the layer (issue 15)") {
    // 2^32 × 2^32 used to build a 0-element weight whose checkpoint then refused to load.
    CHECK_THROWS_WITH_AS(
        Linear<float>({.in = 1ull << 32, .out = 1ull << 32}),
        "Linear(4294967296→4294967296): weight of shape [4294967296, 4294967296] has too many elements "
        "(the count overflows size_t; a tensor of 4-byte elements holds at most 2305843009213693951)",
        std::invalid_argument);
    CHECK_THROWS_WITH_AS(Linear<double>({.in = 1ull << 32, .out = 1ull << 31}),
                         "Linear(4294967296→2147483648): weight of shape [2147483648, 4294967296] has too many "
                         "elements (9223372036854775808; a tensor of 8-byte elements holds at most "
                         "1152921504606846975)",
                         std::invalid_argument);
}
