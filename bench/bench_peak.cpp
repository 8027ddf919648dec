// The machine's fp32 peak: a loop of independent fused multiply-adds in the vectors of the ISA the kernels run on
// (bench/fma_peak.hpp: minitorch::active_isa(), lowered with MINITORCH_ISA=avx2 etc.). Every conv
// figure in docs/benchmarks.md is printed as a fraction of this number, measured in the same run (bench_conv also
// measures it at startup, with the same loop, for its "%peak" counters).
#include "fma_peak.hpp"

#include <benchmark/benchmark.h>

namespace {

void BM_FmaPeak(benchmark::State& state) {
    fma_peak::Loop loop;
    double flops = 0;
    for (auto _ : state) {
        flops += loop.block();
        benchmark::DoNotOptimize(loop.state.data());
    }
    float sum = loop.sum();
    benchmark::DoNotOptimize(sum);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsRate);
    state.SetLabel(fma_peak::isa_label());
}
// Threads(n): n copies run at once; the GFLOP/s counter is summed over them, i.e. the machine's n-core peak.
BENCHMARK(BM_FmaPeak)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    benchmark::AddCustomContext("minitorch_isa", fma_peak::isa_label());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
