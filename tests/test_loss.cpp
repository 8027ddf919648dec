// Losses: MSE (mean, sum, half_sum) values and gradients; NLL and cross-entropy (values, gradients, composition,
// stability, label errors); count_correct.
#include <minitorch/gradcheck.hpp>
#include <minitorch/layers/log_softmax.hpp>
#include <minitorch/loss.hpp>
#include <minitorch/standalone.hpp>

#include <doctest/doctest.h>

#include "support/random_values.hpp"

#include <cmath>
#include <cstdint>
#include <vector>

using namespace minitorch;
using test_support::random_tensor;

TEST_CASE("MSELoss: values for each reduction") {
    const Tensor<double> a({2, 2}, {1, 2, 3, 4}), t({2, 2}, {0, 2, 5, 4});  // squared errors 1, 0, 4, 0
    CHECK(MSELoss<double>(Reduction::mean).forward(a, t) == 1.25);
    CHECK(MSELoss<double>(Reduction::sum).forward(a, t) == 5.0);
    CHECK(MSELoss<double>(Reduction::half_sum).forward(a, t) == 2.5);
}

TEST_CASE("MSELoss: gradcheck for each reduction") {
    Generator gen(6);
    const auto a = random_tensor({3, 4}, gen);
    const auto t = random_tensor({3, 4}, gen);
    for (auto red : {Reduction::mean, Reduction::sum, Reduction::half_sum}) {
        MSELoss<double> loss(red);
        const auto r = gradcheck_loss(loss, a, t);
        INFO(to_string(red), "\n", r.report);
        CHECK(r.ok);
    }
}

TEST_CASE("MSELoss: shape mismatch and backward before forward") {
    MSELoss<float> loss;
    CHECK_THROWS_WITH_AS(loss.backward(), "MSELoss(reduction=mean): backward called before forward", std::logic_error);
    CHECK_THROWS_WITH_AS(loss.forward(Tensor<float>({2, 3}), Tensor<float>({3, 2})),
                         "MSELoss(reduction=mean): expected target of the input's shape [2, 3], got [3, 2]",
                         std::invalid_argument);
}

// ---- classification losses ----------------------------------------------------------------------------------------

namespace {
using Labels = std::vector<std::int64_t>;
}  // namespace

TEST_CASE("NLLLoss: values and gradient for mean and sum") {
    const Tensor<double> log_probs({2, 3}, {-1, -2, -0.5, -0.1, -3, -4});
    const Labels labels{2, 0};  // picks −0.5 and −0.1
    NLLLoss<double> mean, sum(Reduction::sum);
    CHECK(mean.forward(log_probs, labels) == doctest::Approx(0.3).epsilon(1e-15));
    CHECK(sum.forward(log_probs, labels) == doctest::Approx(0.6).epsilon(1e-15));
    CHECK(mean.backward() == Tensor<double>({2, 3}, {0, 0, -0.5, -0.5, 0, 0}));
    CHECK(sum.backward() == Tensor<double>({2, 3}, {0, 0, -1, -1, 0, 0}));
}

TEST_CASE("CrossEntropyLoss: values and gradient on the logit rows (1, 2, 3) and (1, 1, 1)") {
    const Tensor<double> logits({2, 3}, {1, 2, 3, 1, 1, 1});
    const Labels labels{2, 0};
    // row 0: log(e + e² + e³) − 3 = log(1 + e⁻¹ + e⁻²) = 0.4076059644443806; row 1: log 3 = 1.0986122886681098
    CrossEntropyLoss<double> mean, sum(Reduction::sum);
    CHECK(mean.forward(logits, labels) == doctest::Approx(0.7531091265562452).epsilon(1e-15));
    CHECK(sum.forward(logits, labels) == doctest::Approx(1.5062182531124904).epsilon(1e-15));
    // gradient (softmax − one-hot)/N; softmax(1, 2, 3) = (0.0900305731703804, 0.2447284710547976, 0.6652409557748217)
    const double expected[] = {0.0900305731703804 / 2,
                               0.2447284710547976 / 2,
                               (0.6652409557748217 - 1) / 2,
                               (1.0 / 3 - 1) / 2,
                               1.0 / 6,
                               1.0 / 6};
    const auto& g = mean.backward();
    for (std::size_t i = 0; i < 6; ++i) CHECK(g[i] == doctest::Approx(expected[i]).epsilon(1e-14));
    const auto& gs = sum.backward();
    for (std::size_t i = 0; i < 6; ++i) CHECK(gs[i] == doctest::Approx(2 * expected[i]).epsilon(1e-14));
}

TEST_CASE("NLLLoss and CrossEntropyLoss: gradcheck_loss for mean and sum") {
    const auto x = random_tensor({4, 5}, 21, 0, 2);
    const Labels labels{3, 0, 4, 3};
    Standalone<LogSoftmax<double>> ls;
    const Tensor<double> log_probs = ls.forward(x);
    // eps = 1e-5: with the default 1e-6 the central difference's rounding noise, ~1e-16·|f|/eps ≈ 1e-9 for the sum
    // (|f| ≈ 10), is as large as atol; at 1e-5 it is 10× smaller, and the O(eps²) truncation is ~1e-11.
    const GradcheckOptions opt{.eps = 1e-5};
    for (auto red : {Reduction::mean, Reduction::sum}) {
        CrossEntropyLoss<double> ce(red);
        auto r = gradcheck_loss(ce, x, labels, opt);
        INFO("CrossEntropyLoss ", to_string(red), "\n", r.report);
        CHECK(r.ok);
        NLLLoss<double> nll(red);
        r = gradcheck_loss(nll, log_probs, labels, opt);
        INFO("NLLLoss ", to_string(red), "\n", r.report);
        CHECK(r.ok);
    }
}

