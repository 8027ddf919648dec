// minitorch/optim/scheduler.hpp — learning-rate schedulers with PyTorch 1.13's exact semantics: StepLR, OneCycleLR.
//
// A scheduler holds a reference to an optimiser (anything with lr()/set_lr(), and momentum()/set_momentum() for
// momentum cycling, e.g. minitorch::SGD<T>) and writes the scheduled value into it. As in PyTorch, constructing the
// scheduler already applies the value for step 0, and `step()` is called AFTER the optimiser's step:
//
//     SGD<float> opt(model.parameters(), {.lr = 0.002, .momentum = 0.9});
//     OneCycleLR sched(opt, {.max_lr = 0.05, .epochs = 15, .steps_per_epoch = 469});   // lr = 0.002, momentum = 0.95
//     for (epoch) for (batch) { forward; backward; opt.step(); opt.zero_grad(); sched.step(); }
//
// Every scheduler also has a pure `lr_at(k)`: the value the optimiser holds after k calls of step(), computed without
// touching the optimiser (for tests, plots and printing the schedule ahead of training).
//
// The schedules (k = number of step() calls so far, PyTorch's `last_epoch`):
//
//   StepLR      lr(k) = base_lr · γ^⌊k / step_size⌋             base_lr = the optimiser's lr at construction
//               (PyTorch's step() multiplies the current lr by γ at each multiple of step_size; the closed form used
//               here is what its _get_closed_form_lr gives and agrees to rounding — an exact match for γ = 0.5.
//               γ^n is fixed::pown: correctly rounded, as the pow of that closed form (Python's float ** int) nearly
//               always is, and the same bits on every machine.)
//
//   OneCycleLR  T = total_steps (or epochs · steps_per_epoch), p = pct_start,
//               initial_lr = max_lr / div_factor,  min_lr = initial_lr / final_div_factor.
//               Phases end at the (fractional) steps
//                   two-phase:    e₁ = p·T − 1,  e₂ = T − 1
//                   three-phase:  e₁ = p·T − 1,  e₂ = 2·p·T − 2,  e₃ = T − 1
//               and go
//                   two-phase:    initial_lr → max_lr → min_lr             momentum max → base → max
//                   three-phase:  initial_lr → max_lr → initial_lr → min_lr,   momentum max → base → max → max
//               Step k belongs to the first phase with k ≤ e_i (the last phase takes everything after e_{n−1}); with
//               s = the previous phase's end (0 for the first), pct = (k − s) / (e_i − s) and
//                   cosine:  value = end + (start − end)/2 · (cos(π·pct) + 1)      (cos: fixed::cos, fixed_math.hpp)
//                   linear:  value = (end − start)·pct + start
//               Momentum anneals between its phase's ends with the same pct (it falls while lr rises).
//               PyTorch lets step() run T times (one call after each of the T optimiser steps); the T-th call computes
//               the value for step T, just past the last phase's end (pct slightly above 1, so the lr turns back up
//               from min_lr — it is never used by an optimiser step; with linear annealing in three phases it is
//               negative, which torch hands its optimiser and minitorch replaces by 0, as SGD refuses negative
//               rates). One more call is an error, here a std::logic_error, in PyTorch a ValueError.
//
// Tests: tests/test_scheduler.cpp (golden values printed by torch 1.13's own schedulers).
#pragma once

#include "minitorch/fixed_math.hpp"

#include <charconv>
#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch {

/// An optimiser whose learning rate a scheduler can read and set (SGD<T> is one).
template <class O>
concept LrOptimizer = requires(O& opt, const O& copt, double v) {
    { copt.lr() } -> std::convertible_to<double>;
    opt.set_lr(v);
};

/// An optimiser with a momentum a scheduler can cycle (SGD<T> is one).
template <class O>
concept MomentumOptimizer = LrOptimizer<O> && requires(O& opt, const O& copt, double v) {
    { copt.momentum() } -> std::convertible_to<double>;
    opt.set_momentum(v);
};

