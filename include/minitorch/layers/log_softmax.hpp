// minitorch/layers/log_softmax.hpp — log-softmax over the class dimension of [N, C] scores.
// Derivation: docs/layers/log_softmax.md. Tests: tests/test_log_softmax.cpp.
//
//   y[n, i] = x[n, i] − log Σ_j exp(x[n, j]),   computed as (x[n, i] − m) − log Σ_j exp(x[n, j] − m), m = max_j x[n, j]
//
// Subtracting the row maximum (the log-sum-exp trick) keeps every exp in (0, 1], so no overflow for large scores
// (±1000) and at least one term equal to 1, so the log never sees 0. CrossEntropyLoss (loss.hpp) uses the same
// row kernel, log_softmax_rows. exp and log are minitorch::fixed's (fixed_math.hpp), the same bits on every CPU.
#pragma once

#include "minitorch/fixed_math.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace minitorch {

/// y ← log-softmax of each row of x (resized to x's shape). x: [N, C] with C ≥ 1 (not checked here; callers check).
/// The exponentials are summed in double.
template <class T>
void log_softmax_rows(const Tensor<T>& x, Tensor<T>& y) {
    y.resize(x.shape());
    const std::size_t rows = x.dim(0), cols = x.dim(1);
    for (std::size_t n = 0; n < rows; ++n) {
        const T* xr = x.data() + n * cols;
        T* yr = y.data() + n * cols;
        const T m = *std::max_element(xr, xr + cols);
        double sum = 0;
        for (std::size_t j = 0; j < cols; ++j) sum += static_cast<double>(fixed::exp(xr[j] - m));
        const T log_sum = static_cast<T>(fixed::log(sum));
        for (std::size_t j = 0; j < cols; ++j) yr[j] = (xr[j] - m) - log_sum;
    }
}

/// LogSoftmax over dimension 1 of [N, C] (PyTorch's nn.LogSoftmax(dim=1)).
template <class T>
class LogSoftmax : public TrainingMode {
  public:
    using scalar_type = T;

    std::string describe() const { return "LogSoftmax(dim=1)"; }

    Shape output_shape(const Shape& in) const {
        check_shape(in);
        return in;
    }

    struct Cache {};  // backward reads y, whose exp is the softmax

    // x: [N, C] → y: [N, C].   y = x − m − log Σ_j exp(x_j − m) per row
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        check_shape(x.shape());
        log_softmax_rows(x, y);
        return y;
    }

    // dy: [N, C] → dx: [N, C].   dx_i = dy_i − softmax_i·Σ_j dy_j per row, softmax = exp(y)
    void backward(const Tensor<T>&, const Tensor<T>& y, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        dx.resize(dy.shape());
        const std::size_t rows = dy.dim(0), cols = dy.dim(1);
        for (std::size_t n = 0; n < rows; ++n) {
            const T* g = dy.data() + n * cols;
            const T* yr = y.data() + n * cols;
            T* d = dx.data() + n * cols;
            double sum = 0;
            for (std::size_t j = 0; j < cols; ++j) sum += static_cast<double>(g[j]);
            const T s = static_cast<T>(sum);
            for (std::size_t j = 0; j < cols; ++j) d[j] = g[j] - fixed::exp(yr[j]) * s;
        }
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

  private:
    /// Throws unless in is [N, C] with C ≥ 1; builds no string when it is.
    void check_shape(const Shape& in) const {
        check_input(
            in.size() == 2 && in[1] >= 1, [this] { return describe(); }, "[N, C] with C ≥ 1", in);
    }
};

}  // namespace minitorch
