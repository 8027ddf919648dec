// minitorch/kernels/simd/avx2.hpp — AVX2+FMA: 8 float lanes (4 double), 16 ymm registers. Members as in scalar.hpp.
// Compiled with the "avx2,fma" target (target.hpp) in every x86-64 build; used only where isa.hpp found the CPU has it.
#pragma once

#include "minitorch/kernels/simd/target.hpp"

#if defined(MINITORCH_X86_64)
#include <cstddef>
#include <cstdint>

MINITORCH_BEGIN_AVX2
namespace minitorch::simd {

struct Avx2 {
    static constexpr Isa isa = Isa::avx2;
    using F = __m256;
    using Mask = __m256;  // all-ones / all-zeros lanes
    static constexpr std::size_t lanes = 8;
    // 6 × 2 vectors: 12 accumulators + 2 B vectors + 1 broadcast of the 16 ymm registers (BLIS's haswell 6×16).
    static constexpr std::size_t gemm_rows = 6, gemm_vectors = 2;

    static F zero() noexcept { return _mm256_setzero_ps(); }
    static F set1(float v) noexcept { return _mm256_set1_ps(v); }
    static F load(const float* p) noexcept { return _mm256_loadu_ps(p); }
    static F load_u8(const std::uint8_t* p) noexcept {  // 8 bytes → 8 int32 → 8 floats
        return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
    }
    static void store(float* p, F v) noexcept { _mm256_storeu_ps(p, v); }
    static F load_first(const float* p, std::size_t n) noexcept { return _mm256_maskload_ps(p, first_lanes(n)); }
    static void store_first(float* p, F v, std::size_t n) noexcept { _mm256_maskstore_ps(p, first_lanes(n), v); }
    /// All-ones in lanes [0, n), zeros above: the mask of maskload/maskstore (which never touch the masked lanes).
    static __m256i first_lanes(std::size_t n) noexcept {
        static constexpr std::int32_t ones_then_zeros[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
        return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ones_then_zeros + 8 - n));
    }
    static F add(F a, F b) noexcept { return _mm256_add_ps(a, b); }
    static F sub(F a, F b) noexcept { return _mm256_sub_ps(a, b); }
    static F mul(F a, F b) noexcept { return _mm256_mul_ps(a, b); }
    static F fma(F a, F b, F c) noexcept { return _mm256_fmadd_ps(a, b, c); }
    static Mask greater(F a, F b) noexcept { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
    static Mask is_nan(F a) noexcept { return _mm256_cmp_ps(a, a, _CMP_UNORD_Q); }
    static Mask mask_or(Mask a, Mask b) noexcept { return _mm256_or_ps(a, b); }
    static Mask mask_and_not(Mask a, Mask b) noexcept { return _mm256_andnot_ps(b, a); }
    static Mask lanes_in(std::size_t lo, std::size_t hi) noexcept {
        const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
        return _mm256_and_ps(_mm256_cmp_ps(lane, _mm256_set1_ps(static_cast<float>(lo)), _CMP_GE_OQ),
                             _mm256_cmp_ps(lane, _mm256_set1_ps(static_cast<float>(hi)), _CMP_LT_OQ));
    }
    static F select(Mask m, F a, F b) noexcept { return _mm256_blendv_ps(b, a, m); }
    static void load_deinterleaved(const float* p, F& even, F& odd) noexcept {
        const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
        // within each 128-bit half: [lo0 lo2 hi0 hi2] and [lo1 lo3 hi1 hi3]; then put the 64-bit pieces in order
        const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
        const __m256 o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
        even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
        odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
    }
    static F pin(F v) noexcept {
        __asm__("" : "+x"(v));
        return v;
    }
    static constexpr std::size_t transpose_size = 8;
    static void transpose_block(const float* s, std::size_t lds, float* d, std::size_t ldd) noexcept {
        transpose8x8(s, lds, d, ldd);
    }
    // 2 × 3 pairs × 2 vectors: 12 accumulators + 2 A vectors + 1 B vector of the 16 ymm registers.
    static constexpr std::size_t dot_rows = 2, dot_cols = 3;
    static float sum16(const F* v) noexcept { return sum8(_mm256_add_ps(v[0], v[1])); }  // s8 = p[0:8] + p[8:16]
    /// The tree of sum16 from s8[0 … 7] on: s4 = low half + high half, s2 = s4[0:2] + s4[2:4], s2[0] + s2[1].
    static float sum8(__m256 s8) noexcept {
        const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
        const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
        return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
    }
    /// The 8 × 8 transpose of 8 rows of ymm: unpack pairs of rows, shuffle pairs of pairs, swap 128-bit halves.
    static void transpose8x8(const float* s, std::size_t lds, float* d, std::size_t ldd) noexcept {
        __m256 r[8], t[8], u[8];
        for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(s + i * lds);
        for (int i = 0; i < 8; i += 2) {
            t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
            t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
        }
        for (int i = 0; i < 8; i += 4) {
            u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
            u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
            u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
            u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
        }
        for (int i = 0; i < 4; ++i) {
            _mm256_storeu_ps(d + i * ldd, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
            _mm256_storeu_ps(d + (i + 4) * ldd, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
        }
    }

    using D = __m256d;
    static constexpr std::size_t lanes_d = 4;
    static D zero_d() noexcept { return _mm256_setzero_pd(); }
    static D set1_d(double v) noexcept { return _mm256_set1_pd(v); }
    static D load_d(const double* p) noexcept { return _mm256_loadu_pd(p); }
    static void store_d(double* p, D v) noexcept { _mm256_storeu_pd(p, v); }
    static D load_widen(const float* p) noexcept { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
    static void widen(F v, D* out) noexcept {
        out[0] = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
        out[1] = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    }
    static D add_d(D a, D b) noexcept { return _mm256_add_pd(a, b); }
    static D sub_d(D a, D b) noexcept { return _mm256_sub_pd(a, b); }
    static D mul_d(D a, D b) noexcept { return _mm256_mul_pd(a, b); }
    static D fma_d(D a, D b, D c) noexcept { return _mm256_fmadd_pd(a, b, c); }
};

}  // namespace minitorch::simd
MINITORCH_END_TARGET
#endif
