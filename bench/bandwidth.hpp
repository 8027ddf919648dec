// The machine's memory bandwidth, the yardstick of the memory-bound layers as bench/fma_peak.hpp's FMA loop is of
// the convolutions: vector loads and stores of the ISA the kernels run on (bandwidth_body.inl, compiled per ISA as
// the library's kernels are) over buffers far larger than any cache, split over minitorch's threads with
// parallel_for, as the layers' own passes are. bench_peak.cpp reports it as benchmarks (read, write, copy; 1 and 2
// threads); bench_layers.cpp measures the copy figure once at startup for its "%bw" counters.
//
// Bytes are counted as the layers' yardstick counts them (bench_layers.cpp): each element read or written once at
// 4 bytes. A copy therefore counts 8 bytes an element, although the CPU also reads every destination line before
// writing it (write-allocate): the figure is what a layer that reads one tensor and writes another can reach.
// Not built on its own (bench/CMakeLists.txt globs bench_*.cpp only).
#pragma once

#include <minitorch/kernels/isa.hpp>
#include <minitorch/kernels/parallel.hpp>
#include <minitorch/kernels/simd/select.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#define MINITORCH_KERNEL_BODY "bandwidth_body.inl"
#include <minitorch/kernels/simd/for_each_isa.hpp>

namespace bandwidth {

enum class Kind { read, write, copy };

inline const char* name(Kind k) {
    return k == Kind::read ? "read" : k == Kind::write ? "write" : "copy";
}

/// Buffers of `megabytes` MB in all (two of them for a copy), and the loops of the active ISA over them.
class Probe {
  public:
    explicit Probe(std::size_t megabytes = 256)
        : n_(megabytes * (1u << 20) / sizeof(float) / kGrain * kGrain), src_(n_, 1.0f), dst_(n_, 0.0f) {}

    /// One pass of `kind` over the buffers, split over minitorch's threads; returns the bytes it counts.
    double pass(Kind kind) {
        const std::size_t blocks = n_ / kGrain;
        minitorch::parallel_for(blocks, [&](std::size_t b, std::size_t e, std::size_t t) {
            const std::size_t at = b * kGrain, len = (e - b) * kGrain;
            if (kind == Kind::read)
                sums_[t % sums_.size()] += read_(src_.data() + at, len);
            else if (kind == Kind::write)
                write_(dst_.data() + at, len, 2.0f);
            else
                copy_(src_.data() + at, dst_.data() + at, len);
        });
        return static_cast<double>(n_) * sizeof(float) * (kind == Kind::copy ? 2.0 : 1.0);
    }

    /// A value that depends on every read (use it, so the compiler keeps the reads).
    float checksum() const {
        float s = 0;
        for (float v : sums_) s += v;
        return s + dst_[n_ / 2];
    }

  private:
    static constexpr std::size_t kGrain = 4 * 16 * 64;  // whole unrolled vectors of the widest ISA, 16 KB
    using Read = float (*)(const float*, std::size_t);
    using Write = void (*)(float*, std::size_t, float);
    using Copy = void (*)(const float*, float*, std::size_t);
    Read read_ = MINITORCH_SELECT_FOR_ISA(minitorch::active_isa(), bandwidth_read);
    Write write_ = MINITORCH_SELECT_FOR_ISA(minitorch::active_isa(), bandwidth_write);
    Copy copy_ = MINITORCH_SELECT_FOR_ISA(minitorch::active_isa(), bandwidth_copy);
    std::size_t n_;
    std::vector<float> src_, dst_;
    std::vector<float> sums_ = std::vector<float>(64, 0.0f);
};

/// GB/s of `kind` on minitorch's current thread count: the best of `trials` passes after one warm-up pass (the
/// best, as for the FMA peak: the question is what the machine can do, and a pass slowed by a neighbour says nothing
/// about that).
inline double measure_gbps(Kind kind, int trials = 5, std::size_t megabytes = 256) {
    Probe probe(megabytes);
    probe.pass(kind);  // first touch of the pages
    double best = 0;
    for (int t = 0; t < trials; ++t) {
        const auto start = std::chrono::steady_clock::now();
        const double bytes = probe.pass(kind);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        best = std::max(best, bytes / s * 1e-9);
    }
    volatile float keep = probe.checksum();
    (void)keep;
    return best;
}

}  // namespace bandwidth
