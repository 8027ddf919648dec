// The machine's fp32 peak: a loop of independent fused multiply-adds in the widest vectors this build targets
// (AVX-512 with -march=native on an AVX-512 CPU, AVX2+FMA or plain scalar otherwise). Every conv figure in
// docs/benchmarks.md is printed as a fraction of this number, measured in the same run.
#include <benchmark/benchmark.h>

#include <cstdint>

#if defined(__AVX512F__) || defined(__FMA__)
#include <immintrin.h>
#endif

namespace {

constexpr int kAccumulators = 12;  // > FMA latency × FMA ports (4 × 2), so the FMA units never wait

#if defined(__AVX512F__)
constexpr int kLanes = 16;
using Vec = __m512;
inline Vec splat(float v) { return _mm512_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline float reduce(Vec v) { return _mm512_reduce_add_ps(v); }
constexpr const char* kIsa = "AVX-512";
#elif defined(__FMA__)
constexpr int kLanes = 8;
using Vec = __m256;
inline Vec splat(float v) { return _mm256_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline float reduce(Vec v) {
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    float s = 0;
    for (float x : t) s += x;
    return s;
}
constexpr const char* kIsa = "AVX2+FMA";
#else
constexpr int kLanes = 1;
using Vec = float;
inline Vec splat(float v) { return v; }
inline Vec fma(Vec a, Vec b, Vec c) { return a * b + c; }
inline float reduce(Vec v) { return v; }
constexpr const char* kIsa = "scalar";
#endif

void BM_FmaPeak(benchmark::State& state) {
    constexpr std::int64_t kIterations = 1 << 16;
    Vec acc[kAccumulators];
    for (int i = 0; i < kAccumulators; ++i) acc[i] = splat(0.001f * static_cast<float>(i));
    const Vec a = splat(0.999999f), b = splat(1e-7f);
    for (auto _ : state) {
        for (std::int64_t it = 0; it < kIterations; ++it)
            for (int i = 0; i < kAccumulators; ++i) acc[i] = fma(acc[i], a, b);
        benchmark::DoNotOptimize(acc);
    }
    float sum = 0;
    for (auto& v : acc) sum += reduce(v);
    benchmark::DoNotOptimize(sum);
    const double flops_per_iteration = 2.0 * kLanes * kAccumulators * static_cast<double>(kIterations);
    state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iteration * static_cast<double>(state.iterations()) * 1e-9,
                                                   benchmark::Counter::kIsRate);
    state.SetLabel(kIsa);
}
// Threads(n): n copies run at once; the GFLOP/s counter is summed over them, i.e. the machine's n-core peak.
BENCHMARK(BM_FmaPeak)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
