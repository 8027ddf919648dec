// minitorch/layers/maxpool.hpp — 2-d max pooling (PyTorch's nn.MaxPool2d with padding 0, dilation 1, ceil_mode
// false). Derivation: docs/layers/maxpool.md. Tests: tests/test_pool.cpp.
//
//   MaxPool2d<float> pool({.kernel = 2});              // stride defaults to the kernel size
//
// Works plane by plane (one plane = one channel of one image) and splits the N·C planes over threads with
// parallel_for; no plane is shared between threads, so the results do not depend on the thread count.
#pragma once

#include "minitorch/kernels/parallel.hpp"
#include "minitorch/kernels/pool.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/layers/pool_window.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace minitorch {

/// y = the maximum of each k×k window. The gradient goes to the position of that maximum (the first one in row-major
/// scan order when several are equal, like PyTorch). As in PyTorch's CPU kernel, a NaN counts as larger than anything
/// (the last NaN of a window is its maximum), so NaNs propagate.
template <class T>
class MaxPool2d : public detail::PoolWindow {
  public:
    using scalar_type = T;

    /// In training mode, argmax[p, oh, ow] = the flat index ih·W + iw in plane p of the window's maximum; in eval
    /// mode nothing (the 2 × 2 pool then takes a values-only path).
    struct Cache {
        std::vector<std::size_t> argmax;  // [N, C, outH, outW]
    };

    explicit MaxPool2d(Pool2dOptions options) : PoolWindow("MaxPool2d", options) {}
    // train(), eval(), describe(), window(), output_shape(), options(): detail::PoolWindow.

    // x: [N, C, H, W] → y: [N, C, outH, outW].   y[p, oh, ow] = max_{i, j < k} x[p, oh·s + i, ow·s + j]
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache& cache) {
        const auto d = output_dims(x.shape());
        y.resize({d[0], d[1], d[2], d[3]});
        if (is_training())
            cache.argmax.resize(y.size());
        else
            cache.argmax.clear();
        std::size_t* argmax = is_training() ? cache.argmax.data() : nullptr;
        parallel_for(x.dim(0) * x.dim(1),
                     [&](std::size_t begin, std::size_t end, std::size_t) { pool_planes(x, y, begin, end, argmax); });
        return y;
    }

    // dy: [N, C, outH, outW] → dx: [N, C, H, W].   dx[p, argmax[p, q]] += dy[p, q]; zero elsewhere.
    void backward(const Tensor<T>& x, const Tensor<T>& y, const Cache& cache, const Tensor<T>& dy, Tensor<T>& dx) {
        if (cache.argmax.size() != y.size())
            throw std::logic_error(describe() +
                                   ": backward after an eval-mode forward, which keeps no positions of "
                                   "the maxima (run forward in training mode first)");
        dx.resize(x.shape());
        const std::size_t plane = x.dim(2) * x.dim(3), out_plane = y.dim(2) * y.dim(3);
        parallel_for(x.dim(0) * x.dim(1), [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t p = begin; p < end; ++p) {
                T* d = dx.data() + p * plane;
                std::fill(d, d + plane, T(0));
                const T* g = dy.data() + p * out_plane;
                const std::size_t* arg = cache.argmax.data() + p * out_plane;
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
    void pool_planes(const Tensor<T>& x, Tensor<T>& y, std::size_t begin, std::size_t end, std::size_t* argmax) const {
        const std::size_t H = x.dim(2), W = x.dim(3), out_h = y.dim(2), out_w = y.dim(3);
        const std::size_t k = opt_.kernel, s = opt_.stride;
        if (!argmax && k == 2 && s == 2) {             // eval mode, the common 2 × 2 pool: values only, no argmax
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
                    std::size_t best;                            // flat index of the first maximum within the window
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
};

}  // namespace minitorch
