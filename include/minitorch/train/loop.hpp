// minitorch/train/loop.hpp — the training-loop helper: train one epoch, evaluate. Optional part (not in the umbrella).
//
// One training step is the textbook sequence, nothing hidden:
//     opt.zero_grad();  y = model.forward(x);  L = loss.forward(y, labels);
//     model.backward(loss.backward());  opt.step();  after_step();   (e.g. a per-batch scheduler)
// train_epoch() runs it over one epoch of a batch source and shows progress; evaluate() runs the model in eval mode
// (through infer when it has one, as Sequential does: the same numbers as forward, faster)
// and sums the loss (PyTorch's reduction="sum") to print the notebook's test line; given an EvaluationDetails it also
// fills a confusion matrix and the most confident mistakes. Both stop with NonFiniteLossError when a batch's loss is
// NaN or infinite. train_epoch() takes an optional monitor (train/monitor.hpp) that records statistics as it trains.
//
// A batch source is anything with num_batches(), start_epoch(epoch) and bool next(Batch&) filling a Batch with
// `images` (Tensor<float>), `labels` (std::vector<std::int64_t>) and `index` — e.g. minitorch::DataLoader.
#pragma once

#include "minitorch/loss.hpp"
#include "minitorch/tensor.hpp"
#include "minitorch/train/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace minitorch {

/// What one pass over a data set gives.
struct EpochResult {
    double loss = 0;        ///< mean loss per sample
    std::size_t correct = 0;
    std::size_t total = 0;
    double seconds = 0;     ///< wall time of the pass
    double accuracy() const noexcept { return total ? static_cast<double>(correct) / static_cast<double>(total) : 0; }
};

/// A pass stopped because a batch's loss was NaN or infinite. In training that is divergence (e.g. a learning rate
/// that blows up). In evaluation the training loss may still be finite, since eval mode computes differently: a
/// BatchNorm running_var that became NaN (training mode normalises with the batch's statistics, eval mode with the
/// running ones), weights so large that the eval-mode outputs overflow, or weights loaded that way. The message names
/// the pass, the epoch and the batch, counting batches from 1 as the progress line does:
///     non-finite loss (nan) in training at epoch 2, batch 4 of 4: training diverged; lower the learning rate
///     non-finite loss (inf) in evaluation at epoch 1, batch 2 of 2: the model is not finite in eval mode (NaN or
///     overflowing weights or BatchNorm running statistics); lower the learning rate
/// (the second on one line). An evaluation that belongs to no epoch (epoch 0: e.g. of loaded weights) leaves out
/// "at epoch E" and the advice on the learning rate.
class NonFiniteLossError : public std::runtime_error {
public:
    /// Which pass stopped: train_epoch() throws `training`, evaluate() `evaluation`.
    enum class Pass { training, evaluation };

    /// `batch` is the batch's index from 0 (Batch::index), `batches` the pass's number of batches; `epoch` counts
    /// from 1, 0 meaning "no epoch" (evaluation only).
    /// `input_not_finite`: the batch's input itself held a NaN or an infinity (the message then says so instead of
    /// blaming the learning rate).
    NonFiniteLossError(Pass pass, std::size_t epoch, std::size_t batch, std::size_t batches, double loss,
                       bool input_not_finite = false)
        : std::runtime_error(message(pass, epoch, batch, batches, loss, input_not_finite)),
          pass_(pass), epoch_(epoch), batch_(batch), batches_(batches), loss_(loss),
          input_not_finite_(input_not_finite) {}
    Pass pass() const noexcept { return pass_; }
    /// True when the batch's input was not finite (NaN or ±∞ in it), false when the model or the loss made it so.
    bool input_not_finite() const noexcept { return input_not_finite_; }
    /// The epoch as printed (from 1); 0 for an evaluation outside the epochs (evaluate() called without one).
    std::size_t epoch() const noexcept { return epoch_; }
    /// The batch's index counted FROM 0 (Batch::index, the position in the pass); the message shows batch() + 1.
    std::size_t batch() const noexcept { return batch_; }
    /// The number of batches in the pass (the "of N" in the message).
    std::size_t batches() const noexcept { return batches_; }
    /// The batch's loss (NaN or ±∞).
    double loss() const noexcept { return loss_; }

private:
    static std::string message(Pass pass, std::size_t epoch, std::size_t batch, std::size_t batches, double loss,
                               bool input_not_finite) {
        std::ostringstream s;
        s << "non-finite loss (" << loss << ") in " << (pass == Pass::training ? "training" : "evaluation");
        if (epoch > 0) s << " at epoch " << epoch;
        s << ", batch " << batch + 1 << " of " << batches << ": ";
        if (input_not_finite) {
            s << "the input batch is not finite (NaN or infinity in its images)";
            if (pass == Pass::training) s << "; the model is as it was before this batch";
        } else if (pass == Pass::training) {
            s << "training diverged; lower the learning rate";
        } else {
            s << "the model is not finite in eval mode (NaN or overflowing weights or BatchNorm running statistics)";
            if (epoch > 0) s << "; lower the learning rate";
        }
        return s.str();
    }
    Pass pass_;
    std::size_t epoch_, batch_, batches_;
    double loss_;
    bool input_not_finite_;
};

