// minitorch/loss.hpp — losses. Each one's forward returns the scalar loss and caches what its backward needs;
// backward() returns the gradient of the loss with respect to the loss's input (assigned, not accumulated).
//   MSELoss           prediction vs target tensor                       docs/layers/mse.md
//   NLLLoss           log-probabilities [N, C] vs integer labels        docs/layers/cross_entropy.md
//   CrossEntropyLoss  logits [N, C] vs integer labels (log-softmax + NLL, fused and numerically stable)
//   count_correct     how many rows' argmax equals the label (accuracy)
// Tests: tests/test_loss.cpp.
#pragma once

#include "minitorch/fixed_math.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/layers/log_softmax.hpp"
#include "minitorch/tensor.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch {

/// How a loss reduces its per-element (MSE) or per-sample (NLL, cross-entropy) terms to one number.
enum class Reduction {
    mean,  ///< (1/n) Σ (a − t)²  over all n elements (PyTorch's default); classification: (1/N) Σ over the batch
    sum,   ///< Σ (a − t)²; classification: Σ over the batch (PyTorch's reduction="sum", for evaluation)
    half_sum,  ///< ½ Σ (a − t)²  — the course spreadsheet's E_total (not in PyTorch; MSELoss only)
};

inline std::string to_string(Reduction r) {
    switch (r) {
        case Reduction::mean:
            return "mean";
        case Reduction::sum:
            return "sum";
        case Reduction::half_sum:
            return "half_sum";
    }
    return "?";
}

/// Squared error between a prediction a and a target t of the same shape.
template <class T>
class MSELoss {
  public:
    using scalar_type = T;
    explicit MSELoss(Reduction reduction = Reduction::mean) : reduction_(reduction) {}

    std::string describe() const { return "MSELoss(reduction=" + to_string(reduction_) + ")"; }

    // a: any shape, t: a's shape → L (scalar).
    T forward(const Tensor<T>& a, const Tensor<T>& t) {
        if (a.shape() != t.shape())
            throw std::invalid_argument(describe() + ": expected target of the input's shape " + to_string(a.shape()) +
                                        ", got " + to_string(t.shape()));
        if (a.empty())
            throw std::invalid_argument(describe() + ": expected a non-empty input, got " + to_string(a.shape()));
        diff_.resize(a.shape());
        diff_.array() = a.array() - t.array();
        const T sq = diff_.array().square().sum();
        has_cache_ = true;
        return sq * scale();
    }

    // → dL/da, a's shape.   dL/da = 2·scale·(a − t)   (mean: 2(a − t)/n, sum: 2(a − t), half_sum: (a − t))
    const Tensor<T>& backward() {
        if (!has_cache_) throw std::logic_error(describe() + ": backward called before forward");
        da_.resize(diff_.shape());
        da_.array() = (T(2) * scale()) * diff_.array();
        return da_;
    }

  private:
    T scale() const {
        switch (reduction_) {
            case Reduction::mean:
                return T(1) / static_cast<T>(diff_.size());
            case Reduction::sum:
                return T(1);
            case Reduction::half_sum:
                return T(0.5);
        }
        return T(1);
    }
    Reduction reduction_;
    Tensor<T> diff_, da_;  // cache: a − t
    bool has_cache_ = false;
};

// ---- classification: integer labels in [0, C) -------------------------------------------------------------------

namespace detail {

/// Checks scores [N, C] (N ≥ min_rows, C ≥ 1) against one label per row, each in [0, C); errors name `who`.
/// who: the loss's name, as text or a callable returning it (message_text: called only when a check fails).
template <class Who>
void check_classification(const Who& who_text, const Shape& shape, std::span<const std::int64_t> labels,
                          std::size_t min_rows = 1) {
    const auto who = [&] { return message_text(who_text); };
    if (shape.size() != 2 || shape[0] < min_rows || shape[1] == 0)
        throw std::invalid_argument(who() + ": expected input [N, C] with " + (min_rows ? "N, C ≥ 1" : "C ≥ 1") +
                                    ", got " + to_string(shape));
    if (labels.size() != shape[0])
        throw std::invalid_argument(who() + ": expected " + std::to_string(shape[0]) +
                                    " labels (one per row of the input " + to_string(shape) + "), got " +
                                    std::to_string(labels.size()));
    const auto classes = static_cast<std::int64_t>(shape[1]);
    for (std::size_t n = 0; n < labels.size(); ++n)
        if (labels[n] < 0 || labels[n] >= classes)
            throw std::invalid_argument(who() + ": label " + std::to_string(labels[n]) + " at index " +
                                        std::to_string(n) + " is out of range [0, " + std::to_string(classes) + ")");
}

/// The classification losses reduce by mean or sum only (as PyTorch's); half_sum is refused.
inline Reduction classification_reduction(Reduction r, const std::string& loss) {
    if (r == Reduction::half_sum)
        throw std::invalid_argument(loss +
                                    ": reduction half_sum is not supported (it is MSELoss's spreadsheet "
                                    "convention); use Reduction::mean or Reduction::sum");
    return r;
}

}  // namespace detail

/// Negative log-likelihood of the labelled class, given log-probabilities (e.g. LogSoftmax's output), as PyTorch's
/// nn.NLLLoss without class weights: L = −(1/N) Σ_n log_probs[n, label_n] (mean) or −Σ_n ... (sum).
template <class T>
class NLLLoss {
  public:
    using scalar_type = T;
    /// Throws std::invalid_argument for Reduction::half_sum.
    explicit NLLLoss(Reduction reduction = Reduction::mean)
        : reduction_(detail::classification_reduction(reduction, "NLLLoss")) {}

