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

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <stdexcept>
#include <string>

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

/// d[0, n) = s[0, n). Rows of col are short (outW: 6–26 here), so a call to memmove per row (what std::copy
/// becomes) costs more than the copy; with AVX-512 a row is one or two (masked) vector moves.
template <class T>
inline void copy_run(T* d, const T* s, std::size_t n) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + i));
        if (i < n) {
            const auto m = static_cast<__mmask16>((1u << (n - i)) - 1);
            _mm512_mask_storeu_ps(d + i, m, _mm512_maskz_loadu_ps(m, s + i));
        }
        return;
    }
#endif
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
}

/// copy_run that copies n rounded up to a multiple of 16 values (with AVX-512; exactly n otherwise): the caller
/// guarantees that both ranges extend that far and that the extra values of d may be overwritten.
template <class T>
inline void copy_run_over(T* d, const T* s, std::size_t n) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
        for (std::size_t i = 0; i < n; i += 16) _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + i));
        return;
    }
#endif
    copy_run(d, s, n);
}

/// d[0, n) += s[0, n), the contiguous (stride 1) case of col2im, vectorised like copy_run.
template <class T>
inline void add_run(T* d, const T* s, std::size_t n) noexcept {
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
        std::size_t i = 0;
        for (; i + 16 <= n; i += 16)
            _mm512_storeu_ps(d + i, _mm512_add_ps(_mm512_loadu_ps(d + i), _mm512_loadu_ps(s + i)));
        if (i < n) {
            const auto m = static_cast<__mmask16>((1u << (n - i)) - 1);
            _mm512_mask_storeu_ps(d + i, m,
                                  _mm512_add_ps(_mm512_maskz_loadu_ps(m, d + i), _mm512_maskz_loadu_ps(m, s + i)));
        }
        return;
    }
#endif
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

/// Scratch space of at least n values of T for the calling thread (Conv2d runs images on several threads), grown when
/// needed and kept. One buffer per Purpose (a tag type below), so buffers in use at the same time never share memory.
template <class Purpose, class T>
T* thread_scratch(std::size_t n) {
    thread_local std::vector<T> buffer;
    if (buffer.size() < n) buffer.resize(n);
    return buffer.data();
}
struct PaddedImage;  // thread_scratch purposes: the zero-padded image (im2col, col2im, conv_forward_implicit) …
struct TapOffsets;   // … conv_forward_implicit's table of tap offsets and its wide product …
struct WideProduct;
struct InferCol;     // … and the col of Conv2d::infer_into

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

#if defined(__AVX512F__)
/// col2im for stride 1 without padding, gathered per output row: im[c, ih, x0 : x0 + 16] is the sum over the taps
/// (i, j) of col row (c, i, j) at oh = ih − i, shifted right by j, accumulated in a register and stored once. The
/// scatter form (add each col row into im) makes neighbouring taps read back the overlapping, just-stored vectors
/// of im, a store-to-load forwarding stall each time; here im is only written. Same sums in the same tap order
/// ((i, j) ascending) as the scatter form, so the result is bit-identical to it.
inline void col2im_rows_avx512(const float* col, const ConvGeometry& g, float* im) {
    const std::size_t out_h = g.out_h(), out_w = g.out_w(), H = g.height, W = g.width, L = out_h * out_w;
    const std::size_t kh = g.kernel_h, kw = g.kernel_w;
    for (std::size_t c = 0; c < g.channels; ++c)
        for (std::size_t ih = 0; ih < H; ++ih) {
            float* out = im + (c * H + ih) * W;
            for (std::size_t x0 = 0; x0 < W; x0 += 16) {
                const std::size_t width = std::min<std::size_t>(16, W - x0);
                __m512 acc = _mm512_setzero_ps();
                for (std::size_t i = 0; i < kh; ++i) {
                    if (ih < i || ih - i >= out_h) continue;  // no output row oh = ih − i
                    const std::size_t oh = ih - i;
                    for (std::size_t j = 0; j < kw; ++j) {
                        // lanes iw ∈ [x0, x0 + width) take src[iw − j] where 0 ≤ iw − j < out_w
                        const std::size_t lo = std::max(x0, j), hi = std::min(x0 + width, j + out_w);
                        if (lo >= hi) continue;
                        const float* src = col + ((c * kh + i) * kw + j) * L + oh * out_w;  // row oh of tap (c, i, j)
                        const auto mask = static_cast<__mmask16>(((1u << (hi - lo)) - 1) << (lo - x0));
                        // lane l reads src[x0 + l − j]; the address of lane 0 may lie before src (masked lanes are
                        // never read), so it is formed as an integer, not as out-of-range pointer arithmetic.
                        const auto base = reinterpret_cast<std::uintptr_t>(src + (lo - j)) - (lo - x0) * sizeof(float);
                        acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mask, reinterpret_cast<const float*>(base)));
                    }
                }
                _mm512_mask_storeu_ps(out + x0, static_cast<__mmask16>((1u << width) - 1), acc);
            }
        }
}
#endif

}  // namespace detail

/// im: [C, H, W] (row-major, contiguous) → col: [C·kh·kw, outH·outW]. col is overwritten.
template <class T>
void im2col(const T* im, const ConvGeometry& g, T* col) {
    const std::size_t out_h = g.out_h(), out_w = g.out_w(), H = g.height, W = g.width, s = g.stride, p = g.padding;
    if (s == 1 && p == 0) {  // the common case (every unpadded conv of the MNIST net): every tap is inside the image,
                             // so each output row of each (c, i, j) is one contiguous run; no bounds, no zero fills
        // A run of out_w values is copied as whole 16-lane vectors (copy_run_over) when that stays inside both
        // buffers: the extra lanes read pixels that follow in the image and write the start of the next run of col,
        // which the loop writes later (dst offsets only grow), so they are overwritten. Masked stores, the
        // alternative for the last partial vector, cost several times a plain store on AMD's AVX-512 cores.
        const std::size_t image = g.channels * H * W, col_size = g.col_rows() * out_h * out_w;
        const std::size_t whole = (out_w + 15) / 16 * 16;  // out_w rounded up to whole vectors
        for (std::size_t c = 0; c < g.channels; ++c)
            for (std::size_t i = 0; i < g.kernel_h; ++i)
                for (std::size_t j = 0; j < g.kernel_w; ++j) {
                    const std::size_t src0 = (c * H + i) * W + j;
                    const std::size_t dst0 = ((c * g.kernel_h + i) * g.kernel_w + j) * out_h * out_w;
                    for (std::size_t oh = 0; oh < out_h; ++oh) {
                        const std::size_t s_at = src0 + oh * W, d_at = dst0 + oh * out_w;
                        if (s_at + whole <= image && d_at + whole <= col_size)
                            detail::copy_run_over(col + d_at, im + s_at, out_w);
                        else
                            detail::copy_run(col + d_at, im + s_at, out_w);
                    }
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
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<T, float>) {
        if (s == 1 && p == 0) {
            detail::col2im_rows_avx512(col, g, im);
            return;
        }
    }
#endif
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
