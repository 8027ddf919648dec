// minitorch/layers/pool.hpp — 2-d max and average pooling (PyTorch's nn.MaxPool2d / nn.AvgPool2d with padding 0,
// dilation 1, ceil_mode false: the output size is floor((H − k)/s) + 1).
// Derivations: docs/layers/maxpool.md, docs/layers/avgpool.md. Tests: tests/test_pool.cpp.
//
//   MaxPool2d<float> pool({.kernel = 2});              // stride defaults to the kernel size
//   AvgPool2d<float> avg({.kernel = 3, .stride = 2});
//
// Both work plane by plane (one plane = one channel of one image) and split the N·C planes over threads with
// parallel_for; no plane is shared between threads, so the results do not depend on the thread count.
#pragma once

#include "minitorch/kernels/parallel.hpp"
#include "minitorch/kernels/pool.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cmath>
#include <type_traits>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace minitorch {

namespace detail {

/// What the two pooling layers share: a square kernel k and a stride s (0 in the options means s = k, PyTorch's
/// default), checked once, and the contract's describe, window and output_shape. Options: MaxPool2dOptions or
/// AvgPool2dOptions.
template <class Options>
class PoolWindow {
  public:
    /// "MaxPool2d(k=2)", plus ", s=1" when the stride is not the kernel size.
    std::string describe() const {
        return std::string(name_) + "(k=" + std::to_string(opt_.kernel) +
               (opt_.stride != opt_.kernel ? ", s=" + std::to_string(opt_.stride) : std::string()) + ")";
    }
    Window window() const noexcept { return {opt_.kernel, opt_.stride}; }
    /// [N, C, H, W] → [N, C, (H − k)/s + 1, (W − k)/s + 1], needs H, W ≥ k.
    Shape output_shape(const Shape& in) const {
        const std::size_t k = opt_.kernel, s = opt_.stride;
        check_input(in.size() == 4 && in[2] >= k && in[3] >= k, describe(),
                    "[N, C, H, W] with H, W ≥ " + std::to_string(k), in);
        return {in[0], in[1], (in[2] - k) / s + 1, (in[3] - k) / s + 1};
    }
    /// The options with the stride resolved (never 0).
    const Options& options() const noexcept { return opt_; }

  protected:
    PoolWindow(const char* name, Options o) : name_(name), opt_(o) {
        if (opt_.kernel == 0) throw std::invalid_argument(std::string(name) + ": kernel must be positive, got 0");
        if (opt_.stride == 0) opt_.stride = opt_.kernel;
    }

    const char* name_;  // "MaxPool2d" or "AvgPool2d"
    Options opt_;       // kernel k and stride s (resolved)
};

}  // namespace detail

struct MaxPool2dOptions {
    std::size_t kernel = 0;  ///< square window size
    std::size_t stride = 0;  ///< 0 means stride = kernel (PyTorch's default)
};

/// y = the maximum of each k×k window. The gradient goes to the position of that maximum (the first one in row-major
/// scan order when several are equal, like PyTorch). As in PyTorch's CPU kernel, a NaN counts as larger than anything
/// (the last NaN of a window is its maximum), so NaNs propagate.
template <class T>
class MaxPool2d : public TrainingMode, public detail::PoolWindow<MaxPool2dOptions> {
  public:
    using scalar_type = T;

    explicit MaxPool2d(MaxPool2dOptions options) : PoolWindow("MaxPool2d", options) {}
    // describe(), window(), output_shape(), options(): detail::PoolWindow.

