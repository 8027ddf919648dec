// minitorch/layer.hpp — the layer contract, written once. Every layer in layers/ models it; so can yours.
//
// A layer is its math: it owns its parameters and nothing else. The buffers a forward and a backward write into
// (y, dx) and what forward keeps for backward (its Cache) belong to the caller — Sequential, which holds one set per
// layer for training and one per thread for evaluation, or Standalone (standalone.hpp) for a layer used on its own —
// and are handed to the layer, as llm.c's model hands its activations to each layer function. So the input x of a
// forward is still alive, unchanged, when its backward runs: no layer copies it.
//
// A layer L with scalar type T = L::scalar_type (float for training, double for gradient checks) provides:
//
//   struct Cache
//       What forward keeps for backward besides x and y (a dropout mask, batch statistics, positions of maxima);
//       default-constructible, `struct Cache {};` when nothing. The caller keeps one per forward it has in flight.
//
//   const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache& cache)
//       Computes y = f(x) into y (resized by the layer) and returns y — or x itself, for a layer that is the identity
//       in the current mode (Dropout in eval mode), leaving y untouched. In training mode it fills `cache` with what
//       backward needs. In eval mode (is_training() == false) it changes nothing but y and cache, so several threads
//       may run it on the same layer at once, each with its own y and cache (Sequential::infer does).
//       A wrong input shape throws std::invalid_argument whose message names the layer and its configuration
//       (describe()), what it expected and what it got:
//         "Conv2d(16→32, k=3): expected input [N, 16, H, W] with H, W ≥ 3, got [128, 10, 24, 24]"
//
//   void backward(const Tensor<T>& x, const Tensor<T>& y, const Cache& cache, const Tensor<T>& dy, Tensor<T>& dx)
//       x, y and cache are those of the most recent forward (y: what it returned); dy has y's shape (the caller
//       checks). Writes dx = ∂⟨y, dy⟩/∂x, the gradient of the scalar ⟨y, dy⟩ = Σ y·dy with respect to x, into dx
//       (resized by the layer to x's shape; never dy, x or y). dx is ASSIGNED; parameter gradients are ACCUMULATED:
//       grad += ∂⟨y, dy⟩/∂param (PyTorch semantics; they add up over backward calls until zero_grad() sets them to
//       zero). After an eval-mode forward BatchNorm's backward is that of its affine map with the running statistics
//       and Dropout's the identity's, as in PyTorch; a layer whose eval-mode forward keeps too little for a backward
//       (MaxPool2d keeps no positions) throws std::logic_error.
//
//   std::vector<ParameterRef<T>> parameters()
//       Every tensor of state, in a stable order, named as PyTorch names them ("weight", "bias", "running_mean",
//       "running_var", "num_batches_tracked"). Trainable parameters carry their gradient; buffers (BatchNorm's
//       running statistics) have grad == nullptr and are saved in checkpoints but never touched by optimisers.
//
//   void train(bool on = true); void eval(); bool is_training() const
//       The mode: training (the default, as in PyTorch) or evaluation. Dropout and BatchNorm behave differently.
//
//   std::string describe() const            "Conv2d(16→32, k=3)": the layer and its configuration.
//   Shape output_shape(const Shape& in) const
//       y's shape for an input of shape `in`, with the same checks (and messages) as forward. Used by
//       Sequential::summary() to print a model without running it, and by the callers to check dy.
//
// Optionally, layers that slide a window (conv, pooling) provide `Window window() const` (kernel and stride along
// the spatial axes) so summary() can print the receptive field; layers without it count as a 1×1 window, stride 1.
#pragma once

#include "minitorch/tensor.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch {

/// A named tensor of a layer's state. grad == nullptr marks a buffer (not trainable). value and grad point into the
/// layer: write their values (fill, [i], array()), never their shapes — a layer refuses to run with a tensor of its
/// state reshaped or replaced by one of another shape (check_parameter_shape), and SGD refuses a value and gradient
/// whose shapes differ.
template <class T>
struct ParameterRef {
    std::string name;
    Tensor<T>* value;
    Tensor<T>* grad;
    bool trainable() const noexcept { return grad != nullptr; }
};

/// Sliding-window geometry along one spatial axis, for receptive-field bookkeeping.
struct Window {
    std::size_t kernel = 1;
    std::size_t stride = 1;
};

template <class L>
concept Layer = requires(L& layer, const L& const_layer, const Tensor<typename L::scalar_type>& x,
                         Tensor<typename L::scalar_type>& y, typename L::Cache& cache,
                         const typename L::Cache& const_cache, const Shape& s) {
    typename L::scalar_type;
    requires std::default_initializable<typename L::Cache>;
    { layer.forward(x, y, cache) } -> std::same_as<const Tensor<typename L::scalar_type>&>;
    layer.backward(x, x, const_cache, x, y);
    { layer.parameters() } -> std::same_as<std::vector<ParameterRef<typename L::scalar_type>>>;
    layer.train(true);
    layer.eval();
    { const_layer.is_training() } -> std::convertible_to<bool>;
    { const_layer.describe() } -> std::convertible_to<std::string>;
    { const_layer.output_shape(s) } -> std::convertible_to<Shape>;
};

