// The FMA loop that defines "peak" for the benchmarks: independent fused multiply-adds in the widest vectors this
// build targets (AVX-512 with -march=native on an AVX-512 CPU, AVX2+FMA, or plain scalar otherwise). bench_peak.cpp
// reports it as a benchmark; bench_conv.cpp measures it once at startup so every conv figure has a "%peak" from the
// same run. Not built on its own (bench/CMakeLists.txt globs bench_*.cpp only).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

namespace fma_peak {

inline constexpr int kAccumulators = 12;  // > FMA latency × FMA ports (4 × 2), so the FMA units never wait

#if defined(__AVX512F__)
inline constexpr int kLanes = 16;
using Vec = __m512;
inline Vec splat(float v) {
    return _mm512_set1_ps(v);
}
inline Vec fma(Vec a, Vec b, Vec c) {
    return _mm512_fmadd_ps(a, b, c);
}
// Not _mm512_reduce_add_ps: inlined from GCC 12's own header it trips a false -Werror=uninitialized.
inline float reduce(Vec v) {
    alignas(64) float t[16];
    _mm512_store_ps(t, v);
    float s = 0;
    for (float x : t) s += x;
    return s;
}
inline constexpr const char* kIsa = "AVX-512";
#elif defined(__FMA__)
inline constexpr int kLanes = 8;
using Vec = __m256;
inline Vec splat(float v) {
    return _mm256_set1_ps(v);
}
inline Vec fma(Vec a, Vec b, Vec c) {
    return _mm256_fmadd_ps(a, b, c);
}
inline float reduce(Vec v) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    float s = 0;
    for (float x : t) s += x;
    return s;
}
inline constexpr const char* kIsa = "AVX2+FMA";
#else
inline constexpr int kLanes = 1;
using Vec = float;
inline Vec splat(float v) {
    return v;
}
inline Vec fma(Vec a, Vec b, Vec c) {
    return a * b + c;
}
inline float reduce(Vec v) {
    return v;
}
inline constexpr const char* kIsa = "scalar";
#endif

/// One block of the loop: kIterations × kAccumulators independent FMAs, kBlockFlops floating-point operations.
inline constexpr std::int64_t kIterations = 1 << 16;
inline constexpr double kBlockFlops = 2.0 * kLanes * kAccumulators * static_cast<double>(kIterations);

/// The accumulators of one running loop.
struct Loop {
    Vec acc[kAccumulators];
    Loop() {
        for (int i = 0; i < kAccumulators; ++i) acc[i] = splat(0.001f * static_cast<float>(i));
    }
    /// Runs one block (kBlockFlops flops).
    void block() {
        const Vec a = splat(0.999999f), b = splat(1e-7f);
        for (std::int64_t it = 0; it < kIterations; ++it)
            for (int i = 0; i < kAccumulators; ++i) acc[i] = fma(acc[i], a, b);
    }
    /// The sum of every lane (use it, so the compiler keeps the loop).
    float sum() const {
        float s = 0;
        for (const Vec& v : acc) s += reduce(v);
        return s;
    }
};

/// This thread's FMA rate in GFLOP/s: the best of `trials` timings of about `seconds` each (the best, because the
/// question is what the core can do; a trial slowed by another process says nothing about the core).
inline double measure_single_thread_gflops(double seconds = 0.1, int trials = 5) {
    Loop loop;
    loop.block();  // warm-up: clock ramp and code in cache
    double best = 0;
    for (int t = 0; t < trials; ++t) {
        std::int64_t blocks = 0;
        const auto start = std::chrono::steady_clock::now();
        double elapsed = 0;
        do {
            loop.block();
            ++blocks;
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        } while (elapsed < seconds);
        best = std::max(best, kBlockFlops * static_cast<double>(blocks) / elapsed * 1e-9);
    }
    volatile float keep = loop.sum();
    (void)keep;
    return best;
}

}  // namespace fma_peak