namespace detail {
/// A model's buffers (parameters() with grad == nullptr: BatchNorm's running statistics and step counters) as they
/// were before a batch. save() copies into the same tensors every step (no allocation after the first). A model
/// without parameters() has nothing to keep.
template <class Model>
struct BufferSnapshot {
    explicit BufferSnapshot(Model&) {}
    void save() {}
    void restore() {}
};
template <class Model>
    requires requires(Model& m) { m.parameters(); }
struct BufferSnapshot<Model> {
    using Ref = typename decltype(std::declval<Model&>().parameters())::value_type;
    std::vector<Ref> buffers;
    std::vector<std::remove_pointer_t<decltype(Ref::value)>> saved;
    explicit BufferSnapshot(Model& model) {
        for (auto& p : model.parameters())
            if (!p.trainable()) buffers.push_back(p);
        saved.resize(buffers.size());
    }
    void save() {
        for (std::size_t i = 0; i < buffers.size(); ++i) saved[i] = *buffers[i].value;
    }
    void restore() {
        for (std::size_t i = 0; i < buffers.size(); ++i) *buffers[i].value = saved[i];
    }
};

/// True when every value of the batch's input is finite.
template <class Tensor>
bool all_finite(const Tensor& t) {
    for (const auto v : t)
        if (!std::isfinite(static_cast<double>(v))) return false;
    return true;
}
}  // namespace detail

