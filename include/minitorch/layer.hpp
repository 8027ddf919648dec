// minitorch/layer.hpp — the layer contract, written once. Every layer in layers/ models it; so can yours.
//
// A layer L with scalar type T = L::scalar_type (float for training, double for gradient checks) provides:
//
//   const Tensor<T>& forward(const Tensor<T>& x)
//       Computes y = f(x) and returns it. The returned reference is owned by the layer and stays valid until the
//       layer's next forward call (layers keep their outputs as members so a training step does not allocate;
//       returning a Tensor<T> by value is also accepted by the concept and by Sequential). A layer that is the
//       identity in the current mode (Dropout in eval mode) may return x itself, so the result is valid only as
//       long as x is too: keep the input alive while you use the output.
//       In training mode (is_training() == true) forward also caches what backward needs (the input, a mask, the
//       batch statistics…). In eval mode it need not cache anything.
//       A wrong input shape throws std::invalid_argument whose message names the layer and its configuration
//       (describe()), what it expected and what it got:
//         "Conv2d(16→32, k=3): expected input [N, 16, H, W] with H, W ≥ 3, got [128, 10, 24, 24]"
//
//   const Tensor<T>& backward(const Tensor<T>& dy)
//       dy has y's shape. Returns dx = ∂⟨y, dy⟩/∂x, the gradient of the scalar ⟨y, dy⟩ = Σ y·dy with respect to the
//       input of the most recent training-mode forward; dx has x's shape.
//       Parameter gradients are ACCUMULATED: grad += ∂⟨y, dy⟩/∂param (PyTorch semantics; they add up over backward
//       calls until zero_grad() sets them to zero). dx is ASSIGNED (a fresh result each call).
//       Calling backward with no training-mode forward before it throws std::logic_error; a dy whose shape is not
//       y's throws std::invalid_argument. Exceptions, as in PyTorch: after an eval-mode forward, BatchNorm's backward
//       is that of its affine map with the running statistics, and Dropout's the identity's.
//
//   Optionally: void backward_into(const Tensor<T>& dy, Tensor<T>& dx) — the same as backward, but dx is written
//       into a buffer the caller owns (resized by the layer; never dy itself). Sequential uses it to share two
//       gradient buffers among all layers instead of one per layer (ReLU, BatchNorm, Dropout, Conv2d, MaxPool2d
//       have it; backward(dy) is then backward_into(dy, own buffer)).
//
//   Optionally: const Tensor<T>& forward_borrowing(const Tensor<T>& x) — the same as forward, but the caller
//       promises that x stays alive and unchanged until the layer's backward has run, so a layer that caches its
//       input may keep a pointer to x instead of a copy (Conv2d, BatchNorm). Sequential calls it for a layer whose
//       input is the output of the layer before it (owned by that layer and rewritten only by its next forward),
//       never for the container's own input. Copying a layer does not copy a borrowed cache: the copy's backward
//       needs a forward of its own.
//
//   Optionally: const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const — eval-mode forward as a pure
//       function: returns y (resized by the layer; never x itself) holding exactly what forward(x) gives in eval
//       mode, bit for bit — or x itself where eval-mode forward is the identity and returns x (Dropout) — computed
//       on the calling thread alone, from x and the parameters only, with no change to the layer (scratch
//       space, if any, is per thread). So several threads may call it on the same layer at once: Sequential::infer
//       runs each thread's share of a batch through all the layers this way, with no hand-off between threads per
//       layer, when every layer has it (every minitorch layer does; else infer falls back to forward on slices;
//       an infer_into returning by value instead of a reference counts as absent).
//       It is called in any mode (the mode is the container's business) and computes the eval-mode result.
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
//       Sequential::summary() to print a model without running it.
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

/// The input cache of a layer with forward_borrowing: either the layer's own copy of x or a pointer to the caller's
/// x. Copies and assignments take the owned copy but drop a borrowed pointer (the promise was made to the original
/// layer, not to its copy), so a copy's backward before its own forward finds no cache.
template <class T>
class InputCache {
public:
    InputCache() = default;
    InputCache(const InputCache& o) : owned_(o.owned_), state_(o.state_ == State::borrowed ? State::none : o.state_) {}
    InputCache& operator=(const InputCache& o) {
        owned_ = o.owned_;
        state_ = o.state_ == State::borrowed ? State::none : o.state_;
        borrowed_ = nullptr;
        return *this;
    }
    InputCache(InputCache&&) = default;
    InputCache& operator=(InputCache&&) = default;

    /// Keeps a copy of x (resized; the caller fills it through owned()).
    Tensor<T>& own(const Shape& shape) {
        owned_.resize(shape);
        state_ = State::owned;
        borrowed_ = nullptr;
        return owned_;
    }
    /// Keeps a pointer to x (and x's shape, to catch a lender that broke the promise).
    void borrow(const Tensor<T>& x) {
        borrowed_ = &x;
        borrowed_shape_ = x.shape();
        state_ = State::borrowed;
    }
    void clear() noexcept {
        state_ = State::none;
        borrowed_ = nullptr;
    }
    bool has_value() const noexcept { return state_ != State::none; }
    /// The cached input; has_value() must be true. A borrowed input whose shape changed since forward (its owner ran
    /// another forward in between, against the promise) throws std::logic_error naming `layer`, rather than letting
    /// backward index a tensor of another shape.
    const Tensor<T>& get(const std::string& layer) const {
        if (state_ != State::borrowed) return owned_;
        if (borrowed_->shape() != borrowed_shape_)
            throw std::logic_error(layer + ": backward after the input lent to forward_borrowing changed shape (was " +
                                   to_string(borrowed_shape_) + ", now " + to_string(borrowed_->shape()) +
                                   "): run forward again before backward");
        return *borrowed_;
    }

private:
    enum class State { none, owned, borrowed };
    Tensor<T> owned_;
    const Tensor<T>* borrowed_ = nullptr;
    Shape borrowed_shape_;
    State state_ = State::none;
};

template <class L>
concept Layer = requires(L& layer, const L& const_layer, const Tensor<typename L::scalar_type>& t, const Shape& s) {
    typename L::scalar_type;
    { layer.forward(t) } -> std::convertible_to<const Tensor<typename L::scalar_type>&>;
    { layer.backward(t) } -> std::convertible_to<const Tensor<typename L::scalar_type>&>;
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

/// Throws invalid_argument "<layer>: expected input <expected>, got <shape>" unless ok.
inline void check_input(bool ok, const std::string& layer, const std::string& expected, const Shape& got) {
    if (!ok) throw std::invalid_argument(layer + ": expected input " + expected + ", got " + to_string(got));
}

/// Throws logic_error unless a training-mode forward has cached what backward needs, and invalid_argument unless
/// dy has the shape of the forward output.
inline void check_backward(bool have_cache, const std::string& layer, const Shape& y_shape, const Shape& dy_shape) {
    if (!have_cache)
        throw std::logic_error(layer +
                               ": backward called without a training-mode forward before it (call train() and "
                               "forward(x) first)");
    if (y_shape != dy_shape)
        throw std::invalid_argument(layer + ": expected gradient of the output's shape " + to_string(y_shape) +
                                    ", got " + to_string(dy_shape));
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
