// minitorch/kernels/conv_reference.hpp — the direct (loop) 2-d convolution: forward, backward-data, backward-weights.
//
// Plain nested loops over the definition, no im2col, no Eigen, single-threaded: the reference that the fast path of
// Conv2d (im2col + GEMM, layers/conv2d.hpp) is tested against (tests/test_conv2d.cpp), and a baseline for
// benchmarks. Derivation: docs/layers/conv2d.md.
//
// PyTorch's Conv2d (a cross-correlation), stride s and zero padding p on both spatial axes:
//
//     y[n, o, oh, ow] = b[o] + Σ_c Σ_i Σ_j  w[o, c, i, j] · x[n, c, oh·s − p + i, ow·s − p + j]
//
// with x read as 0 outside the image. Every function returns a fresh tensor (gradients are assigned, not
// accumulated).
#pragma once

#include "minitorch/tensor.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace minitorch {

namespace detail {

/// The shapes a reference call works on, checked once: x [N, C, H, W], w [O, C, kh, kw], y [N, O, outH, outW].
struct ConvShapes {
    std::size_t N, C, H, W, O, kh, kw, out_h, out_w, s, p;

    ConvShapes(const Shape& x, const Shape& w, std::size_t stride, std::size_t padding) {
        if (x.size() != 4 || w.size() != 4 || x[1] != w[1] || stride == 0 || x[2] == 0 || x[3] == 0 || w[0] == 0 ||
            w[2] == 0 || w[3] == 0 || x[2] + 2 * padding < w[2] || x[3] + 2 * padding < w[3])
            throw std::invalid_argument("conv2d reference: incompatible input " + to_string(x) + " and weight " +
                                        to_string(w) + " (stride " + std::to_string(stride) + ", padding " +
                                        std::to_string(padding) + ")");
        N = x[0], C = x[1], H = x[2], W = x[3], O = w[0], kh = w[2], kw = w[3], s = stride, p = padding;
        out_h = (H + 2 * p - kh) / s + 1;
        out_w = (W + 2 * p - kw) / s + 1;
    }
    Shape y_shape() const { return {N, O, out_h, out_w}; }
    /// The input coordinate that output position `o` and kernel offset `k` read, or false when it is padding.
    bool input_index(std::size_t o, std::size_t k, std::size_t size, std::size_t& at) const {
        const std::size_t padded = o * s + k;  // coordinate in the padded image
        if (padded < p || padded - p >= size) return false;
        at = padded - p;
        return true;
    }
};

}  // namespace detail

/// x: [N, C, H, W], w: [O, C, kh, kw], bias: [O] or empty (no bias) → y: [N, O, outH, outW].
template <class T>
Tensor<T> conv2d_forward_reference(const Tensor<T>& x, const Tensor<T>& w, const Tensor<T>& bias, std::size_t stride,
                                   std::size_t padding) {
    const detail::ConvShapes d(x.shape(), w.shape(), stride, padding);
    if (!bias.empty() && bias.shape() != Shape{d.O})
        throw std::invalid_argument("conv2d reference: bias must be [" + std::to_string(d.O) + "] or empty, got " +
                                    to_string(bias.shape()));
    Tensor<T> y(d.y_shape());
    for (std::size_t n = 0; n < d.N; ++n)
        for (std::size_t o = 0; o < d.O; ++o)
            for (std::size_t oh = 0; oh < d.out_h; ++oh)
                for (std::size_t ow = 0; ow < d.out_w; ++ow) {
                    T sum = bias.empty() ? T(0) : bias[o];
                    for (std::size_t c = 0; c < d.C; ++c)
                        for (std::size_t i = 0; i < d.kh; ++i)
                            for (std::size_t j = 0; j < d.kw; ++j) {
                                std::size_t ih, iw;
                                if (!d.input_index(oh, i, d.H, ih) || !d.input_index(ow, j, d.W, iw)) continue;
                                sum +=
                                    w[((o * d.C + c) * d.kh + i) * d.kw + j] * x[((n * d.C + c) * d.H + ih) * d.W + iw];
                            }
                    y[((n * d.O + o) * d.out_h + oh) * d.out_w + ow] = sum;
                }
    return y;
}

