// minitorch/kernels/dropout_mask.hpp — Dropout's mask: which elements survive, drawn reproducibly, and applying it.
// Used by layers/dropout.hpp. Tests: tests/test_dropout.cpp.
//
// The mask is drawn per sample (dimension 0 of the input): sample n's key is the first draw of base.stream(n) for a
// generator `base`, and element i of the sample is kept when kernels::dropout_bits(key, i), 32 counter-based random
// bits, is below round((1 − p)·2^32) — see detail::dropout_threshold for the exact probability. So the mask depends
// only on the seed and the number of masks drawn before it, never on the thread count or the vector width.
// reference::dropout_mask is the plain one-element-at-a-time version of the same rule, kept for the tests.
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

/// Sample n's key: the first draw of base.stream(n) (random.hpp), independent of every other sample's.
inline std::uint64_t dropout_key(const Generator& base, std::size_t n) noexcept {
    return base.stream(n).next_u64();
}

/// The mask kernel. keep[i] = 1 when element i is kept, 0 when dropped, for `batch` samples of `per_sample` elements
/// (see the top of this file); when x is not null, also y[i] = x[i]·keep[i]·scale, in the same pass. Samples are
/// split over threads with parallel_for. float: kernels::dropout().draw_and_apply per sample (the bits, the compare
/// and the multiply at the ISA's width); double: the plain loop. All pointers address `batch·per_sample` values.
/// The mask is kept as bytes, not as T scale factors: the backward pass reads a quarter of the memory (float), and a
/// training step of the MNIST net holds 12 MB less.
template <class T>
void dropout_fill(const T* x, T* y, std::uint8_t* keep, std::size_t batch, std::size_t per_sample, double p,
                  const Generator& base) {
    const std::uint64_t threshold = dropout_threshold(p);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    if (threshold > 0xFFFFFFFFull) {  // every 32-bit value is below 2^32: keep all, no bits needed
        std::fill(keep, keep + batch * per_sample, std::uint8_t{1});
        if (x) apply_keep(x, keep, scale, y, batch * per_sample);  // x·1·scale: the bits of x·scale
        return;
    }
    const auto thr = static_cast<std::uint32_t>(threshold);
    parallel_for(batch, [&](std::size_t begin, std::size_t end, std::size_t) {
        for (std::size_t n = begin; n < end; ++n) {
            const std::uint64_t key = dropout_key(base, n);
            const std::size_t at = n * per_sample;
            if constexpr (std::is_same_v<T, float>) {
                kernels::dropout().draw_and_apply(key, thr, keep + at, x ? x + at : nullptr, scale,
                                                  x ? y + at : nullptr, per_sample);
            } else {
                for (std::size_t i = 0; i < per_sample; ++i) keep[at + i] = kernels::dropout_bits(key, i) < thr ? 1 : 0;
                if (x) apply_keep(x + at, keep + at, scale, y + at, per_sample);
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
/// (scale 1/(1 − p)) when kernels::dropout_bits(detail::dropout_key(base, n), i) is below
/// detail::dropout_threshold(p), else 0. The fast kernel must give the same mask bit for bit.
template <class T>
void dropout_mask(Tensor<T>& mask, double p, const Generator& base) {
    detail::check_dropout_p(p, "reference::dropout_mask");
    const std::uint64_t threshold = detail::dropout_threshold(p);
    const T scale = static_cast<T>(1.0 / (1.0 - p));
    const std::size_t batch = detail::dropout_batch(mask.shape());
    const std::size_t per_sample = batch ? mask.size() / batch : 0;
    for (std::size_t n = 0; n < batch; ++n) {
        const std::uint64_t key = detail::dropout_key(base, n);
        for (std::size_t i = 0; i < per_sample; ++i)
            mask[n * per_sample + i] = kernels::dropout_bits(key, i) < threshold ? scale : T(0);
    }
}

}  // namespace reference

}  // namespace minitorch
