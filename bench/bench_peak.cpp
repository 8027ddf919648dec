// The machine's fp32 peak: a loop of independent fused multiply-adds in the widest vectors this build targets
// (bench/fma_peak.hpp: AVX-512 with -march=native on an AVX-512 CPU, AVX2+FMA or plain scalar otherwise). Every conv
// figure in docs/benchmarks.md is printed as a fraction of this number, measured in the same run (bench_conv also
// measures it at startup, with the same loop, for its "%peak" counters).
#include "fma_peak.hpp"

#include <benchmark/benchmark.h>

namespace {

void BM_FmaPeak(benchmark::State& state) {
    fma_peak::Loop loop;
    for (auto _ : state) {
        loop.block();
        benchmark::DoNotOptimize(loop.acc);
    }
    float sum = loop.sum();
    benchmark::DoNotOptimize(sum);
    state.counters["GFLOP/s"] = benchmark::Counter(
        fma_peak::kBlockFlops * static_cast<double>(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
    state.SetLabel(fma_peak::kIsa);
}
// Threads(n): n copies run at once; the GFLOP/s counter is summed over them, i.e. the machine's n-core peak.
BENCHMARK(BM_FmaPeak)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