namespace scheduler_detail {
/// Shortest round-trip decimal form of x ("0.05", "1e-07"), independent of the C locale.
inline std::string number(double x) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, r.ptr);
}
inline bool positive_finite(double x) {
    return std::isfinite(x) && x > 0;
}
}  // namespace scheduler_detail

// ---- StepLR -------------------------------------------------------------------------------------------------------

/// lr = base_lr · gamma^⌊epoch / step_size⌋, stepped once per epoch (torch.optim.lr_scheduler.StepLR).
template <LrOptimizer Optimizer>
class StepLR {
  public:
    StepLR(Optimizer& optimizer, std::size_t step_size, double gamma = 0.1)
        : opt_(&optimizer), step_size_(step_size), gamma_(gamma), base_lr_(optimizer.lr()) {
        if (step_size_ == 0) throw std::invalid_argument("StepLR: step_size must be ≥ 1, got 0");
        if (!scheduler_detail::positive_finite(gamma_))
            throw std::invalid_argument("StepLR: gamma must be a finite number > 0, got " +
                                        scheduler_detail::number(gamma_));
        opt_->set_lr(lr_at(0));
    }

    std::string describe() const {
        return "StepLR(step_size=" + std::to_string(step_size_) + ", gamma=" + scheduler_detail::number(gamma_) +
               ", base_lr=" + scheduler_detail::number(base_lr_) + ")";
    }

    /// The lr after `epoch` calls of step(). Pure: does not touch the optimiser.
    double lr_at(std::size_t epoch) const { return base_lr_ * fixed::pown(gamma_, epoch / step_size_); }

    /// Call once at the end of each epoch: advances the epoch counter and sets the optimiser's lr.
    void step() {
        ++epoch_;
        opt_->set_lr(lr_at(epoch_));
    }

    double last_lr() const { return lr_at(epoch_); }
    std::size_t last_epoch() const noexcept { return epoch_; }
    double base_lr() const noexcept { return base_lr_; }
    std::size_t step_size() const noexcept { return step_size_; }
    double gamma() const noexcept { return gamma_; }

  private:
    Optimizer* opt_;
    std::size_t step_size_;
    double gamma_;
    double base_lr_;
    std::size_t epoch_ = 0;
};

// ---- OneCycleLR ---------------------------------------------------------------------------------------------------

enum class Anneal { cosine, linear };

/// torch.optim.lr_scheduler.OneCycleLR's arguments, in PyTorch's order and with its defaults.
/// Give either total_steps, or epochs and steps_per_epoch (giving both is accepted when they agree).
struct OneCycleOptions {
    double max_lr = 0;
    std::size_t total_steps = 0;
    std::size_t epochs = 0;
    std::size_t steps_per_epoch = 0;
    double pct_start = 0.3;  ///< fraction of the steps spent raising the lr
    Anneal anneal = Anneal::cosine;
    bool cycle_momentum = true;
    double base_momentum = 0.85;    ///< momentum at the lr's peak
    double max_momentum = 0.95;     ///< momentum at the start and the end
    double div_factor = 25;         ///< initial_lr = max_lr / div_factor
    double final_div_factor = 1e4;  ///< min_lr = initial_lr / final_div_factor
    bool three_phase = false;
};