    // x: [N, C, H, W] → y: [N, C, outH, outW].   y[p, oh, ow] = max_{i, j < k} x[p, oh·s + i, ow·s + j]
    // In training mode argmax[p, oh, ow] = the flat index ih·W + iw in plane p of the maximum (the cache).
    const Tensor<T>& forward(const Tensor<T>& x) {
        y_.resize(output_shape(x.shape()));
        has_cache_ = is_training();
        if (has_cache_) {
            argmax_.resize(y_.size());
            x_shape_ = x.shape();
        }
        parallel_for(x.dim(0) * x.dim(1), [&](std::size_t begin, std::size_t end, std::size_t) {
            pool_planes(x, y_, begin, end, has_cache_ ? argmax_.data() : nullptr);
        });
        return y_;
    }
    /// Eval mode's values on the calling thread, into y (layer.hpp: infer_into).
    const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const {
        y.resize(output_shape(x.shape()));
        pool_planes(x, y, 0, x.dim(0) * x.dim(1), nullptr);
        return y;
    }

    // dy: [N, C, outH, outW] → dx: [N, C, H, W].   dx[p, argmax[p, q]] += dy[p, q]; zero elsewhere.
    const Tensor<T>& backward(const Tensor<T>& dy) {
        backward_into(dy, dx_);
        return dx_;
    }
    /// backward writing dx into the caller's buffer (resized; must not be dy): see layer.hpp.
    void backward_into(const Tensor<T>& dy, Tensor<T>& dx) {
        check_backward(has_cache_, describe(), y_.shape(), dy.shape());
        dx.resize(x_shape_);
        const std::size_t plane = x_shape_[2] * x_shape_[3], out_plane = y_.dim(2) * y_.dim(3);
        parallel_for(x_shape_[0] * x_shape_[1], [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t p = begin; p < end; ++p) {
                T* d = dx.data() + p * plane;
                std::fill(d, d + plane, T(0));
                const T* g = dy.data() + p * out_plane;
                const std::size_t* arg = argmax_.data() + p * out_plane;
                for (std::size_t q = 0; q < out_plane; ++q) d[arg[q]] += g[q];  // += : windows may overlap (s < k)
            }
        });
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

  private:
    /// Row-major position of the first maximum of a k × k window (k ≤ 8) whose rows are W apart; K = k when known
    /// at compile time (the common 2 × 2 pool is unrolled), 0 otherwise.
    /// Branch-free: on real activations "is this the new maximum?" is a coin flip, and a mispredicted branch per
    /// element made the plain scan several times slower. Pass 1 takes the maximum (and notes NaNs), pass 2 marks
    /// the positions equal to it in a bit mask; the lowest set bit is the first maximum in row-major order
    /// (PyTorch's tie rule). A NaN anywhere wins, the first one (PyTorch propagates NaN).
    template <std::size_t K>
    static std::size_t first_max_in_window(const T* window, std::size_t W, std::size_t runtime_k) {
        const std::size_t k = K ? K : runtime_k;
        T m = window[0];
        std::uint64_t nan_bits = 0, max_bits = 0;
        for (std::size_t i = 0; i < k; ++i)
            for (std::size_t j = 0; j < k; ++j) {
                const T v = window[i * W + j];
                m = v > m ? v : m;
                nan_bits |= std::uint64_t{v != v} << (i * k + j);
            }
        for (std::size_t i = 0; i < k; ++i)
            for (std::size_t j = 0; j < k; ++j) max_bits |= std::uint64_t{window[i * W + j] == m} << (i * k + j);
        return static_cast<std::size_t>(std::countr_zero(nan_bits ? nan_bits : max_bits));
    }

