// minitorch/layers/flatten.hpp — [N, d1, d2, …] → [N, d1·d2·…] (PyTorch's nn.Flatten with start_dim = 1).
// Derivation: docs/layers/flatten.md. Tests: tests/test_flatten.cpp.
//
// Row-major storage makes this a pure change of shape: the values keep their order. The MNIST net uses it as
// PyTorch's x.view(-1, 10) after a convolution whose output is [N, 10, 1, 1].
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

namespace minitorch {

template <class T>
class Flatten : public TrainingMode {
  public:
    using scalar_type = T;

    std::string describe() const { return "Flatten()"; }

    /// [N, d1, …, dk] (k ≥ 1) → [N, d1·…·dk].
    Shape output_shape(const Shape& in) const {
        const std::size_t f = features(in);  // checks the rank before in[0] is read
        return {in[0], f};
    }

    struct Cache {};  // backward needs only x's shape

    // x: [N, d1, …] → y: [N, d1·…].   y[n, f] = x[n, …] with f the row-major index of (d1, …) — a copy, same order
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        const std::size_t f = features(x.shape());  // checks the rank before dim(0) is read
        y.resize({x.dim(0), f});                     // no Shape built: a steady-state step allocates nothing
        std::copy(x.begin(), x.end(), y.begin());
        return y;
    }

    // dy: [N, d1·…] → dx: [N, d1, …].   dx = dy, viewed in x's shape
    void backward(const Tensor<T>& x, const Tensor<T>&, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        dx.resize(x.shape());
        std::copy(dy.begin(), dy.end(), dx.begin());
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

  private:
    /// d1·…·dk of [N, d1, …, dk], after checking the rank.
    std::size_t features(const Shape& in) const {
        check_input(
            in.size() >= 2, [this] { return describe(); }, "[N, ...] of rank ≥ 2", in);
        return std::accumulate(in.begin() + 1, in.end(), std::size_t{1}, std::multiplies<>{});
    }
};

}  // namespace minitorch
