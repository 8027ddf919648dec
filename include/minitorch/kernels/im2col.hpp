// minitorch/kernels/im2col.hpp — unfold image patches into the columns of a matrix (im2col) and fold them back
// (col2im), the data movement that turns a convolution into one matrix product (Caffe's layout).
// Derivation and pictures: docs/layers/conv2d.md. Tests: tests/test_im2col.cpp.
//
// For one image im: [C, H, W] and a kh × kw kernel with stride s and zero padding p,
//
//     outH = (H + 2p − kh) / s + 1,   outW = (W + 2p − kw) / s + 1,
//     col: [C·kh·kw, outH·outW],
//     col[(c·kh + i)·kw + j, oh·outW + ow] = im[c, oh·s − p + i, ow·s − p + j]   (0 outside the image).
//
// Row r of col is one (channel, kernel-row, kernel-column) tap; column q is one output position. A convolution with
// weights W: [O, C·kh·kw] is then Y = W·col: [O, outH·outW], which is already the [O, outH, outW] output layout.
//
// col2im is the adjoint (transpose) of im2col: it adds every entry of col back onto the pixel it was read from, so
// pixels covered by several windows receive the sum of their entries. Hence ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩, and
// col2im maps the gradient of the columns to the gradient of the image.
#pragma once

#include "minitorch/kernels/isa.hpp"
#include "minitorch/kernels/scratch.hpp"
#include "minitorch/kernels/simd/select.hpp"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace minitorch {

/// Geometry of a 2-d convolution (or pooling) on one image: channels, image size, kernel, stride, zero padding.
struct ConvGeometry {
    std::size_t channels = 0;
    std::size_t height = 0, width = 0;  ///< image size H, W (before padding)
    std::size_t kernel_h = 0, kernel_w = 0;
    std::size_t stride = 1;
    std::size_t padding = 0;

    std::size_t out_h() const noexcept { return (height + 2 * padding - kernel_h) / stride + 1; }
    std::size_t out_w() const noexcept { return (width + 2 * padding - kernel_w) / stride + 1; }
    /// Rows of col: C·kh·kw.
    std::size_t col_rows() const noexcept { return channels * kernel_h * kernel_w; }
    /// Columns of col: outH·outW.
    std::size_t col_cols() const noexcept { return out_h() * out_w(); }
    /// True when col is the image itself (1×1 kernel, stride 1, no padding): callers may skip the copy.
    bool is_identity() const noexcept { return kernel_h == 1 && kernel_w == 1 && stride == 1 && padding == 0; }

    /// Throws std::invalid_argument unless the kernel fits the padded image and every size is positive.
    void validate() const {
        if (channels == 0 || height == 0 || width == 0 || kernel_h == 0 || kernel_w == 0 || stride == 0 ||
            height + 2 * padding < kernel_h || width + 2 * padding < kernel_w)
            throw std::invalid_argument(
                "ConvGeometry: need positive sizes and a kernel that fits the padded image, got C=" +
                std::to_string(channels) + ", H=" + std::to_string(height) + ", W=" + std::to_string(width) +
                ", kernel " + std::to_string(kernel_h) + "×" + std::to_string(kernel_w) + ", stride " +
                std::to_string(stride) + ", padding " + std::to_string(padding));
    }
};

namespace detail {

/// For kernel offset `k` along an axis of `size` pixels: the output positions o in [lo, hi) whose input index
/// o·s − p + k lies inside [0, size). Outside that range the tap reads padding (zero).
struct ValidRange {
    std::size_t lo, hi;
};
inline ValidRange valid_outputs(std::size_t k, std::size_t size, std::size_t out, std::size_t stride,
                                std::size_t padding) noexcept {
    // o·s + k ≥ p   ⇔  o ≥ ceil((p − k) / s)        (always true when k ≥ p)
    const std::size_t lo = k >= padding ? 0 : (padding - k + stride - 1) / stride;
    // o·s + k < size + p  ⇔  o < ceil((size + p − k) / s)
    const std::size_t hi = size + padding > k ? (size + padding - k + stride - 1) / stride : 0;
    return {std::min(lo, out), std::min(std::max(lo, hi), out)};
}

/// d[0, n) = s[0, n): the rows of the general path (float at stride 1 without padding runs the kernels below).
template <class T>
inline void copy_run(T* d, const T* s, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
}

/// d[0, n) += s[0, n), the contiguous (stride 1) case of col2im.
template <class T>
inline void add_run(T* d, const T* s, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) d[i] += s[i];
}

/// Stride 1 with padding p is the unpadded case on the image with p zero pixels added on every side: im2col reads it,
/// col2im folds into it and the border is dropped. The padded copy costs one pass over the image, against one pass
/// over col per tap in the general path below with its bounds and zero fills. Worth it when the padded image is not
/// much larger than col itself (always for the usual 3×3, p = 1).
inline ConvGeometry padded_geometry(const ConvGeometry& g) noexcept {
    ConvGeometry pg = g;
    pg.height = g.height + 2 * g.padding;
    pg.width = g.width + 2 * g.padding;
    pg.padding = 0;
    return pg;
}
inline bool pad_first_pays(const ConvGeometry& g) noexcept {
    const ConvGeometry pg = padded_geometry(g);
    return pg.height * pg.width <= g.kernel_h * g.kernel_w * g.out_h() * g.out_w();
}

