// minitorch/kernels/simd/avx512.hpp — AVX-512F: 16 float lanes (8 double), 32 zmm registers. Members as in
// scalar.hpp. Compiled with the "avx512f,avx2,fma" target (target.hpp) in every x86-64 build, so it cannot rot on a
// machine without AVX-512; used only where isa.hpp found the CPU (and OS) support it.
#pragma once

#include "minitorch/kernels/simd/avx2.hpp"  // Avx2::transpose8x8
#include "minitorch/kernels/simd/target.hpp"

#if defined(MINITORCH_X86_64)
#include <cstddef>
#include <cstdint>

MINITORCH_BEGIN_AVX512
namespace minitorch::simd {

struct Avx512 {
    static constexpr Isa isa = Isa::avx512;
    using F = __m512;
    using Mask = __mmask16;
    static constexpr std::size_t lanes = 16;
    // 8 × 3 vectors: 24 accumulators + 3 B vectors + 1 broadcast of the 32 zmm registers.
    static constexpr std::size_t gemm_rows = 8, gemm_vectors = 3;

    static F zero() noexcept { return _mm512_setzero_ps(); }
    static F set1(float v) noexcept { return _mm512_set1_ps(v); }
    static F load(const float* p) noexcept { return _mm512_loadu_ps(p); }
    static F load_u8(const std::uint8_t* p) noexcept {  // 16 bytes → 16 int32 → 16 floats (maskz: see widen)
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        return _mm512_maskz_cvtepi32_ps(0xFFFF, _mm512_maskz_cvtepu8_epi32(0xFFFF, bytes));
    }
    static void store(float* p, F v) noexcept { _mm512_storeu_ps(p, v); }
    static F load_first(const float* p, std::size_t n) noexcept {
        return _mm512_maskz_loadu_ps(static_cast<Mask>((1u << n) - 1u), p);
    }
    static void store_first(float* p, F v, std::size_t n) noexcept {
        _mm512_mask_storeu_ps(p, static_cast<Mask>((1u << n) - 1u), v);
    }
    static F add(F a, F b) noexcept { return _mm512_add_ps(a, b); }
    static F sub(F a, F b) noexcept { return _mm512_sub_ps(a, b); }
    static F mul(F a, F b) noexcept { return _mm512_mul_ps(a, b); }
    static F fma(F a, F b, F c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    static Mask greater(F a, F b) noexcept { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
    static Mask is_nan(F a) noexcept { return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q); }
    static Mask mask_or(Mask a, Mask b) noexcept { return static_cast<Mask>(a | b); }
    static Mask mask_and_not(Mask a, Mask b) noexcept { return static_cast<Mask>(a & ~b); }
    static Mask lanes_in(std::size_t lo, std::size_t hi) noexcept {
        return static_cast<Mask>(((1u << hi) - 1u) & ~((1u << lo) - 1u));
    }
    static F select(Mask m, F a, F b) noexcept { return _mm512_mask_blend_ps(m, b, a); }
    static void load_deinterleaved(const float* p, F& even, F& odd) noexcept {
        const __m512i e = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        const __m512i o = _mm512_add_epi32(e, _mm512_set1_epi32(1));
        const __m512 lo = _mm512_loadu_ps(p), hi = _mm512_loadu_ps(p + 16);
        even = _mm512_permutex2var_ps(lo, e, hi);
        odd = _mm512_permutex2var_ps(lo, o, hi);
    }
    /// Forces v into a register: left alone, GCC 12 folds the load of a B or A vector into every FMA that uses it
    /// (a memory operand per FMA), and the load ports rather than the FMA units set the GEMM's pace.
    static F pin(F v) noexcept {
        __asm__("" : "+v"(v));
        return v;
    }
    /// Blocks of 8 × 8 with ymm shuffles (AVX-512F includes AVX2): a 16 × 16 one would need twice the registers
    /// for the same moves per element.
    static constexpr std::size_t transpose_size = 8;
    static void transpose_block(const float* s, std::size_t lds, float* d, std::size_t ldd) noexcept {
        Avx2::transpose8x8(s, lds, d, ldd);
    }
    // 4 × 6 pairs: 24 accumulators + 4 A vectors + 1 B vector of the 32 zmm registers.
    static constexpr std::size_t dot_rows = 4, dot_cols = 6;
    static float sum16(const F* v) noexcept {  // s8 = lanes 0–7 + lanes 8–15, then Avx2::sum8's tree
        const __m512d bits = _mm512_castps_pd(v[0]);
        const __m256 lo = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, bits, 0));
        const __m256 hi = _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, bits, 1));
        return Avx2::sum8(_mm256_add_ps(lo, hi));
    }

    using D = __m512d;
    static constexpr std::size_t lanes_d = 8;
    static D zero_d() noexcept { return _mm512_setzero_pd(); }
    static D set1_d(double v) noexcept { return _mm512_set1_pd(v); }
    static D load_d(const double* p) noexcept { return _mm512_loadu_pd(p); }
    static void store_d(double* p, D v) noexcept { _mm512_storeu_pd(p, v); }
    // Conversions (here and in load_u8) use the zero-masked intrinsics with an all-ones mask, which compile to the
    // plain instructions: GCC 12's _mm512_cvtps_pd, _mm512_castps512_ps256, _mm512_cvtepu8_epi32 … start from
    // _mm512_undefined_*(), which its -Wmaybe-uninitialized reports once inlined (an error under the project's
    // -Werror).
    static D load_widen(const float* p) noexcept { return _mm512_maskz_cvtps_pd(0xFF, _mm256_loadu_ps(p)); }
    static void widen(F v, D* out) noexcept {  // halves as 4 doubles: AVX-512F has no 256-bit float extract
        const __m512d bits = _mm512_castps_pd(v);
        out[0] = _mm512_maskz_cvtps_pd(0xFF, _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, bits, 0)));
        out[1] = _mm512_maskz_cvtps_pd(0xFF, _mm256_castpd_ps(_mm512_maskz_extractf64x4_pd(0xF, bits, 1)));
    }
    static D add_d(D a, D b) noexcept { return _mm512_add_pd(a, b); }
    static D sub_d(D a, D b) noexcept { return _mm512_sub_pd(a, b); }
    static D mul_d(D a, D b) noexcept { return _mm512_mul_pd(a, b); }
    static D fma_d(D a, D b, D c) noexcept { return _mm512_fmadd_pd(a, b, c); }
};

}  // namespace minitorch::simd
MINITORCH_END_TARGET
#endif
