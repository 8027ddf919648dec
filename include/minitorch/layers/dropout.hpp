// minitorch/layers/dropout.hpp — inverted dropout, as PyTorch does it.
// Derivation: docs/layers/dropout.md. Tests: tests/test_dropout.cpp.
//
//   training: y = x·mask, mask = 1/(1 − p) with probability 1 − p, else 0 (so E[y] = x and eval needs no rescaling)
//   eval:     y = x
//
// The mask is drawn per sample from the layer's own generator `base` (kernels/dropout_mask.hpp: sample n's key from
// base.stream(n), then counter-based bits per element), and base is advanced by one draw after each mask, so the
// mask depends only on the seed and the number of masks drawn before it, never on the thread count or the ISA.
#pragma once

#include "minitorch/kernels/dropout_mask.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/random.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace minitorch {

struct DropoutOptions {
    double p = 0.5;  ///< probability of zeroing an element, in [0, 1)
};

/// Inverted dropout. Holds its own Generator (seeded from the one given at construction), so the layer is a value:
/// copies draw the same masks. Input: any shape, samples along dimension 0.
template <class T>
class Dropout : public TrainingMode {
  public:
    using scalar_type = T;

    /// Throws std::invalid_argument unless 0 ≤ p < 1. Takes one draw from `gen` to seed the layer's generator.
    explicit Dropout(DropoutOptions options = {}, Generator& gen = default_generator()) : opt_(options) {
        detail::check_dropout_p(opt_.p, "Dropout");
        base_.seed(gen.next_u64());
    }

    /// "Dropout(p=0.05)"
    std::string describe() const {
        std::ostringstream s;
        s << "Dropout(p=" << opt_.p << ')';
        return s.str();
    }
    Shape output_shape(const Shape& in) const { return in; }

    /// The mask of the most recent training-mode forward, as bytes (1 = kept, 0 = dropped; a training step of the
    /// MNIST net holds 12 MB less than with T scale factors), and whether the last forward used it.
    struct Cache {
        std::vector<std::uint8_t> keep;  // one byte per element of x
        Shape shape;                     // the shape of the input the mask was drawn for
        T scale = T(1);                  // 1/(1 − p)
        bool has_mask = false;           // keep holds a mask
        bool applied = false;            // the last forward was in training mode (applied the mask)
        /// The scale factors of the mask: 1/(1 − p) where kept, 0 where dropped (empty before the first mask).
        Tensor<T> mask() const {
            if (!has_mask) return Tensor<T>();
            Tensor<T> m(shape);
            for (std::size_t i = 0; i < keep.size(); ++i) m[i] = static_cast<T>(keep[i]) * scale;
            return m;
        }
    };

    // x: any shape [N, ...] → y: x's shape.
    //   training: y = x·mask (a new mask each call, unless frozen); eval: y = x (x itself is returned, y untouched)
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache& cache) {
        cache.applied = is_training();
        if (!is_training()) return x;
        y.resize(x.shape());
        if (frozen_ && cache.has_mask && cache.shape == x.shape()) {
            detail::apply_keep_parallel(x.data(), cache.keep.data(), cache.scale, y.data(), x.size());
        } else {
            cache.shape = x.shape();
            cache.keep.resize(x.size());
            cache.scale = scale();
            const std::size_t batch = detail::dropout_batch(x.shape());
            detail::dropout_fill(x.data(), y.data(), cache.keep.data(), batch, batch ? x.size() / batch : 0, opt_.p,
                                 base_);
            base_.next_u64();  // the next mask comes from fresh streams
            cache.has_mask = true;
        }
        return y;
    }

    // dy: y's shape → dx.   dx = dy·mask = dy·keep·1/(1 − p); after an eval-mode forward dx = dy (the identity's, as
    // PyTorch back-propagates through Dropout in eval mode)
    void backward(const Tensor<T>&, const Tensor<T>&, const Cache& cache, const Tensor<T>& dy, Tensor<T>& dx) {
        dx.resize(dy.shape());
        if (cache.applied)
            detail::apply_keep_parallel(dy.data(), cache.keep.data(), cache.scale, dx.data(), dy.size());
        else
            std::copy(dy.begin(), dy.end(), dx.begin());
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

    /// Restarts the layer's generator from `seed`: the next training forward draws its mask from
    /// Generator(seed).stream(n) for sample n.
    void reseed(std::uint64_t seed) noexcept { base_.seed(seed); }

    /// While frozen, a training forward handed a cache holding a mask of its input's shape reuses that mask instead
    /// of drawing a new one (a different shape draws a new mask, which is then kept). This makes forward a fixed
    /// function, as gradient checking needs.
    void freeze_mask(bool on = true) noexcept { frozen_ = on; }
    bool mask_frozen() const noexcept { return frozen_; }

    const DropoutOptions& options() const noexcept { return opt_; }

  private:
    DropoutOptions opt_;
    Generator base_;
    T scale() const noexcept { return static_cast<T>(1.0 / (1.0 - opt_.p)); }

    bool frozen_ = false;
};

}  // namespace minitorch