/// padded[c, p + ih, p + iw] = im[c, ih, iw], zero on the border.   im: [C, H, W] → padded: [C, H + 2p, W + 2p]
template <class T>
void pad_image(const T* im, const ConvGeometry& g, T* padded) {
    const std::size_t H = g.height, W = g.width, p = g.padding, PW = W + 2 * p, PH = H + 2 * p;
    for (std::size_t c = 0; c < g.channels; ++c) {
        T* plane = padded + c * PH * PW;
        std::fill(plane, plane + p * PW, T(0));  // top rows
        for (std::size_t ih = 0; ih < H; ++ih) {
            T* row = plane + (p + ih) * PW;
            std::fill(row, row + p, T(0));
            std::copy(im + (c * H + ih) * W, im + (c * H + ih + 1) * W, row + p);
            std::fill(row + p + W, row + PW, T(0));
        }
        std::fill(plane + (p + H) * PW, plane + PH * PW, T(0));  // bottom rows
    }
}

/// im[c, ih, iw] = padded[c, p + ih, p + iw]: the inner part (what col2im of the unpadded image keeps).
template <class T>
void crop_image(const T* padded, const ConvGeometry& g, T* im) {
    const std::size_t H = g.height, W = g.width, p = g.padding, PW = W + 2 * p, PH = H + 2 * p;
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t ih = 0; ih < H; ++ih) {
            const T* row = padded + (c * PH + p + ih) * PW + p;
            std::copy(row, row + W, im + (c * H + ih) * W);
        }
}

}  // namespace detail

namespace kernels {
/// The stride-1 data movement of one ISA (body/im2col.inl), float.
struct Im2colKernels {
    Isa isa;
    /// im2col at stride 1 without padding.
    void (*im2col_unpadded)(const float* im, const ConvGeometry& g, float* col) noexcept;
    /// col2im at stride 1 without padding (im overwritten).
    void (*col2im_unpadded)(const float* col, const ConvGeometry& g, float* im) noexcept;
    /// Y[O, outH·outW] from the wide product Ywide[O, (outH − 1)·W + outW] of conv_implicit.hpp, row o at
    /// wide + o·wide_ld: each output row's first outW of its W columns.
    void (*compact_wide)(const float* wide, std::size_t wide_ld, std::size_t O, std::size_t out_h, std::size_t out_w,
                         std::size_t W, float* y) noexcept;
};
}  // namespace kernels

}  // namespace minitorch

MINITORCH_DECLARE_KERNEL_TABLES(Im2colKernels, im2col_kernels)
#if !defined(MINITORCH_COMPILED_LIB) || defined(MINITORCH_COMPILING_IM2COL_KERNELS)
#define MINITORCH_KERNEL_BODY "minitorch/kernels/body/im2col.inl"
#include "minitorch/kernels/simd/for_each_isa.hpp"
#endif