    /// Planes [begin, end) of x [N, C, H, W] (plane p = (n, c)) into y [N, C, outH, outW], and with argmax (training)
    /// the flat index ih·W + iw of each window's first maximum. Without argmax the 2 × 2, stride-2 pool takes the
    /// values-only path (float: kernels::pool().max_2x2; double: max_of_2x2_windows).
    void pool_planes(const Tensor<T>& x, Tensor<T>& y, std::size_t begin, std::size_t end,
                     std::size_t* argmax) const {
        const std::size_t H = x.dim(2), W = x.dim(3), out_h = y.dim(2), out_w = y.dim(3);
        const std::size_t k = opt_.kernel, s = opt_.stride;
        if (!argmax && k == 2 && s == 2) {  // eval mode, the common 2 × 2 pool: values only, no argmax
            if constexpr (std::is_same_v<T, float>) {  // the kernel of the ISA in use (kernels/pool.hpp)
                kernels::pool().max_2x2(x.data() + begin * H * W, end - begin, H, W, y.data() + begin * out_h * out_w);
            } else {
                for (std::size_t p = begin; p < end; ++p)
                    for (std::size_t oh = 0; oh < out_h; ++oh)
                        max_of_2x2_windows(x.data() + p * H * W + 2 * oh * W, W, y.data() + (p * out_h + oh) * out_w,
                                           out_w);
            }
            return;
        }
        // offset[w] = position of window element w (row-major) relative to the window's top-left pixel, so the
        // inner loop needs no division by k.
        std::size_t offset[64] = {};
        for (std::size_t w = 0; w < std::min<std::size_t>(k * k, 64); ++w) offset[w] = (w / k) * W + w % k;
        for (std::size_t p = begin; p < end; ++p) {
            const T* in = x.data() + p * H * W;
            T* out = y.data() + p * out_h * out_w;
            std::size_t* arg = argmax ? argmax + p * out_h * out_w : nullptr;
            for (std::size_t oh = 0; oh < out_h; ++oh)
                for (std::size_t ow = 0; ow < out_w; ++ow) {
                    const T* window = in + oh * s * W + ow * s;  // the window's top-left pixel
                    std::size_t best;  // flat index of the first maximum within the window
                    T m;
                    if (k * k <= 64) {
                        const std::size_t w =
                            k == 2 ? first_max_in_window<2>(window, W, k) : first_max_in_window<0>(window, W, k);
                        best = oh * s * W + ow * s + offset[w];
                        m = in[best];
                    } else {  // windows of more than 64 elements: the plain scan
                        best = oh * s * W + ow * s;
                        m = in[best];
                        for (std::size_t i = 0; i < k; ++i)
                            for (std::size_t j = 0; j < k; ++j) {
                                const std::size_t at = (oh * s + i) * W + ow * s + j;
                                if (in[at] > m || std::isnan(in[at])) {  // strict >: ties keep the first
                                    m = in[at];
                                    best = at;
                                }
                            }
                    }
                    out[oh * out_w + ow] = m;
                    if (arg) arg[oh * out_w + ow] = best;
                }
        }
    }

    /// One output row of a 2 × 2, stride-2 pool in eval mode, double (float runs kernels::pool().max_2x2, the same
    /// rule a vector of windows at a time): out[j] = the value the training path picks for window j (rows `top` and
    /// top + W, columns 2j, 2j + 1): the first maximum in row-major order, or the first NaN. A running maximum that
    /// replaces only on "greater, or NaN" and never replaces a NaN gives exactly that value, and needs no position
    /// (the training path must also find where the maximum is).
    static void max_of_2x2_windows(const T* top, std::size_t W, T* out, std::size_t out_w) {
        const T* bottom = top + W;
        const auto take = [](T m, T v) { return (v > m || v != v) && m == m ? v : m; };
        for (std::size_t j = 0; j < out_w; ++j) {
            T m = top[2 * j];
            m = take(m, top[2 * j + 1]);
            m = take(m, bottom[2 * j]);
            m = take(m, bottom[2 * j + 1]);
            out[j] = m;
        }
    }

    std::vector<std::size_t> argmax_;  // cache: [N, C, outH, outW], index within the input plane
    Shape x_shape_;                    // cache: the input shape
    Tensor<T> y_, dx_;
    bool has_cache_ = false;
};

struct AvgPool2dOptions {
    std::size_t kernel = 0;  ///< square window size
    std::size_t stride = 0;  ///< 0 means stride = kernel (PyTorch's default)
};