/// dy: [N, O, outH, outW], w: [O, C, kh, kw], x_shape = [N, C, H, W] → dx: [N, C, H, W].
///     dx[n, c, ih, iw] = Σ_{o, i, j, oh, ow : oh·s − p + i = ih, ow·s − p + j = iw}  w[o, c, i, j] · dy[n, o, oh, ow]
/// (each product of the forward sum sends its dy back to the pixel it read).
template <class T>
Tensor<T> conv2d_backward_data_reference(const Tensor<T>& dy, const Tensor<T>& w, const Shape& x_shape,
                                         std::size_t stride, std::size_t padding) {
    const detail::ConvShapes d(x_shape, w.shape(), stride, padding);
    if (dy.shape() != d.y_shape())
        throw std::invalid_argument("conv2d reference: dy must be " + to_string(d.y_shape()) + ", got " +
                                    to_string(dy.shape()));
    Tensor<T> dx(x_shape);
    for (std::size_t n = 0; n < d.N; ++n)
        for (std::size_t o = 0; o < d.O; ++o)
            for (std::size_t oh = 0; oh < d.out_h; ++oh)
                for (std::size_t ow = 0; ow < d.out_w; ++ow) {
                    const T g = dy[((n * d.O + o) * d.out_h + oh) * d.out_w + ow];
                    for (std::size_t c = 0; c < d.C; ++c)
                        for (std::size_t i = 0; i < d.kh; ++i)
                            for (std::size_t j = 0; j < d.kw; ++j) {
                                std::size_t ih, iw;
                                if (!d.input_index(oh, i, d.H, ih) || !d.input_index(ow, j, d.W, iw)) continue;
                                dx[((n * d.C + c) * d.H + ih) * d.W + iw] +=
                                    w[((o * d.C + c) * d.kh + i) * d.kw + j] * g;
                            }
                }
    return dx;
}

/// x: [N, C, H, W], dy: [N, O, outH, outW], w_shape = [O, C, kh, kw] → dw: [O, C, kh, kw].
///     dw[o, c, i, j] = Σ_n Σ_oh Σ_ow  dy[n, o, oh, ow] · x[n, c, oh·s − p + i, ow·s − p + j]
template <class T>
Tensor<T> conv2d_backward_weights_reference(const Tensor<T>& x, const Tensor<T>& dy, const Shape& w_shape,
                                            std::size_t stride, std::size_t padding) {
    const detail::ConvShapes d(x.shape(), w_shape, stride, padding);
    if (dy.shape() != d.y_shape())
        throw std::invalid_argument("conv2d reference: dy must be " + to_string(d.y_shape()) + ", got " +
                                    to_string(dy.shape()));
    Tensor<T> dw(w_shape);
    for (std::size_t o = 0; o < d.O; ++o)
        for (std::size_t c = 0; c < d.C; ++c)
            for (std::size_t i = 0; i < d.kh; ++i)
                for (std::size_t j = 0; j < d.kw; ++j) {
                    T sum = T(0);
                    for (std::size_t n = 0; n < d.N; ++n)
                        for (std::size_t oh = 0; oh < d.out_h; ++oh)
                            for (std::size_t ow = 0; ow < d.out_w; ++ow) {
                                std::size_t ih, iw;
                                if (!d.input_index(oh, i, d.H, ih) || !d.input_index(ow, j, d.W, iw)) continue;
                                sum += dy[((n * d.O + o) * d.out_h + oh) * d.out_w + ow] *
                                       x[((n * d.C + c) * d.H + ih) * d.W + iw];
                            }
                    dw[((o * d.C + c) * d.kh + i) * d.kw + j] = sum;
                }
    return dw;
}

/// dy: [N, O, outH, outW] → db: [O].   db[o] = Σ_n Σ_oh Σ_ow dy[n, o, oh, ow]
template <class T>
Tensor<T> conv2d_backward_bias_reference(const Tensor<T>& dy) {
    if (dy.rank() != 4)
        throw std::invalid_argument("conv2d reference: dy must be [N, O, outH, outW], got " + to_string(dy.shape()));
    const std::size_t N = dy.dim(0), O = dy.dim(1), plane = dy.dim(2) * dy.dim(3);
    Tensor<T> db({O});
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t o = 0; o < O; ++o)
            for (std::size_t q = 0; q < plane; ++q) db[o] += dy[(n * O + o) * plane + q];
    return db;
}

}  // namespace minitorch
