// Schedulers: StepLR and OneCycleLR against the values PyTorch's own schedulers produce, and their errors.
//
// Golden values: printed once by torch 1.13 (Debian bookworm's python3-torch 1.13.1, `torch.__version__` reports
// 1.13.0a0) with /usr/bin/python3 running this script; `repr` gives 17 significant digits, copied below unchanged.
// PyTorch is NOT needed to run this test.
//
//   import torch
//   def onecycle(ks, **kw):                # lr and momentum after k scheduler steps, for k in ks
//       p = torch.nn.Parameter(torch.zeros(1))
//       opt = torch.optim.SGD([p], lr=0.002, momentum=0.9)
//       s = torch.optim.lr_scheduler.OneCycleLR(opt, **kw)
//       k = 0; out = {}
//       while True:
//           if k in ks:
//               g = opt.param_groups[0]; out[k] = (g['lr'], g['momentum'])
//           if k == max(ks): break
//           opt.step(); s.step(); k += 1
//       for k in sorted(out): print(k, repr(out[k][0]), repr(out[k][1]))
//       try:
//           opt.step(); s.step(); print("no error")
//       except ValueError as e: print("error:", e)
//   onecycle([0, 1, 100, 2109, 2110, 2111, 5000, 7034, 7035], max_lr=0.05, epochs=15, steps_per_epoch=469)
//   onecycle(list(range(11)), max_lr=0.1, total_steps=10)
//   onecycle(list(range(11)), max_lr=0.1, total_steps=10, anneal_strategy='linear', three_phase=True,
//            pct_start=0.25)
//   p = torch.nn.Parameter(torch.zeros(1))
//   opt = torch.optim.SGD([p], lr=0.01)
//   s = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)
//   for e in range(13):
//       print(e, repr(opt.param_groups[0]['lr'])); opt.step(); s.step()
//
// Each onecycle() call ended with "error: Tried to step T+2 times. The specified number of total steps is T"
// (PyTorch counts the constructor's implicit step), i.e. PyTorch allows exactly T calls of step().
// The zero-length-phase case (total_steps=10, pct_start=0.1) raises ZeroDivisionError in PyTorch, and with
// cycle_momentum=False the optimiser keeps momentum 0.9 — both checked the same way.
#include <minitorch/optim/scheduler.hpp>
#include <minitorch/optim/sgd.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <map>
#include <vector>

using namespace minitorch;

namespace {

double rel_err(double got, double want) {
    return std::abs(got - want) / std::abs(want);
}

struct Golden {
    std::size_t step;
    double lr, momentum;
};

// Checks the optimiser's values after each step() against the golden table, through step() and through the pure
// lr_at/momentum_at, for every step from 0 to the last golden step.
template <class Sched>
void check_against(Sched& sched, SGD<double>& opt, const std::vector<Golden>& golden) {
    std::size_t k = 0;
    for (const Golden& g : golden) {
        while (k < g.step) {
            sched.step();
            ++k;
        }
        INFO("after ", k, " scheduler steps");
        REQUIRE(sched.last_step() == k);
        // A negative value (torch's T-th step of a linear three-phase cycle) reaches the optimiser as 0: SGD refuses
        // negative rates (issue 15); lr_at keeps torch's value.
        if (g.lr < 0) {
            CHECK(opt.lr() == 0.0);
            CHECK(sched.last_lr() == 0.0);
        } else {
            CHECK(rel_err(opt.lr(), g.lr) <= 1e-12);
            CHECK(rel_err(sched.last_lr(), g.lr) <= 1e-12);
        }
        CHECK(rel_err(opt.momentum(), g.momentum) <= 1e-12);
        CHECK(rel_err(sched.lr_at(k), g.lr) <= 1e-12);
        CHECK(rel_err(sched.momentum_at(k), g.momentum) <= 1e-12);
    }
}

}  // namespace

TEST_CASE("StepLR: matches torch StepLR(step_size=5, gamma=0.5) over epochs 0..12") {
    const std::vector<double> torch_lr{0.01,  0.01,  0.01,  0.01,   0.01,   0.005, 0.005,
                                       0.005, 0.005, 0.005, 0.0025, 0.0025, 0.0025};
    Tensor<double> p({1}), g({1});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 0.01});
    StepLR sched(opt, 5, 0.5);
    CHECK(sched.describe() == "StepLR(step_size=5, gamma=0.5, base_lr=0.01)");
    for (std::size_t epoch = 0; epoch < torch_lr.size(); ++epoch) {
        INFO("epoch ", epoch);
        if (epoch > 0) sched.step();
        CHECK(sched.last_epoch() == epoch);
        CHECK(rel_err(opt.lr(), torch_lr[epoch]) <= 1e-12);
        CHECK(rel_err(sched.last_lr(), torch_lr[epoch]) <= 1e-12);
        CHECK(rel_err(sched.lr_at(epoch), torch_lr[epoch]) <= 1e-12);
    }
    // The closed form keeps going past the table: epoch 25 → 0.01 · 0.5^5.
    CHECK(rel_err(sched.lr_at(25), 0.01 * 0.03125) <= 1e-12);
}