/// The 1cycle policy (Smith & Topin, 2017) exactly as PyTorch 1.13 computes it; see the header comment.
template <LrOptimizer Optimizer>
class OneCycleLR {
  public:
    OneCycleLR(Optimizer& optimizer, OneCycleOptions options) : opt_(&optimizer), o_(options) {
        using scheduler_detail::number;
        using scheduler_detail::positive_finite;
        if (!positive_finite(o_.max_lr))
            throw std::invalid_argument("OneCycleLR: max_lr must be a finite number > 0, got " + number(o_.max_lr));
        const bool by_epochs = o_.epochs > 0 || o_.steps_per_epoch > 0;
        if (by_epochs) {
            if (o_.epochs == 0 || o_.steps_per_epoch == 0)
                throw std::invalid_argument(
                    "OneCycleLR: epochs and steps_per_epoch must both be > 0, got epochs=" + std::to_string(o_.epochs) +
                    ", steps_per_epoch=" + std::to_string(o_.steps_per_epoch));
            if (o_.epochs > std::numeric_limits<std::size_t>::max() / o_.steps_per_epoch)
                throw std::invalid_argument("OneCycleLR: epochs · steps_per_epoch overflows");
            const std::size_t product = o_.epochs * o_.steps_per_epoch;
            if (o_.total_steps != 0 && o_.total_steps != product)
                throw std::invalid_argument("OneCycleLR: total_steps=" + std::to_string(o_.total_steps) +
                                            " disagrees with epochs · steps_per_epoch = " + std::to_string(o_.epochs) +
                                            " · " + std::to_string(o_.steps_per_epoch) + " = " +
                                            std::to_string(product) + " (give one or the other)");
            total_ = product;
        } else {
            if (o_.total_steps == 0)
                throw std::invalid_argument(
                    "OneCycleLR: give total_steps > 0, or epochs > 0 and steps_per_epoch > 0 (all are 0)");
            total_ = o_.total_steps;
        }
        if (!(o_.pct_start > 0 && o_.pct_start < 1))
            throw std::invalid_argument("OneCycleLR: pct_start must lie in (0, 1), got " + number(o_.pct_start));
        if (o_.three_phase && !(o_.pct_start < 0.5))
            throw std::invalid_argument(
                "OneCycleLR: three_phase needs pct_start < 0.5 (warm-up and cool-down take "
                "pct_start each), got " +
                number(o_.pct_start));
        if (!positive_finite(o_.div_factor))
            throw std::invalid_argument("OneCycleLR: div_factor must be a finite number > 0, got " +
                                        number(o_.div_factor));
        if (!positive_finite(o_.final_div_factor))
            throw std::invalid_argument("OneCycleLR: final_div_factor must be a finite number > 0, got " +
                                        number(o_.final_div_factor));
        if (o_.cycle_momentum) {
            if constexpr (!MomentumOptimizer<Optimizer>)
                throw std::invalid_argument(
                    "OneCycleLR: cycle_momentum needs an optimiser with momentum (set cycle_momentum = false)");
            if (!(std::isfinite(o_.base_momentum) && std::isfinite(o_.max_momentum) && o_.base_momentum >= 0 &&
                  o_.base_momentum <= o_.max_momentum))
                throw std::invalid_argument(
                    "OneCycleLR: momenta must satisfy 0 ≤ base_momentum ≤ max_momentum, got "
                    "base_momentum=" +
                    number(o_.base_momentum) + ", max_momentum=" + number(o_.max_momentum));
        }

        initial_lr_ = o_.max_lr / o_.div_factor;
        min_lr_ = initial_lr_ / o_.final_div_factor;
        const double T = static_cast<double>(total_), p = o_.pct_start;
        const double bm = o_.base_momentum, mm = o_.max_momentum;
        if (o_.three_phase)
            phases_ = {{p * T - 1, initial_lr_, o_.max_lr, mm, bm},
                       {2 * p * T - 2, o_.max_lr, initial_lr_, bm, mm},
                       {T - 1, initial_lr_, min_lr_, mm, mm}};
        else
            phases_ = {{p * T - 1, initial_lr_, o_.max_lr, mm, bm}, {T - 1, o_.max_lr, min_lr_, bm, mm}};
        // A phase of zero length would divide by zero (PyTorch raises ZeroDivisionError): every phase is reached.
        double start = 0;
        for (const Phase& ph : phases_) {
            if (ph.end == start)
                throw std::invalid_argument("OneCycleLR: pct_start=" + number(p) +
                                            " with total_steps=" + std::to_string(total_) +
                                            " gives a phase of zero length (pct_start·total_steps = " + number(p * T) +
                                            "); change pct_start or the number of steps");
            start = ph.end;
        }
        apply(0);
    }

