// minitorch/layers/avgpool.hpp — 2-d average pooling (PyTorch's nn.AvgPool2d with padding 0, ceil_mode false).
// Derivation: docs/layers/avgpool.md. Tests: tests/test_pool.cpp.
//
//   AvgPool2d<float> avg({.kernel = 3, .stride = 2});  // stride defaults to the kernel size
//
// Works plane by plane (one plane = one channel of one image) and splits the N·C planes over threads with
// parallel_for; no plane is shared between threads, so the results do not depend on the thread count.
#pragma once

#include "minitorch/kernels/parallel.hpp"
#include "minitorch/layer.hpp"
#include "minitorch/layers/pool_window.hpp"
#include "minitorch/tensor.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace minitorch {

/// y = the mean of each k×k window (no padding, so every window has k² pixels).
template <class T>
class AvgPool2d : public detail::PoolWindow {
  public:
    using scalar_type = T;

    struct Cache {};  // backward needs only the shapes: the mean is linear

    explicit AvgPool2d(Pool2dOptions options) : PoolWindow("AvgPool2d", options) {}
    // train(), eval(), describe(), window(), output_shape(), options(): detail::PoolWindow.

    // x: [N, C, H, W] → y: [N, C, outH, outW].   y[p, oh, ow] = (1/k²) Σ_{i, j < k} x[p, oh·s + i, ow·s + j]
    const Tensor<T>& forward(const Tensor<T>& x, Tensor<T>& y, Cache&) {
        const auto d = output_dims(x.shape());
        y.resize({d[0], d[1], d[2], d[3]});
        parallel_for(x.dim(0) * x.dim(1),
                     [&](std::size_t begin, std::size_t end, std::size_t) { pool_planes(x, y, begin, end); });
        return y;
    }

    // dy: [N, C, outH, outW] → dx: [N, C, H, W].   dx[p, oh·s + i, ow·s + j] += dy[p, oh, ow] / k²
    void backward(const Tensor<T>& x, const Tensor<T>& y, const Cache&, const Tensor<T>& dy, Tensor<T>& dx) {
        dx.resize(x.shape());
        const std::size_t H = x.dim(2), W = x.dim(3), out_h = y.dim(2), out_w = y.dim(3);
        const std::size_t k = opt_.kernel, s = opt_.stride;
        const T scale = T(1) / static_cast<T>(k * k);
        parallel_for(x.dim(0) * x.dim(1), [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t p = begin; p < end; ++p) {
                T* d = dx.data() + p * H * W;
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
};

}  // namespace minitorch
