// SGD: PyTorch's update rule, step by step, for plain, momentum, dampening, Nesterov and weight decay.
#include <minitorch/optim/sgd.hpp>
#include <minitorch/layers/linear.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

using namespace minitorch;

namespace {
// Reference: torch.optim.SGD's rule written out on scalars, for a parameter whose gradient is g_k at step k.
std::vector<double> expected_sgd_steps(double p, const std::vector<double>& grads, SGDOptions o) {
    std::vector<double> out;
    double buf = 0;
    bool first = true;
    for (double g : grads) {
        double d = g + o.weight_decay * p;
        if (o.momentum != 0) {
            buf = first ? d : o.momentum * buf + (1 - o.dampening) * d;
            first = false;
            d = o.nesterov ? d + o.momentum * buf : buf;
        }
        p -= o.lr * d;
        out.push_back(p);
    }
    return out;
}
}  // namespace

TEST_CASE("SGD: matches PyTorch's rule over several steps") {
    const std::vector<double> grads{0.5, -0.25, 1.0, 0.125};
    const std::vector<SGDOptions> configs{
        {.lr = 0.1},
        {.lr = 0.1, .momentum = 0.9},
        {.lr = 0.05, .momentum = 0.9, .dampening = 0.3},
        {.lr = 0.1, .momentum = 0.9, .nesterov = true},
        {.lr = 0.1, .momentum = 0.5, .weight_decay = 0.01},
        {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true},
    };
    for (const auto& o : configs) {
        Tensor<double> p({1}, {2.0}), g({1});
        SGD<double> opt({{"p", &p, &g}}, o);
        const auto expected = expected_sgd_steps(2.0, grads, o);
        for (std::size_t k = 0; k < grads.size(); ++k) {
            g[0] = grads[k];
            opt.step();
            CHECK(p[0] == doctest::Approx(expected[k]).epsilon(1e-15));
        }
    }
}

TEST_CASE("SGD: first momentum step uses the gradient itself (not (1 - dampening)·g)") {
    Tensor<double> p({1}, {1.0}), g({1}, {1.0});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 1.0, .momentum = 0.9, .dampening = 0.5});
    opt.step();
    CHECK(p[0] == 0.0);  // buffer = g = 1, not 0.5
}

TEST_CASE("SGD: buffers are skipped, zero_grad zeroes, bad options are refused") {
    Tensor<double> p({2}, {1, 1}), g({2}, {1, 1}), buffer({2}, {5, 5});
    SGD<double> opt({{"w", &p, &g}, {"running_mean", &buffer, nullptr}}, {.lr = 0.5});
    opt.step();
    CHECK(p[0] == 0.5);
    CHECK(buffer[0] == 5);
    opt.zero_grad();
    CHECK(g[0] == 0);
    CHECK_THROWS_AS(SGD<double>({}, {.lr = -1}), std::invalid_argument);
    CHECK_THROWS_AS(SGD<double>({}, {.lr = 0.1, .nesterov = true}), std::invalid_argument);
}

TEST_CASE("SGD: a value and gradient of different shapes are refused by name, nothing updated (issue 15)") {
    // A Conv2d weight made larger than its gradient used to abort in an Eigen assertion (-O1) or overflow the heap
    // silently (-DNDEBUG).
    for (const bool larger_value : {true, false}) {
        Tensor<float> a({2}, {1, 1}), ga({2}, {1, 1}), w({9}, 1.f), g({9}, 1.f);
        (larger_value ? w : g) = Tensor<float>(Shape{10}, 1.f);
        SGD<float> opt({{"0.bias", &a, &ga}, {"1.weight", &w, &g}}, {.lr = 0.5, .momentum = 0.9});
        const std::string expected = std::string("SGD::step: parameter 1.weight has shape ") +
                                     (larger_value ? "[10]" : "[9]") + " but its gradient has shape " +
                                     (larger_value ? "[9]" : "[10]") + "; they must agree";
        CHECK_THROWS_WITH_AS(opt.step(), expected.c_str(), std::invalid_argument);
        CHECK(a[0] == 1.f);  // checked before any update
    }
}

TEST_CASE("SGD: set_lr and set_momentum refuse NaN and negative values, keeping the old one (issue 15)") {
    Tensor<double> p({1}, {1.0}), g({1}, {1.0});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 0.1, .momentum = 0.5});
    for (const double bad : {std::nan(""), -0.5, std::numeric_limits<double>::infinity()}) {
        CHECK_THROWS_AS(opt.set_lr(bad), std::invalid_argument);
        CHECK_THROWS_AS(opt.set_momentum(bad), std::invalid_argument);
    }
    CHECK_THROWS_WITH_AS(opt.set_lr(-0.5), "SGD::set_lr: lr must be a finite number ≥ 0, got -0.500000",
                         std::invalid_argument);
    CHECK(opt.lr() == 0.1);
    CHECK(opt.momentum() == 0.5);
    opt.set_lr(0.0);  // 0 is allowed, as in the constructor
    CHECK(opt.lr() == 0.0);
}
