// Losses: MSE (mean, sum, half_sum) values and gradients; errors.
#include <minitorch/gradcheck.hpp>
#include <minitorch/loss.hpp>

#include <doctest/doctest.h>

using namespace minitorch;

TEST_CASE("MSELoss: values for each reduction") {
    const Tensor<double> a({2, 2}, {1, 2, 3, 4}), t({2, 2}, {0, 2, 5, 4});  // squared errors 1, 0, 4, 0
    CHECK(MSELoss<double>(Reduction::mean).forward(a, t) == 1.25);
    CHECK(MSELoss<double>(Reduction::sum).forward(a, t) == 5.0);
    CHECK(MSELoss<double>(Reduction::half_sum).forward(a, t) == 2.5);
}

TEST_CASE("MSELoss: gradcheck for each reduction") {
    Generator gen(6);
    Tensor<double> a({3, 4}), t({3, 4});
    normal_(a, 0, 1, gen);
    normal_(t, 0, 1, gen);
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