/// y = the mean of each k×k window (no padding, so every window has k² pixels).
template <class T>
class AvgPool2d : public TrainingMode, public detail::PoolWindow<AvgPool2dOptions> {
  public:
    using scalar_type = T;

    explicit AvgPool2d(AvgPool2dOptions options) : PoolWindow("AvgPool2d", options) {}
    // describe(), window(), output_shape(), options(): detail::PoolWindow.

    // x: [N, C, H, W] → y: [N, C, outH, outW].   y[p, oh, ow] = (1/k²) Σ_{i, j < k} x[p, oh·s + i, ow·s + j]
    const Tensor<T>& forward(const Tensor<T>& x) {
        y_.resize(output_shape(x.shape()));
        has_cache_ = is_training();
        if (has_cache_) x_shape_ = x.shape();  // backward needs only the shape: the mean is linear
        parallel_for(x.dim(0) * x.dim(1),
                     [&](std::size_t begin, std::size_t end, std::size_t) { pool_planes(x, y_, begin, end); });
        return y_;
    }
    /// forward's values on the calling thread, into y (layer.hpp: infer_into).
    const Tensor<T>& infer_into(const Tensor<T>& x, Tensor<T>& y) const {
        y.resize(output_shape(x.shape()));
        pool_planes(x, y, 0, x.dim(0) * x.dim(1));
        return y;
    }

    // dy: [N, C, outH, outW] → dx: [N, C, H, W].   dx[p, oh·s + i, ow·s + j] += dy[p, oh, ow] / k²
    const Tensor<T>& backward(const Tensor<T>& dy) {
        check_backward(has_cache_, describe(), y_.shape(), dy.shape());
        dx_.resize(x_shape_);
        const std::size_t H = x_shape_[2], W = x_shape_[3], out_h = y_.dim(2), out_w = y_.dim(3);
        const std::size_t k = opt_.kernel, s = opt_.stride;
        const T scale = T(1) / static_cast<T>(k * k);
        parallel_for(x_shape_[0] * x_shape_[1], [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t p = begin; p < end; ++p) {
                T* d = dx_.data() + p * H * W;
                std::fill(d, d + H * W, T(0));  // pixels in no window (floor output size) get 0
                const T* g = dy.data() + p * out_h * out_w;
                for (std::size_t oh = 0; oh < out_h; ++oh)
                    for (std::size_t ow = 0; ow < out_w; ++ow) {
                        const T share = g[oh * out_w + ow] * scale;
                        for (std::size_t i = 0; i < k; ++i)
                            for (std::size_t j = 0; j < k; ++j) d[(oh * s + i) * W + ow * s + j] += share;
                    }
            }
        });
        return dx_;
    }

    std::vector<ParameterRef<T>> parameters() { return {}; }

  private:
    /// Planes [begin, end) of x [N, C, H, W] (plane p = (n, c)) into y [N, C, outH, outW].
    void pool_planes(const Tensor<T>& x, Tensor<T>& y, std::size_t begin, std::size_t end) const {
        const std::size_t H = x.dim(2), W = x.dim(3), out_h = y.dim(2), out_w = y.dim(3);
        const std::size_t k = opt_.kernel, s = opt_.stride;
        const T scale = T(1) / static_cast<T>(k * k);
        for (std::size_t p = begin; p < end; ++p) {
            const T* in = x.data() + p * H * W;
            T* out = y.data() + p * out_h * out_w;
            for (std::size_t oh = 0; oh < out_h; ++oh)
                for (std::size_t ow = 0; ow < out_w; ++ow) {
                    T sum = T(0);
                    for (std::size_t i = 0; i < k; ++i)
                        for (std::size_t j = 0; j < k; ++j) sum += in[(oh * s + i) * W + ow * s + j];
                    out[oh * out_w + ow] = sum * scale;
                }
        }
    }

    Shape x_shape_;  // cache: the input shape
    Tensor<T> y_, dx_;
    bool has_cache_ = false;
};

}  // namespace minitorch