/// Trains `model` for one epoch (numbered `epoch` from 1, as printed) over `source`, calling after_step() after every
/// optimiser step. Returns the epoch's mean training loss and accuracy. Throws NonFiniteLossError (Pass::training)
/// naming the epoch and batch when the loss stops being finite, saying whether the batch's input was not finite.
/// The model is then as it was before that batch: no optimiser step was taken, and its buffers (BatchNorm's
/// running statistics and num_batches_tracked, which the forward had already updated) are restored — so a caller
/// that skips the batch and goes on evaluates as before. What did change: the parameter gradients are zero
/// (opt.zero_grad() ran for the batch), Dropout layers drew the batch's masks (their generators moved on), and the
/// model's buffers and caches hold the failed forward.
///
/// With a `monitor` (e.g. TrainingMonitor, train/monitor.hpp) the loop calls monitor.begin_step(epoch, batch,
/// batches) before each forward, monitor.before_update() before opt.step() and monitor.end_step() after it; the
/// monitor only reads, so the numbers are the same with it or without.
template <class Model, class Loss, class Optimizer, class Source, class Batch, class AfterStep, class Monitor>
EpochResult train_epoch(Model& model, Loss& loss, Optimizer& opt, Source& source, Batch& batch, std::size_t epoch,
                        AfterStep&& after_step, ProgressOptions progress, Monitor& monitor) {
    const auto start = std::chrono::steady_clock::now();
    model.train();
    source.start_epoch(epoch - 1);
    ProgressBar bar(source.num_batches(), std::move(progress));
    EpochResult r;
    double loss_sum = 0;
    detail::BufferSnapshot<Model> buffers(model);  // restored when a batch's loss is not finite
    while (source.next(batch)) {
        monitor.begin_step(epoch, batch.index, source.num_batches());
        opt.zero_grad();
        buffers.save();
        const auto& out = model.forward(batch.images);
        const std::span<const std::int64_t> labels(batch.labels);
        const double l = static_cast<double>(loss.forward(out, labels));
        if (!std::isfinite(l)) {
            buffers.restore();
            throw NonFiniteLossError(NonFiniteLossError::Pass::training, epoch, batch.index, source.num_batches(), l,
                                     !detail::all_finite(batch.images));
        }
        r.correct += count_correct(out, labels);
        r.total += labels.size();
        loss_sum += l * static_cast<double>(labels.size());
        model.backward(loss.backward());
        monitor.before_update();
        opt.step();
        monitor.end_step();
        after_step();
        bar.update(batch.index + 1, l);
    }
    bar.close();
    r.loss = r.total ? loss_sum / static_cast<double>(r.total) : 0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

namespace detail {
/// train_epoch's monitor when there is none: every call compiles to nothing.
struct NoMonitor {
    void begin_step(std::size_t, std::size_t, std::size_t) noexcept {}
    void before_update() noexcept {}
    void end_step() noexcept {}
};
}  // namespace detail

/// train_epoch without a monitor.
template <class Model, class Loss, class Optimizer, class Source, class Batch, class AfterStep>
EpochResult train_epoch(Model& model, Loss& loss, Optimizer& opt, Source& source, Batch& batch, std::size_t epoch,
                        AfterStep&& after_step, ProgressOptions progress = {}) {
    detail::NoMonitor none;
    return train_epoch(model, loss, opt, source, batch, epoch, std::forward<AfterStep>(after_step), std::move(progress),
                       none);
}

/// A misclassified sample, as evaluate() reports it in EvaluationDetails.
struct Mistake {
    std::size_t index = 0;   ///< the sample's position in the data set (Batch::indices, else its position in the pass)
    std::int64_t label = 0;  ///< the true class
    std::int64_t predicted = 0;  ///< the class with the highest score (the first one, on ties), as count_correct
    double probability = 0;      ///< softmax of the row at `predicted`: how sure the model was of its wrong answer
};

/// What evaluate() can give beyond the loss and accuracy: the confusion matrix and the most confident mistakes.
struct EvaluationDetails {
    std::size_t keep_mistakes = 25;  ///< how many mistakes to keep (input), the most confident first
    /// confusion[t][p]: the samples of true class t the model put in class p ([C][C]; C = the scores' width). Its
    /// sum is the number of samples, its diagonal the correct ones.
    std::vector<std::vector<std::size_t>> confusion{};
    /// At most keep_mistakes of the misclassified samples, by probability from the highest (on equal probability,
    /// by index): the mistakes the model was surest of.
    std::vector<Mistake> mistakes{};

    /// Σ of the diagonal of `confusion`.
    std::size_t correct() const noexcept {
        std::size_t n = 0;
        for (std::size_t t = 0; t < confusion.size(); ++t) n += confusion[t][t];
        return n;
    }
};

namespace detail {
/// The order of EvaluationDetails::mistakes: the higher probability first, then the lower index.
inline bool more_confident(const Mistake& a, const Mistake& b) noexcept {
    return a.probability != b.probability ? a.probability > b.probability : a.index < b.index;
}

/// Adds one batch's scores [N, C] and labels to `details` (first is the position of the batch's first sample in the
/// pass, used as its index when the batch has no `indices`).
template <class Scores, class Batch>
void add_details(EvaluationDetails& details, const Scores& scores, std::span<const std::int64_t> labels,
                 const Batch& batch, std::size_t first) {
    const std::size_t classes = scores.dim(1);
    if (details.confusion.size() != classes) details.confusion.assign(classes, std::vector<std::size_t>(classes, 0));
    for (std::size_t n = 0; n < labels.size(); ++n) {
        const auto* row = scores.data() + n * classes;
        std::size_t best = 0;
        for (std::size_t j = 1; j < classes; ++j)
            if (row[j] > row[best]) best = j;
        const auto label = static_cast<std::size_t>(labels[n]);  // in [0, C): checked by the loss already
        ++details.confusion[label][best];
        if (best == label || details.keep_mistakes == 0) continue;
        double sum = 0;  // softmax at the maximum: 1 / Σ exp(s_j − s_max), the same for logits and log-probabilities
        for (std::size_t j = 0; j < classes; ++j)
            sum += std::exp(static_cast<double>(row[j]) - static_cast<double>(row[best]));
        std::size_t index = first + n;
        if constexpr (requires { batch.indices; })
            if (n < batch.indices.size()) index = batch.indices[n];
        details.mistakes.push_back({index, labels[n], static_cast<std::int64_t>(best), 1.0 / sum});
    }
    if (details.mistakes.size() > 2 * details.keep_mistakes) {  // bounded memory over a long pass
        std::nth_element(details.mistakes.begin(), details.mistakes.begin() + details.keep_mistakes,
                         details.mistakes.end(), more_confident);
        details.mistakes.resize(details.keep_mistakes);
    }
}

template <class Model, class Loss, class Source, class Batch>
EpochResult evaluate(Model& model, Loss& loss, Source& source, Batch& batch, std::size_t epoch,
                     EvaluationDetails* details) {
    const auto start = std::chrono::steady_clock::now();
    model.eval();
    source.start_epoch(0);
    if (details) {
        details->confusion.clear();
        details->mistakes.clear();
    }
    EpochResult r;
    double loss_sum = 0;
    while (source.next(batch)) {
        const auto& out = [&]() -> decltype(auto) {  // infer: the same numbers as forward, in cache-sized slices
            if constexpr (requires { model.infer(batch.images); })
                return model.infer(batch.images);
            else
                return model.forward(batch.images);
        }();
        const std::span<const std::int64_t> labels(batch.labels);
        const double l = static_cast<double>(loss.forward(out, labels));
        if (!std::isfinite(l))
            throw NonFiniteLossError(NonFiniteLossError::Pass::evaluation, epoch, batch.index, source.num_batches(), l,
                                     !all_finite(batch.images));
        loss_sum += l;
        if (details) add_details(*details, out, labels, batch, r.total);
        r.correct += count_correct(out, labels);
        r.total += labels.size();
    }
    if (details) {
        std::sort(details->mistakes.begin(), details->mistakes.end(), more_confident);
        if (details->mistakes.size() > details->keep_mistakes) details->mistakes.resize(details->keep_mistakes);
    }
    r.loss = r.total ? loss_sum / static_cast<double>(r.total) : 0;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}
}  // namespace detail

/// Evaluates `model` in eval mode over one pass of `source`: mean loss (summed per sample, as PyTorch's
/// reduction="sum" divided by the count) and accuracy. `loss` must be built with Reduction::sum. The model is left
/// in eval mode. Throws NonFiniteLossError (Pass::evaluation) naming the batch, and `epoch` when it is not 0 (the
/// training epoch this evaluation follows, for the message), when a batch's loss is not finite — so a model that is
/// broken only in eval mode is not reported as a normal result.
template <class Model, class Loss, class Source, class Batch>
EpochResult evaluate(Model& model, Loss& loss, Source& source, Batch& batch, std::size_t epoch = 0) {
    return detail::evaluate(model, loss, source, batch, epoch, nullptr);
}

/// evaluate(), also filling `details` (its confusion matrix and mistakes are replaced; keep_mistakes is read) from
/// the scores of the whole pass. The scores may be logits or log-probabilities (the mistakes' probabilities are
/// their softmax either way).
template <class Model, class Loss, class Source, class Batch>
EpochResult evaluate(Model& model, Loss& loss, Source& source, Batch& batch, std::size_t epoch,
                     EvaluationDetails& details) {
    return detail::evaluate(model, loss, source, batch, epoch, &details);
}

}  // namespace minitorch
