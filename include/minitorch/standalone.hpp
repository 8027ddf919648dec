// minitorch/standalone.hpp — a layer used on its own, with the buffers a container would hand it.
//
//   Standalone<Conv2d<float>> conv({.in = 1, .out = 4, .kernel = 3});
//   const Tensor<float>& y = conv.forward(x);      // x: [N, 1, H, W] → y: [N, 4, H − 2, W − 2]
//   const Tensor<float>& dx = conv.backward(dy);   // dy: y's shape → dx: x's shape; conv.weight_grad() += …
//
// Standalone<L> is an L (every member of the layer — weight(), set_weight, options(), freeze_mask… — is there) that
// also owns what Sequential owns for each of its layers (layer.hpp): a copy of the input, y, dx and the layer's Cache.
// forward(x) and backward(dy) are the layer's forward and backward on those buffers, with the checks a container
// makes: backward needs a forward before it, and dy must have the shape of forward's result. The layer's own
// forward(x, y, cache) and backward(x, y, cache, dy, dx) stay callable, so a Standalone<L> is itself a layer.
#pragma once

#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <concepts>
#include <stdexcept>
#include <string>
#include <utility>

namespace minitorch {

template <Layer L>
class Standalone : public L {
  public:
    using T = typename L::scalar_type;
    using L::backward;
    using L::forward;
    using L::L;
    using typename L::Cache;

    Standalone() requires std::default_initializable<L>
    = default;
    explicit Standalone(L layer) : L(std::move(layer)) {}

    /// y = f(x), from a copy of x kept for backward; valid until the next forward. In training mode the layer's
    /// cache is filled as well (see layer.hpp).
    const Tensor<T>& forward(const Tensor<T>& x) {
        result_ = Result::none;  // a forward that throws leaves nothing for backward
        x_.resize(x.shape());
        std::copy(x.begin(), x.end(), x_.begin());
        const Tensor<T>& out = L::forward(x_, y_, cache_);
        result_ = &out == &x_ ? Result::input : Result::output;
        return out;
    }

    /// dx = ∂⟨y, dy⟩/∂x for the x of the most recent forward (dx assigned, parameter gradients accumulated); valid
    /// until the next backward. No forward before it: std::logic_error; dy not of y's shape: std::invalid_argument.
    const Tensor<T>& backward(const Tensor<T>& dy) {
        const auto name = [this] { return this->describe(); };
        check_forwarded(result_ != Result::none, name);
        const Tensor<T>& y = result_ == Result::input ? x_ : y_;
        check_output_grad(name, y.shape(), dy.shape());
        L::backward(x_, y, cache_, dy, dx_);
        return dx_;
    }

    /// What the most recent forward kept for backward (the layer's Cache: Dropout's mask, BatchNorm's statistics…).
    const Cache& cache() const noexcept { return cache_; }

  private:
    enum class Result { none, output, input };  // what the last forward returned: nothing yet, y_, or x_ itself
    Tensor<T> x_, y_, dx_;
    Cache cache_{};
    Result result_ = Result::none;
};

/// unwrap_standalone<Standalone<L>>::type is L; of any other layer type, that type.
template <class L>
struct unwrap_standalone {
    using type = L;
};
template <class L>
struct unwrap_standalone<Standalone<L>> {
    using type = L;
};

/// Standalone(layer): the layer (moved or copied in) ready to be used on its own.
template <Layer L>
Standalone<L> standalone(L layer) {
    return Standalone<L>(std::move(layer));
}

}  // namespace minitorch