/// Layers that report a sliding window (see above).
template <class L>
concept WindowedLayer = Layer<L> && requires(const L& layer) {
    { layer.window() } -> std::same_as<Window>;
};

/// The mode switch every built-in layer shares (compose it, or write your own three functions).
class TrainingMode {
public:
    void train(bool on = true) noexcept { training_ = on; }
    void eval() noexcept { training_ = false; }
    bool is_training() const noexcept { return training_; }

private:
    bool training_ = true;
};

/// Sets every trainable parameter gradient of `layer` to zero, as PyTorch's module.zero_grad() (gradients accumulate
/// over backward calls until then). Any type with parameters() — a built-in layer (which also has it as a member),
/// your own layer, a Sequential.
template <class L>
void zero_grad(L& layer) {
    for (auto& p : layer.parameters())
        if (p.trainable()) p.grad->zero();
}

// ---- the shared checks, so every layer words its errors the same way ----------------------------------------------

/// Throws invalid_argument "<layer>: expected input <expected>, got <shape>" unless ok. layer and expected: text, or
/// callables returning it, called only when ok is false (message_text: a passing check builds no string).
template <class Layer, class Expected>
void check_input(bool ok, const Layer& layer, const Expected& expected, const Shape& got) {
    if (!ok)
        throw std::invalid_argument(message_text(layer) + ": expected input " + message_text(expected) + ", got " +
                                    to_string(got));
}

/// For containers (Sequential, Standalone): throws logic_error unless a forward has run (and kept its buffers) since
/// the container was made, copied or moved.
template <class Container>
void check_forwarded(bool forwarded, const Container& container) {
    if (!forwarded)
        throw std::logic_error(message_text(container) +
                               ": backward called without a forward before it (call forward(x) first)");
}

/// For containers (Sequential, Standalone): throws invalid_argument unless dy has the shape of the forward's output.
/// layer: text, or a callable returning it (called only on a mismatch).
template <class Layer>
void check_output_grad(const Layer& layer, const Shape& y_shape, const Shape& dy_shape) {
    if (y_shape != dy_shape)
        throw std::invalid_argument(message_text(layer) + ": expected gradient of the output's shape " +
                                    to_string(y_shape) + ", got " + to_string(dy_shape));
}

/// Throws invalid_argument when a value given to a setter does not have the parameter's shape.
inline void check_same_shape(const std::string& what, const Shape& expected, const Shape& got) {
    if (expected != got)
        throw std::invalid_argument(what + ": expected shape " + to_string(expected) + ", got " + to_string(got));
}

/// Throws invalid_argument unless a layer's parameter (or buffer, or gradient) `t` still has the shape its layer gave
/// it. parameters() hands out pointers to the layer's own tensors so that their values can be written (an optimiser,
/// a checkpoint loader, a test); a tensor replaced through such a pointer by one of another shape would make the
/// layer read or write outside it, so every layer checks its tensors with this before it uses them. `layer` is only
/// asked for describe() when the check fails (the check itself allocates nothing):
///   "Conv2d(1→1, k=3): parameter weight has shape [1], expected [1, 1, 3, 3] (…)"
template <class L, class T>
[[noreturn]] void throw_parameter_shape(const L& layer, const char* name, const Tensor<T>& t, const Shape& expected) {
    throw std::invalid_argument(layer.describe() + ": parameter " + name + " has shape " + to_string(t.shape()) +
                                ", expected " + to_string(expected) +
                                " (a parameter's shape is fixed by its layer: write its values through parameters(), "
                                "do not replace the tensor)");
}
template <class L, class T>
void check_parameter_shape(const L& layer, const char* name, const Tensor<T>& t,
                           std::initializer_list<std::size_t> expected) {
    if (!std::equal(t.shape().begin(), t.shape().end(), expected.begin(), expected.end()))
        throw_parameter_shape(layer, name, t, Shape(expected));
}
template <class L, class T>
void check_parameter_shape(const L& layer, const char* name, const Tensor<T>& t, const Shape& expected) {
    if (t.shape() != expected) throw_parameter_shape(layer, name, t, expected);
}

/// For a layer's constructor: throws invalid_argument "<layer>: <name> of shape <shape> has too many elements …" when
/// the parameter's element count overflows size_t or is more than a Tensor<T> can hold, instead of a wrapped-around
/// (too small) tensor or a length_error from std::vector.
template <class T>
void check_parameter_size(const std::string& layer, const char* name, const Shape& shape) {
    std::size_t n = 1;
    bool overflow = false;
    for (std::size_t extent : shape) overflow = overflow || __builtin_mul_overflow(n, extent, &n);
    if (overflow || n > max_tensor_elements<T>)
        throw std::invalid_argument(layer + ": " + name + " of shape " + to_string(shape) +
                                    " has too many elements (" +
                                    (overflow ? std::string("the count overflows size_t") : std::to_string(n)) +
                                    "; a tensor of " + std::to_string(sizeof(T)) + "-byte elements holds at most " +
                                    std::to_string(max_tensor_elements<T>) + ")");
}

/// Copies `value` into `param` after checking the shapes agree (for explicit weight setters).
template <class T>
void assign_parameter(Tensor<T>& param, const Tensor<T>& value, const std::string& what) {
    check_same_shape(what, param.shape(), value.shape());
    std::copy(value.begin(), value.end(), param.begin());
}

}  // namespace minitorch
