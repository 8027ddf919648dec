// minitorch/kernels/batchnorm.hpp — the float kernels of BatchNorm1d/2d (layers/batchnorm.hpp) on contiguous runs:
// the two per-channel reductions, in double, and the elementwise passes of the forward (training and eval) and of the
// backward. Written once over the SIMD trait V in body/batchnorm.inl, compiled per ISA. Derivation:
// docs/layers/batchnorm.md. Tests: tests/test_batchnorm.cpp (every ISA against the scalar one, bit for bit).
//
// A channel of a contiguous [N, C, S] tensor (S > 1) is `count` runs of `len` floats, run r at p + r·step (step =
// C·S): each kernel takes the channel's first value and a Runs. Per element, with x̂ in float:
//
//   x̂        = ((x − mu_hi) − mu_lo) · inv_std                        (μ = mu_hi + mu_lo, split in two floats)
//   y        = fma(x̂, γ, β)                     training forward     (γ·x̂ + β, rounded once)
//   y        = fma(x − mean, scale, shift)     eval forward         ((x − mean)·scale + shift, rounded once)
//   dx       = k · fma(x̂, −b, dy − a)          backward             (k·((dy − a) − x̂·b), the inner part rounded once)
//
// and per channel, in double (u = double(x) − shift, w = double(dy)):
//
//   s1 += Σ u,  s2 += Σ u²   (shifted_sums)        s_dy += Σ w,  s_dy_xhat += Σ w·double(x̂)   (dot_sums_of_x)
//
// each square or product fused into its sum (u² + acc rounded once). Same bits on every ISA: a reduction keeps
// batchnorm_sum_lanes = 8 partial sums per run — lane k takes the run's elements i ≡ k (mod 8) in order, starting
// from 0 — whatever the vector width (AVX-512: one 8-double vector per sum; AVX2: two of 4; NEON: four of 2; scalar:
// 8 doubles); at the end of each run the 8 lanes are added to s1 (s2, …) in lane order 0, 1, …, 7. The elements of a
// run that do not fill a vector go through the same formulas one at a time (simd::Scalar, std::fma).
#pragma once

#include "minitorch/kernels/isa.hpp"
#include "minitorch/kernels/simd/select.hpp"

#include <cstddef>

namespace minitorch::kernels {

/// The fixed number of partial sums of the BatchNorm reductions (see above); the layer's plain loops (strided runs,
/// double) use it too.
inline constexpr std::size_t batchnorm_sum_lanes = 8;

/// One channel's values: `count` contiguous runs of `len` floats, run r starting `r·step` floats after the first.
struct Runs {
    std::size_t count, len, step;
};

/// What x̂ = ((x − mu_hi) − mu_lo)·inv_std is recomputed from (the forward's per-channel values, in float).
struct XhatParams {
    float mu_hi, mu_lo, inv_std;
};

/// The BatchNorm kernels of one ISA (body/batchnorm.inl). Every pointer is the channel's first value in its tensor
/// (all tensors have x's shape, so `runs` addresses each of them); outputs must not overlap inputs.
struct BatchNormKernels {
    Isa isa;
    /// s1 += Σ (x − shift), s2 += Σ (x − shift)², in double (training forward, pass 1).
    void (*shifted_sums)(const float* x, Runs runs, double shift, double& s1, double& s2) noexcept;
    /// s_dy += Σ dy, s_dy_xhat += Σ dy·x̂ (backward, pass 1), x̂ recomputed from x: the bits of the x̂ that
    /// normalize writes.
    void (*dot_sums_of_x)(const float* dy, const float* x, XhatParams p, Runs runs, double& s_dy,
                          double& s_dy_xhat) noexcept;
    /// Training forward, pass 2: xhat = x̂ (when xhat is not null), y = fma(x̂, gamma, beta) (when y is not null).
    void (*normalize)(const float* x, XhatParams p, float gamma, float beta, Runs runs, float* xhat,
                      float* y) noexcept;
    /// Eval forward: y = fma(x − mean, scale, shift).
    void (*normalize_eval)(const float* x, float mean, float scale, float shift, Runs runs, float* y) noexcept;
    /// Backward, pass 2: dx = k·fma(x̂, −b, dy − a), x̂ recomputed from x.
    void (*input_grad_of_x)(const float* dy, const float* x, XhatParams p, float k, float a, float b, Runs runs,
                            float* dx) noexcept;
};

}  // namespace minitorch::kernels

MINITORCH_DECLARE_KERNEL_TABLES(BatchNormKernels, batchnorm_kernels)
#if !defined(MINITORCH_COMPILED_LIB) || defined(MINITORCH_COMPILING_BATCHNORM_KERNELS)
#define MINITORCH_KERNEL_BODY "minitorch/kernels/body/batchnorm.inl"
#include "minitorch/kernels/simd/for_each_isa.hpp"
#endif

namespace minitorch::kernels {

/// The BatchNorm kernels of `isa` (which this build must contain). Tests run every supported ISA this way.
inline const BatchNormKernels& batchnorm_for(Isa isa) { return MINITORCH_SELECT_FOR_ISA(isa, batchnorm_kernels); }

/// Those of active_isa(), looked up once.
inline const BatchNormKernels& batchnorm() {
    static const BatchNormKernels& k = batchnorm_for(active_isa());
    return k;
}

}  // namespace minitorch::kernels
