// minitorch/kernels/pool.hpp — the float kernel of MaxPool2d's 2×2, stride-2 eval path (layers/pool.hpp): the values
// of the windows' maxima without their positions. Written once over the SIMD trait V in body/pool.inl, compiled per
// ISA. Derivation: docs/layers/maxpool.md. Tests: tests/test_pool.cpp (every ISA against the scalar one, bit for bit).
//
// For each window (rows 2·oh and 2·oh + 1, columns 2·ow and 2·ow + 1 of a plane) a running maximum m starts from the
// top-left value and takes the top-right, bottom-left and bottom-right values v in that order by
//
//   m ← v   if (v > m or v is NaN) and m is not NaN,   else m unchanged,
//
// which leaves the window's first maximum in row-major order, or its first NaN — the value at the position the
// training path picks. Same bits on every ISA: each lane makes those three selections in that order; the windows of
// a row that do not fill a vector are copied into a small buffer and run through the same vector step.
#pragma once

#include "minitorch/kernels/isa.hpp"
#include "minitorch/kernels/simd/select.hpp"

#include <cstddef>

namespace minitorch::kernels {

/// The pooling kernels of one ISA (body/pool.inl).
struct PoolKernels {
    Isa isa;
    /// x: `planes` planes of H × W floats → y: planes of (H / 2) × (W / 2), each the rule above on its 2×2 window
    /// (with odd H or W the last row or column is in no window). H, W ≥ 2.
    void (*max_2x2)(const float* x, std::size_t planes, std::size_t H, std::size_t W, float* y) noexcept;
};

}  // namespace minitorch::kernels

MINITORCH_DECLARE_KERNEL_TABLES(PoolKernels, pool_kernels)
#if !defined(MINITORCH_COMPILED_LIB) || defined(MINITORCH_COMPILING_POOL_KERNELS)
#define MINITORCH_KERNEL_BODY "minitorch/kernels/body/pool.inl"
#include "minitorch/kernels/simd/for_each_isa.hpp"
#endif

namespace minitorch::kernels {

/// The pooling kernels of `isa` (which this build must contain). Tests run every supported ISA this way.
inline const PoolKernels& pool_for(Isa isa) { return MINITORCH_SELECT_FOR_ISA(isa, pool_kernels); }

/// Those of active_isa(), looked up once.
inline const PoolKernels& pool() {
    static const PoolKernels& k = pool_for(active_isa());
    return k;
}

}  // namespace minitorch::kernels
