// minitorch/train/loop.hpp — the training-loop helper: train one epoch, evaluate. Optional part (not in the umbrella).
//
// One training step is the textbook sequence, nothing hidden:
//     opt.zero_grad();  y = model.forward(x);  L = loss.forward(y, labels);
//     model.backward(loss.backward());  opt.step();  after_step();   (e.g. a per-batch scheduler)
// train_epoch() runs it over one epoch of a batch source and shows progress; evaluate() runs the model in eval mode
// and sums the loss (PyTorch's reduction="sum") to print the notebook's test line.
//
// A batch source is anything with num_batches(), start_epoch(epoch) and bool next(Batch&) filling a Batch with
// `images` (Tensor<float>), `labels` (std::vector<std::int64_t>) and `index` — e.g. minitorch::DataLoader.
#pragma once

#include "minitorch/loss.hpp"
#include "minitorch/tensor.hpp"
#include "minitorch/train/progress.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>

namespace minitorch {

/// What one pass over a data set gives.
struct EpochResult {
    double loss = 0;        ///< mean loss per sample
    std::size_t correct = 0;
    std::size_t total = 0;
    double seconds = 0;     ///< wall time of the pass
    double accuracy() const noexcept { return total ? static_cast<double>(correct) / static_cast<double>(total) : 0; }
};

/// Training stopped because a batch's loss was NaN or infinite (e.g. a learning rate that blows up).
class NonFiniteLossError : public std::runtime_error {
public:
    NonFiniteLossError(std::size_t epoch, std::size_t batch, double loss)
        : std::runtime_error(message(epoch, batch, loss)), epoch_(epoch), batch_(batch) {}
    std::size_t epoch() const noexcept { return epoch_; }
    std::size_t batch() const noexcept { return batch_; }

private:
    static std::string message(std::size_t epoch, std::size_t batch, double loss) {
        std::ostringstream s;
        s << "non-finite loss (" << loss << ") at epoch " << epoch << ", batch " << batch
          << ": training diverged; lower the learning rate";
        return s.str();
    }
    std::size_t epoch_, batch_;
};

/// Trains `model` for one epoch (numbered `epoch` from 1, as printed) over `source`, calling after_step() after every
/// optimiser step. Returns the epoch's mean training loss and accuracy. Throws NonFiniteLossError naming the epoch
/// and batch when the loss stops being finite (before the optimiser applies that batch's update).
template <class Model, class Loss, class Optimizer, class Source, class Batch, class AfterStep>
EpochResult train_epoch(Model& model, Loss& loss, Optimizer& opt, Source& source, Batch& batch, std::size_t epoch,
                        AfterStep&& after_step, ProgressOptions progress = {}) {
    const auto start = std::chrono::steady_clock::now();
    model.train();
    source.start_epoch(epoch - 1);
    ProgressBar bar(source.num_batches(), std::move(progress));
    EpochResult r;
    double loss_sum = 0;
    while (source.next(batch)) {
        opt.zero_grad();
        const auto& out = model.forward(batch.images);
        const std::span<const std::int64_t> labels(batch.labels);
        const double l = static_cast<double>(loss.forward(out, labels));
        if (!std::isfinite(l)) throw NonFiniteLossError(epoch, batch.index, l);
        r.correct += count_correct(out, labels);
        r.total += labels.size();
        loss_sum += l * static_cast<double>(labels.size());
        model.backward(loss.backward());
        opt.step();
        after_step();
        bar.update(batch.index + 1, l);
    }
    bar.close();
    r.loss = r.total ? loss_sum / static_cast<double>(r.total) : 0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

/// Evaluates `model` in eval mode over one pass of `source`: mean loss (summed per sample, as PyTorch's
/// reduction="sum" divided by the count) and accuracy. `loss` must be built with Reduction::sum. The model is left
/// in eval mode.
template <class Model, class Loss, class Source, class Batch>
EpochResult evaluate(Model& model, Loss& loss, Source& source, Batch& batch) {
    const auto start = std::chrono::steady_clock::now();
    model.eval();
    source.start_epoch(0);
    EpochResult r;
    double loss_sum = 0;
    while (source.next(batch)) {
        const auto& out = model.forward(batch.images);
        const std::span<const std::int64_t> labels(batch.labels);
        loss_sum += static_cast<double>(loss.forward(out, labels));
        r.correct += count_correct(out, labels);
        r.total += labels.size();
    }
    r.loss = r.total ? loss_sum / static_cast<double>(r.total) : 0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

}  // namespace minitorch