    std::string describe() const { return "NLLLoss(reduction=" + to_string(reduction_) + ")"; }
    Reduction reduction() const noexcept { return reduction_; }

    // log_probs: [N, C], labels: N values in [0, C) → L = −s·Σ_n log_probs[n, label_n],  s = 1/N (mean) or 1 (sum)
    T forward(const Tensor<T>& log_probs, std::span<const std::int64_t> labels) {
        detail::check_classification([this] { return describe(); }, log_probs.shape(), labels);
        shape_ = log_probs.shape();
        labels_.assign(labels.begin(), labels.end());
        const std::size_t classes = shape_[1];
        double sum = 0;
        for (std::size_t n = 0; n < labels_.size(); ++n)
            sum += static_cast<double>(log_probs[n * classes + static_cast<std::size_t>(labels_[n])]);
        has_cache_ = true;
        return static_cast<T>(-scale() * sum);
    }

    // → dL/dlog_probs: [N, C].   −s at [n, label_n], 0 elsewhere
    const Tensor<T>& backward() {
        if (!has_cache_) throw std::logic_error(describe() + ": backward called before forward");
        grad_.resize(shape_);
        grad_.zero();
        const std::size_t classes = shape_[1];
        const T s = static_cast<T>(scale());
        for (std::size_t n = 0; n < labels_.size(); ++n) grad_[n * classes + static_cast<std::size_t>(labels_[n])] = -s;
        return grad_;
    }

  private:
    double scale() const { return reduction_ == Reduction::mean ? 1.0 / static_cast<double>(shape_[0]) : 1.0; }
    Reduction reduction_;
    Shape shape_;                       // cache: the input's shape
    std::vector<std::int64_t> labels_;  // cache: the labels
    Tensor<T> grad_;
    bool has_cache_ = false;
};

/// Softmax cross-entropy on raw scores (logits), as PyTorch's nn.CrossEntropyLoss without class weights: log-softmax
/// and NLL fused, L = s·Σ_n (logsumexp(z_n) − z_n[label_n]), numerically stable for any finite logits.
/// Derivation (why the gradient is softmax − one-hot): docs/layers/cross_entropy.md.
template <class T>
class CrossEntropyLoss {
  public:
    using scalar_type = T;
    /// Throws std::invalid_argument for Reduction::half_sum.
    explicit CrossEntropyLoss(Reduction reduction = Reduction::mean)
        : reduction_(detail::classification_reduction(reduction, "CrossEntropyLoss")) {}

    std::string describe() const { return "CrossEntropyLoss(reduction=" + to_string(reduction_) + ")"; }
    Reduction reduction() const noexcept { return reduction_; }

    // logits: [N, C], labels: N values in [0, C) → L = −s·Σ_n log_softmax(z)[n, label_n]   (cached: log_softmax(z))
    T forward(const Tensor<T>& logits, std::span<const std::int64_t> labels) {
        detail::check_classification([this] { return describe(); }, logits.shape(), labels);
        log_softmax_rows(logits, log_p_);
        labels_.assign(labels.begin(), labels.end());
        const std::size_t classes = logits.dim(1);
        double sum = 0;
        for (std::size_t n = 0; n < labels_.size(); ++n)
            sum += static_cast<double>(log_p_[n * classes + static_cast<std::size_t>(labels_[n])]);
        has_cache_ = true;
        return static_cast<T>(-scale() * sum);
    }

    // → dL/dz: [N, C].   s·(softmax(z) − onehot(label)),   softmax(z) = exp(log_softmax(z))   (fixed::exp: the same
    // bits on every CPU, fixed_math.hpp)
    const Tensor<T>& backward() {
        if (!has_cache_) throw std::logic_error(describe() + ": backward called before forward");
        const T s = static_cast<T>(scale());
        grad_.resize(log_p_.shape());
        grad_.array() = log_p_.array().unaryExpr([](T v) { return fixed::exp(v); }) * s;
        const std::size_t classes = log_p_.dim(1);
        for (std::size_t n = 0; n < labels_.size(); ++n) grad_[n * classes + static_cast<std::size_t>(labels_[n])] -= s;
        return grad_;
    }

    /// log_softmax(z) of the most recent forward, [N, C] (its exp is the predicted distribution).
    const Tensor<T>& log_probs() const noexcept { return log_p_; }

  private:
    double scale() const { return reduction_ == Reduction::mean ? 1.0 / static_cast<double>(log_p_.dim(0)) : 1.0; }
    Reduction reduction_;
    Tensor<T> log_p_;                   // cache: log-softmax of the logits, [N, C]
    std::vector<std::int64_t> labels_;  // cache: the labels
    Tensor<T> grad_;
    bool has_cache_ = false;
};

/// Number of rows whose highest score (the first one, on ties) is at the row's label. scores: [N, C] (logits,
/// probabilities or log-probabilities alike), labels: N values in [0, C). N = 0 gives 0.
template <class T>
std::size_t count_correct(const Tensor<T>& scores, std::span<const std::int64_t> labels) {
    detail::check_classification("count_correct", scores.shape(), labels, 0);
    const std::size_t classes = scores.dim(1);
    std::size_t correct = 0;
    for (std::size_t n = 0; n < labels.size(); ++n) {
        const T* row = scores.data() + n * classes;
        std::size_t best = 0;
        for (std::size_t j = 1; j < classes; ++j)
            if (row[j] > row[best]) best = j;
        correct += best == static_cast<std::size_t>(labels[n]);
    }
    return correct;
}

}  // namespace minitorch
