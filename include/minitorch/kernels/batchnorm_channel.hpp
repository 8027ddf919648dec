// minitorch/kernels/batchnorm_channel.hpp — BatchNorm's numerical devices, one channel at a time, for any scalar
// type and layout: what layers/batchnorm.hpp calls, so that the layer reads as its equations.
// Derivation: docs/layers/batchnorm.md. Tests: tests/test_batchnorm.cpp.
//
// Per channel c of x [N, C, …] (its n values, as ChannelRuns addresses them):
//   channel_shifted_sums     s1 = Σ (x − K), s2 = Σ (x − K)², K = the channel's first value, in double: the
//                            statistics without the cancellation of Σx² − n·μ² when the mean is large against the
//                            spread (σ² = (s2 − s1²/n)/n)
//   SplitMean                μ as two T values hi + lo: x − hi is exact for x near μ, lo carries the rest (rounding μ
//                            to float would shift x̂ by up to ½ulp(μ)·inv_std: 3e-3 for μ = 1000, σ = 0.01)
//   channel_normalize        x̂ = ((x − μ.hi) − μ.lo)·inv_std, y = fma(x̂, γ, β)
//   channel_normalize_eval   y = fma(x − mean, scale, shift)
//   channel_grad_sums        Σ dy and Σ dy·x̂ (x̂ recomputed from x, bit for bit the forward's), in double
//   channel_input_grad       dx = k·fma(x̂, −b, dy − a)
// Every reduction is in a fixed order — batchnorm_sum_lanes partial sums per run, lane k taking the elements
// i ≡ k (mod lanes), added in lane order at the end of each run — so the numbers depend neither on the thread count
// nor on the ISA. Contiguous float runs go through the kernels of the ISA in use (kernels/batchnorm.hpp); strided
// runs ([N, C] inputs) and double run the plain loops below, the same formulas element by element (every
// multiply-add an std::fma, as in the kernels).
#pragma once

#include "minitorch/kernels/batchnorm.hpp"

#include <cmath>
#include <cstddef>
#include <type_traits>

