// minitorch/kernels/simd/neon.hpp — AArch64 NEON: 4 float lanes (2 double), 32 vector registers. Members as in
// scalar.hpp. NEON is part of every AArch64 CPU, so no target attribute and no run-time check are needed.
#pragma once

#include "minitorch/kernels/simd/target.hpp"

#if defined(MINITORCH_AARCH64)
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace minitorch::simd {

struct Neon {
    static constexpr Isa isa = Isa::neon;
    using F = float32x4_t;
    using Mask = uint32x4_t;
    static constexpr std::size_t lanes = 4;
    // 8 × 3 vectors: 24 accumulators + 3 B vectors + 1 broadcast of the 32 registers.
    static constexpr std::size_t gemm_rows = 8, gemm_vectors = 3;

    static F zero() noexcept { return vdupq_n_f32(0.f); }
    static F set1(float v) noexcept { return vdupq_n_f32(v); }
    static F load(const float* p) noexcept { return vld1q_f32(p); }
    static F load_u8(const std::uint8_t* p) noexcept {  // 4 bytes (memcpy: p need not be aligned) → u16 → u32 → float
        std::uint32_t bytes;
        std::memcpy(&bytes, p, sizeof bytes);
        return vcvtq_f32_u32(vmovl_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(bytes))))));
    }
    static void store(float* p, F v) noexcept { vst1q_f32(p, v); }
    static F load_first(const float* p, std::size_t n) noexcept {  // NEON has no masked load: through a local copy
        float lanes4[4] = {};
        std::memcpy(lanes4, p, n * sizeof(float));
        return vld1q_f32(lanes4);
    }
    static void store_first(float* p, F v, std::size_t n) noexcept {
        float lanes4[4];
        vst1q_f32(lanes4, v);
        std::memcpy(p, lanes4, n * sizeof(float));
    }
    static F add(F a, F b) noexcept { return vaddq_f32(a, b); }
    static F sub(F a, F b) noexcept { return vsubq_f32(a, b); }
    static F mul(F a, F b) noexcept { return vmulq_f32(a, b); }
    static F fma(F a, F b, F c) noexcept { return vfmaq_f32(c, a, b); }  // c + a·b, fused
    static Mask greater(F a, F b) noexcept { return vcgtq_f32(a, b); }
    static Mask is_nan(F a) noexcept { return vmvnq_u32(vceqq_f32(a, a)); }
    static Mask mask_or(Mask a, Mask b) noexcept { return vorrq_u32(a, b); }
    static Mask mask_and_not(Mask a, Mask b) noexcept { return vbicq_u32(a, b); }
    static Mask lanes_in(std::size_t lo, std::size_t hi) noexcept {
        const float lane_index[4] = {0, 1, 2, 3};
        const float32x4_t lane = vld1q_f32(lane_index);
        return vandq_u32(vcgeq_f32(lane, vdupq_n_f32(static_cast<float>(lo))),
                         vcltq_f32(lane, vdupq_n_f32(static_cast<float>(hi))));
    }
    static F select(Mask m, F a, F b) noexcept { return vbslq_f32(m, a, b); }
    static void load_deinterleaved(const float* p, F& even, F& odd) noexcept {
        const float32x4x2_t v = vld2q_f32(p);
        even = v.val[0];
        odd = v.val[1];
    }
    static F pin(F v) noexcept { return v; }
    static constexpr std::size_t transpose_size = 4;
    static void transpose_block(const float* s, std::size_t lds, float* d, std::size_t ldd) noexcept {
        const float32x4x2_t a = vtrnq_f32(vld1q_f32(s), vld1q_f32(s + lds));           // [s00 s10 s02 s12], [s01 s11 s03 s13]
        const float32x4x2_t b = vtrnq_f32(vld1q_f32(s + 2 * lds), vld1q_f32(s + 3 * lds));
        vst1q_f32(d, vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0])));
        vst1q_f32(d + ldd, vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1])));
        vst1q_f32(d + 2 * ldd, vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0])));
        vst1q_f32(d + 3 * ldd, vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1])));
    }
    // 2 × 3 pairs × 4 vectors: 24 accumulators + 2 A vectors + 1 B vector of the 32 registers.
    static constexpr std::size_t dot_rows = 2, dot_cols = 3;
    static float sum16(const F* v) noexcept {  // v[0 … 3] hold p[0:4], p[4:8], p[8:12], p[12:16]
        const F s4 = vaddq_f32(vaddq_f32(v[0], v[2]), vaddq_f32(v[1], v[3]));  // s8 = (v0 + v2, v1 + v3)
        const float32x2_t s2 = vadd_f32(vget_low_f32(s4), vget_high_f32(s4));
        return vget_lane_f32(s2, 0) + vget_lane_f32(s2, 1);
    }

    using D = float64x2_t;
    static constexpr std::size_t lanes_d = 2;
    static D zero_d() noexcept { return vdupq_n_f64(0.0); }
    static D set1_d(double v) noexcept { return vdupq_n_f64(v); }
    static D load_d(const double* p) noexcept { return vld1q_f64(p); }
    static void store_d(double* p, D v) noexcept { vst1q_f64(p, v); }
    static D load_widen(const float* p) noexcept { return vcvt_f64_f32(vld1_f32(p)); }
    static void widen(F v, D* out) noexcept {
        out[0] = vcvt_f64_f32(vget_low_f32(v));
        out[1] = vcvt_high_f64_f32(v);
    }
    static D add_d(D a, D b) noexcept { return vaddq_f64(a, b); }
    static D sub_d(D a, D b) noexcept { return vsubq_f64(a, b); }
    static D mul_d(D a, D b) noexcept { return vmulq_f64(a, b); }
    static D fma_d(D a, D b, D c) noexcept { return vfmaq_f64(c, a, b); }
};

}  // namespace minitorch::simd
#endif