    std::string describe() const {
        return "OneCycleLR(max_lr=" + scheduler_detail::number(o_.max_lr) + ", total_steps=" + std::to_string(total_) +
               ", pct_start=" + scheduler_detail::number(o_.pct_start) +
               (o_.anneal == Anneal::cosine ? ", cos" : ", linear") + (o_.three_phase ? ", three-phase" : "") + ")";
    }

    /// The lr after `step` calls of step(), 0 ≤ step ≤ total_steps. Pure: does not touch the optimiser.
    double lr_at(std::size_t step) const { return evaluate(step).lr; }

    /// The momentum after `step` calls of step(); std::logic_error when cycle_momentum is off.
    double momentum_at(std::size_t step) const {
        if (!o_.cycle_momentum) throw std::logic_error("OneCycleLR: momentum_at called with cycle_momentum = false");
        return evaluate(step).momentum;
    }

    /// Call once after each optimiser step: advances the schedule and sets the optimiser's lr (and momentum).
    /// Allowed total_steps times; one more call throws std::logic_error and leaves everything unchanged.
    void step() {
        if (step_ >= total_)
            throw std::logic_error("OneCycleLR: tried to step " + std::to_string(step_ + 1) +
                                   " times, but the specified number of total steps is " + std::to_string(total_) +
                                   " (call step() once after each optimiser step)");
        apply(++step_);
    }

    /// The lr the optimiser was given at the last step: lr_at(last_step()), or 0 where that is negative (see apply).
    double last_lr() const { return std::max(lr_at(step_), 0.0); }
    /// Number of step() calls so far (PyTorch's last_epoch).
    std::size_t last_step() const noexcept { return step_; }
    std::size_t total_steps() const noexcept { return total_; }
    double initial_lr() const noexcept { return initial_lr_; }
    double max_lr() const noexcept { return o_.max_lr; }
    double min_lr() const noexcept { return min_lr_; }
    const OneCycleOptions& options() const noexcept { return o_; }

  private:
    struct Phase {
        double end;  // the phase's last step (fractional, as PyTorch computes it)
        double start_lr, end_lr, start_momentum, end_momentum;
    };
    struct Value {
        double lr, momentum;
    };

    double anneal(double start, double end, double pct) const {
        if (o_.anneal == Anneal::cosine) return end + (start - end) / 2.0 * (fixed::cos(std::numbers::pi * pct) + 1);
        return (end - start) * pct + start;
    }

    Value evaluate(std::size_t step) const {
        if (step > total_)
            throw std::out_of_range("OneCycleLR: step " + std::to_string(step) +
                                    " is past the schedule's end (total_steps = " + std::to_string(total_) + ")");
        const double k = static_cast<double>(step);
        double start = 0;
        for (std::size_t i = 0; i < phases_.size(); ++i) {
            const Phase& ph = phases_[i];
            if (k <= ph.end || i + 1 == phases_.size()) {
                const double pct = (k - start) / (ph.end - start);
                return {anneal(ph.start_lr, ph.end_lr, pct), anneal(ph.start_momentum, ph.end_momentum, pct)};
            }
            start = ph.end;
        }
        return {};  // unreachable: the last phase always matches
    }

    void apply(std::size_t step) {
        const Value v = evaluate(step);
        // The T-th step's value lies past the last phase; with linear annealing in three phases it is below 0
        // (torch sets −6.7e-4 for T = 10). SGD refuses negative rates, so the optimiser gets 0 there; the value is
        // never used by an optimiser step anyway, and lr_at() still gives torch's.
        opt_->set_lr(std::max(v.lr, 0.0));
        if constexpr (MomentumOptimizer<Optimizer>)
            if (o_.cycle_momentum) opt_->set_momentum(v.momentum);
    }

    Optimizer* opt_;
    OneCycleOptions o_;
    std::size_t total_ = 0;
    double initial_lr_ = 0, min_lr_ = 0;
    std::vector<Phase> phases_;
    std::size_t step_ = 0;
};

}  // namespace minitorch
