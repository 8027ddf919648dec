// The memory-bound layers of the MNIST net at their real shapes, batch 128:
//
//   <layer>/fwd/<shape>        forward in training mode (what a training step runs)
//   <layer>/fwd_bwd/<shape>    forward then backward, in training mode
//   batchnorm/fwd_eval/<shape> BatchNorm2d forward in eval mode (what evaluation runs)
//
// for BatchNorm2d, ReLU and Dropout(0.05) at [128, 32, 24, 24] (after the 16→32 conv) and [128, 16, 26, 26] (after
// the first conv), and MaxPool2d(2) at [128, 10, 24, 24].
//
// Counter "GB/s": bytes / time, where bytes is a fixed yardstick per pass — the tensors the pass must read and write
// by its math, each counted once at float width (4 bytes an element), E = the elements of x:
//
//   ReLU       forward  x, y                  2E      backward  y (the cached sign), dy, dx      3E
//   Dropout    forward  x, y, mask            3E      backward  mask, dy, dx                     3E
//   BatchNorm  forward  x, y, x̂ (the cache)   3E      backward  x̂, dy, dx                        3E
//              eval     x, y                  2E
//   MaxPool2d  forward  x, y, argmax          E + E/4 + E/4        backward  argmax, dy, dx    E/4 + E/4 + E
//
// fwd_bwd counts both passes. What the implementation really moves may be more (BatchNorm reads x twice, once for
// the statistics and once to normalise; MaxPool stores its argmax as 8-byte indices), so a faster implementation
// shows up as a higher figure on the same yardstick.
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

/// Bytes of the yardstick above, in units of E·sizeof(float), for the forward and the backward pass.
struct Traffic {
    double forward, backward, eval;
};
constexpr Traffic kReLU{2, 3, 2}, kDropout{3, 3, 2}, kBatchNorm{3, 3, 2}, kMaxPool{1.5, 1.5, 1.25};

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
    state.counters["GB/s"] =
        benchmark::Counter(units * elements * sizeof(float) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
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
