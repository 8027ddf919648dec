// minitorch/kernels/dropout_mask.hpp — Dropout's mask: which elements survive, drawn reproducibly, and applying it.
// Used by layers/dropout.hpp. Tests: tests/test_dropout.cpp.
//
// The mask is drawn per sample (dimension 0 of the input): sample n uses the stream base.stream(n) of a generator
// `base`, so the mask depends only on the seed and the number of masks drawn before it, never on the thread count.
// One 64-bit draw decides two elements (its low and high 32-bit halves, in that order), each kept when its half is
// below round((1 − p)·2^32) — see detail::dropout_threshold for the exact probability. reference::dropout_mask is the
// plain one-element-at-a-time version of the same rule, kept for the tests.
#pragma once

#include "minitorch/kernels/dropout.hpp"
#include "minitorch/kernels/parallel.hpp"
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

namespace detail {

/// Refuses p outside [0, 1). p = 1 would zero everything and its scale 1/(1 − p) divides by zero, so it is refused
/// rather than special-cased (PyTorch returns zeros there; to drop everything, multiply by zero instead).
inline void check_dropout_p(double p, const std::string& who) {
    if (!(p >= 0.0 && p < 1.0)) {
        std::ostringstream s;
        s << who << ": p must be in [0, 1), got " << p;
        if (p == 1.0) s << " (p = 1 zeroes every element and the 1/(1 - p) scaling divides by zero)";
        throw std::invalid_argument(s.str());
    }
}

/// The keep threshold on a 32-bit chunk u of random bits: keep when u < threshold = round((1 − p)·2^32).
/// The probability resolution is therefore 2^-32: an element is kept with probability threshold/2^32, which is
/// within 2^-33 (about 1.2e-10) of 1 − p. threshold is 2^32 (keep all) for p below 2^-33, e.g. p = 0.
inline std::uint64_t dropout_threshold(double p) {
    return static_cast<std::uint64_t>(std::llround((1.0 - p) * 4294967296.0));
}

/// Batch size and per-sample size of a tensor shape for dropout: samples along dimension 0 (rank 0: one sample).
inline std::size_t dropout_batch(const Shape& s) {
    return s.empty() ? 1 : s[0];
}

/// out[i] = in[i]·keep[i]·scale: (in·1)·scale = in·scale for a kept element, (in·0)·scale = 0 for a dropped one — the
/// same bits as multiplying by a T mask holding scale or 0. float: the kernel of the ISA in use
/// (kernels/dropout.hpp, the same two multiplies a vector at a time); double: the plain loop.
template <class T>
void apply_keep(const T* in, const std::uint8_t* keep, T scale, T* out, std::size_t n) {
    if constexpr (std::is_same_v<T, float>) {
        kernels::dropout().apply(in, keep, scale, out, n);
    } else {
        for (std::size_t i = 0; i < n; ++i) out[i] = in[i] * static_cast<T>(keep[i]) * scale;
    }
}

/// apply_keep split over the threads (elementwise: any split gives the same bits).
template <class T>
void apply_keep_parallel(const T* in, const std::uint8_t* keep, T scale, T* out, std::size_t n) {
    parallel_for(
        n, [&](std::size_t b, std::size_t e, std::size_t) { apply_keep(in + b, keep + b, scale, out + b, e - b); });
}

/// The mask kernel. keep[i] = 1 when element i is kept, 0 when dropped, for `batch` samples of `per_sample` elements
/// (sample n from base.stream(n), see the top of this file); when x is not null, also y[i] = x[i]·keep[i]·scale.
/// Samples are split over threads with parallel_for. Within a sample, blocks of 256 elements: 128 draws are split
/// into 256 32-bit chunks first, then one branch-free, vectorisable loop compares and writes the block's bytes, and
/// apply_keep computes its y while they are in cache. All pointers address `batch·per_sample` values.
/// The mask is kept as bytes, not as T scale factors: the backward pass reads a quarter of the memory (float), and a
/// training step of the MNIST net holds 12 MB less.
template <class T>
void dropout_fill(const T* x, T* y, std::uint8_t* keep, std::size_t batch, std::size_t per_sample, double p,
                  const Generator& base) {
    const std::uint64_t threshold = dropout_threshold(p);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    if (threshold > 0xFFFFFFFFull) {  // every chunk is below 2^32: keep all, no draws needed
        std::fill(keep, keep + batch * per_sample, std::uint8_t{1});
        if (x) apply_keep(x, keep, scale, y, batch * per_sample);  // x·1·scale: the bits of x·scale
        return;
    }
    parallel_for(batch, [&](std::size_t begin, std::size_t end, std::size_t) {
        // Local copies: captured by reference they would be reloaded after every store, which blocks vectorising.
        const auto thr = static_cast<std::uint32_t>(threshold);
        const T s = scale;
        constexpr std::size_t block = 256;  // even, so every block starts on a fresh draw
        std::uint32_t chunk[block];
        for (std::size_t n = begin; n < end; ++n) {
            Generator g = base.stream(n);
            for (std::size_t start = 0; start < per_sample; start += block) {
                const std::size_t len = std::min(block, per_sample - start);
                for (std::size_t d = 0; 2 * d < len; ++d) {
                    const std::uint64_t u = g.next_u64();
                    chunk[2 * d] = static_cast<std::uint32_t>(u);
                    chunk[2 * d + 1] = static_cast<std::uint32_t>(u >> 32);
                }
                const std::size_t at = n * per_sample + start;
                std::uint8_t* k = keep + at;
                if constexpr (std::is_same_v<T, float>) {  // the compare at the width of the ISA in use
                    kernels::dropout().keep_and_apply(chunk, thr, k, x ? x + at : nullptr, s, x ? y + at : nullptr,
                                                      len);
                } else {
                    for (std::size_t j = 0; j < len; ++j) k[j] = chunk[j] < thr ? 1 : 0;
                    if (x) apply_keep(x + at, k, s, y + at, len);
                }
            }
        }
    });
}

}  // namespace detail