TEST_CASE("CrossEntropyLoss equals LogSoftmax followed by NLLLoss, value and gradient") {
    const auto x = random_tensor({5, 4}, 31, 0, 2);
    const Labels labels{0, 3, 1, 1, 2};
    for (auto red : {Reduction::mean, Reduction::sum}) {
        CrossEntropyLoss<double> ce(red);
        NLLLoss<double> nll(red);
        Standalone<LogSoftmax<double>> ls;
        const double fused = ce.forward(x, labels);
        const double composed = nll.forward(ls.forward(x), labels);
        CHECK(fused == doctest::Approx(composed).epsilon(1e-14));
        const auto& d_fused = ce.backward();
        const auto& d_composed = ls.backward(nll.backward());
        for (std::size_t i = 0; i < x.size(); ++i)
            CHECK(d_fused[i] == doctest::Approx(d_composed[i]).epsilon(1e-12).scale(1.0));
    }
}

TEST_CASE("CrossEntropyLoss: logits of ±1000 give finite loss and gradient") {
    const Labels labels{0, 0};
    // row 0: the labelled logit dominates, loss 0; row 1: two logits of 1000 vs the labelled −1000: 2000 + log 2
    const Tensor<double> logits({2, 3}, {1000, -1000, 0, -1000, 1000, 1000});
    CrossEntropyLoss<double> ce;
    CHECK(ce.forward(logits, labels) == doctest::Approx((2000 + std::log(2.0)) / 2).epsilon(1e-15));
    const auto& g = ce.backward();
    const double expected[] = {0, 0, 0, -0.5, 0.25, 0.25};  // (softmax − one-hot)/2, softmax rows (1, 0, 0), (0, ½, ½)
    for (std::size_t i = 0; i < 6; ++i) CHECK(g[i] == doctest::Approx(expected[i]).epsilon(1e-15).scale(1.0));
    CrossEntropyLoss<float> cf(Reduction::sum);
    const float lf = cf.forward(logits.cast<float>(), labels);
    CHECK(std::isfinite(lf));
    CHECK(lf == doctest::Approx(2000 + std::log(2.0)).epsilon(1e-6));
    for (float v : cf.backward()) CHECK(std::isfinite(v));
}

TEST_CASE("Classification losses: label, shape and reduction errors") {
    CrossEntropyLoss<float> ce;
    const Tensor<float> x({4, 10});
    CHECK_THROWS_WITH_AS(ce.backward(), "CrossEntropyLoss(reduction=mean): backward called before forward",
                         std::logic_error);
    CHECK_THROWS_WITH_AS(ce.forward(x, Labels{1, 2, 10, 3}),
                         "CrossEntropyLoss(reduction=mean): label 10 at index 2 is out of range [0, 10)",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(ce.forward(x, Labels{1, -1, 0, 3}),
                         "CrossEntropyLoss(reduction=mean): label -1 at index 1 is out of range [0, 10)",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(
        ce.forward(x, Labels{1, 2, 3}),
        "CrossEntropyLoss(reduction=mean): expected 4 labels (one per row of the input [4, 10]), got 3",
        std::invalid_argument);
    CHECK_THROWS_WITH_AS(ce.forward(Tensor<float>({4, 10, 1}), Labels{1, 2, 3, 4}),
                         "CrossEntropyLoss(reduction=mean): expected input [N, C] with N, C ≥ 1, got [4, 10, 1]",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(ce.forward(Tensor<float>({0, 10}), Labels{}),
                         "CrossEntropyLoss(reduction=mean): expected input [N, C] with N, C ≥ 1, got [0, 10]",
                         std::invalid_argument);
    NLLLoss<float> nll(Reduction::sum);
    CHECK_THROWS_WITH_AS(nll.backward(), "NLLLoss(reduction=sum): backward called before forward", std::logic_error);
    CHECK_THROWS_WITH_AS(nll.forward(x, Labels{0, 0, 0, 12}),
                         "NLLLoss(reduction=sum): label 12 at index 3 is out of range [0, 10)", std::invalid_argument);
    CHECK_THROWS_WITH_AS(CrossEntropyLoss<float>(Reduction::half_sum),
                         doctest::Contains("CrossEntropyLoss: reduction half_sum is not supported"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(NLLLoss<float>(Reduction::half_sum),
                         doctest::Contains("NLLLoss: reduction half_sum is not supported"), std::invalid_argument);
}

TEST_CASE("count_correct: argmax per row, first maximum on ties") {
    const Tensor<double> scores({4, 3}, {1, 3, 3,          // argmax 1 (tie with 2: the first wins)
                                         0, -1, -2,        // argmax 0
                                         5, 5, 5,          // argmax 0
                                         0.1, 0.2, 0.3});  // argmax 2
    CHECK(count_correct(scores, Labels{1, 0, 0, 2}) == 4);
    CHECK(count_correct(scores, Labels{2, 0, 1, 2}) == 2);
    CHECK(count_correct(scores, Labels{0, 1, 2, 0}) == 0);
    CHECK(count_correct(Tensor<float>({0, 3}), Labels{}) == 0);
    CHECK_THROWS_WITH_AS(count_correct(scores, Labels{0, 3, 0, 0}),
                         "count_correct: label 3 at index 1 is out of range [0, 3)", std::invalid_argument);
    CHECK_THROWS_WITH_AS(count_correct(scores, Labels{0}),
                         "count_correct: expected 4 labels (one per row of the input [4, 3]), got 1",
                         std::invalid_argument);
}
