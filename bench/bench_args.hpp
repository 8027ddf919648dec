// Flags the benchmark executables take in addition to Google Benchmark's own: removed from argv before
// benchmark::Initialize, which would refuse them.
#pragma once

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

}  // namespace bench_args
