// The FMA loop that defines "peak" for the benchmarks: independent fused multiply-adds in the vectors of the ISA the
// kernels run on (minitorch::active_isa(): AVX-512, AVX2+FMA, NEON or scalar, lowered with MINITORCH_ISA), written
// once over the kernel layer's SIMD traits (fma_peak_body.inl). bench_peak.cpp reports it as a benchmark;
// bench_conv.cpp measures it once at startup so every conv figure has a "%peak" from the same run, for the same ISA.
// Not built on its own (bench/CMakeLists.txt globs bench_*.cpp only).
#pragma once

#include <minitorch/kernels/isa.hpp>
#include <minitorch/kernels/simd/select.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#define MINITORCH_KERNEL_BODY "fma_peak_body.inl"
#include <minitorch/kernels/simd/for_each_isa.hpp>

namespace fma_peak {

/// The ISA's name, as the kernels report it.
inline std::string isa_label() { return std::string(minitorch::isa_description(minitorch::active_isa())); }

/// The accumulators of one running loop, for the active ISA.
struct Loop {
    double (*block_fn)(float*) = MINITORCH_SELECT_FOR_ISA(minitorch::active_isa(), fma_peak_block);
    std::vector<float> state = std::vector<float>(12 * 16, 0.001f);  // room for 12 vectors of the widest ISA
    /// Runs one block; returns its flops.
    double block() { return block_fn(state.data()); }
    /// The sum of every lane (use it, so the compiler keeps the loop).
    float sum() const {
        float s = 0;
        for (float x : state) s += x;
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
        double flops = 0;
        const auto start = std::chrono::steady_clock::now();
        double elapsed = 0;
        do {
            flops += loop.block();
            elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        } while (elapsed < seconds);
        best = std::max(best, flops / elapsed * 1e-9);
    }
    volatile float keep = loop.sum();
    (void)keep;
    return best;
}

}  // namespace fma_peak
