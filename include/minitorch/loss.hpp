// minitorch/loss.hpp — losses. Each one's forward returns the scalar loss and caches what its backward needs;
// backward() returns the gradient of the loss with respect to the loss's input (assigned, not accumulated).
// Derivations: docs/layers/mse.md, docs/layers/cross_entropy.md. Tests: tests/test_loss.cpp.
#pragma once

#include "minitorch/tensor.hpp"
#include "minitorch/layer.hpp"

#include <stdexcept>
#include <string>

namespace minitorch {

enum class Reduction {
    mean,      ///< (1/n) Σ (a − t)²  over all n elements (PyTorch's default)
    sum,       ///< Σ (a − t)²
    half_sum,  ///< ½ Σ (a − t)²  — the course spreadsheet's E_total (not in PyTorch)
};

inline std::string to_string(Reduction r) {
    switch (r) {
        case Reduction::mean: return "mean";
        case Reduction::sum: return "sum";
        case Reduction::half_sum: return "half_sum";
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
        if (a.empty()) throw std::invalid_argument(describe() + ": expected a non-empty input, got " + to_string(a.shape()));
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
            case Reduction::mean: return T(1) / static_cast<T>(diff_.size());
            case Reduction::sum: return T(1);
            case Reduction::half_sum: return T(0.5);
        }
        return T(1);
    }
    Reduction reduction_;
    Tensor<T> diff_, da_;  // cache: a − t
    bool has_cache_ = false;
};

}  // namespace minitorch
