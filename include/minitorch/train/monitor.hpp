// minitorch/train/monitor.hpp — watch a Sequential train: per-layer activation and gradient statistics, parameter
// norms and update ratios, BatchNorm's running statistics, every chosen number of steps. Optional part (not in the
// umbrella); no dependency beyond the standard library. Docs: docs/monitor.md. Tests: tests/test_monitor.cpp.
//
//   TrainingMonitor<float> monitor(net, {.every = 50});
//   train_epoch(net, loss, opt, loader, batch, epoch, after_step, {}, monitor);   // records steps 1, 51, 101, …
//   std::cout << monitor.layers_csv();                                          // or monitor.layers() as data
//
// What a recorded step measures (everything in double, in one thread, after the step; nothing of the model changes,
// so training gives the same numbers bit for bit with or without a monitor):
//   per layer i (LayerRecord): the mean, standard deviation (population) and fraction of exact zeros of its output
//     y_i — after a ReLU the fraction of dead units —, and ‖dL/dy_i‖₂, the norm of the gradient it received;
//   per tensor (TensorRecord, named as parameters() names them, "0.weight"): ‖p‖₂ after the update, its min and max;
//     for a trainable one also ‖g‖₂ (the gradient the optimiser used) and ‖Δp‖₂ / ‖p_before‖₂, the update-to-parameter
//     ratio of the step (the rule of thumb: near 1e-3; far below, the layer barely learns; far above, it is unstable);
//     for a buffer (BatchNorm's running_mean, running_var) the min and max are the ranges to watch.
// The cost is paid on recorded steps only: one read of every output and parameter, a copy of the trainable
// parameters before the update (≈ the model's size), and the dy norms as the backward runs (BackwardObserver). On the
// other steps the monitor counts the step and nothing else; without a monitor train_epoch is unchanged.
#pragma once

#include "minitorch/sequential.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch {

/// Where a recorded step falls in training.
struct MonitorStep {
    std::size_t step = 0;   ///< the step counted from 1 over the monitor's life
    std::size_t epoch = 0;  ///< the epoch counted from 1, as train_epoch numbers it
    double epochs = 0;      ///< fractional epochs done after the step: epoch − 1 + (batch + 1) / batches
};

/// One layer at one recorded step.
struct LayerRecord {
    MonitorStep at;
    std::size_t layer = 0;     ///< its index in the Sequential
    std::string name;          ///< describe(), e.g. "ReLU"
    double mean = 0;           ///< mean of its output
    double std = 0;            ///< population standard deviation of its output
    double zero_fraction = 0;  ///< fraction of its output's values that are exactly 0
    double grad_norm = 0;      ///< ‖dL/dy‖₂ of its output, as its backward received it
};

/// One tensor of the model's state (parameters() names) at one recorded step.
struct TensorRecord {
    MonitorStep at;
    std::string name;         ///< "0.weight", "2.running_var", …
    bool trainable = false;   ///< false for a buffer: grad_norm and update_ratio are NaN
    double norm = 0;          ///< ‖p‖₂ after the step
    double min = 0, max = 0;  ///< its smallest and largest value after the step
    double grad_norm = std::numeric_limits<double>::quiet_NaN();     ///< ‖g‖₂ the optimiser used
    double update_ratio = std::numeric_limits<double>::quiet_NaN();  ///< ‖p_after − p_before‖₂ / ‖p_before‖₂
};

/// Records statistics of a Sequential's layers and tensors on one training step in `every` (the first step, then
/// every `every`-th). Driven by train_epoch (train/loop.hpp), which calls begin_step, before_update and end_step
/// around each step; code with its own loop calls them in the same places. The model must outlive the monitor; the
/// monitor must stay where it is while it records (it registers its own address with the model for the backward).
template <class T>
class TrainingMonitor final : BackwardObserver<T> {
  public:
    struct Options {
        std::size_t every = 50;  ///< record one step in `every` (≥ 1)
    };

    explicit TrainingMonitor(Sequential<T>& model, Options options = {}) : model_(&model), options_(options) {
        if (options_.every == 0)
            throw std::invalid_argument("TrainingMonitor: every must be at least 1 (record one step in every), got 0");
    }
    TrainingMonitor(const TrainingMonitor&) = delete;
    TrainingMonitor& operator=(const TrainingMonitor&) = delete;
    ~TrainingMonitor() { stop_observing(); }

    /// Before the step's forward: counts the step and, when it is one to record, asks the model for the dy of each
    /// layer in the coming backward. `batch` counts from 0 within the epoch's `batches`.
    void begin_step(std::size_t epoch, std::size_t batch, std::size_t batches) {
        ++steps_;
        recording_ = (steps_ - 1) % options_.every == 0;
        if (!recording_) return;
        at_ = {steps_, epoch,
               static_cast<double>(epoch - 1) +
                   (batches ? static_cast<double>(batch + 1) / static_cast<double>(batches) : 1.0)};
        grad_norms_.assign(model_->size(), std::numeric_limits<double>::quiet_NaN());
        model_->observe_backward(this);
    }

    /// After the backward, before the optimiser's step: keeps the trainable values and the gradients' norms.
    void before_update() {
        if (!recording_) return;
        stop_observing();
        params_ = model_->parameters();
        before_.resize(params_.size());
        param_grad_norms_.assign(params_.size(), std::numeric_limits<double>::quiet_NaN());
        for (std::size_t i = 0; i < params_.size(); ++i) {
            if (!params_[i].trainable()) continue;
            before_[i] = *params_[i].value;  // the same tensors every recorded step: no allocation after the first
            param_grad_norms_[i] = norm(*params_[i].grad);
        }
    }

