// minitorch/kernels/dropout.hpp — the float kernel of Dropout (layers/dropout.hpp): a byte mask applied with the
// scale, out = (in · keep) · scale. Written once over the SIMD trait V in body/dropout.inl, compiled per ISA.
// Derivation: docs/layers/dropout.md. Tests: tests/test_dropout.cpp (every ISA against the scalar one, bit for bit).
//
// Same bits on every ISA: each element is two IEEE multiplies in this order, in · float(keep) (exact: keep is 0 or 1)
// then · scale; the elements that do not fill a vector go through the same two multiplies one at a time. So a kept
// element is in·scale rounded once and a dropped one ±0 (NaN for an infinite or NaN in), what multiplying by a float
// mask holding scale or 0 gives.
#pragma once

#include "minitorch/kernels/isa.hpp"
#include "minitorch/kernels/simd/select.hpp"

#include <cstddef>
#include <cstdint>

namespace minitorch::kernels {

/// The dropout kernels of one ISA (body/dropout.inl).
struct DropoutKernels {
    Isa isa;
    /// out[i] = (in[i] · keep[i]) · scale for i < n; keep[i] is 0 or 1. out may be in (same pointer), not overlap it
    /// otherwise.
    void (*apply)(const float* in, const std::uint8_t* keep, float scale, float* out, std::size_t n) noexcept;
    /// The mask from the draws, keep[i] = draws[i] < threshold ? 1 : 0 for i < n, then (when in is not null) apply on
    /// those n elements. A plain loop the compiler vectorises for each ISA: integer compares, the same bits anywhere.
    void (*keep_and_apply)(const std::uint32_t* draws, std::uint32_t threshold, std::uint8_t* keep, const float* in,
                           float scale, float* out, std::size_t n) noexcept;
};

}  // namespace minitorch::kernels

#define MINITORCH_KERNEL_BODY "minitorch/kernels/body/dropout.inl"
#include "minitorch/kernels/simd/for_each_isa.hpp"

namespace minitorch::kernels {

/// The dropout kernels of `isa` (which this build must contain). Tests run every supported ISA this way.
inline const DropoutKernels& dropout_for(Isa isa) { return MINITORCH_SELECT_FOR_ISA(isa, dropout_kernels); }

/// Those of active_isa(), looked up once.
inline const DropoutKernels& dropout() {
    static const DropoutKernels& k = dropout_for(active_isa());
    return k;
}

}  // namespace minitorch::kernels