/// The dropout mask (scale factors 1/(1 − p) or 0) for a tensor of mask's current shape, drawn from `base`'s
/// streams as the Dropout layer draws it (fast kernel, parallel over samples). Does not advance `base`.
template <class T>
void dropout_mask(Tensor<T>& mask, double p, const Generator& base) {
    detail::check_dropout_p(p, "dropout_mask");
    const std::size_t batch = detail::dropout_batch(mask.shape());
    const std::size_t per_sample = batch ? mask.size() / batch : 0;
    std::vector<std::uint8_t> keep(mask.size());
    detail::dropout_fill<T>(nullptr, nullptr, keep.data(), batch, per_sample, p, base);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    for (std::size_t i = 0; i < keep.size(); ++i) mask[i] = keep[i] ? scale : T(0);
}

namespace reference {

/// The dropout mask the plain way, one element at a time on one thread, for tests: element i of sample n is kept
/// (scale 1/(1 − p)) when its 32-bit chunk — the low half of draw i/2 of base.stream(n) for even i, the high half
/// for odd i — is below detail::dropout_threshold(p), else 0. The fast kernel must give the same mask bit for bit.
template <class T>
void dropout_mask(Tensor<T>& mask, double p, const Generator& base) {
    detail::check_dropout_p(p, "reference::dropout_mask");
    const std::uint64_t threshold = detail::dropout_threshold(p);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    const std::size_t batch = detail::dropout_batch(mask.shape());
    const std::size_t per_sample = batch ? mask.size() / batch : 0;
    for (std::size_t n = 0; n < batch; ++n) {
        Generator g = base.stream(n);
        std::uint64_t draw = 0;
        for (std::size_t i = 0; i < per_sample; ++i) {
            if (i % 2 == 0) draw = g.next_u64();
            const std::uint64_t chunk = i % 2 == 0 ? (draw & 0xFFFFFFFFull) : (draw >> 32);
            mask[n * per_sample + i] = chunk < threshold ? scale : T(0);
        }
    }
}

}  // namespace reference

}  // namespace minitorch