    /// After the optimiser's step: the step's records.
    void end_step() {
        if (!recording_) return;
        recording_ = false;
        for (std::size_t i = 0; i < model_->size(); ++i) {
            const Tensor<T>& y = model_->output(i);
            LayerRecord r{.at = at_, .layer = i, .name = model_->describe(i), .grad_norm = grad_norms_[i]};
            double sum = 0, zeros = 0;
            for (const T v : y) {
                sum += static_cast<double>(v);
                zeros += v == T(0);
            }
            const double n = static_cast<double>(y.size());
            r.mean = y.size() ? sum / n : 0;
            double squares = 0;  // two passes: the variance without the cancellation of E[y²] − E[y]²
            for (const T v : y) squares += (static_cast<double>(v) - r.mean) * (static_cast<double>(v) - r.mean);
            r.std = y.size() ? std::sqrt(squares / n) : 0;
            r.zero_fraction = y.size() ? zeros / n : 0;
            layers_.push_back(std::move(r));
        }
        for (std::size_t i = 0; i < params_.size(); ++i) {
            const Tensor<T>& p = *params_[i].value;
            TensorRecord r{.at = at_, .name = params_[i].name, .trainable = params_[i].trainable(), .norm = norm(p)};
            r.min = p.size() ? std::numeric_limits<double>::infinity() : 0;
            r.max = p.size() ? -std::numeric_limits<double>::infinity() : 0;
            for (const T v : p) {
                r.min = std::min(r.min, static_cast<double>(v));
                r.max = std::max(r.max, static_cast<double>(v));
            }
            if (r.trainable) {
                r.grad_norm = param_grad_norms_[i];
                double change = 0;
                for (std::size_t j = 0; j < p.size(); ++j) {
                    const double d = static_cast<double>(p[j]) - static_cast<double>(before_[i][j]);
                    change += d * d;
                }
                const double before = norm(before_[i]);
                r.update_ratio = before > 0 ? std::sqrt(change) / before : std::numeric_limits<double>::quiet_NaN();
            }
            tensors_.push_back(std::move(r));
        }
    }

    /// Every layer of every recorded step, in order.
    const std::vector<LayerRecord>& layers() const noexcept { return layers_; }
    /// Every tensor of every recorded step, in order.
    const std::vector<TensorRecord>& tensors() const noexcept { return tensors_; }
    /// Steps seen so far (recorded or not).
    std::size_t steps() const noexcept { return steps_; }

    /// layers() as CSV: a header row `step,epoch,epochs,layer,name,mean,std,zero_fraction,grad_norm`, one row each.
    std::string layers_csv() const {
        std::ostringstream out;
        out.precision(9);
        out << "step,epoch,epochs,layer,name,mean,std,zero_fraction,grad_norm\n";
        for (const auto& r : layers_)
            out << r.at.step << ',' << r.at.epoch << ',' << r.at.epochs << ',' << r.layer << ',' << quoted(r.name)
                << ',' << r.mean << ',' << r.std << ',' << r.zero_fraction << ',' << r.grad_norm << '\n';
        return out.str();
    }
    /// tensors() as CSV: `step,epoch,epochs,name,trainable,norm,min,max,grad_norm,update_ratio` (the last two empty
    /// for buffers).
    std::string tensors_csv() const {
        std::ostringstream out;
        out.precision(9);
        out << "step,epoch,epochs,name,trainable,norm,min,max,grad_norm,update_ratio\n";
        for (const auto& r : tensors_) {
            out << r.at.step << ',' << r.at.epoch << ',' << r.at.epochs << ',' << quoted(r.name) << ','
                << (r.trainable ? 1 : 0) << ',' << r.norm << ',' << r.min << ',' << r.max << ',';
            if (r.trainable)
                out << r.grad_norm << ',' << r.update_ratio;
            else
                out << ',';
            out << '\n';
        }
        return out.str();
    }

  private:
    void output_gradient(std::size_t layer, const Tensor<T>& dy) override {
        if (layer < grad_norms_.size()) grad_norms_[layer] = norm(dy);
    }
    void stop_observing() noexcept {
        if (model_->backward_observer() == this) model_->observe_backward(nullptr);
    }
    static double norm(const Tensor<T>& t) {
        double s = 0;
        for (const T v : t) s += static_cast<double>(v) * static_cast<double>(v);
        return std::sqrt(s);
    }
    /// A CSV field: describe() strings may hold commas ("Conv2d(1→16, k=3, bias=false)"), so they are quoted.
    static std::string quoted(const std::string& text) {
        std::string out = "\"";
        for (const char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + '"';
    }

    Sequential<T>* model_;
    Options options_;
    std::size_t steps_ = 0;
    bool recording_ = false;
    MonitorStep at_;
    std::vector<double> grad_norms_;        // per layer: ‖dy‖ of the step being recorded
    std::vector<ParameterRef<T>> params_;   // the model's tensors, at the step being recorded
    std::vector<Tensor<T>> before_;         // trainable values before the update (empty for buffers)
    std::vector<double> param_grad_norms_;  // per tensor: ‖g‖ before the update
    std::vector<LayerRecord> layers_;
    std::vector<TensorRecord> tensors_;
};

}  // namespace minitorch
