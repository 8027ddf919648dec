// The machine's two ceilings, in the vectors of the ISA the kernels run on (minitorch::active_isa(), lowered with
// MINITORCH_ISA=avx2 etc.):
//   BM_FmaPeak            fp32 peak: a loop of independent fused multiply-adds (bench/fma_peak.hpp). Every conv
//                         figure in docs/benchmarks.md is printed as a fraction of this number, measured in the same
//                         run (bench_conv also measures it at startup, with the same loop, for its "%peak" counters).
//   BM_MemoryBandwidth    read, write and copy over 256 MB buffers on minitorch's threads (bench/bandwidth.hpp);
//                         the memory-bound layers' figures are fractions of the copy one (bench_layers' "%bw").
#include "bandwidth.hpp"
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

/// range(0): bandwidth::Kind, range(1): minitorch threads. GB/s as bandwidth.hpp counts bytes.
void BM_MemoryBandwidth(benchmark::State& state) {
    const auto kind = static_cast<bandwidth::Kind>(state.range(0));
    minitorch::set_num_threads(static_cast<std::size_t>(state.range(1)));
    bandwidth::Probe probe;
    probe.pass(kind);  // first touch of the pages
    double bytes = 0;
    for (auto _ : state) bytes += probe.pass(kind);
    float sum = probe.checksum();
    benchmark::DoNotOptimize(sum);
    state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsRate);
    state.SetLabel(std::string(bandwidth::name(kind)) + ", " + fma_peak::isa_label());
}
BENCHMARK(BM_MemoryBandwidth)
    ->ArgNames({"kind", "threads"})
    ->ArgsProduct({{0, 1, 2}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    benchmark::AddCustomContext("minitorch_isa", fma_peak::isa_label());
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
