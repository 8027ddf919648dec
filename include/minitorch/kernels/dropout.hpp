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

/// lowbias32 (Chris Wellons' hash-prospector): a bijective 32-bit mix, two multiplies and three xor-shifts, whose
/// output bits each flip with probability ≈ ½ when one input bit flips.
constexpr std::uint32_t mix32(std::uint32_t x) noexcept {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/// The 32 random bits of element i of a sample whose key is `key` (counter-based: any element can be computed on
/// its own, so a vector of lanes computes 8 or 16 at once and no generator state is carried from one to the next):
///   bits(key, i) = mix32(mix32(lo(i) + lo(key)) ^ hi(key) ^ (hi(i)·0x9E3779B9)).
/// For a fixed key, i ↦ bits is a bijection on each 2^32 block of counters, so no two elements of a sample below
/// 2^32 elements get the same bits; different keys give unrelated sequences (the outer mix sees hi(key)).
/// Integer operations only: the same bits on every ISA and compiler.
constexpr std::uint32_t dropout_bits(std::uint64_t key, std::uint64_t i) noexcept {
    const auto salt = static_cast<std::uint32_t>(key >> 32) ^ (static_cast<std::uint32_t>(i >> 32) * 0x9E3779B9U);
    return mix32(mix32(static_cast<std::uint32_t>(i) + static_cast<std::uint32_t>(key)) ^ salt);
}

/// The dropout kernels of one ISA (body/dropout.inl).
struct DropoutKernels {
    Isa isa;
    /// out[i] = (in[i] · keep[i]) · scale for i < n; keep[i] is 0 or 1. out may be in (same pointer), not overlap it
    /// otherwise.
    void (*apply)(const float* in, const std::uint8_t* keep, float scale, float* out, std::size_t n) noexcept;
    /// One sample's mask and output in one pass: keep[i] = dropout_bits(key, i) < threshold ? 1 : 0 for i < n, and
    /// (when in is not null) out[i] = (in[i] · keep[i]) · scale, a block of 256 elements at a time while its mask
    /// bytes are in cache. The bits are a plain integer loop the compiler vectorises for each ISA (32-bit multiplies,
    /// shifts, xors, an unsigned compare): the same mask anywhere.
    void (*draw_and_apply)(std::uint64_t key, std::uint32_t threshold, std::uint8_t* keep, const float* in, float scale,
                           float* out, std::size_t n) noexcept;
};

}  // namespace minitorch::kernels

MINITORCH_DECLARE_KERNEL_TABLES(DropoutKernels, dropout_kernels)
#if !defined(MINITORCH_COMPILED_LIB) || defined(MINITORCH_COMPILING_DROPOUT_KERNELS)
#define MINITORCH_KERNEL_BODY "minitorch/kernels/body/dropout.inl"
#include "minitorch/kernels/simd/for_each_isa.hpp"
#endif

namespace minitorch::kernels {

/// The dropout kernels of `isa` (which this build must contain). Tests run every supported ISA this way.
inline const DropoutKernels& dropout_for(Isa isa) { return MINITORCH_SELECT_FOR_ISA(isa, dropout_kernels); }

/// Those of active_isa(), looked up once.
inline const DropoutKernels& dropout() {
    static const DropoutKernels& k = dropout_for(active_isa());
    return k;
}

}  // namespace minitorch::kernels
