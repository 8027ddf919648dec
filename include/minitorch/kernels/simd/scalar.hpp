// minitorch/kernels/simd/scalar.hpp — the scalar "vector": one float lane. The reference every SIMD trait must match
// bit for bit: the same operations, one lane at a time, with std::fma for every multiply-add (glibc runs it on the
// hardware FMA where there is one, in software otherwise: always the fused, singly rounded result).
//
// Every trait (scalar.hpp, avx2.hpp, avx512.hpp, neon.hpp) provides the same members; docs/adding-a-kernel-or-isa.md
// lists them. The kernel bodies (kernels/body/*.inl) are written once against them.
#pragma once

#include "minitorch/kernels/isa.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace minitorch::simd {

struct Scalar {
    static constexpr Isa isa = Isa::scalar;
    // ---- float ----
    using F = float;
    using Mask = bool;
    static constexpr std::size_t lanes = 1;
    // Register tiles of the GEMM: gemm_rows rows of C × gemm_vectors vectors of columns.
    static constexpr std::size_t gemm_rows = 4, gemm_vectors = 4;

    static F zero() noexcept { return 0.f; }
    static F set1(float v) noexcept { return v; }
    static F load(const float* p) noexcept { return *p; }
    /// The lanes bytes at p, each converted to float (0 … 255, exactly): a byte mask as a float vector.
    static F load_u8(const std::uint8_t* p) noexcept { return static_cast<float>(*p); }
    static void store(float* p, F v) noexcept { *p = v; }
    /// The first n floats at p (1 ≤ n ≤ lanes), the other lanes 0; nothing past p + n is read (the GEMM's last
    /// columns).
    static F load_first(const float* p, std::size_t) noexcept { return *p; }
    /// Stores the first n lanes of v at p (1 ≤ n ≤ lanes); nothing past p + n is written.
    static void store_first(float* p, F v, std::size_t) noexcept { *p = v; }
    static F add(F a, F b) noexcept { return a + b; }
    static F sub(F a, F b) noexcept { return a - b; }
    static F mul(F a, F b) noexcept { return a * b; }
    /// a·b + c, rounded once.
    static F fma(F a, F b, F c) noexcept { return std::fma(a, b, c); }
    /// Lane-wise a > b (false when either is NaN).
    static Mask greater(F a, F b) noexcept { return a > b; }
    /// Lane-wise "is NaN".
    static Mask is_nan(F a) noexcept { return a != a; }
    static Mask mask_or(Mask a, Mask b) noexcept { return a || b; }
    static Mask mask_and_not(Mask a, Mask b) noexcept { return a && !b; }  ///< a and not b
    /// The lanes l with lo ≤ l < hi (0 ≤ lo ≤ hi ≤ lanes): where a partial vector's values are valid.
    static Mask lanes_in(std::size_t lo, std::size_t hi) noexcept { return lo == 0 && hi > 0; }
    /// Lane-wise m ? a : b.
    static F select(Mask m, F a, F b) noexcept { return m ? a : b; }
    /// The 2·lanes floats at p split into the even-indexed ones (p[0], p[2], …) and the odd ones.
    static void load_deinterleaved(const float* p, F& even, F& odd) noexcept {
        even = p[0];
        odd = p[1];
    }
    /// Keeps v in a register (a no-op here; see avx512.hpp).
    static F pin(F v) noexcept { return v; }
    /// Rows × columns of the square block transpose_block moves.
    static constexpr std::size_t transpose_size = 1;
    /// d[j·ldd + i] = s[i·lds + j] for i, j < transpose_size: one block of a transpose (data movement only).
    static void transpose_block(const float* s, std::size_t, float* d, std::size_t) noexcept { *d = *s; }
    /// gemm_nt's dot-form tiles (body/gemm.inl): dot_rows rows of A × dot_cols rows of B, each pair's 16 partial sums
    /// in 16 / lanes vectors.
    static constexpr std::size_t dot_rows = 1, dot_cols = 2;
    /// The fixed sum of 16 partial sums p[0 … 15], held in 16 / lanes vectors (p[j] in lane j mod lanes of
    /// v[j / lanes]): s8[j] = p[j] + p[j + 8], s4[j] = s8[j] + s8[j + 4], s2[j] = s4[j] + s4[j + 2], s2[0] + s2[1].
    /// Every trait adds the same pairs in the same tree (IEEE addition is commutative), so the same bits.
    static float sum16(const F* v) noexcept {
        float s8[8], s4[4];
        for (int j = 0; j < 8; ++j) s8[j] = v[j] + v[j + 8];
        for (int j = 0; j < 4; ++j) s4[j] = s8[j] + s8[j + 4];
        return (s4[0] + s4[2]) + (s4[1] + s4[3]);
    }

    // ---- double ----
    using D = double;
    static constexpr std::size_t lanes_d = 1;
    static D zero_d() noexcept { return 0.0; }
    static D set1_d(double v) noexcept { return v; }
    static D load_d(const double* p) noexcept { return *p; }
    static void store_d(double* p, D v) noexcept { *p = v; }
    /// lanes_d floats at p, converted to double (exactly).
    static D load_widen(const float* p) noexcept { return static_cast<double>(*p); }
    /// The lanes of v converted to double (exactly), lanes_d at a time: out[j] holds lanes [j·lanes_d, (j + 1)·lanes_d)
    /// of v, for j < lanes / lanes_d (1 here, 2 in the SIMD traits).
    static void widen(F v, D* out) noexcept { out[0] = static_cast<double>(v); }
    static D add_d(D a, D b) noexcept { return a + b; }
    static D sub_d(D a, D b) noexcept { return a - b; }
    static D mul_d(D a, D b) noexcept { return a * b; }
    static D fma_d(D a, D b, D c) noexcept { return std::fma(a, b, c); }
};

}  // namespace minitorch::simd