namespace minitorch {

namespace kernels {
/// The data-movement kernels of `isa` (which this build must contain).
inline const Im2colKernels& im2col_for(Isa isa) { return MINITORCH_SELECT_FOR_ISA(isa, im2col_kernels); }
/// Those of active_isa(), looked up once.
inline const Im2colKernels& im2col() {
    static const Im2colKernels& k = im2col_for(active_isa());
    return k;
}
}  // namespace kernels

/// im: [C, H, W] (row-major, contiguous) → col: [C·kh·kw, outH·outW]. col is overwritten.
template <class T>
void im2col(const T* im, const ConvGeometry& g, T* col) {
    const std::size_t out_h = g.out_h(), out_w = g.out_w(), H = g.height, W = g.width, s = g.stride, p = g.padding;
    if (s == 1 && p == 0) {  // the common case (every unpadded conv of the MNIST net): every tap is inside the image,
                             // so each output row of each (c, i, j) is one contiguous run; no bounds, no zero fills
        if constexpr (std::is_same_v<T, float>) {
            kernels::im2col().im2col_unpadded(im, g, col);
            return;
        }
        for (std::size_t c = 0; c < g.channels; ++c)
            for (std::size_t i = 0; i < g.kernel_h; ++i)
                for (std::size_t j = 0; j < g.kernel_w; ++j) {
                    const T* src = im + (c * H + i) * W + j;
                    T* dst = col + ((c * g.kernel_h + i) * g.kernel_w + j) * out_h * out_w;
                    for (std::size_t oh = 0; oh < out_h; ++oh) detail::copy_run(dst + oh * out_w, src + oh * W, out_w);
                }
        return;
    }
    if (s == 1 && detail::pad_first_pays(g)) {  // stride 1 with padding: pad the image once, then the path above
        const ConvGeometry pg = detail::padded_geometry(g);
        T* padded = detail::thread_scratch<detail::PaddedImage, T>(pg.channels * pg.height * pg.width);
        detail::pad_image(im, g, padded);
        im2col(padded, pg, col);
        return;
    }
    for (std::size_t c = 0; c < g.channels; ++c) {
        const T* plane = im + c * H * W;
        for (std::size_t i = 0; i < g.kernel_h; ++i) {
            const auto rows = detail::valid_outputs(i, H, out_h, s, p);
            for (std::size_t j = 0; j < g.kernel_w; ++j) {
                const auto cols = detail::valid_outputs(j, W, out_w, s, p);
                // row (c, i, j) of col, outH·outW entries
                T* dst = col + ((c * g.kernel_h + i) * g.kernel_w + j) * out_h * out_w;
                std::fill(dst, dst + rows.lo * out_w, T(0));  // output rows whose tap is above the image
                for (std::size_t oh = rows.lo; oh < rows.hi; ++oh) {
                    T* d = dst + oh * out_w;
                    const T* src = plane + (oh * s + i - p) * W;  // image row ih = oh·s − p + i
                    if (cols.lo) std::fill(d, d + cols.lo, T(0));
                    if (s == 1 && cols.lo < cols.hi) {  // contiguous: one copy (guard: no pointer past the row)
                        detail::copy_run(d + cols.lo, src + cols.lo + j - p, cols.hi - cols.lo);
                    } else {
                        for (std::size_t ow = cols.lo; ow < cols.hi; ++ow) d[ow] = src[ow * s + j - p];
                    }
                    if (cols.hi < out_w) std::fill(d + cols.hi, d + out_w, T(0));
                }
                std::fill(dst + rows.hi * out_w, dst + out_h * out_w, T(0));  // below the image
            }
        }
    }
}

/// col: [C·kh·kw, outH·outW] → im: [C, H, W], the adjoint of im2col: im is overwritten with
/// im[c, ih, iw] = Σ of col[(c, i, j), (oh, ow)] over every tap that im2col read from (c, ih, iw).
template <class T>
void col2im(const T* col, const ConvGeometry& g, T* im) {
    const std::size_t out_h = g.out_h(), out_w = g.out_w(), H = g.height, W = g.width, s = g.stride, p = g.padding;
    if constexpr (std::is_same_v<T, float>) {
        if (s == 1 && p == 0) {  // gathered per output row, a vector at a time (body/im2col.inl): the same sums
            kernels::im2col().col2im_unpadded(col, g, im);
            return;
        }
    }
    if (s == 1 && p > 0 && detail::pad_first_pays(g)) {  // fold into the padded image (fast path), then crop
        const ConvGeometry pg = detail::padded_geometry(g);
        T* padded = detail::thread_scratch<detail::PaddedImage, T>(pg.channels * pg.height * pg.width);
        col2im(col, pg, padded);
        detail::crop_image(padded, g, im);
        return;
    }
    std::fill(im, im + g.channels * H * W, T(0));
    if (s == 1 && p == 0) {  // the mirror of im2col's fast path: contiguous runs, no bounds
        for (std::size_t c = 0; c < g.channels; ++c)
            for (std::size_t i = 0; i < g.kernel_h; ++i)
                for (std::size_t j = 0; j < g.kernel_w; ++j) {
                    T* dst = im + (c * H + i) * W + j;
                    const T* src = col + ((c * g.kernel_h + i) * g.kernel_w + j) * out_h * out_w;
                    for (std::size_t oh = 0; oh < out_h; ++oh) detail::add_run(dst + oh * W, src + oh * out_w, out_w);
                }
        return;
    }
    for (std::size_t c = 0; c < g.channels; ++c) {
        T* plane = im + c * H * W;
        for (std::size_t i = 0; i < g.kernel_h; ++i) {
            const auto rows = detail::valid_outputs(i, H, out_h, s, p);
            for (std::size_t j = 0; j < g.kernel_w; ++j) {
                const auto cols = detail::valid_outputs(j, W, out_w, s, p);
                const T* src = col + ((c * g.kernel_h + i) * g.kernel_w + j) * out_h * out_w;
                for (std::size_t oh = rows.lo; oh < rows.hi; ++oh) {
                    const T* sv = src + oh * out_w;
                    T* d = plane + (oh * s + i - p) * W;  // image row ih = oh·s − p + i
                    if (s == 1) {  // contiguous: one vectorised run 
                        if (cols.lo < cols.hi) detail::add_run(d + cols.lo + j - p, sv + cols.lo, cols.hi - cols.lo);
                    } else {
                        for (std::size_t ow = cols.lo; ow < cols.hi; ++ow) d[ow * s + j - p] += sv[ow];
                    }
                }
            }
        }
    }
}

}  // namespace minitorch
