// The memory-bound layers of the MNIST net at their real shapes, batch 128:
//
//   <layer>/fwd/<shape>        forward in training mode (what a training step runs)
//   <layer>/fwd_bwd/<shape>    forward then backward, in training mode
//   batchnorm/fwd_eval/<shape> BatchNorm2d forward in eval mode (what evaluation runs)
//
// for BatchNorm2d, ReLU and Dropout(0.05) at [128, 32, 24, 24] (after the 16→32 conv) and [128, 16, 26, 26] (after
// the first conv), and MaxPool2d(2) at [128, 10, 24, 24].
//
// Counter "GB/s": bytes / time on a fixed yardstick per pass (bench/layer_traffic.hpp: the tensors the pass must
// read and write by its math, each counted once); "%bw": that figure against the machine's copy bandwidth, measured
// at startup on the same threads (bench/bandwidth.hpp; printed in the context as copy_GBps, or given with
// --copy_gbps=X). fwd_bwd counts both passes.
//
//   bench_layers --threads=2 --benchmark_filter='batchnorm' --benchmark_repetitions=5
//                --benchmark_report_aggregates_only=true
//
// Every benchmark runs its pass once before the timed loop: first-touch page faults of the outputs and caches are
// expensive on this kind of VM and are not part of a steady-state training step.
#include <minitorch/kernels/parallel.hpp>
#include <minitorch/layers/activation.hpp>
#include <minitorch/layers/batchnorm.hpp>
#include <minitorch/layers/dropout.hpp>
#include <minitorch/layers/pool.hpp>
#include <minitorch/random.hpp>
#include <minitorch/tensor.hpp>

#include <benchmark/benchmark.h>

#include "bench_args.hpp"
#include "layer_traffic.hpp"

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

using namespace minitorch;

namespace {

enum class Pass { fwd, fwd_eval, fwd_bwd };

using layer_traffic::kBatchNorm, layer_traffic::kDropout, layer_traffic::kMaxPool, layer_traffic::kReLU;
using layer_traffic::Traffic;

double g_copy_gbps = 0;  // set in main, before any benchmark runs

Tensor<float> random_tensor(const Shape& shape, std::uint64_t seed) {
    Tensor<float> t(shape);
    Generator gen(seed);
    normal_(t, 0.0, 1.0, gen);
    return t;
}

/// `layer` (a fresh copy per run) on a random x of `shape`, with a random dy of the output's shape, on the buffers a
/// Sequential would hand it (layer.hpp).
template <class L>
void BM_Layer(benchmark::State& state, L layer, Shape shape, Pass pass, Traffic traffic) {
    const Tensor<float> x = random_tensor(shape, 1);
    const Tensor<float> dy = random_tensor(layer.output_shape(shape), 2);
    layer.train(pass != Pass::fwd_eval);
    Tensor<float> y_buffer, dx;
    typename L::Cache cache{};
    const auto run = [&] {
        const Tensor<float>& y = layer.forward(x, y_buffer, cache);
        benchmark::DoNotOptimize(y.data());
        if (pass == Pass::fwd_bwd) {
            layer.backward(x, y, cache, dy, dx);
            benchmark::DoNotOptimize(dx.data());
        }
        benchmark::ClobberMemory();
    };
    run();  // warm-up
    for (auto _ : state) run();
    const double elements = static_cast<double>(x.size());
    const double units = pass == Pass::fwd        ? traffic.forward
                         : pass == Pass::fwd_eval ? traffic.eval
                                                  : traffic.forward + traffic.backward;
    const double gigabytes = units * elements * sizeof(float) * 1e-9;
    state.counters["GB/s"] = benchmark::Counter(gigabytes, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["%bw"] =
        benchmark::Counter(gigabytes * 100.0 / g_copy_gbps, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(layer.describe() + " " + to_string(shape));
}

/// "128x32x24x24"
std::string shape_name(const Shape& s) {
    std::ostringstream out;
    for (std::size_t i = 0; i < s.size(); ++i) out << (i ? "x" : "") << s[i];
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    if (!bench_args::take_threads(args, "bench_layers")) return 2;
    if (!bench_args::take_copy_bandwidth(args, "bench_layers", g_copy_gbps)) return 2;

    // Wall-clock time: the work runs on every minitorch thread, not only the one that Google Benchmark times.
    const auto add = [](const std::string& name, auto layer, const Shape& shape, Pass pass, Traffic traffic) {
        benchmark::RegisterBenchmark(name.c_str(), BM_Layer<decltype(layer)>, layer, shape, pass, traffic)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    };
    const Shape after_conv2{128, 32, 24, 24}, after_conv1{128, 16, 26, 26}, before_pool{128, 10, 24, 24};
    for (const Shape& s : {after_conv2, after_conv1}) {
        const std::string n = shape_name(s);
        const BatchNorm2d<float> bn({.features = s[1]});
        add("batchnorm/fwd/" + n, bn, s, Pass::fwd, kBatchNorm);
        add("batchnorm/fwd_bwd/" + n, bn, s, Pass::fwd_bwd, kBatchNorm);
        add("batchnorm/fwd_eval/" + n, bn, s, Pass::fwd_eval, kBatchNorm);
        add("relu/fwd/" + n, ReLU<float>(), s, Pass::fwd, kReLU);
        add("relu/fwd_bwd/" + n, ReLU<float>(), s, Pass::fwd_bwd, kReLU);
        Generator gen(7);
        const Dropout<float> dropout({.p = 0.05}, gen);
        add("dropout/fwd/" + n, dropout, s, Pass::fwd, kDropout);
        add("dropout/fwd_bwd/" + n, dropout, s, Pass::fwd_bwd, kDropout);
    }
    const MaxPool2d<float> pool({.kernel = 2});
    add("maxpool/fwd/" + shape_name(before_pool), pool, before_pool, Pass::fwd, kMaxPool);
    add("maxpool/fwd_bwd/" + shape_name(before_pool), pool, before_pool, Pass::fwd_bwd, kMaxPool);

    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
