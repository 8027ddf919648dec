// Flags the benchmark executables take in addition to Google Benchmark's own: removed from argv before
// benchmark::Initialize, which would refuse them.
#pragma once

#include "bandwidth.hpp"
#include "fma_peak.hpp"

#include <minitorch/kernels/isa.hpp>
#include <minitorch/kernels/parallel.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace bench_args {

/// Removes "--name=value" from args and returns value ("" when absent).
inline std::string take_flag(std::vector<char*>& args, const char* name) {
    const std::string prefix = std::string("--") + name + "=";
    std::string value;
    for (auto it = args.begin(); it != args.end();) {
        if (std::strncmp(*it, prefix.c_str(), prefix.size()) == 0) {
            value = *it + prefix.size();
            it = args.erase(it);
        } else {
            ++it;
        }
    }
    return value;
}

/// Takes "--threads=N" (default 1), sets minitorch's thread count and records it in the benchmark context.
/// Returns false (after saying why on stderr) when N is not a whole number ≥ 1.
inline bool take_threads(std::vector<char*>& args, const char* program) {
    const std::string flag = take_flag(args, "threads");
    char* end = nullptr;
    const unsigned long threads = flag.empty() ? 1 : std::strtoul(flag.c_str(), &end, 10);
    if (threads == 0 || (!flag.empty() && *end != '\0')) {
        std::cerr << program << ": --threads must be a whole number ≥ 1, got '" << flag << "'\n";
        return false;
    }
    minitorch::set_num_threads(threads);
    benchmark::AddCustomContext("minitorch_threads", std::to_string(threads));
    // Every benchmark names the ISA its kernels ran on (MINITORCH_ISA lowers it).
    benchmark::AddCustomContext("minitorch_isa", std::string(minitorch::isa_description(minitorch::active_isa())));
    return true;
}

/// Takes "--<name>=X" into `value` (given = true) when present. Returns false (after saying why on stderr) when X is
/// not a positive `what` ("number", "number of GB/s").
inline bool take_positive(std::vector<char*>& args, const char* program, const char* name, const char* what,
                          double& value, bool& given) {
    const std::string flag = take_flag(args, name);
    given = !flag.empty();
    if (!given) return true;
    value = std::strtod(flag.c_str(), nullptr);
    if (value > 0) return true;
    std::cerr << program << ": --" << name << " must be a positive " << what << ", got '" << flag << "'\n";
    return false;
}

/// Takes "--peak_gflops=X" into `gflops`, or measures the FMA peak (fma_peak.hpp: one thread's, times the thread
/// count; call after take_threads), and records it in the context as peak_gflops with where it came from. Returns
/// false (after saying why on stderr) when X is not a positive number.
inline bool take_peak(std::vector<char*>& args, const char* program, double& gflops) {
    bool given = false;
    if (!take_positive(args, program, "peak_gflops", "number", gflops, given)) return false;
    std::string source = "--peak_gflops";
    if (!given) {
        const double one = fma_peak::measure_single_thread_gflops();
        const std::size_t threads = minitorch::num_threads();
        gflops = one * static_cast<double>(threads);
        source = "measured at startup: " + fma_peak::isa_label() + " FMA loop, " + std::to_string(one) +
                 " GFLOP/s on 1 thread × " + std::to_string(threads);
        benchmark::AddCustomContext("peak_gflops_1thread", std::to_string(one));
    }
    benchmark::AddCustomContext("peak_gflops", std::to_string(gflops));
    benchmark::AddCustomContext("peak_source", source);
    return true;
}

/// Takes "--copy_gbps=X" into `gbps`, or measures the copy bandwidth on the current thread count
/// (bandwidth::measure_gbps; call after take_threads), and records it in the context as copy_GBps. Returns false
/// (after saying why on stderr) when X is not a positive number.
inline bool take_copy_bandwidth(std::vector<char*>& args, const char* program, double& gbps) {
    bool given = false;
    if (!take_positive(args, program, "copy_gbps", "number of GB/s", gbps, given)) return false;
    if (!given) gbps = bandwidth::measure_gbps(bandwidth::Kind::copy);
    benchmark::AddCustomContext("copy_GBps", std::to_string(gbps) + (given ? "" : " (measured at startup)"));
    return true;
}

}  // namespace bench_args