TEST_CASE("StepLR: default gamma is 0.1, bad arguments are refused") {
    Tensor<double> p({1}), g({1});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 1.0});
    StepLR sched(opt, 2);
    CHECK(sched.lr_at(1) == 1.0);
    CHECK(rel_err(sched.lr_at(2), 0.1) <= 1e-15);
    CHECK(rel_err(sched.lr_at(5), 0.01) <= 1e-15);
    CHECK_THROWS_WITH_AS(StepLR(opt, 0, 0.5), "StepLR: step_size must be ≥ 1, got 0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(StepLR(opt, 3, -0.5), "StepLR: gamma must be a finite number > 0, got -0.5",
                         std::invalid_argument);
}

TEST_CASE("OneCycleLR: matches torch for max_lr=0.05, 15 epochs × 469 steps, SGD(lr=0.002, momentum=0.9)") {
    // Phase 1 ends at step 0.3·7035 − 1 = 2109.5, so 2109 is the last warm-up step and 2110 the first annealing one.
    const std::vector<Golden> torch_values{
        {0, 0.0020000000000000018, 0.95},
        {1, 0.002000026614716946, 0.949999944552673},
        {100, 0.0022656556770341563, 0.9494465506728454},
        {2109, 0.04999999334631985, 0.8500000138618337},
        {2110, 0.04999999872818559, 0.8500000025436389},
        {2111, 0.04999998855367105, 0.8500000228927495},
        {5000, 0.01825470692055325, 0.9134908401222539},
        {7034, 2e-07, 0.95},
        {7035, 2.050872575248493e-07, 0.9499999898254442},
    };
    Tensor<double> p({1}), g({1});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 0.002, .momentum = 0.9});
    OneCycleLR sched(opt, {.max_lr = 0.05, .epochs = 15, .steps_per_epoch = 469});
    CHECK(sched.total_steps() == 7035);
    CHECK(sched.initial_lr() == 0.05 / 25);
    CHECK(sched.min_lr() == 0.05 / 25 / 1e4);
    CHECK(sched.describe() == "OneCycleLR(max_lr=0.05, total_steps=7035, pct_start=0.3, cos)");
    check_against(sched, opt, torch_values);

    // PyTorch allows exactly total_steps calls of step(); one more is an error that changes nothing.
    REQUIRE(sched.last_step() == 7035);
    CHECK_THROWS_WITH_AS(sched.step(),
                         "OneCycleLR: tried to step 7036 times, but the specified number of total steps is 7035 "
                         "(call step() once after each optimiser step)",
                         std::logic_error);
    CHECK(sched.last_step() == 7035);
    CHECK(rel_err(opt.lr(), 2.050872575248493e-07) <= 1e-12);
    CHECK_THROWS_WITH_AS(sched.lr_at(7036), "OneCycleLR: step 7036 is past the schedule's end (total_steps = 7035)",
                         std::out_of_range);
}

TEST_CASE("OneCycleLR: every step of a 10-step cosine schedule matches torch (total_steps=10, max_lr=0.1)") {
    // Phase 1 ends at 0.3·10 − 1 = 2 (the peak), phase 2 at 9 (min_lr = 0.1/25/1e4 = 4e-7); step 10 is past the end,
    // where PyTorch's formula turns back up.
    const std::vector<Golden> torch_values{
        {0, 0.0040000000000000036, 0.95},
        {1, 0.052000000000000005, 0.8999999999999999},
        {2, 0.1, 0.85},
        {3, 0.09504846320134738, 0.854951556604879},
        {4, 0.0811745653949763, 0.8688255099070633},
        {5, 0.06112620219362893, 0.8888739533021842},
        {6, 0.03887419780637107, 0.9111260466978157},
        {7, 0.0188258346050237, 0.9311744900929366},
        {8, 0.004951936798652629, 0.945048443395121},
        {9, 4e-07, 0.95},
        {10, 0.004951936798652624, 0.945048443395121},
    };
    Tensor<double> p({1}), g({1});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 0.002, .momentum = 0.9});
    OneCycleLR sched(opt, {.max_lr = 0.1, .total_steps = 10});
    check_against(sched, opt, torch_values);
    CHECK_THROWS_WITH_AS(sched.step(), doctest::Contains("tried to step 11 times"), std::logic_error);
}

