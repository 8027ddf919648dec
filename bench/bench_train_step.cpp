// One training step of the course's MNIST net at batch 128, one evaluation pass over 10k images, and each layer of
// the net on its own (forward + backward at its real input shape) — the per-layer profile that says where a step's
// time goes. Threads: --threads=N (default 1) sets minitorch::set_num_threads before the benchmarks run.
#include "../examples/mnist/mnist_net.hpp"

#include <benchmark/benchmark.h>

#include "bench_args.hpp"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace minitorch;

namespace {

constexpr std::size_t kBatch = 128;

Tensor<float> random_images(std::size_t n, std::uint64_t seed) {
    Tensor<float> x({n, 1, 28, 28});
    Generator gen(seed);
    normal_(x, 0.0, 1.0, gen);
    return x;
}

std::vector<std::int64_t> random_labels(std::size_t n, std::uint64_t seed) {
    Generator gen(seed);
    std::vector<std::int64_t> labels(n);
    for (auto& l : labels) l = static_cast<std::int64_t>(gen.below(10));
    return labels;
}

/// FLOPs of the net's convolutions for one image: forward (2·O·K·L per conv); a training step is 3× that.
double conv_flops_per_image(Sequential<float>& net) {
    double flops = 0;
    Shape s{1, 1, 28, 28};
    for (std::size_t i = 0; i < net.size(); ++i) {
        const Shape out = net.slice(i, i + 1).output_shape(s);
        if (net.describe(i).rfind("Conv2d", 0) == 0) {
            const auto& w = net.template at<Conv2d<float>>(i).weight().shape();
            flops += 2.0 * static_cast<double>(w[0] * w[1] * w[2] * w[3] * out[2] * out[3]);
        }
        s = out;
    }
    return flops;
}

void BM_TrainStep(benchmark::State& state) {
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    SGD<float> opt(net.parameters(), {.lr = 0.01, .momentum = 0.9});
    NLLLoss<float> loss;
    const Tensor<float> x = random_images(kBatch, 2);
    const auto labels = random_labels(kBatch, 3);
    const auto step = [&] {
        opt.zero_grad();
        loss.forward(net.forward(x), labels);
        net.backward(loss.backward());
        opt.step();
    };
    step();  // warm-up: first-touch page faults of every buffer are not part of a steady-state step
    const auto start = std::chrono::steady_clock::now();
    for (auto _ : state) step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Generator fresh(1);
    Sequential<float> shapes_only = mnist_example::make_net<float>(fresh);  // FLOP count without cloning buffers
    const double flops = 3.0 * conv_flops_per_image(shapes_only) * kBatch;
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    // 469 steps of batch 128 make one MNIST epoch (the data pipeline is not included).
    state.counters["epoch_s"] = 469.0 * seconds / static_cast<double>(state.iterations());
}
BENCHMARK(BM_TrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Eval-mode passes over 10,000 images in batches of range(0): Sequential::infer with range(1) images per thread in a
/// slice (what evaluate() runs, default 8), or with range(1) = 0 forward (the whole batch through one layer after
/// another).
void BM_Evaluate10k(benchmark::State& state) {
    const std::size_t batch = static_cast<std::size_t>(state.range(0));
    const std::size_t per_thread = static_cast<std::size_t>(state.range(1));
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    net.eval();
    const Tensor<float> x = random_images(batch, 2);
    const std::size_t batches = (10000 + batch - 1) / batch;
    const auto pass = [&]() -> const Tensor<float>& { return per_thread ? net.infer(x, per_thread) : net.forward(x); };
    pass();  // warm-up
    for (auto _ : state)
        for (std::size_t b = 0; b < batches; ++b) benchmark::DoNotOptimize(pass().data());
    const double flops = conv_flops_per_image(net) * static_cast<double>(batches * batch);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Evaluate10k)
    ->ArgNames({"batch", "infer_per_thread"})
    ->Args({128, 8})
    ->Args({128, 0})
    ->Args({128, 4})
    ->Args({128, 16})
    ->Args({1000, 8})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// Layer i of the net alone: forward + backward at its real input shape in a training step.
void BM_NetLayer(benchmark::State& state) {
    const auto index = static_cast<std::size_t>(state.range(0));
    Generator gen(1);
    Sequential<float> net = mnist_example::make_net<float>(gen);
    const Shape in = net.slice(0, index).output_shape({kBatch, 1, 28, 28});
    Sequential<float> one = net.slice(index, index + 1);
    Tensor<float> x(in);
    normal_(x, 0.0, 1.0, gen);
    Tensor<float> dy(one.output_shape(in));
    normal_(dy, 0.0, 1.0, gen);
    one.forward(x);  // warm-up
    one.backward(dy);
    for (auto _ : state) {
        one.forward(x);
        benchmark::DoNotOptimize(one.backward(dy).data());
    }
    state.SetLabel(one.describe(0) + " " + to_string(in));
}
BENCHMARK(BM_NetLayer)->DenseRange(0, 28)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    if (!bench_args::take_threads(args, "bench_train_step")) return 2;
    int n = static_cast<int>(args.size());
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