namespace minitorch::kernels {

/// Where channel c's values lie in a contiguous [N, C, S] tensor (S = the product of the spatial extents):
/// `runs` runs of `len` values; run r starts at flat index c·channel_step + r·run_step, its values `inner` apart.
/// For S > 1 these are the N contiguous rows x[n, c, :]; for S = 1 ([N, C]) one strided run x[:, c].
struct ChannelRuns {
    std::size_t runs, len, run_step, inner, channel_step;
    static ChannelRuns of(std::size_t batch, std::size_t channels, std::size_t spatial) {
        if (spatial == 1) return {1, batch, 0, channels, 1};
        return {batch, spatial, channels * spatial, 1, spatial};
    }
    std::size_t start(std::size_t c, std::size_t r) const { return c * channel_step + r * run_step; }
    std::size_t count() const { return runs * len; }  ///< n, the channel's number of values
};

/// The batch mean μ = hi + lo, both T (see the top of this file).
template <class T>
struct SplitMean {
    T hi, lo;
    static SplitMean of(double mean) {
        const T hi = static_cast<T>(mean);
        return {hi, static_cast<T>(mean - static_cast<double>(hi))};
    }
};

namespace channel_detail {

template <class T>
constexpr bool contiguous_float(const ChannelRuns& r) {
    return std::is_same_v<T, float> && r.inner == 1;
}
inline Runs kernel_runs(const ChannelRuns& r, std::size_t r_begin, std::size_t r_end) {
    return {r_end - r_begin, r.len, r.run_step};
}
constexpr std::size_t lanes = batchnorm_sum_lanes;

/// x̂ recomputed from x: ((x − hi) − lo)·is in T, the forward's expression, so the same bits as the x̂ it wrote.
template <class T>
T xhat(T x, SplitMean<T> mu, T is) {
    return ((x - mu.hi) - mu.lo) * is;
}

}  // namespace channel_detail

/// The definitions, element by element: what the dispatchers below run for strided runs and double, and what the
/// tests compare the kernels of every ISA against on contiguous float runs.
namespace plain {

template <class T>
void shifted_sums(const T* x, const ChannelRuns& r, std::size_t c, double shift, double& s1, double& s2) {
    for (std::size_t run = 0; run < r.runs; ++run) {
        const T* p = x + r.start(c, run);
        double a1[channel_detail::lanes] = {}, a2[channel_detail::lanes] = {};
        for (std::size_t i = 0; i < r.len; ++i) {
            const double d = static_cast<double>(p[i * r.inner]) - shift;
            a1[i % channel_detail::lanes] += d;
            a2[i % channel_detail::lanes] = std::fma(d, d, a2[i % channel_detail::lanes]);
        }
        for (std::size_t k = 0; k < channel_detail::lanes; ++k) {
            s1 += a1[k];
            s2 += a2[k];
        }
    }
}

template <class T>
void normalize(const T* x, const ChannelRuns& r, std::size_t c, SplitMean<T> mu, T is, T g, T b, T* xhat, T* y) {
    for (std::size_t run = 0; run < r.runs; ++run)
        for (std::size_t i = 0, at = r.start(c, run); i < r.len; ++i, at += r.inner) {
            const T v = channel_detail::xhat(x[at], mu, is);
            if (xhat) xhat[at] = v;
            if (y) y[at] = std::fma(v, g, b);
        }
}

template <class T>
void normalize_eval(const T* x, const ChannelRuns& r, std::size_t c, std::size_t r_begin, std::size_t r_end, T mean,
                    T scale, T shift, T* y) {
    for (std::size_t run = r_begin; run < r_end; ++run)
        for (std::size_t i = 0, at = r.start(c, run); i < r.len; ++i, at += r.inner)
            y[at] = std::fma(x[at] - mean, scale, shift);
}

template <class T>
void grad_sums(const T* dy, const T* x, const ChannelRuns& r, std::size_t c, SplitMean<T> mu, T is, double& s_dy,
               double& s_dy_xhat) {
    for (std::size_t run = 0; run < r.runs; ++run) {
        double l1[channel_detail::lanes] = {}, l2[channel_detail::lanes] = {};
        for (std::size_t i = 0, at = r.start(c, run); i < r.len; ++i, at += r.inner) {
            const double u = static_cast<double>(dy[at]);
            l1[i % channel_detail::lanes] += u;
            l2[i % channel_detail::lanes] =
                std::fma(u, static_cast<double>(channel_detail::xhat(x[at], mu, is)), l2[i % channel_detail::lanes]);
        }
        for (std::size_t k = 0; k < channel_detail::lanes; ++k) {
            s_dy += l1[k];
            s_dy_xhat += l2[k];
        }
    }
}

template <class T>
void input_grad(const T* dy, const T* x, const ChannelRuns& r, std::size_t c, SplitMean<T> mu, T is, T k, T a, T b,
                T* dx) {
    for (std::size_t run = 0; run < r.runs; ++run)
        for (std::size_t i = 0, at = r.start(c, run); i < r.len; ++i, at += r.inner)
            dx[at] = k * std::fma(channel_detail::xhat(x[at], mu, is), -b, dy[at] - a);
}

}  // namespace plain

/// s1 += Σ (x − shift), s2 += Σ (x − shift)² over channel c of x, in double (each square fused into its sum).
template <class T>
void channel_shifted_sums(const T* x, const ChannelRuns& r, std::size_t c, double shift, double& s1, double& s2) {
    if constexpr (std::is_same_v<T, float>)
        if (channel_detail::contiguous_float<T>(r))
            return batchnorm().shifted_sums(x + r.start(c, 0), channel_detail::kernel_runs(r, 0, r.runs), shift, s1,
                                            s2);
    plain::shifted_sums(x, r, c, shift, s1, s2);
}

/// Training forward over channel c: xhat = x̂ (unless xhat is null), y = fma(x̂, g, b) (unless y is null).
template <class T>
void channel_normalize(const T* x, const ChannelRuns& r, std::size_t c, SplitMean<T> mu, T is, T g, T b, T* xhat,
                       T* y) {
    if constexpr (std::is_same_v<T, float>)
        if (channel_detail::contiguous_float<T>(r)) {
            const std::size_t at = r.start(c, 0);
            return batchnorm().normalize(x + at, {mu.hi, mu.lo, is}, g, b, channel_detail::kernel_runs(r, 0, r.runs),
                                         xhat ? xhat + at : nullptr, y ? y + at : nullptr);
        }
    plain::normalize(x, r, c, mu, is, g, b, xhat, y);
}

/// Eval forward over runs [r_begin, r_end) of channel c: y = fma(x − mean, scale, shift). (x − mean)·scale + shift
/// rather than x·scale + (shift − mean·scale): the subtraction of two T values is exact for x near the mean, where
/// the folded form cancels (PyTorch folds).
template <class T>
void channel_normalize_eval(const T* x, const ChannelRuns& r, std::size_t c, std::size_t r_begin, std::size_t r_end,
                            T mean, T scale, T shift, T* y) {
    if constexpr (std::is_same_v<T, float>)
        if (channel_detail::contiguous_float<T>(r)) {
            const std::size_t at = r.start(c, r_begin);
            return batchnorm().normalize_eval(x + at, mean, scale, shift,
                                              channel_detail::kernel_runs(r, r_begin, r_end), y + at);
        }
    plain::normalize_eval(x, r, c, r_begin, r_end, mean, scale, shift, y);
}

/// s_dy += Σ dy, s_dy_xhat += Σ dy·x̂ over channel c, x̂ recomputed from x, in double (each product fused).
template <class T>
void channel_grad_sums(const T* dy, const T* x, const ChannelRuns& r, std::size_t c, SplitMean<T> mu, T is,
                       double& s_dy, double& s_dy_xhat) {
    if constexpr (std::is_same_v<T, float>)
        if (channel_detail::contiguous_float<T>(r)) {
            const std::size_t at = r.start(c, 0);
            return batchnorm().dot_sums_of_x(dy + at, x + at, {mu.hi, mu.lo, is},
                                             channel_detail::kernel_runs(r, 0, r.runs), s_dy, s_dy_xhat);
        }
    plain::grad_sums(dy, x, r, c, mu, is, s_dy, s_dy_xhat);
}

/// Backward over channel c: dx = k·fma(x̂, −b, dy − a), x̂ recomputed from x.
template <class T>
void channel_input_grad(const T* dy, const T* x, const ChannelRuns& r, std::size_t c, SplitMean<T> mu, T is, T k, T a,
                        T b, T* dx) {
    if constexpr (std::is_same_v<T, float>)
        if (channel_detail::contiguous_float<T>(r)) {
            const std::size_t at = r.start(c, 0);
            return batchnorm().input_grad_of_x(dy + at, x + at, {mu.hi, mu.lo, is}, k, a, b,
                                               channel_detail::kernel_runs(r, 0, r.runs), dx + at);
        }
    plain::input_grad(dy, x, r, c, mu, is, k, a, b, dx);
}

}  // namespace minitorch::kernels