TEST_CASE("OneCycleLR: three-phase linear schedule matches torch (total_steps=10, pct_start=0.25)") {
    // Phases end at 1.5, 3 and 9: 0.004 → 0.1 → 0.004 → 4e-7 in lr, 0.95 → 0.85 → 0.95 → 0.95 in momentum.
    const std::vector<Golden> torch_values{
        {0, 0.004, 0.95},
        {1, 0.068, 0.8833333333333333},
        {2, 0.068, 0.8833333333333333},
        {3, 0.0040000000000000036, 0.95},
        {4, 0.0033334000000000003, 0.95},
        {5, 0.0026668000000000004, 0.95},
        {6, 0.0020002, 0.95},
        {7, 0.0013336000000000003, 0.95},
        {8, 0.0006670000000000001, 0.95},
        {9, 4.0000000000022656e-07, 0.95},
        {10, -0.0006662000000000005, 0.95},
    };
    Tensor<double> p({1}), g({1});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 0.002, .momentum = 0.9});
    OneCycleLR sched(
        opt, {.max_lr = 0.1, .total_steps = 10, .pct_start = 0.25, .anneal = Anneal::linear, .three_phase = true});
    check_against(sched, opt, torch_values);
}

TEST_CASE("OneCycleLR: drives the optimiser's update, cycle_momentum = false leaves momentum alone") {
    Tensor<double> p({1}, {1.0}), g({1}, {2.0});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 0.002, .momentum = 0.9});
    OneCycleLR sched(opt, {.max_lr = 0.1, .total_steps = 10, .cycle_momentum = false});
    CHECK(opt.momentum() == 0.9);  // as torch: the optimiser keeps its own momentum
    CHECK_THROWS_WITH_AS(sched.momentum_at(0), "OneCycleLR: momentum_at called with cycle_momentum = false",
                         std::logic_error);
    opt.step();  // first momentum step: buffer = g, p −= lr·g with lr = lr_at(0)
    CHECK(p[0] == 1.0 - sched.lr_at(0) * 2.0);
    sched.step();
    CHECK(opt.lr() == sched.lr_at(1));
    CHECK(opt.momentum() == 0.9);
}

TEST_CASE("OneCycleLR: invalid options are refused with clear messages") {
    Tensor<double> p({1}), g({1});
    SGD<double> opt({{"p", &p, &g}}, {.lr = 0.002, .momentum = 0.9});
    using O = OneCycleOptions;
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0, .total_steps = 10}),
                         "OneCycleLR: max_lr must be a finite number > 0, got 0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1}),
                         "OneCycleLR: give total_steps > 0, or epochs > 0 and steps_per_epoch > 0 (all are 0)",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1, .epochs = 15}),
                         "OneCycleLR: epochs and steps_per_epoch must both be > 0, got epochs=15, steps_per_epoch=0",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1, .total_steps = 100, .epochs = 15, .steps_per_epoch = 469}),
                         "OneCycleLR: total_steps=100 disagrees with epochs · steps_per_epoch = 15 · 469 = 7035 (give "
                         "one or the other)",
                         std::invalid_argument);
    SGD<double> other({{"p", &p, &g}}, {.lr = 0.002, .momentum = 0.9});
    CHECK(
        OneCycleLR(other, O{.max_lr = 0.1, .total_steps = 7035, .epochs = 15, .steps_per_epoch = 469}).total_steps() ==
        7035);
    for (double pct : {0.0, 1.0, -0.1, 1.5})
        CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1, .total_steps = 10, .pct_start = pct}),
                             doctest::Contains("OneCycleLR: pct_start must lie in (0, 1), got"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1, .total_steps = 100, .pct_start = 0.5, .three_phase = true}),
                         doctest::Contains("three_phase needs pct_start < 0.5"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1, .total_steps = 10, .div_factor = 0}),
                         "OneCycleLR: div_factor must be a finite number > 0, got 0", std::invalid_argument);
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1, .total_steps = 10, .final_div_factor = -1}),
                         "OneCycleLR: final_div_factor must be a finite number > 0, got -1", std::invalid_argument);
    CHECK_THROWS_WITH_AS(
        OneCycleLR(opt, O{.max_lr = 0.1, .total_steps = 10, .base_momentum = 0.96}),
        "OneCycleLR: momenta must satisfy 0 ≤ base_momentum ≤ max_momentum, got base_momentum=0.96, max_momentum=0.95",
        std::invalid_argument);
    // pct_start·total_steps = 1 makes the warm-up phase [0, 0]: PyTorch raises ZeroDivisionError.
    CHECK_THROWS_WITH_AS(OneCycleLR(opt, O{.max_lr = 0.1, .total_steps = 10, .pct_start = 0.1}),
                         "OneCycleLR: pct_start=0.1 with total_steps=10 gives a phase of zero length "
                         "(pct_start·total_steps = 1); change pct_start or the number of steps",
                         std::invalid_argument);
    // A refused configuration leaves the optimiser untouched.
    CHECK(opt.lr() == 0.002);
    CHECK(opt.momentum() == 0.9);
}
